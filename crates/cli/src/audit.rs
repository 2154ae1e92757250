//! `healthcode audit`: check the audit log, from its store or from outside as
//! a regulator or monitor would, and sign a tree head on demand.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clap::{Args, Subcommand};
use healthcode_core::audit::{
    self, ConsistencyProof, Entries, Heads, InclusionProof, SignedTreeHead,
};
use healthcode_credentials::trust::TrustList;
use healthcode_domain::audit::Entry;
use healthcode_domain::audit::merkle::{self, Frontier, Hash};

use crate::backup::load;
use crate::config::Source;
use crate::runtime;
use crate::trust::{fetch, read_source};

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the log: recompute its tree from the stored entries (`--data` or
    /// `--database-url`) or from a running service's answers (`--url`), and
    /// check every signed tree head. Exits non-zero naming the first entry or
    /// head that does not match.
    Verify(VerifyArgs),
    /// Sign a tree head of the log as it is now and print it.
    Sign {
        /// PostgreSQL URL of the store; without it the SQLite files in `--data`.
        #[arg(long)]
        database_url: Option<String>,
    },
}

#[derive(Args)]
pub struct VerifyArgs {
    /// A running service's base URL (`http://…`): check it from outside,
    /// with nothing but its public answers and the trust list.
    #[arg(long, conflicts_with = "database_url")]
    url: Option<String>,
    /// The trust list that holds the audit keys: a file or an `http://` URL.
    /// Required with `--url`; a store is checked against its own key without it.
    #[arg(long)]
    trust: Option<String>,
    /// The head saved by the previous check (`--url`): the log must have grown
    /// from it, never changed. The new head is written back to it.
    #[arg(long, requires = "url")]
    since: Option<PathBuf>,
    /// PostgreSQL URL of the store; without it the SQLite files in `--data`.
    #[arg(long)]
    database_url: Option<String>,
}

pub async fn run(source: &Source, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify(args) => match &args.url {
            Some(url) => verify_remote(url, &args).await,
            None => verify_store(source, &args).await,
        },
        AuditCommand::Sign { database_url } => {
            let state = runtime::app_state(&load(source, database_url.as_ref())?).await?;
            let head = audit::sign_head(&state).await;
            state.store().close().await;
            println!("{}", serde_json::to_string_pretty(&head?)?);
            Ok(())
        }
    }
}

pub(crate) async fn read_trust(source: &str) -> anyhow::Result<TrustList> {
    let text = read_source(source).await?;
    TrustList::from_json(&text).with_context(|| format!("{source} is not a trust list"))
}

/// Recomputes the tree from the stored entries and checks every head.
async fn verify_store(source: &Source, args: &VerifyArgs) -> anyhow::Result<()> {
    let state = runtime::app_state(&load(source, args.database_url.as_ref())?).await?;
    let trust = match &args.trust {
        Some(t) => read_trust(t).await?,
        None => (*state.trust_list()).clone(),
    };
    let outcome = audit::check_store(state.store(), &trust).await;
    state.store().close().await;
    match outcome? {
        Ok(check) => {
            println!(
                "audit log verified: {} entries, {} signed heads, every head matches the entries",
                check.entries, check.heads
            );
            for (act, n) in &check.acts {
                println!("  {act:<22} {n}");
            }
            Ok(())
        }
        Err(mismatch) => bail!("audit log does not verify: {mismatch}"),
    }
}

pub(crate) async fn get<T: serde::de::DeserializeOwned>(
    base: &str,
    path: &str,
) -> anyhow::Result<T> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let body = fetch(&url).await?;
    serde_json::from_str(&body).with_context(|| format!("{url} answered something unexpected"))
}

/// What a monitor does: fetch the newest head and every entry, recompute the
/// tree, check signatures, consistency with the head saved last time, and
/// inclusion proofs; then save the new head.
async fn verify_remote(url: &str, args: &VerifyArgs) -> anyhow::Result<()> {
    let Some(trust_source) = &args.trust else {
        bail!("--url needs --trust: the trust list that holds the audit keys");
    };
    let trust = read_trust(trust_source).await?;
    let head: SignedTreeHead = get(url, "/v1/audit/head").await?;
    let root = head.verify(&trust).map_err(|why| {
        anyhow::anyhow!(
            "the newest head (size {}) does not verify: {why}",
            head.tree_size
        )
    })?;
    let saved = match &args.since {
        Some(path) if path.exists() => Some(read_head(path)?),
        _ => None,
    };
    if let Some(saved) = &saved {
        let saved_root = saved
            .verify(&trust)
            .map_err(|why| anyhow::anyhow!("the saved head does not verify: {why}"))?;
        check_consistent(url, saved.tree_size, &saved_root, head.tree_size, &root)
            .await
            .context("the log is not consistent with the head saved last time")?;
    }
    let heads: Heads = get(url, "/v1/audit/heads?since=0").await?;
    let mut heads: Vec<SignedTreeHead> = heads
        .heads
        .into_iter()
        .filter(|h| h.tree_size <= head.tree_size)
        .collect();
    heads.sort_by_key(|h| (h.tree_size, h.timestamp));
    let mut pending = heads.iter().peekable();
    let mut frontier = Frontier::default();
    let check_heads = |frontier: &Frontier,
                       pending: &mut std::iter::Peekable<std::slice::Iter<'_, SignedTreeHead>>|
     -> anyhow::Result<()> {
        while let Some(h) = pending.next_if(|h| h.tree_size == frontier.size()) {
            let r = h.verify(&trust).map_err(|why| {
                anyhow::anyhow!(
                    "the head of size {} signed at {} does not verify: {why}",
                    h.tree_size,
                    h.timestamp
                )
            })?;
            if r != frontier.root() {
                bail!(
                    "the head of size {} signed at {} does not match the entries",
                    h.tree_size,
                    h.timestamp
                );
            }
        }
        Ok(())
    };
    check_heads(&frontier, &mut pending)?;
    let mut start = 0u64;
    while start < head.tree_size {
        let end = (start + audit::MAX_ENTRIES).min(head.tree_size) - 1;
        let page: Entries = get(url, &format!("/v1/audit/entries?start={start}&end={end}")).await?;
        if page.entries.is_empty() {
            bail!("entry {start} is missing");
        }
        for served in &page.entries {
            let index = frontier.size();
            if served.index != index {
                bail!(
                    "entry {index} is missing (the server sent entry {})",
                    served.index
                );
            }
            let bytes = STANDARD
                .decode(&served.leaf_input)
                .with_context(|| format!("entry {index}'s leaf input is not base64"))?;
            let entry = Entry::from_bytes(&bytes)
                .with_context(|| format!("entry {index} cannot be read as an audit entry"))?;
            if entry.seq != index {
                bail!(
                    "entry {index} says it is entry {}: entries were removed or reordered",
                    entry.seq
                );
            }
            frontier.push(merkle::leaf_hash(&bytes));
            check_heads(&frontier, &mut pending)?;
        }
        start = frontier.size();
    }
    if frontier.root() != root {
        bail!(
            "the newest head (size {}) does not match the entries",
            head.tree_size
        );
    }
    let proved =
        check_inclusions(url, &head, &root, saved.as_ref().map_or(0, |s| s.tree_size)).await?;
    if let Some(path) = &args.since {
        let text = serde_json::to_string_pretty(&head)?;
        std::fs::write(path, format!("{text}\n"))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "audit log verified: {} entries, {} signed heads, {} inclusion proofs{}",
        head.tree_size,
        heads.len(),
        proved,
        if saved.is_some() {
            ", consistent with the saved head"
        } else {
            ""
        }
    );
    Ok(())
}

fn read_head(path: &Path) -> anyhow::Result<SignedTreeHead> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a signed tree head", path.display()))
}

fn hashes(encoded: &[String]) -> anyhow::Result<Vec<Hash>> {
    encoded
        .iter()
        .map(|h| {
            STANDARD
                .decode(h)
                .ok()
                .and_then(|b| Hash::try_from(b.as_slice()).ok())
                .ok_or_else(|| anyhow::anyhow!("a proof hash is not 32 bytes of base64"))
        })
        .collect()
}

pub(crate) async fn check_consistent(
    url: &str,
    first: u64,
    first_root: &Hash,
    second: u64,
    second_root: &Hash,
) -> anyhow::Result<()> {
    if first > second {
        bail!("the log shrank from {first} to {second} entries");
    }
    if first == 0 {
        return Ok(());
    }
    let proof: Vec<Hash> = if first == second {
        Vec::new()
    } else {
        let p: ConsistencyProof = get(
            url,
            &format!("/v1/audit/consistency?first={first}&second={second}"),
        )
        .await?;
        hashes(&p.consistency)?
    };
    merkle::verify_consistency(first, first_root, second, second_root, &proof)
        .map_err(|_| anyhow::anyhow!("the proof from {first} to {second} entries does not hold"))
}

/// Checks the inclusion proofs of the entries added since `from` (at most 32
/// of them, spread evenly, always the newest): what a holder of one entry
/// would ask.
async fn check_inclusions(
    url: &str,
    head: &SignedTreeHead,
    root: &Hash,
    from: u64,
) -> anyhow::Result<usize> {
    let size = head.tree_size;
    if size == 0 || from >= size {
        return Ok(0);
    }
    let span = size - from;
    let step = span.div_ceil(32).max(1);
    let mut indexes: Vec<u64> = (from..size).step_by(usize::try_from(step)?).collect();
    indexes.push(size - 1);
    indexes.dedup();
    for &index in &indexes {
        let p: InclusionProof = get(
            url,
            &format!("/v1/audit/proof?index={index}&tree_size={size}"),
        )
        .await?;
        let page: Entries =
            get(url, &format!("/v1/audit/entries?start={index}&end={index}")).await?;
        let bytes = page
            .entries
            .first()
            .and_then(|e| STANDARD.decode(&e.leaf_input).ok())
            .ok_or_else(|| anyhow::anyhow!("entry {index} is missing"))?;
        merkle::verify_inclusion(root, size, index, &bytes, &hashes(&p.audit_path)?)
            .map_err(|_| anyhow::anyhow!("the inclusion proof of entry {index} does not hold"))?;
    }
    Ok(indexes.len())
}
