//! Erasing a person for good: their data key is destroyed in the key store
//! (crypto-shredding: every copy of their data, backups included, becomes
//! unreadable), then their rows go from every table of the data store.
//!
//! The order across the two stores: the erasure is first recorded as pending
//! in the data store, then the key is destroyed, then the rows are deleted and
//! the erasure completed in one unit. A process that dies between two steps
//! leaves a pending erasure that [`Store::pending_erasures`] finds and the
//! service finishes; at no point is anything readable that should not be.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, Store, StoreError, Unit};

/// Why a person was erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureReason {
    /// The person asked (account cancellation).
    Request,
    /// An authority, on the person's written request.
    Authority,
}

impl ErasureReason {
    /// The stable name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ErasureReason::Request => "request",
            ErasureReason::Authority => "authority",
        }
    }
}

/// The record of an erasure: nothing personal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureRecord {
    pub person_id: String,
    pub requested_at: i64,
    pub completed_at: Option<i64>,
    pub reason: String,
    pub reference: Option<String>,
    pub actor_kind: String,
    pub actor_role: Option<String>,
    pub actor_account: Option<String>,
}

const COLUMNS: &str = "person_id, requested_at, completed_at, reason, reference, actor_kind, \
                       actor_role, actor_account";

impl Unit {
    /// Records a pending erasure of a registered person by the unit's actor;
    /// `false` if the person is not registered (any more). A person already
    /// pending keeps their first record.
    pub async fn begin_erasure(
        &mut self,
        person_id: &str,
        reason: ErasureReason,
        reference: Option<&str>,
    ) -> Result<bool, StoreError> {
        if !self.lock_person(person_id).await? {
            return Ok(false);
        }
        let actor = self.actor().clone();
        let now = self.now();
        let actor_role = match &actor {
            healthcode_domain::actor::Actor::Job { name } => Some(name.clone()),
            other => other.role().map(|r| r.as_str().to_owned()),
        };
        sqlx::query(&format!(
            "INSERT INTO erasures ({COLUMNS}) VALUES ($1, $2, NULL, $3, $4, $5, $6, $7) \
             ON CONFLICT (person_id) DO NOTHING"
        ))
        .bind(person_id)
        .bind(now)
        .bind(reason.as_str())
        .bind(reference)
        .bind(actor.kind())
        .bind(actor_role)
        .bind(actor.account_id())
        .execute(self.conn())
        .await?;
        Ok(true)
    }

    /// Deletes the person's rows from every table (their account, sessions,
    /// status, facts, check-ins, overrides, appeals, samples and access log go
    /// with them) and completes their erasure. Returns whether the person was
    /// still there.
    pub async fn complete_erasure(&mut self, person_id: &str) -> Result<bool, StoreError> {
        let now = self.now();
        let done = sqlx::query("DELETE FROM people WHERE id = $1")
            .bind(person_id)
            .execute(self.conn())
            .await?;
        sqlx::query("UPDATE erasures SET completed_at = $2 WHERE person_id = $1")
            .bind(person_id)
            .bind(now)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

impl Store {
    /// Destroys a person's data key in the key store; returns whether there
    /// was one. On SQLite the key store's write-ahead log is then checkpointed
    /// and truncated, so the wrapped key is not left in it (deletes overwrite
    /// what they remove in the database file itself).
    pub async fn destroy_data_key(&self, person_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM data_keys WHERE person_id = $1")
            .bind(person_id)
            .execute(&self.keys)
            .await?;
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.keys)
                .await?;
        }
        Ok(done.rows_affected() == 1)
    }

    /// Erasures recorded but not completed (the process stopped half-way).
    pub async fn pending_erasures(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT person_id FROM erasures WHERE completed_at IS NULL ORDER BY requested_at",
        )
        .fetch_all(&self.data)
        .await?)
    }

    /// The erasure of a person, if they were erased (or are being erased).
    pub async fn erasure(&self, person_id: &str) -> Result<Option<ErasureRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM erasures WHERE person_id = $1"
        ))
        .bind(person_id)
        .fetch_optional(&self.data)
        .await?;
        row.as_ref().map(erasure_row).transpose()
    }

    /// How many erasures were completed (for operators; no one is named).
    pub async fn count_erasures(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM erasures WHERE completed_at IS NOT NULL")
                .fetch_one(&self.data)
                .await?,
        )
    }
}

fn erasure_row(r: &AnyRow) -> Result<ErasureRecord, StoreError> {
    Ok(ErasureRecord {
        person_id: r.try_get("person_id")?,
        requested_at: r.try_get("requested_at")?,
        completed_at: r.try_get("completed_at")?,
        reason: r.try_get("reason")?,
        reference: r.try_get("reference")?,
        actor_kind: r.try_get("actor_kind")?,
        actor_role: r.try_get("actor_role")?,
        actor_account: r.try_get("actor_account")?,
    })
}
