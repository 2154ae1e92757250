//! Retention: the published schedules, and deleting what a schedule says is
//! due, continuously and without stalling the writers.
//!
//! Everything is deleted in bounded batches, each in a unit of work of its own
//! for the retention job, so no statement holds SQLite's write lock for long
//! and check-ins keep flowing meanwhile. On PostgreSQL the large time-series
//! tables (check-ins, the access log) are partitioned by day: a day that falls
//! out of retention is dropped whole, in milliseconds, whatever its size.

use healthcode_domain::actor::Actor;
use sqlx::Row;

use crate::{Backend, Store, StoreError, Unit};

/// A published retention schedule as stored: its JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionScheduleRecord {
    pub version: String,
    pub effective_from: i64,
    pub document: String,
    pub published_by: Option<String>,
    pub published_at: i64,
}

/// Rows per deleting statement: on SQLite (with `secure_delete`, which
/// overwrites what it removes) about 13 ms of the write lock on a two-core
/// machine (`healthcode bench retention`), so a check-in waits at most that
/// long behind one; batches of 1,000 held it twice as long.
pub const PURGE_BATCH: i64 = 500;

/// The pause between two deleting batches.
const BETWEEN_BATCHES: std::time::Duration = std::time::Duration::from_millis(2);

/// A batch of a division's check-ins older than `$2`, on SQLite.
pub(crate) const PURGE_CHECK_INS_SQLITE: &str = "DELETE FROM check_ins WHERE rowid IN \
     (SELECT c.rowid FROM venues v JOIN check_ins c ON c.venue_id = v.id \
      WHERE v.division = $1 AND c.at < $2 LIMIT $3)";

/// A table partitioned by day on PostgreSQL, and how its partitions are bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DailyTable {
    /// `check_ins`, partitioned by its `day` column.
    CheckIns,
    /// `access_log`, partitioned by `at` (Unix seconds).
    AccessLog,
}

impl DailyTable {
    fn name(self) -> &'static str {
        match self {
            DailyTable::CheckIns => "check_ins",
            DailyTable::AccessLog => "access_log",
        }
    }

    /// The partition key's range of day `d`.
    fn bounds(self, day: i64) -> (i64, i64) {
        match self {
            DailyTable::CheckIns => (day, day + 1),
            DailyTable::AccessLog => (day * 86_400, (day + 1) * 86_400),
        }
    }

    /// The partition key of the first kept day's start.
    fn key_of_day(self, day: i64) -> i64 {
        self.bounds(day).0
    }

    fn key_column(self) -> &'static str {
        match self {
            DailyTable::CheckIns => "day",
            DailyTable::AccessLog => "at",
        }
    }
}

impl Unit {
    /// Publishes a retention schedule. Versions and effective times are unique.
    pub async fn insert_retention_schedule(
        &mut self,
        r: &RetentionScheduleRecord,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO retention_schedules (version, effective_from, document, published_by, \
             published_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&r.version)
        .bind(r.effective_from)
        .bind(&r.document)
        .bind(r.published_by.as_deref())
        .bind(r.published_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

impl Store {
    /// Every published retention schedule, by effective time.
    pub async fn retention_schedules(&self) -> Result<Vec<RetentionScheduleRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, effective_from, document, published_by, published_at \
             FROM retention_schedules ORDER BY effective_from",
        )
        .fetch_all(&self.data)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RetentionScheduleRecord {
                    version: r.try_get("version")?,
                    effective_from: r.try_get("effective_from")?,
                    document: r.try_get("document")?,
                    published_by: r.try_get("published_by")?,
                    published_at: r.try_get("published_at")?,
                })
            })
            .collect()
    }

    /// Runs `statement` (binding `bind` then the batch size) in units of work
    /// for `actor` until it deletes fewer rows than a batch; returns how many.
    async fn purge_in_batches(
        &self,
        actor: &Actor,
        now: i64,
        statement: &str,
        bind: &[BindValue<'_>],
    ) -> Result<u64, StoreError> {
        let mut deleted = 0;
        loop {
            let mut unit = self.begin(actor.clone(), now).await?;
            let mut query = sqlx::query(statement);
            for value in bind {
                query = match value {
                    BindValue::Int(v) => query.bind(*v),
                    BindValue::Text(v) => query.bind(*v),
                };
            }
            let done = query.bind(PURGE_BATCH).execute(unit.conn()).await?;
            unit.commit().await?;
            deleted += done.rows_affected();
            if done.rows_affected() < u64::try_from(PURGE_BATCH).unwrap_or(u64::MAX) {
                return Ok(deleted);
            }
            // Let the writers in between batches: SQLite's lock has no queue,
            // so a waiting writer needs a moment with the lock free.
            tokio::time::sleep(BETWEEN_BATCHES).await;
        }
    }

    /// Deletes check-ins of days before `first_kept_day`; returns how many.
    /// PostgreSQL drops whole day partitions; SQLite deletes in batches
    /// division by division, through `venues(division)` and
    /// `check_ins(venue_id, at)`.
    pub async fn purge_check_ins(
        &self,
        actor: &Actor,
        now: i64,
        first_kept_day: i64,
    ) -> Result<u64, StoreError> {
        match self.backend {
            Backend::Postgres => {
                self.drop_days_before(DailyTable::CheckIns, actor, now, first_kept_day)
                    .await
            }
            Backend::Sqlite => {
                let before = first_kept_day * 86_400;
                let mut deleted = 0;
                for division in self.venue_divisions().await? {
                    deleted += self
                        .purge_in_batches(
                            actor,
                            now,
                            PURGE_CHECK_INS_SQLITE,
                            &[BindValue::Text(&division), BindValue::Int(before)],
                        )
                        .await?;
                }
                Ok(deleted)
            }
        }
    }

    /// Deletes access records of days before `first_kept_day`; returns how many.
    pub async fn purge_access_log(
        &self,
        actor: &Actor,
        now: i64,
        first_kept_day: i64,
    ) -> Result<u64, StoreError> {
        match self.backend {
            Backend::Postgres => {
                self.drop_days_before(DailyTable::AccessLog, actor, now, first_kept_day)
                    .await
            }
            Backend::Sqlite => {
                self.purge_in_batches(
                    actor,
                    now,
                    "DELETE FROM access_log WHERE rowid IN \
                     (SELECT rowid FROM access_log WHERE at < $1 LIMIT $2)",
                    &[BindValue::Int(first_kept_day * 86_400)],
                )
                .await
            }
        }
    }

    /// Deletes facts of `kind` that occurred before `before`; returns how many.
    pub async fn purge_facts(
        &self,
        actor: &Actor,
        now: i64,
        kind: &str,
        before: i64,
    ) -> Result<u64, StoreError> {
        self.purge_in_batches(
            actor,
            now,
            "DELETE FROM facts WHERE id IN \
             (SELECT id FROM facts WHERE kind = $1 AND occurred_at < $2 LIMIT $3)",
            &[BindValue::Text(kind), BindValue::Int(before)],
        )
        .await
    }

    /// Deletes overrides that expired before `before`; returns how many.
    pub async fn purge_overrides(
        &self,
        actor: &Actor,
        now: i64,
        before: i64,
    ) -> Result<u64, StoreError> {
        self.purge_in_batches(
            actor,
            now,
            "DELETE FROM overrides WHERE id IN \
             (SELECT id FROM overrides WHERE expires_at < $1 LIMIT $2)",
            &[BindValue::Int(before)],
        )
        .await
    }

    /// Deletes resolved appeals filed before `before` (open ones are kept);
    /// returns how many.
    pub async fn purge_appeals(
        &self,
        actor: &Actor,
        now: i64,
        before: i64,
    ) -> Result<u64, StoreError> {
        self.purge_in_batches(
            actor,
            now,
            "DELETE FROM appeals WHERE id IN (SELECT id FROM appeals \
             WHERE status <> 'open' AND filed_at < $1 LIMIT $2)",
            &[BindValue::Int(before)],
        )
        .await
    }

    /// Deletes sessions that expired before `before`; returns how many.
    pub async fn purge_sessions(
        &self,
        actor: &Actor,
        now: i64,
        before: i64,
    ) -> Result<u64, StoreError> {
        self.purge_in_batches(
            actor,
            now,
            "DELETE FROM sessions WHERE token_hash IN \
             (SELECT token_hash FROM sessions WHERE expires_at <= $1 LIMIT $2)",
            &[BindValue::Int(before)],
        )
        .await
    }

    /// Deletes records of erasures completed before `before`; returns how many.
    pub async fn purge_erasure_records(
        &self,
        actor: &Actor,
        now: i64,
        before: i64,
    ) -> Result<u64, StoreError> {
        self.purge_in_batches(
            actor,
            now,
            "DELETE FROM erasures WHERE person_id IN (SELECT person_id FROM erasures \
             WHERE completed_at IS NOT NULL AND completed_at < $1 LIMIT $2)",
            &[BindValue::Int(before)],
        )
        .await
    }

    /// The day partitions of a table on PostgreSQL: `(day, partition name)`.
    async fn day_partitions(&self, table: DailyTable) -> Result<Vec<(i64, String)>, StoreError> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_inherits i \
             JOIN pg_class c ON c.oid = i.inhrelid \
             JOIN pg_class p ON p.oid = i.inhparent \
             JOIN pg_namespace n ON n.oid = p.relnamespace \
             WHERE p.relname = $1 AND n.nspname = current_schema()",
        )
        .bind(table.name())
        .fetch_all(&self.data)
        .await?;
        let prefix = format!("{}_d", table.name());
        Ok(names
            .into_iter()
            .filter_map(|name| {
                let day = name.strip_prefix(&prefix)?.parse().ok()?;
                Some((day, name))
            })
            .collect())
    }

    /// Drops the day partitions of `table` before `first_kept_day` and deletes
    /// what its default partition holds of those days; returns how many rows
    /// went. Each drop takes the table's lock for a moment, bounded by a lock
    /// timeout so it never queues behind a long transaction.
    async fn drop_days_before(
        &self,
        table: DailyTable,
        actor: &Actor,
        now: i64,
        first_kept_day: i64,
    ) -> Result<u64, StoreError> {
        let mut deleted = 0;
        for (day, name) in self.day_partitions(table).await? {
            if day >= first_kept_day {
                continue;
            }
            let mut unit = self.begin(actor.clone(), now).await?;
            sqlx::query("SET LOCAL lock_timeout = '5s'")
                .execute(unit.conn())
                .await?;
            let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM \"{name}\""))
                .fetch_one(unit.conn())
                .await?;
            sqlx::query(&format!("DROP TABLE \"{name}\""))
                .execute(unit.conn())
                .await?;
            unit.commit().await?;
            deleted += u64::try_from(rows).unwrap_or(0);
        }
        let statement = format!(
            "DELETE FROM {table}_default WHERE ctid IN (SELECT ctid FROM {table}_default \
             WHERE {key} < $1 LIMIT $2)",
            table = table.name(),
            key = table.key_column()
        );
        deleted += self
            .purge_in_batches(
                actor,
                now,
                &statement,
                &[BindValue::Int(table.key_of_day(first_kept_day))],
            )
            .await?;
        Ok(deleted)
    }

    /// On PostgreSQL, creates the day partitions that do not exist yet of the
    /// check-ins for `check_in_days` and of the access log for
    /// `access_days`; returns how many were created. A day some of whose rows
    /// already sit in the default partition keeps them there (they are deleted
    /// row by row when due). Nothing to do on SQLite.
    pub async fn ensure_day_partitions(
        &self,
        check_in_days: std::ops::Range<i64>,
        access_days: std::ops::Range<i64>,
    ) -> Result<u32, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(0);
        }
        let mut created = 0;
        for (table, days) in [
            (DailyTable::CheckIns, check_in_days),
            (DailyTable::AccessLog, access_days),
        ] {
            let existing: std::collections::HashSet<i64> = self
                .day_partitions(table)
                .await?
                .into_iter()
                .map(|(day, _)| day)
                .collect();
            for day in days.clone().filter(|d| !existing.contains(d)) {
                let (from, to) = table.bounds(day);
                let stranded: Option<i32> = sqlx::query_scalar(&format!(
                    "SELECT 1 FROM {t}_default WHERE {k} >= $1 AND {k} < $2 LIMIT 1",
                    t = table.name(),
                    k = table.key_column()
                ))
                .bind(from)
                .bind(to)
                .fetch_optional(&self.data)
                .await?;
                if stranded.is_some() {
                    continue;
                }
                let sql = format!(
                    "CREATE TABLE IF NOT EXISTS \"{t}_d{day}\" PARTITION OF {t} FOR VALUES FROM ({from}) TO ({to})",
                    t = table.name()
                );
                match sqlx::query(&sql).execute(&self.data).await {
                    Ok(_) => created += 1,
                    // Another server created it meanwhile, or rows for it
                    // arrived in the default partition: the next run sees.
                    Err(e) => tracing::debug!(error = %e, day, "day partition not created"),
                }
            }
        }
        Ok(created)
    }
}

/// A value bound to a purge statement before its batch size.
enum BindValue<'a> {
    Int(i64),
    Text(&'a str),
}
