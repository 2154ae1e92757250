//! `healthcode admin`: staff accounts.

use std::io::Read;

use anyhow::Context;
use clap::Subcommand;
use healthcode_core::accounts;
use healthcode_core::clock::rfc3339;
use healthcode_core::ids::random_id;
use healthcode_domain::role::Role;

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
            let username = accounts::check_username(&username)
                .map_err(|_| {
                    anyhow::anyhow!("--username must be 3 to 64 letters, digits, '.', '_' or '-'")
                })?
                .to_owned();
            let (password, generated) = if password_stdin {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("cannot read the password")?;
                (text.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (random_id()?, true)
            };
            let (store, _master) = runtime::open(&config).await?;
            accounts::create_staff(&store, role, &username, &password, runtime::now())
                .await
                .with_context(|| format!("cannot create {username}"))?;
            store.close().await;
            println!("created {} account {username}", role.as_str());
            if generated {
                println!("password: {password}");
            }
        }
        AdminCommand::ListUsers => {
            let (store, _master) = runtime::open(&config).await?;
            for a in accounts::staff_accounts(&store).await? {
                println!(
                    "{:<24} {:<10} {}",
                    a.username,
                    a.role.as_str(),
                    rfc3339(a.created_at)
                );
            }
            store.close().await;
        }
    }
    Ok(())
}
