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
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// Stored data contradicts itself (an audit tree node missing): a
    /// damaged or tampered database.
    #[error("inconsistent store: {0}")]
    Corrupt(String),
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
        StoreError::Database(e)
    }
}
