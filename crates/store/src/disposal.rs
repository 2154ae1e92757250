//! End-of-epidemic disposal: the requests and their progress, the statistics
//! kept afterwards, and deleting every record of a purpose in batches.
//!
//! Every batch deletes in a unit of work that also records the progress, so
//! a disposal that stops resumes exactly where it was and its counts stay
//! exact. People who hold nothing else lose their data key first (in the key
//! store), then their rows.

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
pub const DISPOSED_KINDS: [&str; 9] = [
    "check_ins",
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
        "samples" => ("tube_members", false),
        "tubes" => ("tubes", false),
        "risk_areas" => ("risk_areas", false),
        "access_log" => ("access_log", false),
        _ => return None,
    })
}

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
        let (statement, tagged) = batch_statement(kind)
            .ok_or_else(|| StoreError::Corrupt(format!("no kind of record {kind}")))?;
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
        if ids.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "DELETE FROM people WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(id);
        }
        Ok(query.execute(self.conn()).await?.rows_affected())
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

    /// Up to `limit` people who did not choose to keep their account.
    pub async fn people_not_kept(&self, limit: i64) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM people WHERE keep_account_since IS NULL LIMIT $1")
                .bind(limit)
                .fetch_all(&self.data)
                .await?,
        )
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
        if ids.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "DELETE FROM data_keys WHERE person_id IN ({})",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(id);
        }
        Ok(query.execute(&self.keys).await?.rows_affected())
    }

    /// After keys were destroyed in bulk: on SQLite the key store's
    /// write-ahead log is checkpointed and truncated, so no wrapped key stays
    /// in it.
    pub async fn checkpoint_keys(&self) -> Result<(), StoreError> {
        if self.backend == crate::Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.keys)
                .await?;
        }
        Ok(())
    }
}
