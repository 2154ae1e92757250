//! `healthcode trust`: the national trust list that federates the provinces.
//!
//! A national authority keeps an anchor key ([`anchor`](TrustCommand::Anchor)),
//! collects every province's published trust list (files, or fetched from
//! `/v1/trust-list`), adds the certificates it revokes, and signs the lot
//! ([`build`](TrustCommand::Build)). Checkers fetch the signed list
//! ([`fetch`](TrustCommand::Fetch)) and need nothing but the anchor's public key
//! to use it with `healthcode verify`. [`inspect`](TrustCommand::Inspect)
//! shows what a list holds, and [`revocation-id`](TrustCommand::RevocationId)
//! names a certificate for the revocation list.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use healthcode_credentials::federation::{NationalTrustList, SignedTrustList, TrustAnchor};
use healthcode_credentials::keys::SigningKey;
use healthcode_credentials::revocation::{RevocationId, RevocationList};
use healthcode_credentials::trust::TrustList;

use crate::verify;

#[derive(clap::Subcommand)]
pub enum TrustCommand {
    /// Generate a national anchor key: FILE (private, PKCS#8, mode 0600) and
    /// FILE.pub.json (the public anchor every checker is configured with).
    Anchor {
        /// Where to write the private key.
        #[arg(long)]
        out: PathBuf,
    },
    /// Build and sign a national trust list from the provinces' lists.
    Build {
        /// The anchor's private key (from `trust anchor`).
        #[arg(long)]
        anchor_key: PathBuf,
        /// A province's trust list: a file, or an http:// URL of `/v1/trust-list`.
        #[arg(long = "province", required = true)]
        provinces: Vec<String>,
        /// Revoked certificates: a file with one revocation id, or one payload
        /// (any format `verify` reads), per line.
        #[arg(long)]
        revoked: Option<PathBuf>,
        /// The list's sequence number; must grow with every list published.
        #[arg(long)]
        sequence: u64,
        /// How long checkers may use the list without a fresh one, in hours.
        #[arg(long, default_value_t = 24)]
        valid_hours: i64,
        /// Where to write the signed list.
        #[arg(long)]
        out: PathBuf,
    },
    /// Fetch a trust list (a province's or a signed national one) over HTTP,
    /// check it, and save it.
    Fetch {
        /// http:// URL of the list.
        url: String,
        /// Check a national list's signature with this anchor (required for one).
        #[arg(long)]
        anchor: Option<PathBuf>,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
    /// Show what a trust list holds and whether its signature verifies.
    Inspect {
        /// A province's list or a signed national list.
        file: PathBuf,
        /// The anchor to check a national list against.
        #[arg(long)]
        anchor: Option<PathBuf>,
    },
    /// Print the revocation id of a certificate (for `trust build --revoked`).
    RevocationId {
        /// The payload, a file holding it, or a picture of its QR code.
        input: String,
    },
}

/// Fetched lists larger than this are refused.
const MAX_LIST_BYTES: usize = 8 << 20;

pub async fn run(cmd: &TrustCommand) -> anyhow::Result<()> {
    match cmd {
        TrustCommand::Anchor { out } => anchor(out),
        TrustCommand::Build {
            anchor_key,
            provinces,
            revoked,
            sequence,
            valid_hours,
            out,
        } => {
            anyhow::ensure!(
                (1..=24 * 366).contains(valid_hours),
                "--valid-hours must be between 1 and 8784"
            );
            let key = read_anchor_key(anchor_key)?;
            let mut lists = Vec::with_capacity(provinces.len());
            for source in provinces {
                let text = read_source(source).await?;
                lists.push(
                    TrustList::from_json(&text)
                        .with_context(|| format!("{source} is not a province trust list"))?,
                );
            }
            let revoked = match revoked {
                Some(path) => read_revocations(path)?,
                None => RevocationList::default(),
            };
            let now = crate::runtime::now();
            let list = NationalTrustList {
                sequence: *sequence,
                generated_at: now,
                expires_at: now + valid_hours * 3600,
                provinces: lists,
                revoked,
            };
            let signed = list.sign(&key)?;
            write_json(out, &serde_json::to_string_pretty(&signed)?)?;
            println!(
                "signed national trust list {} ({} provinces, {} revoked certificates) with anchor {}, valid for {valid_hours} h",
                out.display(),
                list.provinces.len(),
                list.revoked.len(),
                key.kid()
            );
            Ok(())
        }
        TrustCommand::Fetch { url, anchor, out } => {
            let text = fetch(url).await?;
            // Never step back: a national list older than the one saved at
            // `out` (a replayed list that still lists a dropped key) is refused.
            let seen = match anchor {
                Some(anchor) => seen_sequence(out, &read_anchor(anchor)?),
                None => 0,
            };
            let list = Loaded::parse_after(&text, anchor.as_deref(), seen)?;
            write_json(out, &text)?;
            println!("saved {} to {}", list.summary(), out.display());
            Ok(())
        }
        TrustCommand::Inspect { file, anchor } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            inspect(&text, anchor.as_deref())
        }
        TrustCommand::RevocationId { input } => {
            let payload = verify::read_payload(input)?;
            println!("{}", verify::revocation_id_of(&payload)?);
            Ok(())
        }
    }
}

fn anchor(out: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        !out.exists(),
        "{} exists; an anchor key is never overwritten",
        out.display()
    );
    let (key, secret) = SigningKey::generate()?;
    write_private(out, secret.as_bytes())?;
    let public = public_path(out);
    write_json(
        &public,
        &serde_json::to_string_pretty(&TrustAnchor::of(&key))?,
    )?;
    println!(
        "national anchor {}: private key {} (keep it offline), public anchor {}",
        key.kid(),
        out.display(),
        public.display()
    );
    Ok(())
}

/// `anchor.key` → `anchor.key.pub.json`.
fn public_path(private: &Path) -> PathBuf {
    let mut name = private.as_os_str().to_owned();
    name.push(".pub.json");
    PathBuf::from(name)
}

fn read_anchor_key(path: &Path) -> anyhow::Result<SigningKey> {
    let der = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    SigningKey::from_pkcs8(&der)
        .with_context(|| format!("{} is not an Ed25519 PKCS#8 key", path.display()))
}

/// The sequence of the national list saved at `path` if the anchor signed it
/// (expired or not); 0 when there is none.
fn seen_sequence(path: &Path, anchor: &TrustAnchor) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| SignedTrustList::from_json(&text).ok())
        .and_then(|signed| signed.verified(anchor).ok())
        .map_or(0, |list| list.sequence)
}

/// Reads a configured anchor file.
pub fn read_anchor(path: &Path) -> anyhow::Result<TrustAnchor> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    TrustAnchor::from_json(&text).with_context(|| format!("{} is not an anchor", path.display()))
}

fn read_revocations(path: &Path) -> anyhow::Result<RevocationList> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut list = RevocationList::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let id = match RevocationId::parse(line) {
            Some(id) => id,
            None => verify::revocation_id_of(line).with_context(|| {
                format!(
                    "{} line {}: neither a revocation id nor a payload",
                    path.display(),
                    n + 1
                )
            })?,
        };
        list.insert(id);
    }
    Ok(list)
}

/// A list as read from a file or the network: a province's or a national one.
pub enum Loaded {
    Province(TrustList),
    National(NationalTrustList),
}

impl Loaded {
    /// Parses either kind; a national list is opened with the anchor (now, no
    /// rollback state) and refused without one.
    pub fn parse(text: &str, anchor: Option<&Path>) -> anyhow::Result<Loaded> {
        Loaded::parse_after(text, anchor, 0)
    }

    /// As [`parse`](Self::parse), refusing a national list older than `seen`.
    fn parse_after(text: &str, anchor: Option<&Path>, seen: u64) -> anyhow::Result<Loaded> {
        let value: serde_json::Value =
            serde_json::from_str(text).context("the trust list is not JSON")?;
        if value.get("format").is_some() {
            let anchor = anchor.context(
                "this is a signed national trust list: give the national anchor with --anchor",
            )?;
            let anchor = read_anchor(anchor)?;
            let signed = SignedTrustList::from_json(text)?;
            let list = signed.open(&anchor, crate::runtime::now(), seen)?;
            Ok(Loaded::National(list))
        } else {
            Ok(Loaded::Province(
                TrustList::from_json(text).context("the trust list is not usable")?,
            ))
        }
    }

    /// The province lists it holds.
    pub fn provinces(&self) -> &[TrustList] {
        match self {
            Loaded::Province(list) => std::slice::from_ref(list),
            Loaded::National(national) => &national.provinces,
        }
    }

    /// The revocation list, if the list carries one.
    pub fn revoked(&self) -> Option<&RevocationList> {
        match self {
            Loaded::Province(_) => None,
            Loaded::National(national) => Some(&national.revoked),
        }
    }

    fn summary(&self) -> String {
        match self {
            Loaded::Province(list) => format!(
                "the trust list of {} {} ({} keys)",
                list.issuer,
                list.issuer_name,
                list.keys.len()
            ),
            Loaded::National(n) => format!(
                "national trust list #{} ({} provinces, {} revoked), signature verified",
                n.sequence,
                n.provinces.len(),
                n.revoked.len()
            ),
        }
    }
}

fn inspect(text: &str, anchor: Option<&Path>) -> anyhow::Result<()> {
    let loaded = Loaded::parse(text, anchor)?;
    println!("{}", loaded.summary());
    if let Loaded::National(n) = &loaded {
        println!(
            "generated {}, expires {}",
            healthcode_core::clock::rfc3339(n.generated_at),
            healthcode_core::clock::rfc3339(n.expires_at)
        );
    }
    for province in loaded.provinces() {
        println!("{} {}", province.issuer, province.issuer_name);
        for key in &province.keys {
            println!("  key {} {:?} {}", key.kid, key.status, key.alg);
        }
        if !province.dcc_signers.is_empty() {
            println!(
                "  {} EU DCC signing certificates",
                province.dcc_signers.len()
            );
        }
        if let Some(shc) = &province.shc_issuer {
            println!("  SMART Health Cards issuer {}", shc.iss);
        }
    }
    Ok(())
}

/// A file's text, or the body of an http:// URL.
pub(crate) async fn read_source(source: &str) -> anyhow::Result<String> {
    if source.starts_with("http://") || source.starts_with("https://") {
        fetch(source).await
    } else {
        std::fs::read_to_string(source).with_context(|| format!("cannot read {source}"))
    }
}

/// GETs a URL. Plain HTTP only: a national list is signed, so its integrity
/// does not rest on the transport; a province's list fetched this way should be
/// checked against what the province announced (its key ids) before signing.
pub(crate) async fn fetch(url: &str) -> anyhow::Result<String> {
    use http_body_util::{BodyExt as _, Empty, Limited};
    use hyper::body::Bytes;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    anyhow::ensure!(
        url.starts_with("http://"),
        "only http:// URLs can be fetched (the lists are signed; put TLS in front if needed)"
    );
    let uri: hyper::Uri = url.parse().with_context(|| format!("{url} is not a URL"))?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let response = tokio::time::timeout(Duration::from_secs(30), client.get(uri))
        .await
        .context("the server did not answer within 30 s")?
        .with_context(|| format!("cannot fetch {url}"))?;
    anyhow::ensure!(
        response.status().is_success(),
        "{url} answered {}",
        response.status()
    );
    let body = Limited::new(response.into_body(), MAX_LIST_BYTES)
        .collect()
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the list from {url}: {e}"))?
        .to_bytes();
    String::from_utf8(body.to_vec()).context("the list is not UTF-8")
}

fn write_json(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, format!("{}\n", text.trim_end()))
        .with_context(|| format!("cannot write {}", path.display()))
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
