//! Check-ins into the durable store at tens of thousands a second: group commit.
//!
//! One commit per check-in tops out near 2,000 a second on SQLite (every commit
//! is a write to the WAL, and an fsync when durable), so check-ins go through one
//! writer task per server. Request handlers send their check-in and a oneshot
//! channel into a bounded queue and wait; the writer takes whatever is waiting
//! (at least one, at most `check_in_batch`), writes it in one transaction on a
//! connection of its own (see `healthcode_store::CheckInWriter`), and
//! only after the commit acknowledges each request with its own outcome (new, a
//! repeat of a stored scan, or nothing stored because the scanned personal code
//! recorded another check-in). So an acknowledged check-in is committed: the
//! response is never sent before its batch is in the database.
//!
//! * No timer: while one batch commits, the next requests queue up and form the
//!   next batch, so batches grow with load by themselves and a lone check-in is
//!   written at once (no added latency when idle). Waiting up to 1 or 2 ms for
//!   a fuller batch was measured and made throughput and p99 worse: the writer
//!   is the bottleneck, and idling it costs more than bigger batches save.
//! * Backpressure: the queue holds `check_in_queue` check-ins; when it is full a
//!   check-in is refused at once with 503 `check_in.busy` (clients retry with
//!   the same `scan_id`, which is idempotent), never queued without bound.
//! * Failures: a batch is all or nothing. If it fails because one row names a
//!   person who no longer exists (deleted between scan and write), the rows are
//!   retried one per transaction so only that row fails. Any other failure
//!   (database down) is reported to every request of the batch as 500.
//! * A request that times out or is cancelled after sending leaves its check-in
//!   to be written anyway; a retry with the same scan is then a repeat.
//! * Durability: on PostgreSQL a commit flushes the WAL. On SQLite in WAL mode
//!   with `synchronous = NORMAL` (the store's default) a commit survives a crash
//!   of the process but not necessarily a power failure; with `check_in_fsync`
//!   (the default) the writer commits with `synchronous = FULL`, so the WAL is
//!   fsynced before any request of the batch is acknowledged, and the check-in
//!   survives power loss too (as far as the disk honours fsync). Group commit
//!   is what makes that affordable: one fsync per batch, not per check-in. On
//!   this kind of machine it cost no measurable throughput with group commit
//!   (10,300 against 10,100 check-ins a second without it, p99 16.5 against
//!   21 ms), against 40 % with one commit per check-in (see
//!   `scripts/bench-check-ins.sh`), so it is on by default.
//!
//! This module also keeps the two small caches the check-in path reads: venues
//! by id (venues never change once registered) and place codes already
//! verified (a poster is scanned by thousands with the very same payload, and
//! an Ed25519 verification costs more than the rest of the request).

use std::sync::Arc;
use std::time::{Duration, Instant};

use healthcode_credentials::code::VerifyError;
use healthcode_credentials::place::{self, VerifiedPlace};
use healthcode_credentials::trust::TrustList;
use healthcode_store::{
    CheckInOutcome, CheckInWriter, CommitSync, NewCheckIn, Store, StoreError, VenueRecord,
};
use quick_cache::sync::Cache;
use tokio::sync::{mpsc, oneshot};

use crate::config::ServerConfig;
use crate::error::{Error, ErrorCode};

/// Venues and verified place codes kept per server.
const CACHE_ENTRIES: usize = 200_000;

/// Why the writer could not store a check-in; turned into an [`Error`] by
/// the waiting request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteError {
    /// The person does not exist (any more).
    PersonGone,
    /// The database could not be reached (restarting, connections cut).
    Unavailable,
    /// The database failed; the detail was logged by the writer.
    Failed,
}

struct Job {
    row: NewCheckIn,
    ack: oneshot::Sender<Result<CheckInOutcome, WriteError>>,
}

/// A place code that verified, remembered for a while.
struct VerifiedEntry {
    place: VerifiedPlace,
    verified_at: i64,
}

/// The check-in machinery of one server: the writer's queue and the caches.
pub struct CheckIns {
    queue: mpsc::Sender<Job>,
    venues: Cache<String, Arc<VenueRecord>>,
    places: Cache<String, Arc<VerifiedEntry>>,
}

impl CheckIns {
    /// Starts the writer task on the current Tokio runtime. It runs until the
    /// last [`CheckIns`] (the last clone of the service state) is dropped. Its
    /// connection is detached from the pool ([`CheckInWriter`]), so closing the
    /// store at shutdown never waits for it; by then every acknowledged batch
    /// has committed, since a graceful shutdown lets requests in flight finish.
    pub fn start(store: Store, config: &ServerConfig) -> CheckIns {
        let (queue, jobs) = mpsc::channel(config.check_in_queue.max(1));
        let sync = if config.check_in_fsync {
            CommitSync::Full
        } else {
            CommitSync::Normal
        };
        // Logs under the caller's span (a province's, when one process serves several).
        tokio::spawn(tracing::Instrument::in_current_span(write_batches(
            store.check_in_writer(sync),
            jobs,
            config.check_in_batch.max(1),
        )));
        CheckIns {
            queue,
            venues: Cache::new(CACHE_ENTRIES),
            places: Cache::new(CACHE_ENTRIES),
        }
    }

    /// Queues a check-in and waits until its batch has committed. Refuses at
    /// once with 503 `check_in.busy` when the queue is full.
    pub async fn record(&self, row: NewCheckIn) -> Result<CheckInOutcome, Error> {
        let (ack, done) = oneshot::channel();
        self.queue.try_send(Job { row, ack }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => Error::new(
                ErrorCode::CheckInBusy,
                "too many check-ins are waiting to be written; retry shortly with the same scan_id",
            ),
            mpsc::error::TrySendError::Closed(_) => writer_stopped(),
        })?;
        match done.await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(WriteError::PersonGone)) => Err(crate::people::erased()),
            Ok(Err(WriteError::Unavailable)) => Err(Error::store_unavailable()),
            Ok(Err(WriteError::Failed)) => Err(Error::new(
                ErrorCode::Internal,
                "internal error; it has been logged",
            )),
            Err(_) => Err(writer_stopped()),
        }
    }

    /// A venue by id, from memory once read (venues never change once
    /// registered; unknown ids are not remembered).
    pub async fn venue(&self, store: &Store, id: &str) -> Result<Option<Arc<VenueRecord>>, Error> {
        if let Some(venue) = self.venues.get(id) {
            return Ok(Some(venue));
        }
        let Some(venue) = store.venue(id).await? else {
            return Ok(None);
        };
        let venue = Arc::new(venue);
        self.venues.insert(venue.id.clone(), venue.clone());
        Ok(Some(venue))
    }

    /// Verifies a scanned place code against this server's trust list, from
    /// memory if the same payload verified within the last `key_reload`
    /// seconds (so a revoked key stops working here within one reload, as it
    /// would anyway). An expiring code is still checked against its expiry.
    pub fn verify_place(
        &self,
        trust: &TrustList,
        config: &ServerConfig,
        now: i64,
        payload: &str,
    ) -> Result<VerifiedPlace, VerifyError> {
        let skew = config.clock_skew.max(0);
        let fresh_for = i64::try_from(config.key_reload.max(1)).unwrap_or(i64::MAX);
        if let Some(entry) = self.places.get(payload) {
            let age = now.saturating_sub(entry.verified_at);
            let unexpired = entry
                .place
                .claims
                .expires_at
                .is_none_or(|exp| now < exp.saturating_add(skew));
            if (0..fresh_for).contains(&age) && unexpired {
                return Ok(entry.place.clone());
            }
        }
        if payload.len() > place::MAX_PAYLOAD_LEN {
            return Err(VerifyError::Malformed("the code is too long".to_owned()));
        }
        let place = place::verify_place(payload, trust, now, skew)?;
        self.places.insert(
            payload.to_owned(),
            Arc::new(VerifiedEntry {
                place: place.clone(),
                verified_at: now,
            }),
        );
        Ok(place)
    }
}

fn writer_stopped() -> Error {
    Error::new(
        ErrorCode::CheckInUnavailable,
        "the check-in writer has stopped; the server is shutting down",
    )
}

/// The writer: takes what is waiting, writes it in one transaction, then
/// acknowledges every request of the batch.
async fn write_batches(mut writer: CheckInWriter, mut jobs: mpsc::Receiver<Job>, max_batch: usize) {
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    let mut stats = Stats::default();
    loop {
        // Waits for at least one check-in, then takes all that are waiting.
        if jobs.recv_many(&mut batch, max_batch).await == 0 {
            return; // every sender is gone: the service is shutting down
        }
        let started = Instant::now();
        let (rows, acks): (Vec<NewCheckIn>, Vec<_>) =
            batch.drain(..).map(|job| (job.row, job.ack)).unzip();
        let outcomes = write(&mut writer, &rows).await;
        for (ack, outcome) in acks.into_iter().zip(outcomes) {
            // A request that gave up no longer listens; its check-in is stored.
            let _ = ack.send(outcome);
        }
        stats.record(rows.len(), started.elapsed());
    }
}

/// Writes a batch; one outcome per row, in order.
async fn write(
    writer: &mut CheckInWriter,
    rows: &[NewCheckIn],
) -> Vec<Result<CheckInOutcome, WriteError>> {
    match writer.insert(rows).await {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        Err(StoreError::NotFound) if rows.len() > 1 => {
            // One row's person is gone: isolate it, write the others.
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(match writer.insert(std::slice::from_ref(row)).await {
                    Ok(outcomes) => outcomes.into_iter().next().ok_or(WriteError::Failed),
                    Err(StoreError::NotFound) => Err(WriteError::PersonGone),
                    Err(e) => {
                        tracing::error!(error = %e, "a check-in could not be written");
                        Err(WriteError::Failed)
                    }
                });
            }
            out
        }
        Err(StoreError::NotFound) => vec![Err(WriteError::PersonGone)],
        Err(e @ StoreError::Unavailable(_)) => {
            tracing::warn!(error = %e, rows = rows.len(), "the database is unavailable for check-ins");
            vec![Err(WriteError::Unavailable); rows.len()]
        }
        Err(e) => {
            tracing::error!(error = %e, rows = rows.len(), "a batch of check-ins could not be written");
            vec![Err(WriteError::Failed); rows.len()]
        }
    }
}

/// Batch sizes and write times, logged (at debug level) every ten seconds of
/// activity, to see how well batching works under a given load.
#[derive(Default)]
struct Stats {
    since: Option<Instant>,
    batches: u64,
    rows: u64,
    largest: usize,
    busy: Duration,
}

impl Stats {
    fn record(&mut self, rows: usize, took: Duration) {
        let since = *self.since.get_or_insert_with(Instant::now);
        self.batches += 1;
        self.rows += u64::try_from(rows).unwrap_or(u64::MAX);
        self.largest = self.largest.max(rows);
        self.busy += took;
        let elapsed = since.elapsed();
        if elapsed >= Duration::from_secs(10) {
            let batches = self.batches.max(1);
            tracing::debug!(
                batches = self.batches,
                rows = self.rows,
                mean_batch = self.rows / batches,
                largest_batch = self.largest,
                mean_write_us = u64::try_from(self.busy.as_micros()).unwrap_or(u64::MAX) / batches,
                writer_busy_pct =
                    u64::try_from(self.busy.as_millis() * 100 / elapsed.as_millis().max(1))
                        .unwrap_or(100),
                "check-in writer"
            );
            *self = Stats::default();
        }
    }
}
