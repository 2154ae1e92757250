//! `healthcode dispose`: the end-of-epidemic disposal from the command line,
//! requested and approved in the names of two different authority accounts,
//! with a progress bar; it resumes a disposal that stopped and writes the
//! signed certificate. `healthcode dispose verify` checks a certificate: its
//! signature, its tree head's, and that the head belongs to the log as it is
//! published (or as it is stored).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use healthcode_core::accounts::staff_actor;
use healthcode_core::audit::SignedTreeHead;
use healthcode_core::disposal::{self, DisposalRequest, Progress, SignedCertificate};
use healthcode_domain::role::Role;

use crate::audit::{check_consistent, get, read_trust};
use crate::backup::load;
use crate::bench::progress;
use crate::config::Source;
use crate::runtime;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct DisposeArgs {
    #[command(subcommand)]
    command: Option<DisposeCommand>,
    /// The purpose whose data goes: `epidemic-prevention`.
    #[arg(long, required = true)]
    purpose: Option<String>,
    /// The authority account that requests it.
    #[arg(long, required = true)]
    requested_by: Option<String>,
    /// A second, different authority account that approves it.
    #[arg(long, required = true)]
    approved_by: Option<String>,
    /// Where to write the signed certificate.
    #[arg(long, required = true)]
    out: Option<PathBuf>,
    /// Cells of the statistics counting fewer are left out (default 10).
    #[arg(long)]
    threshold: Option<u64>,
    /// Dispose on this PostgreSQL database instead of `--data`.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum DisposeCommand {
    /// Check a disposal certificate: its signature and its tree head's against
    /// the trust list, and that the head is in the log: the published one
    /// (`--url`), else the stored one (`--data` or `--database-url`).
    Verify {
        certificate: PathBuf,
        /// The trust list (file or URL) holding the issuer's audit keys.
        #[arg(long)]
        trust: String,
        /// The service whose published log the head must be consistent with.
        #[arg(long)]
        url: Option<String>,
        #[arg(long)]
        database_url: Option<String>,
    },
}

pub async fn run(source: &Source, args: DisposeArgs) -> anyhow::Result<()> {
    if let Some(DisposeCommand::Verify {
        certificate,
        trust,
        url,
        database_url,
    }) = &args.command
    {
        return verify(
            source,
            certificate,
            trust,
            url.as_deref(),
            database_url.as_ref(),
        )
        .await;
    }
    let (Some(purpose), Some(requested_by), Some(approved_by), Some(out)) = (
        &args.purpose,
        &args.requested_by,
        &args.approved_by,
        &args.out,
    ) else {
        bail!("dispose needs --purpose, --requested-by, --approved-by and --out");
    };
    let state = runtime::app_state(&load(source, args.database_url.as_ref())?).await?;
    let outcome = dispose(&state, purpose, requested_by, approved_by, args.threshold).await;
    state.store().close().await;
    let certificate = outcome?;
    std::fs::write(out, &certificate)
        .with_context(|| format!("cannot write the certificate to {}", out.display()))?;
    let signed = SignedCertificate::parse(&certificate).map_err(anyhow::Error::msg)?;
    let c = &signed.certificate;
    println!(
        "disposal {} of {} complete: {} records deleted, {} people's keys destroyed, {} accounts kept; \
         certificate in {} (audit log head at {} entries)",
        c.disposal,
        c.purpose,
        c.records.values().sum::<u64>(),
        c.keys_destroyed,
        c.accounts_kept,
        out.display(),
        c.audit_head.tree_size
    );
    Ok(())
}

/// Requests and approves (or resumes) the disposal of `purpose`, runs it with
/// a progress bar on standard error, and returns its certificate.
async fn dispose(
    state: &healthcode_core::AppState,
    purpose: &str,
    requested_by: &str,
    approved_by: &str,
    threshold: Option<u64>,
) -> anyhow::Result<String> {
    let requester = staff_actor(state.store(), requested_by, Role::Authority).await?;
    let approver = staff_actor(state.store(), approved_by, Role::Authority).await?;
    let open = state
        .store()
        .disposals()
        .await?
        .into_iter()
        .find(|d| d.purpose == purpose && d.stage != "completed");
    let (id, stage) = match open {
        Some(d) => {
            eprintln!("resuming disposal {} (stage {})", d.id, d.stage);
            (d.id, d.stage)
        }
        None => {
            let request = DisposalRequest {
                purpose: purpose.to_owned(),
                threshold,
            };
            let d = disposal::request(state, requester, &request).await?;
            (d.id, d.stage)
        }
    };
    if stage == "requested" {
        disposal::approve(state, approver, &id).await?;
    }
    let left: u64 = disposal::remaining(state, purpose).await?.values().sum();
    let bar = progress(left, "records");
    let started = Instant::now();
    let certificate = disposal::run(state, &id, &mut |p: &Progress| {
        bar.set_position(p.deleted.min(left));
        bar.set_message(format!("{} {}", p.kind, p.done));
    })
    .await?;
    bar.finish_and_clear();
    eprintln!(
        "deleted in {:.1} s; certificate signed",
        started.elapsed().as_secs_f64()
    );
    Ok(certificate)
}

async fn verify(
    source: &Source,
    path: &PathBuf,
    trust: &str,
    url: Option<&str>,
    database_url: Option<&String>,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let signed = SignedCertificate::parse(&text)
        .map_err(|why| anyhow::anyhow!("{} does not verify: {why}", path.display()))?;
    let trust = read_trust(trust).await?;
    let head = signed
        .verify(&trust)
        .map_err(|why| anyhow::anyhow!("{} does not verify: {why}", path.display()))?;
    let root = head.root().context("the head's root is malformed")?;
    match url {
        Some(url) => {
            let latest: SignedTreeHead = get(url, "/v1/audit/head").await?;
            let latest_root = latest
                .verify(&trust)
                .map_err(|why| anyhow::anyhow!("the published head does not verify: {why}"))?;
            check_consistent(url, head.tree_size, &root, latest.tree_size, &latest_root)
                .await
                .context("the certificate's tree head is not in the published log")?;
        }
        None => {
            let state = runtime::app_state(&load(source, database_url)?).await?;
            let stored = state.store().audit_root(head.tree_size).await;
            state.store().close().await;
            if stored? != root {
                bail!(
                    "the certificate's tree head ({} entries) is not in the stored log",
                    head.tree_size
                );
            }
        }
    }
    let c = &signed.certificate;
    println!(
        "disposal certificate verified: {} of {} completed {}, {} records, {} keys destroyed; \
         its tree head ({} entries) is in the log",
        c.disposal,
        c.purpose,
        c.completed_at,
        c.records.values().sum::<u64>(),
        c.keys_destroyed,
        head.tree_size
    );
    Ok(())
}
