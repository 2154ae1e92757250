//! `healthcode verify`: offline verification of any code a checker may be shown,
//! with nothing but published trust material. No network, no database.
//!
//! It recognises the format by its prefix: a personal health code (`HCP1:`), a
//! place code (`HCV1:`), an EU Digital COVID Certificate (`HC1:`) or a SMART
//! Health Card (`shc:/`, a JWS, or a `.smart-health-card` file). The trust is a
//! province's trust list, or a national list signed by the anchor given with
//! `--anchor`, which also carries the revocation list.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use healthcode_credentials::code::{self, VerifiedCode, VerifyError};
use healthcode_credentials::place::{self, VerifiedPlace};
use healthcode_credentials::revocation::RevocationId;
use healthcode_domain::divisions;
use serde_json::{Value, json};

use crate::trust::Loaded;

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The payload (`HCP1:`, `HCV1:`, `HC1:`, `shc:/`...), a file holding it, or a
    /// PNG/JPEG picture of the QR code.
    input: String,
    /// The trust list: a province's (as served at /v1/trust-list or written by
    /// `healthcode keys export`), or a signed national list (with --anchor).
    #[arg(long)]
    trust: PathBuf,
    /// The national anchor's public key (`trust anchor` writes it), to open a
    /// signed national list.
    #[arg(long)]
    anchor: Option<PathBuf>,
    /// Verify as of this time (RFC 3339, or Unix seconds) instead of now.
    #[arg(long)]
    at: Option<String>,
    /// Clock skew allowed, in seconds.
    #[arg(long, default_value_t = 30)]
    skew: i64,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
    /// A folder of the EU DCC value sets newer than the bundled ones (release
    /// 2.12.0): the eHealth Network's JSON files, as the DCC gateway distributes
    /// them. EU DCCs must use only codes from them (countries, vaccines, test
    /// devices…).
    #[arg(long, value_name = "DIR")]
    dcc_value_sets: Option<PathBuf>,
    /// Check EU DCCs against their schema alone, not their codes against the EU
    /// value sets.
    #[arg(long, conflicts_with = "dcc_value_sets")]
    no_value_sets: bool,
}

/// A rejection: a stable code and a message for people.
pub struct Rejection {
    pub code: &'static str,
    pub message: String,
}

impl From<VerifyError> for Rejection {
    fn from(e: VerifyError) -> Rejection {
        Rejection {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

/// What verified: the format and the lines (and JSON fields) to show.
struct Verified {
    format: &'static str,
    lines: Vec<(&'static str, String)>,
    json: Value,
}

/// Exit status 0: valid; 1: rejected (the reason is printed); 2: could not run.
pub fn run(args: &VerifyArgs) -> ExitCode {
    match check(args) {
        Ok(Ok(verified)) => {
            if args.json {
                let mut out = json!({ "valid": true, "format": verified.format });
                if let (Some(out), Value::Object(fields)) = (out.as_object_mut(), verified.json) {
                    out.extend(fields);
                }
                println!("{out}");
            } else {
                println!("VALID {}", verified.format);
                for (label, value) in &verified.lines {
                    println!("{:<10}{value}", format!("{label}:"));
                }
            }
            ExitCode::SUCCESS
        }
        Ok(Err(rejection)) => {
            if args.json {
                println!(
                    "{}",
                    json!({ "valid": false, "error": rejection.code, "message": rejection.message })
                );
            } else {
                println!("INVALID {}: {}", rejection.code, rejection.message);
            }
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn check(args: &VerifyArgs) -> anyhow::Result<Result<Verified, Rejection>> {
    let trust_text = std::fs::read_to_string(&args.trust)
        .with_context(|| format!("cannot read the trust list {}", args.trust.display()))?;
    let trust = Loaded::parse(&trust_text, args.anchor.as_deref())?;
    let payload = read_payload(&args.input)?;
    let now = match &args.at {
        Some(at) => parse_time(at)?,
        None => crate::runtime::now(),
    };
    anyhow::ensure!(
        (0..=3600).contains(&args.skew),
        "--skew must be between 0 and 3600 seconds"
    );
    let schemas =
        healthcode_dcc::schema::Schemas::load(args.dcc_value_sets.as_deref(), !args.no_value_sets)?;
    Ok(verify_any(&payload, &trust, now, args.skew, &schemas))
}

/// Verifies a payload of any format we know against the loaded trust; EU DCCs
/// against `schemas` (the schema of their version, with value sets or without).
fn verify_any(
    payload: &str,
    trust: &Loaded,
    now: i64,
    skew: i64,
    schemas: &healthcode_dcc::schema::Schemas,
) -> Result<Verified, Rejection> {
    if payload.starts_with(place::PREFIX) {
        let (claims, kid) = place::peek_place(payload)?;
        let province = province_of(trust, &claims.issuer, kid)?;
        let verified = place::verify_place(payload, province, now, skew)?;
        not_revoked(trust, &verified.revocation_id)?;
        Ok(place_report(&verified))
    } else if payload.starts_with(code::PREFIX) {
        let (claims, kid) = code::peek(payload)?;
        let province = province_of(trust, &claims.issuer, kid)?;
        let verified = code::verify(payload, province, now, skew)?;
        not_revoked(trust, &verified.revocation_id)?;
        Ok(code_report(&verified))
    } else if payload.starts_with("HC1:") {
        let signers = dcc_signers(trust)?;
        let verified =
            healthcode_dcc::verify_with(payload, &signers, now, schemas).map_err(|e| {
                Rejection {
                    code: e.code(),
                    message: e.to_string(),
                }
            })?;
        not_revoked(trust, &RevocationId::of_signature(verified.dcc.signature()))?;
        Ok(dcc_report(&verified))
    } else if is_smart_health_card(payload) {
        let issuers = shc_issuers(trust)?;
        let card = healthcode_shc::verify(payload, &issuers, now).map_err(|e| Rejection {
            code: e.code(),
            message: e.to_string(),
        })?;
        not_revoked(trust, &RevocationId::of_signature(&card.signature))?;
        Ok(shc_report(&card))
    } else {
        Err(Rejection {
            code: "verify.unknown_format",
            message: "not a payload of a known format (HCP1:, HCV1:, HC1:, shc:/)".to_owned(),
        })
    }
}

/// A SMART Health Card as QR text, a bare JWS, or a `.smart-health-card` file.
fn is_smart_health_card(payload: &str) -> bool {
    payload.starts_with("shc:/")
        || payload.starts_with('{')
        || (payload.split('.').count() == 3 && !payload.contains(char::is_whitespace))
}

/// The EU DCC document signers of every province in the trust.
fn dcc_signers(trust: &Loaded) -> Result<healthcode_dcc::DscStore, Rejection> {
    let mut signers = healthcode_dcc::DscStore::new();
    for province in trust.provinces() {
        for certificate in &province.dcc_signers {
            signers.add_base64(certificate).map_err(|e| Rejection {
                code: "verify.bad_trust_list",
                message: format!("the trust list's DCC signer of {}: {e}", province.issuer),
            })?;
        }
    }
    Ok(signers)
}

/// The SMART Health Cards issuers of every province in the trust, with their keys.
fn shc_issuers(trust: &Loaded) -> Result<healthcode_shc::IssuerDirectory, Rejection> {
    let mut issuers = healthcode_shc::IssuerDirectory::new();
    for province in trust.provinces() {
        if let Some(shc) = &province.shc_issuer {
            issuers
                .add_jwks_json(&shc.iss, &shc.jwks.to_string())
                .map_err(|e| Rejection {
                    code: "verify.bad_trust_list",
                    message: format!(
                        "the trust list's SMART Health Cards keys of {}: {e}",
                        province.issuer
                    ),
                })?;
        }
    }
    Ok(issuers)
}

/// How a revocation list names the certificate in `payload`, whatever its format.
pub fn revocation_id_of(payload: &str) -> anyhow::Result<RevocationId> {
    let payload = payload.trim();
    if payload.starts_with(place::PREFIX) {
        Ok(place::peek_place_revocation_id(payload)?)
    } else if payload.starts_with(code::PREFIX) {
        Ok(code::peek_revocation_id(payload)?)
    } else if payload.starts_with("HC1:") {
        let decoded = healthcode_dcc::decode(payload)?;
        Ok(RevocationId::of_signature(decoded.signature()))
    } else if is_smart_health_card(payload) {
        let jws = if payload.starts_with("shc:/") {
            healthcode_shc::numeric::assemble(&[payload])?.0
        } else if payload.starts_with('{') {
            let mut cards = healthcode_shc::verify::file_credentials(payload)?;
            anyhow::ensure!(
                cards.len() == 1,
                "the file holds {} cards, not one",
                cards.len()
            );
            cards.remove(0)
        } else {
            payload.to_owned()
        };
        let decoded = healthcode_shc::verify::decode_jws(&jws, jws.len())?;
        Ok(RevocationId::of_signature(&decoded.signature))
    } else {
        anyhow::bail!("not a payload of a known format (HCP1:, HCV1:, HC1:, shc:/)")
    }
}

/// The list of the province that issued a token; a province missing from a
/// national list is, for the checker, an unknown key.
fn province_of<'a>(
    trust: &'a Loaded,
    issuer: &str,
    kid: String,
) -> Result<&'a healthcode_credentials::trust::TrustList, Rejection> {
    match trust {
        // A single province's list: its own checks report a wrong issuer.
        Loaded::Province(list) => Ok(list),
        Loaded::National(national) => national
            .province(issuer)
            .ok_or_else(|| VerifyError::UnknownKey { kid }.into()),
    }
}

fn not_revoked(trust: &Loaded, id: &RevocationId) -> Result<(), Rejection> {
    match trust.revoked() {
        Some(list) if list.contains(id) => Err(VerifyError::RevokedCertificate.into()),
        _ => Ok(()),
    }
}

fn code_report(v: &VerifiedCode) -> Verified {
    let c = &v.claims;
    let issuer_name = divisions::name(&c.issuer).unwrap_or("unknown division");
    Verified {
        format: "healthcode",
        lines: vec![
            ("colour", c.colour.as_str().to_uppercase()),
            ("name", c.masked_name.clone()),
            (
                "age",
                format!(
                    "{} s (expires {})",
                    v.age_seconds,
                    healthcode_core::clock::rfc3339(c.expires_at)
                ),
            ),
            ("issuer", format!("{} {issuer_name}", c.issuer)),
            ("key", v.kid.clone()),
            ("policy", c.policy_version.clone()),
        ],
        json: json!({
            "colour": c.colour.as_str(),
            "masked_name": c.masked_name,
            "issuer": c.issuer,
            "issuer_name": issuer_name,
            "age_seconds": v.age_seconds,
            "issued_at": c.issued_at,
            "expires_at": c.expires_at,
            "kid": v.kid,
            "policy_version": c.policy_version,
        }),
    }
}

fn dcc_report(v: &healthcode_dcc::VerifiedDcc) -> Verified {
    let hcert = &v.dcc.hcert;
    let name = format!(
        "{} {}",
        hcert["nam"]["fnt"].as_str().unwrap_or(""),
        hcert["nam"]["gnt"].as_str().unwrap_or("")
    )
    .trim()
    .to_owned();
    let kinds: Vec<&str> = ["v", "t", "r"]
        .into_iter()
        .filter(|k| hcert[*k].as_array().is_some_and(|a| !a.is_empty()))
        .map(|k| match k {
            "v" => "vaccination",
            "t" => "test",
            _ => "recovery",
        })
        .collect();
    let time = |t: Option<i64>| t.map(healthcode_core::clock::rfc3339).unwrap_or_default();
    let read_past: Vec<String> = v.tolerated.iter().map(ToString::to_string).collect();
    let mut lines = vec![
        ("name", name.clone()),
        ("born", hcert["dob"].as_str().unwrap_or("").to_owned()),
        ("kind", kinds.join(", ")),
        ("country", v.dcc.issuer.clone().unwrap_or_default()),
        ("signer", v.signer_subject.clone()),
        ("expires", time(v.dcc.exp)),
    ];
    lines.extend(read_past.iter().map(|r| ("read past", r.clone())));
    Verified {
        format: "EU DCC",
        lines,
        json: json!({
            "name": name,
            "issuer": v.dcc.issuer,
            "signer": v.signer_subject,
            "issued_at": v.dcc.iat,
            "expires_at": v.dcc.exp,
            "read_past": read_past,
            "hcert": hcert,
        }),
    }
}

fn shc_report(card: &healthcode_shc::VerifiedCard) -> Verified {
    let entries = card.fhir_bundle["entry"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let resources: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["resource"]["resourceType"].as_str())
        .filter(|t| *t != "Patient")
        .collect();
    let patient = entries
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["resourceType"] == "Patient");
    let name = patient
        .and_then(|p| p["name"][0].as_object())
        .map(|n| {
            let given: Vec<&str> = n
                .get("given")
                .and_then(Value::as_array)
                .map(|g| g.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let family = n.get("family").and_then(Value::as_str).unwrap_or("");
            format!("{} {family}", given.join(" ")).trim().to_owned()
        })
        .unwrap_or_default();
    Verified {
        format: "SMART Health Card",
        lines: vec![
            ("name", name.clone()),
            ("issuer", card.issuer.clone()),
            ("key", card.kid.clone()),
            ("types", card.types.join(" ")),
            ("entries", resources.join(", ")),
        ],
        json: json!({
            "name": name,
            "issuer": card.issuer,
            "kid": card.kid,
            "types": card.types,
            "nbf": card.nbf,
            "exp": card.exp,
            "fhir_bundle": card.fhir_bundle,
        }),
    }
}

fn place_report(v: &VerifiedPlace) -> Verified {
    let c = &v.claims;
    let division_name = divisions::name(&c.division).unwrap_or("unknown division");
    Verified {
        format: "place code",
        lines: vec![
            ("venue", c.venue_name.clone()),
            ("division", format!("{} {division_name}", c.division)),
            ("issuer", c.issuer.clone()),
            ("key", v.kid.clone()),
        ],
        json: json!({
            "venue_id": c.venue_id,
            "venue_name": c.venue_name,
            "division": c.division,
            "issuer": c.issuer,
            "kid": v.kid,
        }),
    }
}

/// The payload itself, the text of a file, or the content of a QR code in a picture.
pub fn read_payload(input: &str) -> anyhow::Result<String> {
    let path = Path::new(input);
    let is_payload = ["HCP1:", "HCV1:", "HC1:", "shc:/"]
        .iter()
        .any(|prefix| input.starts_with(prefix));
    if is_payload || !path.exists() {
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
