//! `healthcode backup` and `healthcode restore`: copies of the data store, and
//! of the key store with a retention of its own.
//!
//! A data backup may be kept as long as the province's rules say: it holds
//! every person's data sealed under their own key, and the keys are not in it.
//! Erasing a person destroys their key in the live key store, so a data backup
//! taken before the erasure and restored after it exposes nothing of them, and
//! the restore removes their rows. Key-store backups are what could bring an
//! erased person's key back: `backup keys` keeps them only `--keep-days` (7 by
//! default) and deletes older ones from its folder at every run.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use healthcode_store::backup::{self, Part};

use crate::config::{Config, Source};
use crate::runtime;

/// `healthcode backup [--out FILE] | backup keys --out DIR`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    #[command(subcommand)]
    keys: Option<BackupKeys>,
    /// The file to write the data store's backup to (must not exist)
    /// [default: healthcode-backup-TIME.db, or .pgdump on PostgreSQL].
    #[arg(long)]
    out: Option<PathBuf>,
    /// PostgreSQL URL of the store; without it the SQLite files in `--data`.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum BackupKeys {
    /// Back up the key store into a folder, keeping `--keep-days` of them.
    Keys {
        /// The folder the key-store backups are kept in.
        #[arg(long)]
        out: PathBuf,
        /// Key-store backups older than this many days are deleted from the
        /// folder: an erased person's key survives at most this long.
        #[arg(long, default_value_t = 7)]
        keep_days: u32,
        /// PostgreSQL URL of the store; without it the SQLite files in `--data`.
        #[arg(long)]
        database_url: Option<String>,
    },
}

/// `healthcode restore --from FILE | restore keys --from FILE`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RestoreArgs {
    #[command(subcommand)]
    keys: Option<RestoreKeys>,
    /// The data store backup to restore (the service must be stopped).
    #[arg(long)]
    from: Option<PathBuf>,
    /// PostgreSQL URL of the store; without it the SQLite files in `--data`.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum RestoreKeys {
    /// Restore the key store from one of its backups (the service must be stopped).
    Keys {
        #[arg(long)]
        from: PathBuf,
        /// PostgreSQL URL of the store; without it the SQLite files in `--data`.
        #[arg(long)]
        database_url: Option<String>,
    },
}

/// The configuration with `--database-url` applied, for commands that take it.
pub(crate) fn load(source: &Source, database_url: Option<&String>) -> anyhow::Result<Config> {
    let mut config = Config::load(source, None)?;
    if let Some(url) = database_url {
        config.database_url = Some(url.clone());
    }
    Ok(config)
}

/// The file name of a backup taken at `now`.
fn stamped(prefix: &str, config: &Config, now: i64) -> String {
    let extension = if config.database_url.is_some() {
        "pgdump"
    } else {
        "db"
    };
    format!("{prefix}-{now}.{extension}")
}

pub async fn backup(source: &Source, args: BackupArgs) -> anyhow::Result<()> {
    let now = runtime::now();
    match args.keys {
        None => {
            let config = load(source, args.database_url.as_ref())?;
            let out = args
                .out
                .unwrap_or_else(|| PathBuf::from(stamped("healthcode-backup", &config, now)));
            let (store, _) = runtime::open(&config).await?;
            let done = store.backup(&config.store(), Part::Data, &out).await;
            store.close().await;
            done.with_context(|| format!("cannot back up to {}", out.display()))?;
            println!(
                "backed up the data store to {} (it holds no data keys; the key store has its own backup: healthcode backup keys)",
                out.display()
            );
        }
        Some(BackupKeys::Keys {
            out,
            keep_days,
            database_url,
        }) => {
            let config = load(source, database_url.as_ref())?;
            std::fs::create_dir_all(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let file = out.join(stamped("keystore", &config, now));
            let (store, _) = runtime::open(&config).await?;
            let done = store.backup(&config.store(), Part::Keys, &file).await;
            store.close().await;
            done.with_context(|| format!("cannot back up to {}", file.display()))?;
            let pruned = prune_key_backups(&out, now - i64::from(keep_days) * 86_400)?;
            println!(
                "backed up the key store to {}; deleted {pruned} key-store backups older than {keep_days} days",
                file.display()
            );
        }
    }
    Ok(())
}

/// Deletes the key-store backups in `dir` taken before `before`; returns how many.
fn prune_key_backups(dir: &Path, before: i64) -> anyhow::Result<usize> {
    let mut pruned = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let taken = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("keystore-"))
            .and_then(|n| n.split('.').next())
            .and_then(|t| t.parse::<i64>().ok());
        if taken.is_some_and(|t| t < before) {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot delete {}", path.display()))?;
            pruned += 1;
        }
    }
    Ok(pruned)
}

pub async fn restore(source: &Source, args: RestoreArgs) -> anyhow::Result<()> {
    let now = runtime::now();
    let (part, from, database_url) = match args.keys {
        None => (
            Part::Data,
            args.from.context("give --from, the backup to restore")?,
            args.database_url,
        ),
        Some(RestoreKeys::Keys { from, database_url }) => (Part::Keys, from, database_url),
    };
    let config = load(source, database_url.as_ref())?;
    backup::restore(&config.store(), part, &from)
        .await
        .with_context(|| format!("cannot restore from {}", from.display()))?;
    let (store, _) = runtime::open(&config).await?;
    let reconciled = async {
        let people = store.remove_people_without_keys(now).await?;
        let keys = store.remove_keys_without_people().await?;
        anyhow::Ok((people, keys))
    }
    .await;
    store.close().await;
    let (people, keys) = reconciled?;
    let what = match part {
        Part::Data => "data store",
        Part::Keys => "key store",
    };
    println!("restored the {what} from {}", from.display());
    println!(
        "removed {people} people whose data key no longer exists (erased since the backup): nothing of them can be read"
    );
    println!("destroyed {keys} data keys of people the data store does not know");
    Ok(())
}
