//! A unit of work: one write transaction on the data store, opened for an actor
//! at a time.
//!
//! Every write goes through a unit, so a change and the records that say who
//! made it (access-log rows, audit entries) commit together or not at all. On
//! SQLite a unit starts as a write transaction (`BEGIN IMMEDIATE`): it takes
//! the database's write lock at once instead of at its first write, so a unit
//! that reads and then writes never fails half-way with "database is locked"
//! (it waits for the lock, up to the busy timeout, before doing anything).
//! Units are short: callers read and compute what they can before opening one.
//! The store's few transactions outside units (check-in batches, the key
//! store's) begin the same way, through [`begin_write`].

use healthcode_domain::actor::Actor;
use healthcode_domain::audit::Pending;
use sqlx::{AnyConnection, Connection, Transaction};

use crate::{Backend, Store, StoreError};

/// The statement that begins a write transaction on `backend`. A deferred
/// SQLite transaction that reads and then writes fails with "database is
/// locked", without waiting, when another connection wrote in between;
/// `BEGIN IMMEDIATE` takes the write lock first, waiting for it up to the busy
/// timeout. PostgreSQL locks rows as statements touch them.
pub(crate) fn begin_write(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    }
}

/// Begins a write transaction, as [`begin_write`] says, on a connection taken
/// from a pool: for the check-in writer's batches, which run outside units.
pub(crate) async fn begin_write_on(
    conn: &mut AnyConnection,
) -> Result<Transaction<'_, sqlx::Any>, StoreError> {
    let backend = match conn.backend_name() {
        "PostgreSQL" => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    Ok(conn.begin_with(begin_write(backend)).await?)
}

/// A write transaction for an actor at a time. Dropping it without
/// [`Unit::commit`] rolls everything back.
pub struct Unit {
    tx: Transaction<'static, sqlx::Any>,
    actor: Actor,
    now: i64,
    backend: Backend,
    /// Audit entries to append when the unit commits.
    pub(crate) audit: Vec<Pending>,
}

impl Store {
    /// Opens a unit of work for `actor` at `now`.
    pub async fn begin(&self, actor: Actor, now: i64) -> Result<Unit, StoreError> {
        let tx = self.data.begin_with(begin_write(self.backend)).await?;
        Ok(Unit {
            tx,
            actor,
            now,
            backend: self.backend,
            audit: Vec::new(),
        })
    }
}

impl Unit {
    /// Who the unit acts for.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The time of the unit: every row it writes is stamped with it.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Which database the unit runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Commits every write of the unit at once, with the audit entries it
    /// recorded (appended last, so the log's tail is locked only briefly).
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut self.audit);
        crate::audit::append(&mut self.tx, pending).await?;
        self.tx.commit().await?;
        Ok(())
    }

    /// The unit's connection, for the statements of the store's modules.
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Locks a person's row until the unit ends, so writes about one person
    /// (a fact and the colour it leads to, an erasure) happen one after the
    /// other; `false` if the person does not exist (any more). On SQLite the
    /// unit already holds the database's write lock.
    pub async fn lock_person(&mut self, person_id: &str) -> Result<bool, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT id FROM people WHERE id = $1",
            Backend::Postgres => "SELECT id FROM people WHERE id = $1 FOR UPDATE",
        };
        let found: Option<String> = sqlx::query_scalar(sql)
            .bind(person_id)
            .fetch_optional(self.conn())
            .await?;
        Ok(found.is_some())
    }
}
