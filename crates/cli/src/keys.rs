//! `healthcode keys`: the issuer's signing keys.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use healthcode_core::certificates;
use healthcode_core::clock::rfc3339;
use healthcode_core::keyring::{self, IssuerIdentity, Keyring};
use healthcode_core::secrets::Secrets;

use crate::config::{Config, Source};
use crate::runtime;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Generate the first signing key if there is none (idempotent).
    Generate,
    /// List keys with their status.
    List,
    /// Make a new key the signer; the old one verifies until its last codes expire.
    Rotate,
    /// Revoke a key at once: nothing it signed verifies any more.
    Revoke {
        /// The key id (base64url: it may start with `-`).
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
    /// Replace the EU DCC (`dcc`) or SMART Health Cards (`shc`) issuer key, or
    /// the audit log's head key (`audit`); the old one stays in the trust list
    /// until what it signed has expired (an audit key: a century).
    RotateCertificateKey {
        #[arg(long, value_parser = ["dcc", "shc", "audit"])]
        format: String,
    },
    /// Withdraw a retired DCC, SHC or audit key at once (compromised): what it
    /// signed stops verifying.
    WithdrawCertificateKey {
        #[arg(long, value_parser = ["dcc", "shc", "audit"])]
        format: String,
        /// The retired key's id, as `rotate-certificate-key` printed it
        /// (base64url: it may start with `-`).
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
    /// Print the trust list (as served at /v1/trust-list, with the EU DCC signer
    /// and the SMART Health Cards issuer) or write it to a file.
    Export {
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

pub async fn run(source: &Source, command: KeysCommand) -> anyhow::Result<()> {
    let config = Config::load(source, None)?;
    let (store, master) = runtime::open(&config).await?;
    let secrets = Secrets::new(&master)?;
    let now = runtime::now();
    let lifetime = config.server.code_lifetime;
    match command {
        KeysCommand::Generate => {
            match keyring::ensure_signer(&store, &secrets, now, lifetime).await? {
                Some(kid) => println!("generated signing key {kid}"),
                None => println!("a signing key already exists; use `keys rotate` for a new one"),
            }
        }
        KeysCommand::Rotate => {
            let kid = keyring::rotate(&store, &secrets, now, lifetime).await?;
            println!(
                "signing key is now {kid}; servers pick it up within {} s",
                config.server.key_reload
            );
        }
        KeysCommand::Revoke { kid } => {
            keyring::revoke(&store, &kid, now)
                .await
                .with_context(|| format!("cannot revoke {kid}"))?;
            println!("revoked {kid}");
        }
        KeysCommand::List => {
            let list = Keyring::load(&store, &secrets)
                .await?
                .trust_list(&issuer(&config), now);
            println!(
                "{:<12} {:<8} {:<26} {:<26} {:<26}",
                "KID", "STATUS", "NOT BEFORE", "SIGNS UNTIL", "VERIFIES UNTIL"
            );
            let time = |t: Option<i64>| t.map_or_else(|| "-".to_owned(), rfc3339);
            for k in list.keys {
                println!(
                    "{:<12} {:<8} {:<26} {:<26} {:<26}",
                    k.kid,
                    format!("{:?}", k.status).to_lowercase(),
                    time(Some(k.not_before)),
                    time(k.signs_until),
                    time(k.verify_until)
                );
            }
        }
        KeysCommand::RotateCertificateKey { format } => {
            let retired =
                certificates::rotate(&store, &secrets, &config.server, &format, now).await?;
            println!(
                "the {format} issuer key is new; the old one ({retired}) stays published until what it signed has expired; servers pick the new one up within {} s",
                config.server.key_reload
            );
        }
        KeysCommand::WithdrawCertificateKey { format, kid } => {
            anyhow::ensure!(
                certificates::withdraw(&store, &format, &kid, now).await?,
                "no retired {format} key {kid}"
            );
            println!(
                "withdrew the {format} key {kid}; servers stop publishing it within {} s",
                config.server.key_reload
            );
        }
        KeysCommand::Export { out } => {
            // The service's own view: the code keys plus the DCC signer and the
            // SMART Health Cards issuer, exactly as /v1/trust-list serves them.
            let state = runtime::app_state(&config).await?;
            let list = state.trust_list();
            state.store().close().await;
            let json = serde_json::to_string_pretty(&list)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, json + "\n")
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    println!("wrote {}", path.display());
                }
                None => println!("{json}"),
            }
        }
    }
    store.close().await;
    Ok(())
}

fn issuer(config: &Config) -> IssuerIdentity {
    IssuerIdentity {
        code: config.server.issuer.clone(),
        name: config.server.issuer_name.clone(),
    }
}
