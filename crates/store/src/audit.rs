//! The audit log's storage: entries, the hashes of the Merkle tree's perfect
//! subtrees, the signed tree heads, and the tail that orders appends.
//!
//! Entries are appended in the transaction of the act they record: a unit of
//! work appends its entries just before it commits, a check-in batch in its
//! own transaction. The tail row is locked for the append, so entries of
//! concurrent acts get consecutive places and their tree nodes agree.

use std::collections::HashMap;

use healthcode_domain::audit::merkle::{self, Hash, Perfect};
use healthcode_domain::audit::{Entry, Pending};
use sqlx::{AnyConnection, Row};

use crate::{Store, StoreError, Unit, placeholders};

/// A signed tree head as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHeadRecord {
    pub size: u64,
    pub at: i64,
    pub root: Hash,
    /// The id of the audit key that signed it.
    pub kid: String,
    pub signature: Vec<u8>,
}

/// One stored entry: its place and the exact bytes that were hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntryRecord {
    pub seq: u64,
    pub entry: Vec<u8>,
}

/// Which entries the regulator reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this act (`policy.published`…).
    pub act: Option<String>,
    /// Only this actor kind (`staff`, `job`, `operator`, `citizen`).
    pub actor_kind: Option<String>,
    /// Only this staff account.
    pub actor_account: Option<String>,
    /// From this time on (Unix seconds, inclusive).
    pub from: Option<i64>,
    /// Before this time (Unix seconds, exclusive).
    pub until: Option<i64>,
    /// Only entries placed before this one (paging, newest first).
    pub before_seq: Option<u64>,
}

/// Rows per statement when appending: entries have 6 columns, nodes 3.
const ROWS_PER_STATEMENT: usize = 100;

fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{v} is out of range")))
}

fn to_u64(v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative place {v}")))
}

fn to_hash(bytes: Vec<u8>) -> Result<Hash, StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("a stored hash is not 32 bytes".to_owned()))
}

/// Appends `pending` entries in the transaction on `conn`, after the log's
/// current tail, with the tree nodes they complete.
pub(crate) async fn append(
    conn: &mut AnyConnection,
    pending: Vec<Pending>,
) -> Result<(), StoreError> {
    if pending.is_empty() {
        return Ok(());
    }
    // SQLite: the transaction already holds the database's write lock.
    let lock = if conn.backend_name() == "PostgreSQL" {
        "SELECT size FROM audit_tail WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT size FROM audit_tail WHERE id = 1"
    };
    let size: i64 = sqlx::query_scalar(lock).fetch_one(&mut *conn).await?;
    let size = to_u64(size)?;
    let mut nodes = read_nodes(&mut *conn, &merkle::frontier(size)).await?;
    let mut new_nodes: Vec<(Perfect, Hash)> = Vec::new();
    let mut entries: Vec<(Entry, Vec<u8>)> = Vec::with_capacity(pending.len());
    for (i, p) in pending.into_iter().enumerate() {
        let seq = size + i as u64;
        let entry = p.into_entry(seq);
        let bytes = entry.to_bytes();
        let leaf = Perfect {
            level: 0,
            index: seq,
        };
        let hash = merkle::leaf_hash(&bytes);
        nodes.insert(leaf, hash);
        new_nodes.push((leaf, hash));
        for (parent, left, right) in merkle::completed_by(seq) {
            let (Some(l), Some(r)) = (nodes.get(&left), nodes.get(&right)) else {
                return Err(StoreError::Corrupt(format!(
                    "the audit tree lacks node {left:?} or {right:?}"
                )));
            };
            let hash = merkle::node_hash(l, r);
            nodes.insert(parent, hash);
            new_nodes.push((parent, hash));
        }
        entries.push((entry, bytes));
    }
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO audit_entries (seq, at, act, actor_kind, actor_account, entry) VALUES ",
        );
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| format!("({})", placeholders(r * 6 + 1, 6)))
            .collect();
        sql.push_str(&rows.join(", "));
        let mut q = sqlx::query(&sql);
        for (entry, bytes) in chunk {
            q = q
                .bind(to_i64(entry.seq)?)
                .bind(entry.at)
                .bind(entry.act.as_str())
                .bind(entry.actor.kind.clone())
                .bind(entry.actor.account.clone())
                .bind(bytes.clone());
        }
        q.execute(&mut *conn).await?;
    }
    for chunk in new_nodes.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::from("INSERT INTO audit_nodes (level, idx, hash) VALUES ");
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| format!("({})", placeholders(r * 3 + 1, 3)))
            .collect();
        sql.push_str(&rows.join(", "));
        let mut q = sqlx::query(&sql);
        for (node, hash) in chunk {
            q = q
                .bind(i32::from(node.level))
                .bind(to_i64(node.index)?)
                .bind(hash.to_vec());
        }
        q.execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE audit_tail SET size = $1 WHERE id = 1")
        .bind(to_i64(size + entries.len() as u64)?)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The stored hashes of `wanted` perfect subtrees (those that exist).
async fn read_nodes(
    conn: &mut AnyConnection,
    wanted: &[Perfect],
) -> Result<HashMap<Perfect, Hash>, StoreError> {
    let mut out = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(ROWS_PER_STATEMENT) {
        let clauses: Vec<String> = (0..chunk.len())
            .map(|i| format!("(level = ${} AND idx = ${})", i * 2 + 1, i * 2 + 2))
            .collect();
        let sql = format!(
            "SELECT level, idx, hash FROM audit_nodes WHERE {}",
            clauses.join(" OR ")
        );
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q.bind(i32::from(p.level)).bind(to_i64(p.index)?);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let level: i32 = row.try_get("level")?;
            let idx: i64 = row.try_get("idx")?;
            let node = Perfect {
                level: u8::try_from(level)
                    .map_err(|_| StoreError::Corrupt(format!("audit node level {level}")))?,
                index: to_u64(idx)?,
            };
            out.insert(node, to_hash(row.try_get("hash")?)?);
        }
    }
    Ok(out)
}

fn entry_record(row: &sqlx::any::AnyRow) -> Result<AuditEntryRecord, StoreError> {
    Ok(AuditEntryRecord {
        seq: to_u64(row.try_get("seq")?)?,
        entry: row.try_get("entry")?,
    })
}

fn head(row: &sqlx::any::AnyRow) -> Result<AuditHeadRecord, StoreError> {
    Ok(AuditHeadRecord {
        size: to_u64(row.try_get("size")?)?,
        at: row.try_get("at")?,
        root: to_hash(row.try_get("root")?)?,
        kid: row.try_get("kid")?,
        signature: row.try_get("signature")?,
    })
}

impl Store {
    /// How many entries the log holds.
    pub async fn audit_size(&self) -> Result<u64, StoreError> {
        let size: i64 = sqlx::query_scalar("SELECT size FROM audit_tail WHERE id = 1")
            .fetch_one(&self.data)
            .await?;
        to_u64(size)
    }

    /// The stored hashes of `wanted` perfect subtrees; an error names the
    /// first one missing.
    pub async fn audit_nodes(
        &self,
        wanted: &[Perfect],
    ) -> Result<HashMap<Perfect, Hash>, StoreError> {
        let mut conn = self.data.acquire().await?;
        let nodes = read_nodes(&mut conn, wanted).await?;
        if let Some(missing) = wanted.iter().find(|p| !nodes.contains_key(p)) {
            return Err(StoreError::Corrupt(format!(
                "the audit tree lacks node {missing:?}"
            )));
        }
        Ok(nodes)
    }

    /// The root of the log's tree when it held `size` entries (`size` at
    /// most the current size).
    pub async fn audit_root(&self, size: u64) -> Result<Hash, StoreError> {
        let frontier = merkle::frontier(size);
        let nodes = self.audit_nodes(&frontier).await?;
        let hashes: Vec<Hash> = frontier.iter().map(|p| nodes[p]).collect();
        Ok(merkle::root_from_frontier(&hashes))
    }

    /// Entries `start..end` in order (fewer if the log is shorter).
    pub async fn audit_entries(
        &self,
        start: u64,
        end: u64,
    ) -> Result<Vec<AuditEntryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, entry FROM audit_entries WHERE seq >= $1 AND seq < $2 ORDER BY seq",
        )
        .bind(to_i64(start)?)
        .bind(to_i64(end)?)
        .fetch_all(&self.data)
        .await?;
        rows.iter().map(entry_record).collect()
    }

    /// The stored leaf hashes of entries `start..end`, in order.
    pub async fn audit_leaf_hashes(&self, start: u64, end: u64) -> Result<Vec<Hash>, StoreError> {
        let rows = sqlx::query(
            "SELECT hash FROM audit_nodes WHERE level = 0 AND idx >= $1 AND idx < $2 ORDER BY idx",
        )
        .bind(to_i64(start)?)
        .bind(to_i64(end)?)
        .fetch_all(&self.data)
        .await?;
        rows.into_iter()
            .map(|r| to_hash(r.try_get("hash")?))
            .collect()
    }

    /// Entries matching `filter`, newest first, at most `limit`.
    pub async fn audit_search(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<AuditEntryRecord>, StoreError> {
        let mut clauses: Vec<String> = Vec::new();
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if filter.act.is_some() {
            clauses.push(format!("act = {}", next()));
        }
        if filter.actor_kind.is_some() {
            clauses.push(format!("actor_kind = {}", next()));
        }
        if filter.actor_account.is_some() {
            clauses.push(format!("actor_account = {}", next()));
        }
        if filter.from.is_some() {
            clauses.push(format!("at >= {}", next()));
        }
        if filter.until.is_some() {
            clauses.push(format!("at < {}", next()));
        }
        if filter.before_seq.is_some() {
            clauses.push(format!("seq < {}", next()));
        }
        let limit_param = next();
        let sql = format!(
            "SELECT seq, entry FROM audit_entries {} ORDER BY seq DESC LIMIT {limit_param}",
            if clauses.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", clauses.join(" AND "))
            }
        );
        let mut q = sqlx::query(&sql);
        if let Some(v) = &filter.act {
            q = q.bind(v.clone());
        }
        if let Some(v) = &filter.actor_kind {
            q = q.bind(v.clone());
        }
        if let Some(v) = &filter.actor_account {
            q = q.bind(v.clone());
        }
        if let Some(v) = filter.from {
            q = q.bind(v);
        }
        if let Some(v) = filter.until {
            q = q.bind(v);
        }
        if let Some(v) = filter.before_seq {
            // A cursor past every place a log can have leaves out nothing.
            q = q.bind(i64::try_from(v).unwrap_or(i64::MAX));
        }
        let rows = q.bind(limit).fetch_all(&self.data).await?;
        rows.iter().map(entry_record).collect()
    }

    /// The newest signed tree head, if any.
    pub async fn latest_audit_head(&self) -> Result<Option<AuditHeadRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT size, at, root, kid, signature FROM audit_heads ORDER BY at DESC, size DESC LIMIT 1",
        )
        .fetch_optional(&self.data)
        .await?;
        row.as_ref().map(head).transpose()
    }

    /// Signed tree heads signed at or after `since` (Unix seconds), oldest
    /// first, at most `limit`.
    pub async fn audit_heads(
        &self,
        since: i64,
        limit: i64,
    ) -> Result<Vec<AuditHeadRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT size, at, root, kid, signature FROM audit_heads WHERE at >= $1 \
             ORDER BY at, size LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(&self.data)
        .await?;
        rows.iter().map(head).collect()
    }

    /// Stores a signed tree head; a head of the same size and time is kept
    /// once.
    pub async fn insert_audit_head(&self, record: &AuditHeadRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_heads (size, at, root, kid, signature) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (size, at) DO NOTHING",
        )
        .bind(to_i64(record.size)?)
        .bind(record.at)
        .bind(record.root.to_vec())
        .bind(&record.kid)
        .bind(&record.signature)
        .execute(&self.data)
        .await?;
        Ok(())
    }
}

impl Unit {
    /// Records an act in the audit log, made by the unit's actor at its time;
    /// the entry is appended when the unit commits, with the act.
    pub fn audit(&mut self, draft: healthcode_domain::audit::Draft) {
        let pending = Pending {
            at: self.now(),
            actor: self.actor().into(),
            draft,
        };
        self.audit.push(pending);
    }
}
