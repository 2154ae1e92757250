//! Storage for healthcode: the data store and, apart from it, the key store.
//!
//! There is one [`Store`] whose queries are portable SQL (`$n` placeholders,
//! `ON CONFLICT`, `RETURNING`; integers, text and bytes only) run through sqlx's
//! `Any` driver, so SQLite and PostgreSQL execute the very same statements. What
//! differs between the backends (connection set-up, pragmas, schemas and
//! migrations) lives in [`backend`], one module per database, each with its own
//! migrations folder. Data and data keys live in two separate databases (two
//! SQLite files, or two PostgreSQL schemas or databases) so that destroying a key
//! erases a person from every copy of the data. Personal fields arrive here
//! sealed and leave sealed: the store never sees them in clear.
//!
//! Reads run on the pool; writes run in a [`Unit`] of work, a transaction
//! opened for an actor at a time, so that a change and the records of who made
//! it commit together. Check-ins, written in batches by the service's
//! group-commit writer, are the one exception: each batch is a transaction of
//! its own, and each row names who recorded it.

mod access;
pub use access::AccessRecord;
mod audit;
pub use audit::{AuditEntryRecord, AuditFilter, AuditHeadRecord};
pub mod backend;
pub mod backup;
mod error;
mod records;
mod unit;
pub use unit::Unit;

mod accounts;
mod facts;
mod overrides;
mod tubes;
pub use tubes::AddSample;
mod people;
pub use people::NewCitizen;
mod check_ins;
mod credential_keys;
mod disposal;
pub use disposal::{DISPOSED_KINDS, DisposalRecord, StatisticsCell};
mod erasures;
pub use credential_keys::{CredentialKeyRecord, RetiredCredentialKey};
pub use erasures::{ErasureReason, ErasureRecord};
mod retention;
mod services;
pub use retention::{PURGE_BATCH, RetentionScheduleRecord};
pub use services::ServiceClosureRecord;
mod signing_keys;
mod status;
pub use check_ins::{
    CHECK_IN_PURPOSE, CheckInOutcome, CheckInRecord, CheckInScope, CheckInSource, CheckInWriter,
    CommitSync, DayCount, NewCheckIn, SCANNED_CODES_KEPT_FOR, ScannedCode,
};
mod venues;
pub use venues::{VenueChecker, VenueRecord};

pub use backend::{Backend, StoreConfig};
pub use error::StoreError;
pub use records::*;

use sqlx::AnyPool;

/// `$first, $first+1, ...` for `count` bind parameters: the list of an
/// `IN (...)` over many people (chunks of a few hundred, far below every
/// backend's parameter limit).
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The database handle shared by every request. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    data: AnyPool,
    keys: AnyPool,
    backend: Backend,
}

impl Store {
    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection; used at shutdown so SQLite checkpoints its WAL.
    pub async fn close(&self) {
        self.data.close().await;
        self.keys.close().await;
    }
}
