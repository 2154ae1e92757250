//! `healthcode verify`: offline verification of a personal health code with
//! nothing but the issuer's published trust list. No network, no database.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use healthcode_credentials::code::{self, VerifiedCode};
use healthcode_credentials::trust::TrustList;
use healthcode_domain::divisions;

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The payload (`HCP1:...`), a file holding it, or a PNG/JPEG picture of the QR code.
    input: String,
    /// The trust list, as served at /v1/trust-list or written by `healthcode keys export`.
    #[arg(long)]
    trust: PathBuf,
    /// Verify as of this time (RFC 3339, or Unix seconds) instead of now.
    #[arg(long)]
    at: Option<String>,
    /// Clock skew allowed, in seconds.
    #[arg(long, default_value_t = 30)]
    skew: i64,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Exit status 0: valid; 1: rejected (the reason is printed); 2: could not run.
pub fn run(args: &VerifyArgs) -> ExitCode {
    match check(args) {
        Ok(Ok(verified)) => {
            report_valid(args, &verified);
            ExitCode::SUCCESS
        }
        Ok(Err(rejection)) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({ "valid": false, "error": rejection.code(), "message": rejection.to_string() })
                );
            } else {
                println!("INVALID {}: {rejection}", rejection.code());
            }
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn check(args: &VerifyArgs) -> anyhow::Result<Result<VerifiedCode, code::VerifyError>> {
    let trust_text = std::fs::read_to_string(&args.trust)
        .with_context(|| format!("cannot read the trust list {}", args.trust.display()))?;
    let trust = TrustList::from_json(&trust_text).context("the trust list is not usable")?;
    let payload = read_payload(&args.input)?;
    let now = match &args.at {
        Some(at) => parse_time(at)?,
        None => jiff::Timestamp::now().as_second(),
    };
    anyhow::ensure!(
        (0..=3600).contains(&args.skew),
        "--skew must be between 0 and 3600 seconds"
    );
    Ok(code::verify(&payload, &trust, now, args.skew))
}

fn report_valid(args: &VerifyArgs, v: &VerifiedCode) {
    let c = &v.claims;
    let issuer_name = divisions::name(&c.issuer).unwrap_or("unknown division");
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "valid": true,
                "colour": c.colour.as_str(),
                "masked_name": c.masked_name,
                "issuer": c.issuer,
                "issuer_name": issuer_name,
                "age_seconds": v.age_seconds,
                "issued_at": c.issued_at,
                "expires_at": c.expires_at,
                "kid": v.kid,
                "policy_version": c.policy_version,
            })
        );
    } else {
        println!("VALID");
        println!("colour:   {}", c.colour.as_str().to_uppercase());
        println!("name:     {}", c.masked_name);
        println!(
            "age:      {} s (expires {})",
            v.age_seconds,
            healthcode_server::codes::rfc3339(c.expires_at)
        );
        println!("issuer:   {} {issuer_name}", c.issuer);
        println!("key:      {}", v.kid);
        println!("policy:   {}", c.policy_version);
    }
}

/// The payload itself, the text of a file, or the content of a QR code in a picture.
fn read_payload(input: &str) -> anyhow::Result<String> {
    let path = Path::new(input);
    if input.starts_with(code::PREFIX) || !path.exists() {
        return Ok(input.trim().to_owned());
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {input}"))?;
    if let Ok(format) = image::guess_format(&bytes) {
        return decode_qr(&bytes, format)
            .with_context(|| format!("no readable QR code in {input}"));
    }
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{input} is neither text nor a PNG/JPEG picture"))?;
    Ok(text.trim().to_owned())
}

fn decode_qr(bytes: &[u8], format: image::ImageFormat) -> anyhow::Result<String> {
    let picture = image::load_from_memory_with_format(bytes, format)?.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(picture);
    let grids = prepared.detect_grids();
    let grid = grids.first().context("no QR code found")?;
    let (_meta, content) = grid
        .decode()
        .map_err(|e| anyhow::anyhow!("the QR code cannot be decoded: {e}"))?;
    Ok(content)
}

fn parse_time(text: &str) -> anyhow::Result<i64> {
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    let t: jiff::Timestamp = text
        .parse()
        .with_context(|| format!("--at {text:?} is neither RFC 3339 nor Unix seconds"))?;
    Ok(t.as_second())
}
