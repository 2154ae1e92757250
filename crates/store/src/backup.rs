//! Backups that deletion reaches.
//!
//! A backup copies one store: the data, or (with a shorter retention of its
//! own) the key store. Taken while the service runs, each is one consistent
//! snapshot: SQLite's `VACUUM INTO`, PostgreSQL's `pg_dump` of the store's
//! schema. The guarantee: a data backup taken before a person was erased and
//! restored after it exposes nothing of them, because their data key no
//! longer exists in the live key store; after a restore,
//! [`Store::remove_people_without_keys`] removes their rows for good, and
//! [`Store::remove_keys_without_people`] the keys of people the backup does
//! not know (they registered after it).
//!
//! Restoring replaces a store and must happen while the service is stopped.

use std::path::Path;
use std::process::Command;

use healthcode_domain::actor::Actor;
use sqlx::Executor;

use crate::backend::{checked_identifier, private_new_file};
use crate::{Store, StoreConfig, StoreError};

/// Which of the two stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The data: people, facts, check-ins, everything but the keys.
    Data,
    /// The key store: the people's wrapped data keys.
    Keys,
}

impl Part {
    fn label(self) -> &'static str {
        match self {
            Part::Data => "data store",
            Part::Keys => "key store",
        }
    }
}

/// The SQLite file or PostgreSQL `(url, schema)` of one part of a store.
enum Location<'a> {
    Sqlite(&'a str),
    Postgres { url: &'a str, schema: &'a str },
}

fn location(config: &StoreConfig, part: Part) -> Location<'_> {
    match (config, part) {
        (StoreConfig::Sqlite { data, .. }, Part::Data) => Location::Sqlite(data),
        (StoreConfig::Sqlite { keys, .. }, Part::Keys) => Location::Sqlite(keys),
        (StoreConfig::Postgres { url, schema, .. }, Part::Data) => {
            Location::Postgres { url, schema }
        }
        (
            StoreConfig::Postgres {
                url,
                keys_url,
                keys_schema,
                ..
            },
            Part::Keys,
        ) => Location::Postgres {
            url: keys_url.as_deref().unwrap_or(url),
            schema: keys_schema,
        },
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Config(format!("{what}: {e}"))
}

/// Runs a PostgreSQL client tool; its standard error becomes the error.
fn run_tool(mut command: Command, what: &str) -> Result<(), StoreError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command.output().map_err(|e| {
        failed(
            what,
            format!("cannot run {program} (install PostgreSQL's client tools): {e}"),
        )
    })?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(failed(what, format!("{program} failed: {}", stderr.trim())))
    }
}

impl Store {
    /// Writes one consistent copy of `part` to `out`, a new file readable by
    /// its owner only; the service may keep running meanwhile.
    pub async fn backup(
        &self,
        config: &StoreConfig,
        part: Part,
        out: &Path,
    ) -> Result<(), StoreError> {
        private_new_file(out)?;
        let written = match location(config, part) {
            Location::Sqlite(_) => {
                let pool = match part {
                    Part::Data => &self.data,
                    Part::Keys => &self.keys,
                };
                sqlx::query("VACUUM INTO $1")
                    .bind(out.display().to_string())
                    .execute(pool)
                    .await
                    .map(|_| ())
                    .map_err(StoreError::from)
            }
            Location::Postgres { url, schema } => {
                let mut dump = Command::new("pg_dump");
                dump.arg("--format=custom")
                    .arg(format!("--schema={}", checked_identifier(schema)?))
                    .arg(format!("--file={}", out.display()))
                    .arg(format!("--dbname={url}"));
                run_tool(dump, &format!("backing up the {}", part.label()))
            }
        };
        if written.is_err() {
            let _ = std::fs::remove_file(out);
        }
        written
    }
}

/// Replaces `part` of the store with the backup `from`; the service must be
/// stopped. The backup is checked to be a copy of that part before anything
/// is replaced. Open the store afterwards (bringing the schema up to date) and
/// reconcile it with the other part.
pub async fn restore(config: &StoreConfig, part: Part, from: &Path) -> Result<(), StoreError> {
    let what = format!("restoring the {}", part.label());
    if !from.is_file() {
        return Err(failed(&what, format!("{} is not a file", from.display())));
    }
    let expected = match part {
        Part::Data => "people",
        Part::Keys => "data_keys",
    };
    match location(config, part) {
        Location::Sqlite(file) => {
            sqlx::any::install_default_drivers();
            let mut backup = <sqlx::AnyConnection as sqlx::Connection>::connect(&format!(
                "sqlite://{}?mode=ro",
                from.display()
            ))
            .await
            .map_err(|e| failed(&what, e))?;
            let found: Option<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1",
            )
            .bind(expected)
            .fetch_optional(&mut backup)
            .await
            .map_err(|e| failed(&what, e))?;
            sqlx::Connection::close(backup)
                .await
                .map_err(|e| failed(&what, e))?;
            if found.is_none() {
                return Err(failed(
                    &what,
                    format!("{} is not a backup of the {}", from.display(), part.label()),
                ));
            }
            let file = Path::new(file);
            for suffix in ["-wal", "-shm"] {
                let mut side = file.as_os_str().to_owned();
                side.push(suffix);
                match std::fs::remove_file(&side) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(failed(&what, e)),
                }
            }
            let _ = std::fs::remove_file(file);
            private_new_file(file)?;
            std::fs::copy(from, file).map_err(|e| failed(&what, e))?;
            Ok(())
        }
        Location::Postgres { url, schema } => {
            let schema = checked_identifier(schema)?;
            let mut list = Command::new("pg_restore");
            list.arg("--list").arg(from);
            let output = list
                .output()
                .map_err(|e| failed(&what, format!("cannot run pg_restore: {e}")))?;
            let listing = String::from_utf8_lossy(&output.stdout);
            let is_part = listing
                .lines()
                .any(|l| l.contains(&format!(" TABLE {schema} {expected} ")));
            if !output.status.success() || !is_part {
                return Err(failed(
                    &what,
                    format!(
                        "{} is not a backup of the {} of schema {schema}",
                        from.display(),
                        part.label()
                    ),
                ));
            }
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(url)
                .await
                .map_err(|e| failed(&what, e))?;
            pool.execute(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE").as_str())
                .await
                .map_err(|e| failed(&what, e))?;
            pool.close().await;
            let mut restore = Command::new("pg_restore");
            restore
                .arg("--no-owner")
                .arg("--no-privileges")
                .arg("--exit-on-error")
                .arg(format!("--dbname={url}"))
                .arg(from);
            run_tool(restore, &what)
        }
    }
}

impl Store {
    /// Removes every person whose data key is gone from the key store: a
    /// person erased after the backup the data was restored from. Their rows
    /// go from every table, as in an erasure. Returns how many.
    pub async fn remove_people_without_keys(&self, now: i64) -> Result<u64, StoreError> {
        let mut removed = 0;
        let mut after = String::new();
        loop {
            let ids: Vec<String> =
                sqlx::query_scalar("SELECT id FROM people WHERE id > $1 ORDER BY id LIMIT 1000")
                    .bind(&after)
                    .fetch_all(&self.data)
                    .await?;
            let Some(last) = ids.last().cloned() else {
                return Ok(removed);
            };
            let keyed: std::collections::HashSet<String> = self
                .wrapped_keys(&ids)
                .await?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            for id in ids.iter().filter(|id| !keyed.contains(*id)) {
                let mut unit = self.begin(Actor::Operator, now).await?;
                if unit.complete_erasure(id).await? {
                    removed += 1;
                }
                unit.commit().await?;
            }
            after = last;
        }
    }

    /// Removes every data key whose person the data store does not know: a
    /// person registered after the backup the data was restored from, whose
    /// key now opens nothing. Returns how many.
    pub async fn remove_keys_without_people(&self) -> Result<u64, StoreError> {
        let mut removed = 0;
        let mut after = String::new();
        loop {
            let ids: Vec<String> = sqlx::query_scalar(
                "SELECT person_id FROM data_keys WHERE person_id > $1 ORDER BY person_id LIMIT 1000",
            )
            .bind(&after)
            .fetch_all(&self.keys)
            .await?;
            let Some(last) = ids.last().cloned() else {
                return Ok(removed);
            };
            let sql = format!(
                "SELECT id FROM people WHERE id IN ({})",
                crate::placeholders(1, ids.len())
            );
            let mut query = sqlx::query_scalar::<_, String>(&sql);
            for id in &ids {
                query = query.bind(id);
            }
            let known: std::collections::HashSet<String> =
                query.fetch_all(&self.data).await?.into_iter().collect();
            for id in ids.iter().filter(|id| !known.contains(*id)) {
                if self.destroy_data_key(id).await? {
                    removed += 1;
                }
            }
            after = last;
        }
    }
}
