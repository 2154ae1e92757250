//! `healthcode admin`: staff accounts.

use std::io::Read;

use anyhow::Context;
use clap::Subcommand;
use healthcode_domain::person::check_password;
use healthcode_domain::role::Role;
use healthcode_server::auth::hash_password;
use healthcode_server::registration::random_id;
use healthcode_store::NewAccount;

use crate::config::{Config, Source};
use crate::runtime;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a staff account (checker, collector, lab, venue, authority, regulator).
    CreateUser {
        /// The account's role.
        #[arg(long)]
        role: String,
        /// Login name.
        #[arg(long)]
        username: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List staff accounts.
    ListUsers,
}

pub async fn run(source: &Source, command: AdminCommand) -> anyhow::Result<()> {
    let config = Config::load(source, None)?;
    match command {
        AdminCommand::CreateUser {
            role,
            username,
            password_stdin,
        } => {
            let role = Role::parse(&role)
                .filter(|r| r.is_staff())
                .with_context(|| format!("--role must be one of checker, collector, lab, venue, authority, regulator (not {role:?})"))?;
            let username = username.trim().to_owned();
            anyhow::ensure!(
                (3..=64).contains(&username.len())
                    && username
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
                "--username must be 3 to 64 letters, digits, '.', '_' or '-'"
            );
            let (password, generated) = if password_stdin {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("cannot read the password")?;
                (text.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (random_id().map_err(|e| anyhow::anyhow!(e.message))?, true)
            };
            check_password(&password).map_err(|e| anyhow::anyhow!("{e} ({})", e.code()))?;
            let hash = hash_password(&password).map_err(|e| anyhow::anyhow!(e.message))?;
            let (store, _vault) = runtime::open(&config).await?;
            let now = jiff::Timestamp::now().as_second();
            let account = NewAccount {
                id: random_id().map_err(|e| anyhow::anyhow!(e.message))?,
                role,
                person_id: None,
                username: Some(username.clone()),
                password_hash: hash,
                created_at: now,
            };
            store
                .create_staff(&account)
                .await
                .with_context(|| format!("cannot create {username}"))?;
            store.close().await;
            println!("created {} account {username}", role.as_str());
            if generated {
                println!("password: {password}");
            }
        }
        AdminCommand::ListUsers => {
            let (store, _vault) = runtime::open(&config).await?;
            for a in store.staff_accounts().await? {
                println!(
                    "{:<24} {:<10} {}",
                    a.username,
                    a.role.as_str(),
                    healthcode_server::codes::rfc3339(a.created_at)
                );
            }
            store.close().await;
        }
    }
    Ok(())
}
