//! What differs between SQLite and PostgreSQL: connecting, pragmas, schemas and
//! migrations. Everything above this module runs the same SQL on both.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Executor;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;

use crate::{Store, StoreError};

static SQLITE_DATA: Migrator = sqlx::migrate!("./migrations/sqlite/data");
static SQLITE_KEYS: Migrator = sqlx::migrate!("./migrations/sqlite/keys");
static POSTGRES_DATA: Migrator = sqlx::migrate!("./migrations/postgres/data");
static POSTGRES_KEYS: Migrator = sqlx::migrate!("./migrations/postgres/keys");

/// The two supported databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the data and the key store live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// Two SQLite files: the data and, apart from it, the key store.
    Sqlite { data: String, keys: String },
    /// A PostgreSQL database; data and data keys in two schemas. `keys_url`, if
    /// set, puts the key store in another database (or on another server).
    Postgres {
        url: String,
        schema: String,
        keys_url: Option<String>,
        keys_schema: String,
        max_connections: u32,
    },
}

impl StoreConfig {
    /// The embedded default: `healthcode.db` and `keystore.db` in a data folder.
    pub fn sqlite_in(dir: &Path) -> StoreConfig {
        StoreConfig::Sqlite {
            data: dir.join("healthcode.db").display().to_string(),
            keys: dir.join("keystore.db").display().to_string(),
        }
    }

    /// PostgreSQL with the conventional schema names `healthcode` and
    /// `healthcode_keys` (or `PREFIX` and `PREFIX_keys`).
    pub fn postgres(url: &str, schema: &str) -> StoreConfig {
        StoreConfig::Postgres {
            url: url.to_owned(),
            schema: schema.to_owned(),
            keys_url: None,
            keys_schema: format!("{schema}_keys"),
            max_connections: 16,
        }
    }

    /// Where this store writes: the data and the key store, each named without
    /// credentials and in one normal form (an absolute file path; a PostgreSQL server's
    /// host, port and database with the schema), so that two configurations can be
    /// checked for writing to the same place however their URLs are spelt.
    pub fn places(&self) -> Vec<String> {
        match self {
            StoreConfig::Sqlite { data, keys } => [data, keys]
                .into_iter()
                .map(|file| {
                    std::fs::canonicalize(file)
                        .or_else(|_| std::path::absolute(file))
                        .map_or_else(|_| file.clone(), |p| p.display().to_string())
                })
                .map(|file| format!("SQLite file {file}"))
                .collect(),
            StoreConfig::Postgres {
                url,
                schema,
                keys_url,
                keys_schema,
                ..
            } => [
                (url, schema),
                (keys_url.as_ref().unwrap_or(url), keys_schema),
            ]
            .into_iter()
            .map(|(url, schema)| format!("{} schema {schema}", postgres_server(url)))
            .collect(),
        }
    }
}

/// A PostgreSQL URL as host, port and database, without user or password; the URL
/// itself (minus anything before an `@`) when it does not parse.
fn postgres_server(url: &str) -> String {
    match sqlx::postgres::PgConnectOptions::from_str(url) {
        Ok(o) => format!(
            "PostgreSQL {}:{}/{}",
            o.get_host(),
            o.get_port(),
            o.get_database().unwrap_or(o.get_username())
        ),
        Err(_) => format!(
            "PostgreSQL {}",
            url.rsplit_once('@')
                .map_or("(unparsable URL)", |(_, rest)| rest)
        ),
    }
}

impl Store {
    /// Connects to both databases and brings their schemas up to date.
    pub async fn open(config: &StoreConfig) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        match config {
            StoreConfig::Sqlite { data, keys } => {
                let data = sqlite_pool(data).await?;
                let keys = sqlite_pool(keys).await?;
                SQLITE_DATA.run(&data).await?;
                SQLITE_KEYS.run(&keys).await?;
                Ok(Store {
                    data,
                    keys,
                    backend: Backend::Sqlite,
                })
            }
            StoreConfig::Postgres {
                url,
                schema,
                keys_url,
                keys_schema,
                max_connections,
            } => {
                if schema == keys_schema && keys_url.is_none() {
                    return Err(StoreError::Config(
                        "the key store must live apart from the data: use another schema or database".to_owned(),
                    ));
                }
                let data = postgres_pool(url, schema, *max_connections).await?;
                let keys = postgres_pool(
                    keys_url.as_deref().unwrap_or(url),
                    keys_schema,
                    *max_connections,
                )
                .await?;
                POSTGRES_DATA.run(&data).await?;
                POSTGRES_KEYS.run(&keys).await?;
                Ok(Store {
                    data,
                    keys,
                    backend: Backend::Postgres,
                })
            }
        }
    }

    /// Drops this store's PostgreSQL schemas with everything in them. Only for
    /// throwaway deployments such as test runs; refused on SQLite.
    pub async fn drop_postgres_schemas(self, config: &StoreConfig) -> Result<(), StoreError> {
        let StoreConfig::Postgres {
            schema,
            keys_schema,
            ..
        } = config
        else {
            return Err(StoreError::Config("not a PostgreSQL store".to_owned()));
        };
        self.data
            .execute(
                format!(
                    "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
                    checked_identifier(schema)?
                )
                .as_str(),
            )
            .await?;
        self.keys
            .execute(
                format!(
                    "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
                    checked_identifier(keys_schema)?
                )
                .as_str(),
            )
            .await?;
        self.close().await;
        Ok(())
    }
}

/// Creates the database file readable by its owner only (0600) before SQLite
/// opens it, and narrows the mode of one created before: SQLite gives its WAL,
/// shared-memory and journal files the mode of the database file, so none of
/// them is readable by other users either. Its folder is created 0700.
/// How much a data folder must take at start: a few pages of SQLite's log.
const WRITE_PROBE_BYTES: usize = 64 * 1024;

/// Refuses at once, with the reason, a data folder that cannot take writes (a
/// read-only mount, files the service may not write, a full disk). SQLite
/// would otherwise open such a database read-only and every write would wait
/// out the pool's timeout, ending in "pool timed out".
fn check_writable(path: &Path) -> Result<(), StoreError> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    for file in [
        path.to_owned(),
        sidecar(path, "-wal"),
        sidecar(path, "-shm"),
    ] {
        if file.exists() {
            std::fs::OpenOptions::new()
                .append(true)
                .open(&file)
                .map_err(|e| unwritable(&file, StoreError::Config(e.to_string())))?;
        }
    }
    let probe = dir.join(format!(".write-probe-{}", std::process::id()));
    let written = std::fs::File::create(&probe).and_then(|mut f| {
        f.write_all(&[0u8; WRITE_PROBE_BYTES])?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    written.map_err(|e| unwritable(dir, StoreError::Config(e.to_string())))?;
    Ok(())
}

/// An error opening the data folder, told as what the operator must fix when
/// the cause is a read-only folder or a full disk.
fn unwritable(path: &Path, e: StoreError) -> StoreError {
    let text = match &e {
        StoreError::Config(text) => {
            let named = format!("{}: ", path.display());
            text.strip_prefix(&named).unwrap_or(text).to_owned()
        }
        other => other.to_string(),
    };
    let cause = |needle: &[&str]| needle.iter().any(|n| text.contains(n));
    if cause(&[
        "Read-only file system",
        "Permission denied",
        "Operation not permitted",
    ]) {
        StoreError::Unwritable(format!(
            "{} cannot be written ({text}): the data folder must be writable by this \
             process (check the mount, the owner and the permissions)",
            path.display()
        ))
    } else if cause(&["No space left on device", "Disk quota exceeded"]) {
        StoreError::Unwritable(format!(
            "the disk holding {} is full ({text}): free some space and start again",
            path.display()
        ))
    } else {
        e
    }
}

fn private_file(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let fail = |e: std::io::Error| StoreError::Config(format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(fail)?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            for file in [
                path.to_owned(),
                sidecar(path, "-wal"),
                sidecar(path, "-shm"),
            ] {
                if file.exists() {
                    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                        .map_err(fail)?;
                }
            }
            Ok(())
        }
        Err(e) => Err(fail(e)),
    }
}

/// `path` with `suffix` appended to its file name (SQLite's `-wal`, `-shm`).
fn sidecar(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

async fn sqlite_pool(path: &str) -> Result<sqlx::AnyPool, StoreError> {
    private_file(Path::new(path)).map_err(|e| unwritable(Path::new(path), e))?;
    check_writable(Path::new(path))?;
    let options = AnyConnectOptions::from_str(&format!("sqlite://{path}?mode=rwc"))?;
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        // An in-process SQLite connection cannot go stale; pinging it before
        // every query costs a round trip to its worker thread.
        .test_before_acquire(false)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // WAL lets readers run beside the one writer; NORMAL is durable
                // across application crashes and loses at most the last commits
                // on power loss, the usual trade-off for WAL. secure_delete
                // overwrites what a delete removes, so a deleted row (an erased
                // person, an expired check-in, a destroyed key) does not linger
                // in the file's free space.
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                     PRAGMA secure_delete = ON;",
                )
                .await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    Ok(pool)
}

async fn postgres_pool(url: &str, schema: &str, max: u32) -> Result<sqlx::AnyPool, StoreError> {
    let schema = checked_identifier(schema)?.to_owned();
    let options = AnyConnectOptions::from_str(url)?;
    let set_path = format!("SET search_path TO \"{schema}\"");
    // A request waits at most 5 s for a connection: when the database is
    // away longer (a restart), it is answered 503 with `Retry-After` rather
    // than held until the client gives up.
    let pool = AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(move |conn, _| {
            let set_path = set_path.clone();
            Box::pin(async move {
                conn.execute(set_path.as_str()).await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    pool.execute(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"").as_str())
        .await?;
    Ok(pool)
}

/// Creates a new, empty file readable by its owner only (0600), refusing one
/// that exists: backups are written into it.
pub(crate) fn private_new_file(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(|_| ())
        .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", path.display())))
}

/// Schema names are spliced into SQL, so only plain identifiers are accepted.
pub(crate) fn checked_identifier(name: &str) -> Result<&str, StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(name)
    } else {
        Err(StoreError::Config(format!(
            "schema name {name:?} must be lowercase letters, digits and underscores"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert!(checked_identifier("healthcode_keys").is_ok());
        assert!(checked_identifier("t_123").is_ok());
        for bad in ["", "1abc", "Caps", "a\"; DROP", "a-b", &"x".repeat(64)] {
            assert!(checked_identifier(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_refused_write_names_the_folder_and_the_cause() {
        let path = Path::new("/data/healthcode.db");
        let e = unwritable(
            path,
            StoreError::Config("/data/healthcode.db: Operation not permitted (os error 1)".into()),
        );
        assert!(
            e.to_string()
                .contains("/data/healthcode.db cannot be written (Operation not permitted"),
            "{e}"
        );
        let e = unwritable(
            Path::new("/data"),
            StoreError::Config("No space left on device (os error 28)".into()),
        );
        assert!(
            e.to_string().contains("the disk holding /data is full"),
            "{e}"
        );
    }
}
