//! The database-neutral error of the store.

/// What went wrong in storage. Conflicts are part of the domain (a document is
/// already registered); everything else is an operational failure whose details
/// belong in logs, never in responses. No variant carries personal data.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value is already taken; the payload names which one
    /// (`document`, `phone`, `username`, `key`).
    #[error("{0} is already registered")]
    Conflict(&'static str),
    #[error("not found")]
    NotFound,
    #[error("invalid store configuration: {0}")]
    Config(String),
    /// The data folder cannot take writes: read-only, not ours, or full.
    #[error("the data folder cannot be used: {0}")]
    Unwritable(String),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// Stored data contradicts itself (an audit tree node missing): a
    /// damaged or tampered database.
    #[error("inconsistent store: {0}")]
    Corrupt(String),
    /// The database cannot be reached right now (restarting, connections
    /// refused or cut, the pool exhausted): worth trying again shortly.
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            let message = db.message();
            for (column, what) in [
                ("document_index", "document"),
                ("phone_index", "phone"),
                ("username", "username"),
                ("kid", "key"),
                ("signing_keys", "key"),
            ] {
                if message.contains(column) || db.constraint().is_some_and(|c| c.contains(column)) {
                    return StoreError::Conflict(what);
                }
            }
        }
        if is_unavailable(&e) {
            return StoreError::Unavailable(e);
        }
        StoreError::Database(e)
    }
}

/// Whether an error says the database is out of reach for now rather than
/// that the request was wrong: the connection failed or was cut, the server is
/// shutting down or starting (SQLSTATE class 08, 57P01..57P03), or no
/// connection came free in time.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}
