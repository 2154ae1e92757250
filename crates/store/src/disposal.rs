//! End-of-epidemic disposal: the requests and their progress, the statistics
//! kept afterwards, and deleting every record of a purpose in batches.
//!
//! Every batch deletes in a unit of work that also records the progress, so
//! a disposal that stops resumes exactly where it was and its counts stay
//! exact. People who hold nothing else lose their data key first (in the key
//! store), then their rows.
//!
//! Disposal runs once the services are closed, and deletes most of the
//! database, so it takes the bulk paths each backend has (`healthcode bench
//! dispose` measures them):
//!
//! * on PostgreSQL a table or day partition that holds nothing but the
//!   purpose's rows is emptied whole (`TRUNCATE`, or `DROP` for a day
//!   partition), its rows counted under the same lock; row by row, `DELETE` leaves every dead row in the table's
//!   files until a vacuum, and each batch's scan walks past the dead rows of
//!   the batches before it;
//! * on SQLite the check-ins' `(venue_id, at)` index (and the colours'
//!   `valid_until`) is dropped while they are deleted and built again
//!   afterwards: its entries are in no useful order for a bulk delete, so
//!   keeping it up to date cost one page write per check-in, nine tenths of
//!   the time; and the colours go in the order they are stored;
//! * people are taken in key order from where the last batch stopped, so no
//!   batch scans again what the ones before it passed.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, Unit, placeholders};

/// A disposal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisposalRecord {
    pub id: String,
    pub purpose: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub approved_by: Option<String>,
    pub approved_at: Option<i64>,
    pub threshold: i64,
    /// `requested`, `approved`, `counted`, `records` or `completed`.
    pub stage: String,
    pub started_at: Option<i64>,
    /// JSON object: records deleted so far, by kind.
    pub progress: String,
    pub completed_at: Option<i64>,
    /// The signed certificate (JSON), once complete.
    pub certificate: Option<String>,
}

/// A cell of the statistics: how many check-ins of a day (China Standard
/// Time, `YYYY-MM-DD` as days since the epoch), in a division, by people whose
/// code had a colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatisticsCell {
    pub day: String,
    pub division: String,
    pub colour: String,
    pub count: i64,
}

/// The kinds of record disposal deletes, in the order it deletes them: what
/// depends on something goes before it.
pub const DISPOSED_KINDS: [&str; 10] = [
    "check_ins",
    "scanned_codes",
    "facts",
    "code_statuses",
    "overrides",
    "appeals",
    "samples",
    "tubes",
    "risk_areas",
    "access_log",
];

/// One batch of `kind`'s records, at most `$2` rows of the purpose `$1` for
/// tables that tag each row with its purpose, at most `$1` rows for tables
/// that hold nothing else; and whether the statement takes the purpose.
fn batch_statement(kind: &str) -> Option<(&'static str, bool)> {
    let tagged = matches!(kind, "check_ins" | "facts");
    Some((
        match kind {
            "check_ins" => {
                "DELETE FROM check_ins WHERE (person_id, id, day) IN \
             (SELECT person_id, id, day FROM check_ins WHERE purpose = $1 LIMIT $2)"
            }
            "facts" => {
                "DELETE FROM facts WHERE id IN (SELECT id FROM facts WHERE purpose = $1 LIMIT $2)"
            }
            // The tables below hold nothing but data of the epidemic's purpose.
            "code_statuses" => {
                "DELETE FROM code_status WHERE person_id IN \
             (SELECT person_id FROM code_status LIMIT $1)"
            }
            "overrides" => "DELETE FROM overrides WHERE id IN (SELECT id FROM overrides LIMIT $1)",
            "appeals" => "DELETE FROM appeals WHERE id IN (SELECT id FROM appeals LIMIT $1)",
            "samples" => {
                "DELETE FROM tube_members WHERE (tube_id, person_id) IN \
             (SELECT tube_id, person_id FROM tube_members LIMIT $1)"
            }
            "scanned_codes" => {
                "DELETE FROM scanned_codes WHERE fingerprint IN \
             (SELECT fingerprint FROM scanned_codes LIMIT $1)"
            }
            "tubes" => "DELETE FROM tubes WHERE id IN (SELECT id FROM tubes LIMIT $1)",
            "risk_areas" => {
                "DELETE FROM risk_areas WHERE id IN (SELECT id FROM risk_areas LIMIT $1)"
            }
            "access_log" => {
                "DELETE FROM access_log WHERE (person_id, at, id) IN \
             (SELECT person_id, at, id FROM access_log LIMIT $1)"
            }
            _ => return None,
        },
        tagged,
    ))
}

/// The table holding `kind`'s records, and whether it tags each row with its purpose.
fn table_of(kind: &str) -> Option<(&'static str, bool)> {
    Some(match kind {
        "check_ins" => ("check_ins", true),
        "facts" => ("facts", true),
        "code_statuses" => ("code_status", false),
        "overrides" => ("overrides", false),
        "appeals" => ("appeals", false),
        "scanned_codes" => ("scanned_codes", false),
        "samples" => ("tube_members", false),
        "tubes" => ("tubes", false),
        "risk_areas" => ("risk_areas", false),
        "access_log" => ("access_log", false),
        _ => return None,
    })
}

/// The SQLite index set aside while `kind`'s records are deleted, and the
/// statement that builds it again: exactly as its migration creates it
/// (`0003_venues_check_ins.sql`, `0001_foundation.sql`).
fn set_aside_index(kind: &str) -> Option<(&'static str, &'static str)> {
    match kind {
        "check_ins" => Some((
            "check_ins_venue_at",
            "CREATE INDEX IF NOT EXISTS check_ins_venue_at ON check_ins(venue_id, at)",
        )),
        "code_statuses" => Some((
            "code_status_valid_until",
            "CREATE INDEX IF NOT EXISTS code_status_valid_until ON code_status(valid_until)",
        )),
        _ => None,
    }
}

/// On SQLite, a batch of `kind`'s records in the order they are stored
/// (`rowid`) where the table's key is in another: the colours, keyed by
/// person, were written in the order people registered, so a batch taken in
/// key order touched a different page for nearly every row. `None`: the
/// statement of [`batch_statement`] serves both backends.
fn sqlite_batch_statement(kind: &str) -> Option<&'static str> {
    match kind {
        "code_statuses" => {
            Some("DELETE FROM code_status WHERE rowid IN (SELECT rowid FROM code_status LIMIT $1)")
        }
        _ => None,
    }
}

/// On PostgreSQL, whether `kind`'s table may be emptied whole (`None`: not
/// while a foreign key references it, even from an empty table, as
/// `tube_members` does `tubes`), and whether it is partitioned by day (then
/// each of its partitions is, instead).
fn emptied_whole(kind: &str) -> Option<bool> {
    match kind {
        "check_ins" | "access_log" => Some(true),
        "scanned_codes" | "facts" | "code_statuses" | "overrides" | "appeals" | "samples"
        | "risk_areas" => Some(false),
        _ => None,
    }
}

/// Whether `table` is a day partition of `base` (`check_ins_d20000`), as
/// retention names them.
fn is_day_partition(table: &str, base: &str) -> bool {
    table
        .strip_prefix(base)
        .and_then(|rest| rest.strip_prefix("_d"))
        .is_some_and(|day| !day.is_empty() && day.bytes().all(|b| b.is_ascii_digit()))
}

/// Ids bound per statement: well under SQLite's and PostgreSQL's limits on
/// bound parameters, however large a batch of people is.
const IDS_PER_STATEMENT: usize = 1_000;

const COLUMNS: &str = "id, purpose, requested_by, requested_at, approved_by, approved_at, \
                       threshold, stage, started_at, progress, completed_at, certificate";

fn disposal(r: &AnyRow) -> Result<DisposalRecord, StoreError> {
    Ok(DisposalRecord {
        id: r.try_get("id")?,
        purpose: r.try_get("purpose")?,
        requested_by: r.try_get("requested_by")?,
        requested_at: r.try_get("requested_at")?,
        approved_by: r.try_get("approved_by")?,
        approved_at: r.try_get("approved_at")?,
        threshold: r.try_get("threshold")?,
        stage: r.try_get("stage")?,
        started_at: r.try_get("started_at")?,
        progress: r.try_get("progress")?,
        completed_at: r.try_get("completed_at")?,
        certificate: r.try_get("certificate")?,
    })
}

impl Unit {
    /// Records a disposal request.
    pub async fn insert_disposal(&mut self, r: &DisposalRecord) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO disposals ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(&r.id)
        .bind(&r.purpose)
        .bind(&r.requested_by)
        .bind(r.requested_at)
        .bind(r.approved_by.as_deref())
        .bind(r.approved_at)
        .bind(r.threshold)
        .bind(&r.stage)
        .bind(r.started_at)
        .bind(&r.progress)
        .bind(r.completed_at)
        .bind(r.certificate.as_deref())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Approves a requested disposal by `by`, who must not have requested it;
    /// returns whether it was awaiting approval.
    pub async fn approve_disposal(&mut self, id: &str, by: &str) -> Result<bool, StoreError> {
        let now = self.now();
        let done = sqlx::query(
            "UPDATE disposals SET approved_by = $2, approved_at = $3, stage = 'approved' \
             WHERE id = $1 AND stage = 'requested' AND requested_by <> $2",
        )
        .bind(id)
        .bind(by)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Moves a disposal to `stage` with its progress so far.
    pub async fn advance_disposal(
        &mut self,
        id: &str,
        stage: &str,
        progress: &str,
    ) -> Result<(), StoreError> {
        let now = self.now();
        sqlx::query(
            "UPDATE disposals SET stage = $2, progress = $3, \
             started_at = COALESCE(started_at, $4) WHERE id = $1",
        )
        .bind(id)
        .bind(stage)
        .bind(progress)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Completes a disposal with its signed certificate.
    pub async fn complete_disposal(
        &mut self,
        id: &str,
        certificate: &str,
    ) -> Result<(), StoreError> {
        let now = self.now();
        sqlx::query(
            "UPDATE disposals SET stage = 'completed', completed_at = $2, certificate = $3 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .bind(certificate)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Keeps the statistics of a disposal (the cells above its threshold).
    pub async fn insert_disposal_statistics(
        &mut self,
        id: &str,
        cells: &[StatisticsCell],
    ) -> Result<(), StoreError> {
        for c in cells {
            sqlx::query(
                "INSERT INTO disposal_statistics (disposal_id, day, division, colour, count) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(&c.day)
            .bind(&c.division)
            .bind(&c.colour)
            .bind(c.count)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// Deletes one batch of `kind`'s records of `purpose`; returns how many.
    pub async fn dispose_batch(
        &mut self,
        kind: &str,
        purpose: &str,
        batch: i64,
    ) -> Result<u64, StoreError> {
        let (mut statement, tagged) = batch_statement(kind)
            .ok_or_else(|| StoreError::Corrupt(format!("no kind of record {kind}")))?;
        if self.backend() == crate::Backend::Sqlite
            && let Some(stored_order) = sqlite_batch_statement(kind)
        {
            statement = stored_order;
        }
        let query = sqlx::query(statement);
        let query = if tagged {
            query.bind(purpose).bind(batch)
        } else {
            query.bind(batch)
        };
        let done = query.execute(self.conn()).await?;
        Ok(done.rows_affected())
    }

    /// Deletes these people's rows (their accounts and sessions go with
    /// them); returns how many were there.
    pub async fn dispose_people(&mut self, ids: &[String]) -> Result<u64, StoreError> {
        let mut deleted = 0;
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            deleted += delete_ids(self.conn(), "people", "id", chunk).await?;
        }
        Ok(deleted)
    }

    /// On PostgreSQL, empties `table` (a table of `kind`, or one of its
    /// partitions) at once if every row in it is of `purpose` (for tables
    /// that tag their rows) and returns how many rows it held; `None` if some
    /// row is of another purpose, and on SQLite. The table is locked before
    /// its rows are counted, so the count is exactly what goes. A day
    /// partition is dropped, as retention drops the days it is done with
    /// (the next retention run creates the coming days' again): every
    /// partition left costs each person deleted afterwards a probe of its
    /// index, through the cascade of their rows. Other tables are truncated.
    pub async fn empty_disposable(
        &mut self,
        table: &str,
        kind: &str,
        purpose: &str,
    ) -> Result<Option<u64>, StoreError> {
        let (base, tagged) = table_of(kind)
            .ok_or_else(|| StoreError::Corrupt(format!("no kind of record {kind}")))?;
        if self.backend() != crate::Backend::Postgres {
            return Ok(None);
        }
        let table = crate::backend::checked_identifier(table)?;
        sqlx::query(&format!("LOCK TABLE \"{table}\" IN ACCESS EXCLUSIVE MODE"))
            .execute(self.conn())
            .await?;
        let count = |filter: &str| format!("SELECT COUNT(*) FROM \"{table}\"{filter}");
        let n: i64 = sqlx::query_scalar(&count(""))
            .fetch_one(self.conn())
            .await?;
        let other: i64 = if tagged {
            sqlx::query_scalar(&count(" WHERE purpose <> $1"))
                .bind(purpose)
                .fetch_one(self.conn())
                .await?
        } else {
            0
        };
        if other > 0 {
            return Ok(None);
        }
        let statement = if is_day_partition(table, base) {
            "DROP TABLE"
        } else {
            "TRUNCATE"
        };
        sqlx::query(&format!("{statement} \"{table}\""))
            .execute(self.conn())
            .await?;
        Ok(Some(u64::try_from(n).unwrap_or(0)))
    }

    /// Records that a person keeps their account for other services when the
    /// epidemic's data is disposed of (`false`: they do not).
    pub async fn keep_account(&mut self, person_id: &str, keep: bool) -> Result<bool, StoreError> {
        let since = keep.then(|| self.now());
        let done = sqlx::query("UPDATE people SET keep_account_since = $2 WHERE id = $1")
            .bind(person_id)
            .bind(since)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

impl Store {
    /// Every disposal, the latest first.
    pub async fn disposals(&self) -> Result<Vec<DisposalRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM disposals ORDER BY requested_at DESC, id"
        ))
        .fetch_all(&self.data)
        .await?;
        rows.iter().map(disposal).collect()
    }

    /// One disposal.
    pub async fn disposal(&self, id: &str) -> Result<Option<DisposalRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM disposals WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.data)
            .await?;
        row.as_ref().map(disposal).transpose()
    }

    /// The statistics a disposal kept.
    pub async fn disposal_statistics(&self, id: &str) -> Result<Vec<StatisticsCell>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, division, colour, count FROM disposal_statistics \
             WHERE disposal_id = $1 ORDER BY day, division, colour",
        )
        .bind(id)
        .fetch_all(&self.data)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StatisticsCell {
                    day: r.try_get("day")?,
                    division: r.try_get("division")?,
                    colour: r.try_get("colour")?,
                    count: r.try_get("count")?,
                })
            })
            .collect()
    }

    /// Check-ins of `purpose` counted by day (China Standard Time, as days
    /// since the epoch), division and the colour of the person's code
    /// (`none` when they have none): every cell, before any is suppressed.
    pub async fn check_in_cells(
        &self,
        purpose: &str,
    ) -> Result<Vec<(i64, String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT (c.at + 28800) / 86400 AS d, c.division AS division, \
             COALESCE(s.colour, 'none') AS colour, COUNT(*) AS n \
             FROM check_ins c LEFT JOIN code_status s ON s.person_id = c.person_id \
             WHERE c.purpose = $1 \
             GROUP BY (c.at + 28800) / 86400, c.division, COALESCE(s.colour, 'none')",
        )
        .bind(purpose)
        .fetch_all(&self.data)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("d")?,
                    r.try_get("division")?,
                    r.try_get("colour")?,
                    r.try_get("n")?,
                ))
            })
            .collect()
    }

    /// How many of `kind`'s records of `purpose` there are.
    pub async fn count_disposable(&self, kind: &str, purpose: &str) -> Result<i64, StoreError> {
        let (table, tagged) = table_of(kind)
            .ok_or_else(|| StoreError::Corrupt(format!("no kind of record {kind}")))?;
        let count = if tagged {
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE purpose = $1"))
                .bind(purpose)
                .fetch_one(&self.data)
                .await?
        } else {
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&self.data)
                .await?
        };
        Ok(count)
    }

    /// How many people did not choose to keep their account.
    pub async fn count_people_not_kept(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE keep_account_since IS NULL")
                .fetch_one(&self.data)
                .await?,
        )
    }

    /// Up to `limit` people who did not choose to keep their account, in key
    /// order from just after `after` (`""`: from the first). Each batch
    /// starts where the last one stopped, through the primary key, so it does
    /// not scan again the rows the batches before it passed: the people who
    /// keep their account, and on PostgreSQL the dead rows of those deleted.
    pub async fn people_not_kept_after(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM people WHERE id > $1 AND keep_account_since IS NULL \
             ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.data)
        .await?)
    }

    /// The tables a disposal may empty whole for `kind` on PostgreSQL (see
    /// [`Unit::empty_disposable`]): its table, or its day partitions and
    /// default partition; none on SQLite.
    pub async fn tables_to_empty(&self, kind: &str) -> Result<Vec<String>, StoreError> {
        let (table, _) = table_of(kind)
            .ok_or_else(|| StoreError::Corrupt(format!("no kind of record {kind}")))?;
        if self.backend != crate::Backend::Postgres {
            return Ok(Vec::new());
        }
        Ok(match emptied_whole(kind) {
            None => Vec::new(),
            Some(false) => vec![table.to_owned()],
            Some(true) => {
                sqlx::query_scalar(
                    "SELECT c.relname::text FROM pg_inherits i \
                     JOIN pg_class c ON c.oid = i.inhrelid \
                     JOIN pg_class p ON p.oid = i.inhparent \
                     JOIN pg_namespace n ON n.oid = p.relnamespace \
                     WHERE p.relname = $1 AND n.nspname = current_schema() ORDER BY 1",
                )
                .bind(table)
                .fetch_all(&self.data)
                .await?
            }
        })
    }

    /// On SQLite, drops the index that deleting `kind`'s records in bulk
    /// would otherwise keep up to date entry by entry (the check-ins'
    /// `(venue_id, at)`, the colours' `valid_until`: in no useful order for
    /// it); [`Store::restore_index`] builds it again once they are deleted.
    /// A disposal that stops between the two restores it when it resumes.
    /// Nothing to do on PostgreSQL, whose deletes leave indexes alone.
    pub async fn set_index_aside(&self, kind: &str) -> Result<(), StoreError> {
        if let (crate::Backend::Sqlite, Some((index, _))) = (self.backend, set_aside_index(kind)) {
            sqlx::query(&format!("DROP INDEX IF EXISTS {index}"))
                .execute(&self.data)
                .await?;
        }
        Ok(())
    }

    /// Builds again the index [`Store::set_index_aside`] dropped for `kind`,
    /// if it is not there.
    pub async fn restore_index(&self, kind: &str) -> Result<(), StoreError> {
        if let (crate::Backend::Sqlite, Some((_, create))) = (self.backend, set_aside_index(kind)) {
            sqlx::query(create).execute(&self.data).await?;
        }
        Ok(())
    }

    /// How many people chose to keep their account.
    pub async fn count_kept_accounts(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE keep_account_since IS NOT NULL")
                .fetch_one(&self.data)
                .await?,
        )
    }

    /// Destroys these people's data keys in the key store; returns how many
    /// there were.
    pub async fn destroy_data_keys(&self, ids: &[String]) -> Result<u64, StoreError> {
        let mut tx = self
            .keys
            .begin_with(crate::unit::begin_write(self.backend))
            .await?;
        let mut destroyed = 0;
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            destroyed += delete_ids(&mut tx, "data_keys", "person_id", chunk).await?;
        }
        tx.commit().await?;
        Ok(destroyed)
    }

    /// After a disposal: on SQLite the write-ahead logs of the key store and
    /// of the data are checkpointed and truncated, so that no page image
    /// written before the deletes (a wrapped key, a check-in) stays in them.
    pub async fn checkpoint_after_disposal(&self) -> Result<(), StoreError> {
        if self.backend == crate::Backend::Sqlite {
            for pool in [&self.keys, &self.data] {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }
}

/// Deletes the rows of `table` whose `column` is one of `ids`; returns how many.
async fn delete_ids(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    column: &str,
    ids: &[String],
) -> Result<u64, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "DELETE FROM {table} WHERE {column} IN ({})",
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id);
    }
    Ok(query.execute(conn).await?.rows_affected())
}
