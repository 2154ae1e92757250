//! Check-ins: a person was at a venue at a time.
//!
//! A check-in links a person to a place and a time, so it is personal data. It
//! is kept pseudonymous (the person's opaque id only: never a name, phone or
//! document number), tagged with its purpose, and deleted after the itinerary
//! retention period ([`Store::purge_check_ins`]).
//!
//! # Idempotency
//!
//! The caller computes each check-in's `id` as a keyed digest of the person and
//! of what makes two submissions "the same scan" (the server uses the venue and
//! the client's `scan_id`, or else the 10-minute window of the scan). The primary
//! key `(person_id, id)` is therefore also the dedup key: check-ins are inserted
//! with `ON CONFLICT (person_id, id) DO NOTHING`, and each row is reported as new
//! or as a repeat of one already stored (with the stored time).
//!
//! # Writing fast
//!
//! Most of the cost of a check-in is its B-tree inserts: SQLite writes every
//! page a commit dirtied to the WAL whole, and an insert at a random place in
//! an index dirties a page of its own. (Measured with this schema on this kind
//! of machine: about 2 pages per check-in with 30-row batches, 1.1 with 512-row
//! batches; the kernel's buffered writes of those pages are most of the time.)
//! So:
//!
//! * one index, the primary key, serves dedup, the itinerary and the person
//!   cascade (instead of a unique `id` plus `(person_id, at)`), and there is
//!   no `(division, at)` index: a division is a set of venues, found through
//!   `venues(division, id)`. That leaves two index inserts per check-in, one
//!   at a random place (the person) and one at the current end of its venue's
//!   range, besides the table's append. Dropping `(division, at)` alone raised
//!   the raw insert rate by 40 % with 64-row batches;
//! * a batch is written with one multi-row `INSERT` in one transaction
//!   ([`CheckInWriter`]), so a commit (and its fsync) is shared by hundreds of
//!   check-ins, and the batch costs a handful of round trips to the database
//!   whatever its size (see `write_unique`);
//! * the writer keeps one connection of its own, so its page cache stays warm
//!   (a pooled SQLite connection loses its cache whenever another one has
//!   written), with a larger cache and statement journals in memory.
//!
//! # Queries and indexes
//!
//! * `(venue_id, at)`: who was at a venue during a window, and a venue's daily
//!   counts ([`Store::check_in_counts`]), both answered from the index alone.
//! * Who was in a division during a window ([`Store::people_checked_in`]): a
//!   division at any level is a range of 6-digit codes (`350000` covers
//!   `350000..360000`, `350100` covers `350100..350200`, a county itself; the
//!   bounds are equal-length digit strings, which compare the same under every
//!   collation). One statement walks the venues in that range through
//!   `venues(division, id)` and seeks `venue_id = ? AND at in window` in
//!   `(venue_id, at)` for each: only check-ins inside the window are read. A
//!   county has hundreds to thousands of venues, a province up to a million:
//!   as many index seeks, for a risk-area declaration (rare, and recomputed in
//!   the background) instead of an index insert for every check-in.
//! * `(person_id, id)`, the primary key: a person's itinerary
//!   ([`Store::check_ins_of`]: the person's few hundred rows at most, sorted by
//!   time after the seek) and the cascade when a person is deleted.
//! * Retention ([`Store::purge_check_ins`]) deletes, on SQLite, division by
//!   division in bounded batches, through the venues of each and
//!   `(venue_id, at)`; on PostgreSQL check-ins are partitioned by day and a
//!   day that falls out of retention is dropped whole.
//!
//! A unit test checks with SQLite's `EXPLAIN QUERY PLAN` that each query uses
//! its indexes.
//!
//! # One check-in per personal code
//!
//! A check-in made by scanning a personal code names the code
//! ([`ScannedCode`]: a keyed digest, never the code), and the batch binds each
//! code to its check-in in `scanned_codes` before inserting the check-ins:
//! a code already bound to another check-in records nothing
//! ([`CheckInOutcome::CodeUsed`]), while the same scan again (the same
//! check-in id) is a repeat as always. The table's primary key decides between
//! concurrent batches, of this writer or of other servers': on PostgreSQL the
//! second insert of a code waits for the first transaction and then sees its
//! row. Codes are bound in the order of their digests, so two batches never
//! wait for each other's codes in a cycle.

use std::collections::{BTreeMap, HashMap, HashSet};

use healthcode_domain::facts::division_prefix;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::access::{bind_access, insert_sql as insert_access_sql};
use crate::unit::begin_write_on;
use crate::{AccessRecord, Backend, Store, StoreError, Unit};
use healthcode_domain::audit::Pending;

/// The page cache of the check-in writer's connection on SQLite, in KiB (the
/// default is 2 MiB): the hot pages of the indexes stay in memory. Not much
/// more: SQLite walks its whole page-cache hash table at every commit.
const WRITER_CACHE_KIB: i64 = 8 * 1024;

/// The purpose tag of every check-in: kept only for epidemic prevention, and
/// disposed of with all epidemic data when the epidemic ends.
pub const CHECK_IN_PURPOSE: &str = "epidemic-prevention";

/// How a check-in was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckInSource {
    /// The citizen scanned the venue's place code.
    PlaceCode,
    /// A checker or the venue scanned the citizen's personal code.
    PersonalCode,
}

impl CheckInSource {
    /// The stable name stored in `check_ins.source` and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckInSource::PlaceCode => "place_code",
            CheckInSource::PersonalCode => "personal_code",
        }
    }

    /// Parses the stored name; `None` for anything else.
    pub fn parse(name: &str) -> Option<CheckInSource> {
        match name {
            "place_code" => Some(CheckInSource::PlaceCode),
            "personal_code" => Some(CheckInSource::PersonalCode),
            _ => None,
        }
    }
}

/// How long after a scanned code stops verifying its digest is kept, in
/// seconds: well past any difference between the servers' clocks or a scan's
/// wait in a queue, after which no scan of it can arrive any more.
pub const SCANNED_CODES_KEPT_FOR: i64 = 3600;

/// The personal code a check-in was made by scanning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedCode {
    /// Names the code: a keyed digest of its signature, the same for every
    /// scan of the code and nothing a code could be matched with without the
    /// service's key.
    pub fingerprint: String,
    /// Unix seconds from which the code no longer verifies (its expiry plus
    /// the clock skew allowed); the digest is deleted
    /// [`SCANNED_CODES_KEPT_FOR`] seconds later.
    pub expires_at: i64,
}

/// A check-in to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckIn {
    /// The idempotency key (see the module docs): the same person and id are
    /// the same scan. Also the check-in's id in the API.
    pub id: String,
    pub person_id: String,
    pub venue_id: String,
    /// The venue's division, copied so risk-area matching needs no join.
    pub division: String,
    /// Unix seconds, server time.
    pub at: i64,
    pub source: CheckInSource,
    /// The staff account that scanned a personal code; `None` when the citizen
    /// scanned the place code.
    pub recorded_by: Option<String>,
    /// Why it is kept; [`CHECK_IN_PURPOSE`].
    pub purpose: String,
    /// The personal code scanned, which may record this check-in and no
    /// other; `None` when the citizen scanned the place code.
    pub code: Option<ScannedCode>,
    /// When someone other than the person made the scan (a checker, a venue),
    /// the record of that access to their data, written in the same
    /// transaction as the check-in (also for a repeated scan: each scan is an
    /// access).
    pub access: Option<AccessRecord>,
    /// The audit log's entry for that access, appended in the same
    /// transaction.
    pub audit: Option<Pending>,
}

/// What storing one check-in did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckInOutcome {
    /// Stored now.
    New,
    /// The same scan was already stored, at `at` (the time of the first
    /// submission, which stays the check-in's time).
    Repeat { at: i64 },
    /// Nothing was stored: the scanned personal code already recorded
    /// another check-in.
    CodeUsed,
}

/// How hard a check-in commit must reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitSync {
    /// The store's default: on SQLite in WAL mode with `synchronous = NORMAL`
    /// a commit survives a crash of the process but the last commits may be
    /// lost on power failure; PostgreSQL always flushes its WAL on commit.
    Normal,
    /// On SQLite, the commit runs with `synchronous = FULL` (the WAL is
    /// fsynced before the commit returns), so a commit also survives power
    /// loss. PostgreSQL is already there.
    Full,
}

/// One check-in in a person's itinerary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInRecord {
    pub id: String,
    pub venue_id: String,
    pub venue_name: String,
    pub division: String,
    pub at: i64,
    pub source: CheckInSource,
}

/// How many check-ins a venue had on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCount {
    /// The day as a number of days since 1970-01-01 in the time zone the
    /// counts were asked for.
    pub day: i64,
    pub count: i64,
}

/// Where to look for people who checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckInScope<'a> {
    /// A GB/T 2260 division at any level: a province covers its prefectures
    /// and counties (see [`healthcode_domain::facts::division_prefix`]).
    Division(&'a str),
    /// One venue, by id.
    Venue(&'a str),
}

/// Largest number of rows in one `INSERT` statement (9 parameters each, well
/// under SQLite's 32,766 and PostgreSQL's 65,535 parameters).
const MAX_ROWS_PER_STATEMENT: usize = 512;

/// The `INSERT` of `rows` check-ins, skipping those already stored; with
/// `returning`, it names the rows it inserted.
///
/// A batch is one statement of its exact size rather than a few of fixed
/// sizes: every statement costs a round trip to SQLite's worker thread, which
/// costs more than preparing a statement of a size not seen lately (each
/// connection keeps the last hundred prepared).
fn insert_sql(rows: usize, returning: bool) -> String {
    let mut sql = String::with_capacity(160 + rows * 48);
    sql.push_str(
        "INSERT INTO check_ins (person_id, id, venue_id, division, at, source, recorded_by, purpose, day) \
         VALUES ",
    );
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 1..=COLUMNS {
            if c > 1 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * COLUMNS + c).to_string());
        }
        sql.push(')');
    }
    // The key is (person_id, id), and on PostgreSQL (person_id, id, day): a
    // check-in's partition is its day.
    sql.push_str(" ON CONFLICT DO NOTHING");
    if returning {
        sql.push_str(" RETURNING person_id, id");
    }
    sql
}

/// Binds the rows of an [`insert_sql`] statement.
fn bind_rows<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    rows: &'q [&'q NewCheckIn],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for r in rows {
        query = query
            .bind(r.person_id.as_str())
            .bind(r.id.as_str())
            .bind(r.venue_id.as_str())
            .bind(r.division.as_str())
            .bind(r.at)
            .bind(r.source.as_str())
            .bind(r.recorded_by.as_deref())
            .bind(r.purpose.as_str())
            .bind(r.at.div_euclid(86_400));
    }
    query
}

/// Columns of a check-in row as [`bind_rows`] binds them.
const COLUMNS: usize = 9;

pub(crate) const PEOPLE_IN_DIVISION: &str = "SELECT DISTINCT c.person_id FROM venues v \
     JOIN check_ins c ON c.venue_id = v.id \
     WHERE v.division >= $1 AND v.division < $2 AND c.at >= $3 AND c.at < $4";
pub(crate) const PEOPLE_AT_VENUE: &str = "SELECT DISTINCT person_id FROM check_ins \
     WHERE venue_id = $1 AND at >= $2 AND at < $3";
pub(crate) const ITINERARY: &str = "SELECT c.id, c.venue_id, v.name AS venue_name, c.division, c.at, c.source \
     FROM check_ins c JOIN venues v ON v.id = c.venue_id \
     WHERE c.person_id = $1 AND c.at >= $2 ORDER BY c.at DESC, c.id LIMIT $3";
pub(crate) const COUNTS: &str = "SELECT (at + $2) / 86400 AS day, COUNT(*) AS n FROM check_ins \
     WHERE venue_id = $1 AND at >= $3 AND at < $4 GROUP BY 1 ORDER BY 1";
/// Forgets the scanned codes that stopped verifying before `$1`.
pub(crate) const FORGET_SCANNED_CODES: &str = "DELETE FROM scanned_codes WHERE expires_at < $1";

/// Writes batches of check-ins, each in one transaction, on a connection of
/// its own (see the module docs for why). The connection is taken from the pool
/// at the first batch and detached from it, so closing the pool never waits for
/// the writer; after a database error it is dropped, and the batch is tried
/// once more on a fresh one.
pub struct CheckInWriter {
    store: Store,
    sync: CommitSync,
    conn: Option<sqlx::AnyConnection>,
}

impl CheckInWriter {
    /// Stores a batch of check-ins in one transaction and says, for each row
    /// in order, whether it is new or a repeat of a stored scan. Rows of the
    /// batch with the same person and id are one check-in: the first is
    /// stored, the others are repeats of it.
    ///
    /// Either the whole batch commits or nothing does; a row naming a person
    /// who does not exist (any more) fails the batch with
    /// [`StoreError::NotFound`], so a caller that batches independent requests
    /// should retry them one by one to isolate the failing row.
    pub async fn insert(&mut self, rows: &[NewCheckIn]) -> Result<Vec<CheckInOutcome>, StoreError> {
        // A connection kept between batches may have died meanwhile (a
        // database restart, an idle timeout): after a failure other than a
        // refused row, try once more on a fresh one. Retrying is safe even if
        // the failure hid a commit: the rows are then repeats of themselves.
        let had_connection = self.conn.is_some();
        match self.try_insert(rows).await {
            Err(e) if had_connection && !matches!(e, StoreError::NotFound) => {
                tracing::warn!(error = %e, "check-in batch failed; retrying on a new connection");
                self.try_insert(rows).await
            }
            done => done,
        }
    }

    async fn try_insert(&mut self, rows: &[NewCheckIn]) -> Result<Vec<CheckInOutcome>, StoreError> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => {
                let mut conn = self.store.data.acquire().await?.detach();
                if self.store.backend == Backend::Sqlite {
                    let synchronous = match self.sync {
                        CommitSync::Full => "FULL",
                        CommitSync::Normal => "NORMAL",
                    };
                    let setup = format!(
                        "PRAGMA cache_size = -{WRITER_CACHE_KIB}; PRAGMA temp_store = MEMORY; \
                         PRAGMA synchronous = {synchronous};"
                    );
                    sqlx::Executor::execute(&mut conn, setup.as_str()).await?;
                }
                self.conn.insert(conn)
            }
        };
        let written = write_batch(conn, rows).await;
        if let Err(e) = &written
            && !matches!(e, StoreError::NotFound)
        {
            // Replaced at the next attempt.
            self.conn = None;
        }
        written
    }
}

impl Store {
    /// A writer for batches of check-ins with a connection of its own: what
    /// the service's group-commit writer uses.
    pub fn check_in_writer(&self, sync: CommitSync) -> CheckInWriter {
        CheckInWriter {
            store: self.clone(),
            sync,
            conn: None,
        }
    }

    /// Stores one batch of check-ins as [`CheckInWriter::insert`] does, on a
    /// connection of the pool (for occasional writes and tests).
    pub async fn insert_check_ins(
        &self,
        rows: &[NewCheckIn],
        sync: CommitSync,
    ) -> Result<Vec<CheckInOutcome>, StoreError> {
        let full = sync == CommitSync::Full && self.backend == Backend::Sqlite;
        let mut conn = self.data.acquire().await?;
        if full {
            sqlx::query("PRAGMA synchronous = FULL")
                .execute(&mut *conn)
                .await?;
        }
        let written = write_batch(&mut conn, rows).await;
        if full
            && let Err(e) = sqlx::query("PRAGMA synchronous = NORMAL")
                .execute(&mut *conn)
                .await
        {
            // The batch's fate is already decided; a connection left at FULL
            // is only slower, so this must not turn a commit into an error.
            tracing::warn!(error = %e, "could not reset synchronous on a connection");
        }
        written
    }

    /// A person's check-ins at or after `since`, newest first, with the venue's
    /// name: the citizen's own itinerary. Uses `(person_id, at)`.
    pub async fn check_ins_of(
        &self,
        person_id: &str,
        since: i64,
        limit: i64,
    ) -> Result<Vec<CheckInRecord>, StoreError> {
        let rows = sqlx::query(ITINERARY)
            .bind(person_id)
            .bind(since)
            .bind(limit)
            .fetch_all(&self.data)
            .await?;
        rows.iter().map(check_in_record).collect()
    }

    /// The check-ins of many people at or after `since`, with the venue's name,
    /// in one query (a recomputation chunk): `(person_id, check-in)` pairs,
    /// each person's newest first. Uses the `(person_id, id)` key.
    pub async fn check_ins_of_many(
        &self,
        person_ids: &[String],
        since: i64,
    ) -> Result<Vec<(String, CheckInRecord)>, StoreError> {
        if person_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT c.person_id, c.id, c.venue_id, v.name AS venue_name, c.division, c.at, c.source \
             FROM check_ins c JOIN venues v ON v.id = c.venue_id \
             WHERE c.person_id IN ({}) AND c.at >= $1 ORDER BY c.person_id, c.at DESC, c.id",
            crate::placeholders(2, person_ids.len())
        );
        let mut query = sqlx::query(&sql).bind(since);
        for id in person_ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.data).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("person_id")?, check_in_record(r)?)))
            .collect()
    }

    /// Check-ins at a venue per day in `[from, until)`, days counted in the
    /// time zone `utc_offset` seconds east of UTC (China: 28,800): counts only,
    /// which is all a venue may see. Days without check-ins are absent.
    /// Answered from the `(venue_id, at)` index alone.
    pub async fn check_in_counts(
        &self,
        venue_id: &str,
        from: i64,
        until: i64,
        utc_offset: i64,
    ) -> Result<Vec<DayCount>, StoreError> {
        let rows = sqlx::query(COUNTS)
            .bind(venue_id)
            .bind(utc_offset)
            .bind(from)
            .bind(until)
            .fetch_all(&self.data)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DayCount {
                    day: r.try_get("day")?,
                    count: r.try_get("n")?,
                })
            })
            .collect()
    }

    /// The people who checked in within `scope` during `[from, until)`: those
    /// a newly declared risk area affects, each once. A malformed division
    /// code matches nobody. See the module docs for the indexes used.
    pub async fn people_checked_in(
        &self,
        scope: CheckInScope<'_>,
        from: i64,
        until: i64,
    ) -> Result<Vec<String>, StoreError> {
        let query = match scope {
            CheckInScope::Venue(venue_id) => sqlx::query_scalar(PEOPLE_AT_VENUE).bind(venue_id),
            CheckInScope::Division(code) => {
                let Some((low, high)) = division_range(code) else {
                    return Ok(Vec::new());
                };
                sqlx::query_scalar(PEOPLE_IN_DIVISION).bind(low).bind(high)
            }
        };
        Ok(query.bind(from).bind(until).fetch_all(&self.data).await?)
    }

    /// How many check-ins are stored (for tests and operators; never per person).
    pub async fn count_check_ins(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM check_ins")
            .fetch_one(&self.data)
            .await?)
    }
}

impl Unit {
    /// A person's check-ins at or after `since`, newest first, as the unit
    /// sees them.
    pub async fn check_ins_of(
        &mut self,
        person_id: &str,
        since: i64,
        limit: i64,
    ) -> Result<Vec<CheckInRecord>, StoreError> {
        let rows = sqlx::query(ITINERARY)
            .bind(person_id)
            .bind(since)
            .bind(limit)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(check_in_record).collect()
    }
}

/// Writes a batch in one transaction; one outcome per row, in order.
///
/// Almost every check-in is new (a repeat is a client's retry), so the batch
/// is first inserted counting rows only: when every row went in, that is the
/// answer, one round trip per statement. Otherwise the transaction is rolled
/// back and the batch written again naming the inserted rows (`RETURNING`,
/// which streams one message per row from SQLite's worker thread), and the
/// stored time of each repeat is read. Either way the scanned codes are bound
/// first (see the module docs), and a row whose code recorded another
/// check-in is left out.
async fn write_batch(
    conn: &mut sqlx::AnyConnection,
    rows: &[NewCheckIn],
) -> Result<Vec<CheckInOutcome>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = begin_write_on(conn).await?;
    let batch = Batch::new(rows, &bind_codes(&mut tx, rows).await?);
    if insert_counting(&mut tx, &batch.unique).await? {
        write_access(&mut tx, &batch.unique).await?;
        tx.commit().await?;
        return Ok(batch.outcomes(&vec![CheckInOutcome::New; batch.unique.len()]));
    }
    tx.rollback().await?;

    let mut tx = begin_write_on(conn).await?;
    let batch = Batch::new(rows, &bind_codes(&mut tx, rows).await?);
    let outcomes = insert_returning(&mut tx, &batch.unique).await?;
    write_access(&mut tx, &batch.unique).await?;
    tx.commit().await?;
    Ok(batch.outcomes(&outcomes))
}

/// The rows of a batch to insert: the first of each (person, id) among the
/// rows whose code may record them; and how every row's outcome follows from
/// theirs.
struct Batch<'a> {
    rows: &'a [NewCheckIn],
    unique: Vec<&'a NewCheckIn>,
    /// The index in `rows` of each unique row.
    first_row: Vec<usize>,
    /// For each row, its unique row; `None` when its code recorded another
    /// check-in.
    unique_of: Vec<Option<usize>>,
}

impl<'a> Batch<'a> {
    fn new(rows: &'a [NewCheckIn], code_used: &[bool]) -> Batch<'a> {
        let mut index_of: HashMap<(&str, &str), usize> = HashMap::with_capacity(rows.len());
        let mut unique: Vec<&NewCheckIn> = Vec::with_capacity(rows.len());
        let mut first_row = Vec::with_capacity(rows.len());
        let mut unique_of = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            if code_used.get(i).copied().unwrap_or(false) {
                unique_of.push(None);
                continue;
            }
            let key = (row.person_id.as_str(), row.id.as_str());
            let u = *index_of.entry(key).or_insert_with(|| {
                unique.push(row);
                first_row.push(i);
                unique.len() - 1
            });
            unique_of.push(Some(u));
        }
        Batch {
            rows,
            unique,
            first_row,
            unique_of,
        }
    }

    /// The outcome of every row, given those of the unique rows.
    fn outcomes(&self, unique: &[CheckInOutcome]) -> Vec<CheckInOutcome> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let Some(u) = self.unique_of.get(i).copied().flatten() else {
                    return CheckInOutcome::CodeUsed;
                };
                let first = self.first_row.get(u).copied().unwrap_or(i);
                match unique.get(u).copied() {
                    Some(outcome) if first == i => outcome,
                    // A later row of the same scan repeats the first one.
                    Some(CheckInOutcome::New) => CheckInOutcome::Repeat {
                        at: self.rows.get(first).map_or(row.at, |r| r.at),
                    },
                    Some(repeat) => repeat,
                    None => CheckInOutcome::Repeat { at: row.at },
                }
            })
            .collect()
    }
}

/// Binds every personal code scanned in the batch to its check-in, unless it
/// is bound to another one already (by an earlier batch, or an earlier row of
/// this one), and forgets the codes that stopped verifying long ago. Says for
/// each row whether its code is used up by another check-in.
async fn bind_codes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    rows: &[NewCheckIn],
) -> Result<Vec<bool>, StoreError> {
    let mut used = vec![false; rows.len()];
    // The first row of the batch with a code binds it, in the order of the
    // codes' digests (see the module docs).
    let mut binding: BTreeMap<&str, (&ScannedCode, &NewCheckIn)> = BTreeMap::new();
    for row in rows {
        if let Some(code) = &row.code {
            binding
                .entry(code.fingerprint.as_str())
                .or_insert((code, row));
        }
    }
    if binding.is_empty() {
        return Ok(used);
    }
    let oldest = rows.iter().map(|r| r.at).min().unwrap_or(0);
    sqlx::query(FORGET_SCANNED_CODES)
        .bind(oldest.saturating_sub(SCANNED_CODES_KEPT_FOR))
        .execute(&mut **tx)
        .await?;
    let binding: Vec<(&ScannedCode, &NewCheckIn)> = binding.into_values().collect();
    let mut bound = 0;
    for chunk in binding.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = bind_codes_sql(chunk.len());
        let mut query = sqlx::query(&sql);
        for (code, row) in chunk {
            query = query
                .bind(code.fingerprint.as_str())
                .bind(row.person_id.as_str())
                .bind(row.id.as_str())
                .bind(code.expires_at);
        }
        bound += query
            .execute(&mut **tx)
            .await
            .map_err(check_in_error)?
            .rows_affected();
    }
    let scanned = rows.iter().filter(|r| r.code.is_some()).count();
    if usize::try_from(bound).ok() == Some(scanned) {
        // Every code is new to the store, and scanned once in the batch.
        return Ok(used);
    }
    // Each code may record only the check-in it is bound to.
    let mut bound_to: HashMap<String, (String, String)> = HashMap::with_capacity(binding.len());
    for chunk in binding.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT fingerprint, person_id, check_in_id FROM scanned_codes WHERE fingerprint IN ({})",
            crate::placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for (code, _) in chunk {
            query = query.bind(code.fingerprint.as_str());
        }
        for r in query.fetch_all(&mut **tx).await? {
            bound_to.insert(
                r.try_get("fingerprint")?,
                (r.try_get("person_id")?, r.try_get("check_in_id")?),
            );
        }
    }
    for (row, used) in rows.iter().zip(&mut used) {
        if let Some(code) = &row.code {
            *used = bound_to
                .get(&code.fingerprint)
                .is_some_and(|(person, id)| *person != row.person_id || *id != row.id);
        }
    }
    Ok(used)
}

/// The `INSERT` binding `rows` scanned codes to their check-ins, skipping the
/// codes bound already.
fn bind_codes_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let p = r * 4;
            format!("(${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4)
        })
        .collect();
    format!(
        "INSERT INTO scanned_codes (fingerprint, person_id, check_in_id, expires_at) VALUES {} \
         ON CONFLICT DO NOTHING",
        values.join(", ")
    )
}

/// Inserts rows with distinct keys, counting them only; whether every one
/// was new.
async fn insert_counting(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    rows: &[&NewCheckIn],
) -> Result<bool, StoreError> {
    for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = insert_sql(chunk.len(), false);
        let done = bind_rows(sqlx::query(&sql), chunk)
            .execute(&mut **tx)
            .await
            .map_err(check_in_error)?;
        if usize::try_from(done.rows_affected()).ok() != Some(chunk.len()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Inserts rows with distinct keys naming those inserted; the outcome of
/// each, in order, with the stored time of each repeat.
async fn insert_returning(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    rows: &[&NewCheckIn],
) -> Result<Vec<CheckInOutcome>, StoreError> {
    let mut inserted: HashSet<(String, String)> = HashSet::with_capacity(rows.len());
    for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = insert_sql(chunk.len(), true);
        let returned = bind_rows(sqlx::query(&sql), chunk)
            .fetch_all(&mut **tx)
            .await
            .map_err(check_in_error)?;
        for row in returned {
            inserted.insert((row.try_get("person_id")?, row.try_get("id")?));
        }
    }
    let mut outcomes = Vec::with_capacity(rows.len());
    for r in rows {
        if inserted.contains(&(r.person_id.clone(), r.id.clone())) {
            outcomes.push(CheckInOutcome::New);
        } else {
            let at: Option<i64> =
                sqlx::query_scalar("SELECT at FROM check_ins WHERE person_id = $1 AND id = $2")
                    .bind(&r.person_id)
                    .bind(&r.id)
                    .fetch_optional(&mut **tx)
                    .await?;
            outcomes.push(CheckInOutcome::Repeat {
                at: at.unwrap_or(r.at),
            });
        }
    }
    Ok(outcomes)
}

/// Writes the access records (and their audit entries) of a batch's scans
/// made by someone other than the person, in the batch's transaction.
async fn write_access(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    rows: &[&NewCheckIn],
) -> Result<(), StoreError> {
    let records: Vec<&AccessRecord> = rows.iter().filter_map(|r| r.access.as_ref()).collect();
    for chunk in records.chunks(MAX_ROWS_PER_STATEMENT) {
        bind_access(sqlx::query(&insert_access_sql(chunk.len())), chunk)
            .execute(&mut **tx)
            .await
            .map_err(check_in_error)?;
    }
    let audit: Vec<Pending> = rows.iter().filter_map(|r| r.audit.clone()).collect();
    crate::audit::append(tx, audit).await
}

/// The 6-digit codes a division covers, as `[low, high)`: a county covers
/// itself only. `None` for a malformed code.
fn division_range(code: &str) -> Option<(String, String)> {
    let prefix = division_prefix(code)?;
    let width = prefix.len();
    let n: u32 = prefix.parse().ok()?;
    let pad = |v: u32| format!("{v:0width$}{}", "0".repeat(6 - width));
    Some((pad(n), pad(n + 1)))
}

/// A foreign-key failure on insert means the person is gone (venues are never
/// deleted): the row is refused, not the database broken.
fn check_in_error(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_foreign_key_violation()
    {
        return StoreError::NotFound;
    }
    StoreError::from(e)
}

fn check_in_record(r: &AnyRow) -> Result<CheckInRecord, StoreError> {
    let source: String = r.try_get("source")?;
    Ok(CheckInRecord {
        id: r.try_get("id")?,
        venue_id: r.try_get("venue_id")?,
        venue_name: r.try_get("venue_name")?,
        division: r.try_get("division")?,
        at: r.try_get("at")?,
        source: CheckInSource::parse(&source)
            .ok_or_else(|| StoreError::Config(format!("unknown check-in source {source:?}")))?,
    })
}

#[cfg(test)]
mod tests;
