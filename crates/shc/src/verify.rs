//! Verifying cards in every form they travel in: numeric QR text (whole or the
//! deprecated chunks), QR pictures, `.smart-health-card` files, FHIR
//! `$health-cards-issue` responses, and bare JWS.

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::{Decompress, FlushDecompress, Status};
use serde::Deserialize;
use serde_json::Value;

use crate::fhir::{self, Warning};
use crate::numeric::{self, MAX_CHUNK_JWS_LEN, MAX_SINGLE_JWS_LEN};
use crate::{IssuerDirectory, ShcError};

/// Bound on any textual input (a file of many cards stays far below it).
pub const MAX_INPUT_LEN: usize = 256 * 1024;
/// Bound on the inflated payload (DEFLATE bombs stop here).
pub const MAX_INFLATED_LEN: usize = 64 * 1024;
/// Clock skew tolerated for `nbf` (issuer and verifier clocks differ).
pub const CLOCK_SKEW_SECS: i64 = 300;
/// JWT times above this are taken to be milliseconds (year 5138 in seconds).
const MILLISECONDS_THRESHOLD: f64 = 1e11;

/// The health-card type every SMART Health Card must carry in `vc.type`.
pub const TYPE_HEALTH_CARD: &str = "https://smarthealth.cards#health-card";

/// A card whose signature, issuer, time window and content were checked.
#[derive(Debug, Clone)]
pub struct VerifiedCard {
    /// The issuer URL (`iss`), trusted through the directory.
    pub issuer: String,
    /// The key id that verified the signature.
    pub kid: String,
    /// Not valid before (seconds since the epoch).
    pub nbf: i64,
    /// Expiry (seconds since the epoch), when the card has one.
    pub exp: Option<i64>,
    /// `vc.type`.
    pub types: Vec<String>,
    /// `vc.credentialSubject.fhirBundle`.
    pub fhir_bundle: Value,
    /// The 64-byte ES256 signature (r||s), e.g. for hash-based revocation.
    pub signature: Vec<u8>,
    /// How many QR chunks the card came in (1 unless the deprecated chunking was used).
    pub chunks: usize,
    /// Non-fatal findings (data minimisation, short references).
    pub warnings: Vec<Warning>,
}

impl VerifiedCard {
    /// SHA-256 of the signature: the key of a hash-based revocation list.
    pub fn signature_sha256(&self) -> [u8; 32] {
        let d = digest::digest(&digest::SHA256, &self.signature);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        out
    }
}

/// The checked payload claims (without the signature).
#[derive(Debug, Clone)]
pub struct PayloadClaims {
    /// `iss`.
    pub issuer: String,
    /// `nbf` in seconds.
    pub nbf: i64,
    /// `exp` in seconds.
    pub exp: Option<i64>,
    /// `vc.type`.
    pub types: Vec<String>,
    /// `vc.credentialSubject.fhirBundle`.
    pub fhir_bundle: Value,
    /// Non-fatal findings.
    pub warnings: Vec<Warning>,
}

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    zip: Option<String>,
    kid: Option<String>,
}

/// A JWS taken apart and inflated, before any trust decision.
#[derive(Debug, Clone)]
pub struct DecodedJws {
    /// Header `kid`.
    pub kid: String,
    /// The inflated payload parsed as a JSON object.
    pub payload: Value,
    /// The raw 64-byte signature.
    pub signature: Vec<u8>,
    /// Length of the signing input (`header.payload`) within the JWS.
    signing_input_len: usize,
}

fn is_b64url(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn b64(part: &str, what: &'static str) -> Result<Vec<u8>, ShcError> {
    if !is_b64url(part) {
        return Err(ShcError::JwsBase64(what));
    }
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| ShcError::JwsBase64(what))
}

/// Inflates raw DEFLATE (RFC 1951, no zlib or gzip wrapper), bounded.
pub fn inflate_raw(input: &[u8], max: usize) -> Result<Vec<u8>, ShcError> {
    thread_local! {
        // The inflater's state is large; one per thread, reset per use.
        static INFLATER: std::cell::RefCell<Decompress> =
            std::cell::RefCell::new(Decompress::new(false));
    }
    INFLATER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut d) => {
            d.reset(false);
            inflate_with(&mut d, input, max)
        }
        Err(_) => inflate_with(&mut Decompress::new(false), input, max),
    })
}

fn inflate_with(d: &mut Decompress, input: &[u8], max: usize) -> Result<Vec<u8>, ShcError> {
    let mut out: Vec<u8> = Vec::with_capacity((input.len() * 4).clamp(256, max + 1));
    loop {
        if out.len() == out.capacity() {
            if out.len() > max {
                return Err(ShcError::InflatedTooLarge(max));
            }
            let grow = out.len().min(max + 1 - out.len()).max(256);
            out.reserve(grow);
        }
        let (before_in, before_out) = (d.total_in(), d.total_out());
        let consumed = usize::try_from(before_in).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or(&[]);
        let status = d
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|e| ShcError::BadDeflate(e.to_string()))?;
        if out.len() > max {
            return Err(ShcError::InflatedTooLarge(max));
        }
        match status {
            Status::StreamEnd => break,
            Status::Ok | Status::BufError => {
                if d.total_in() == before_in
                    && d.total_out() == before_out
                    && out.len() < out.capacity()
                {
                    return Err(ShcError::BadDeflate("truncated stream".into()));
                }
            }
        }
    }
    if usize::try_from(d.total_in()).ok() != Some(input.len()) {
        return Err(ShcError::BadDeflate(
            "data after the end of the stream".into(),
        ));
    }
    Ok(out)
}

fn looks_like_der(sig: &[u8]) -> bool {
    sig.len() >= 8 && sig[0] == 0x30 && usize::from(sig[1]) == sig.len() - 2 && sig[2] == 0x02
}

/// Takes a compact JWS apart: structure, header (ES256, DEF, kid), size, raw
/// DEFLATE, payload JSON, signature format. No trust decision yet.
pub fn decode_jws(jws: &str, max_len: usize) -> Result<DecodedJws, ShcError> {
    let parts: Vec<&str> = jws.split('.').collect();
    if parts.len() != 3 {
        return Err(ShcError::JwsParts(parts.len()));
    }
    let header_bytes = b64(parts[0], "header")?;
    let header: Header = serde_json::from_slice(&header_bytes).map_err(|_| ShcError::HeaderJson)?;
    match header.alg.as_deref() {
        None => return Err(ShcError::HeaderAlgMissing),
        Some("ES256") => {}
        Some(other) => return Err(ShcError::HeaderAlgUnsupported(other.to_owned())),
    }
    match header.zip.as_deref() {
        None => return Err(ShcError::HeaderZipMissing),
        Some("DEF") => {}
        Some(other) => return Err(ShcError::HeaderZipUnsupported(other.to_owned())),
    }
    let Some(kid) = header.kid else {
        return Err(ShcError::HeaderKidMissing);
    };
    if jws.len() > max_len {
        return Err(ShcError::JwsTooLong {
            len: jws.len(),
            max: max_len,
        });
    }
    let compressed = b64(parts[1], "payload")?;
    let signature = b64(parts[2], "signature")?;
    let inflated = inflate_raw(&compressed, MAX_INFLATED_LEN)?;
    if inflated.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(ShcError::PayloadBom);
    }
    let payload: Value =
        serde_json::from_slice(&inflated).map_err(|e| ShcError::PayloadJson(e.to_string()))?;
    if !payload.is_object() {
        return Err(ShcError::PayloadJson("not an object".into()));
    }
    if signature.len() != 64 {
        if looks_like_der(&signature) {
            return Err(ShcError::DerSignature(signature.len()));
        }
        return Err(ShcError::SignatureLength(signature.len()));
    }
    Ok(DecodedJws {
        kid,
        payload,
        signature,
        signing_input_len: parts[0].len() + 1 + parts[1].len(),
    })
}

/// Checks `iss`: present, https, no trailing slash.
fn check_iss(payload: &Value) -> Result<&str, ShcError> {
    let Some(iss) = payload.get("iss").and_then(Value::as_str) else {
        return Err(ShcError::IssMissing);
    };
    if !iss.starts_with("https://") || iss.len() <= "https://".len() {
        return Err(ShcError::IssNotHttps(iss.to_owned()));
    }
    if iss.ends_with('/') {
        return Err(ShcError::IssTrailingSlash(iss.to_owned()));
    }
    Ok(iss)
}

fn seconds(v: &Value, name: &'static str) -> Result<i64, ShcError> {
    let Some(f) = v.as_f64() else {
        return Err(if name == "nbf" {
            ShcError::NbfMissing
        } else {
            ShcError::ExpInvalid
        });
    };
    if !f.is_finite() || f < 0.0 {
        return Err(if name == "nbf" {
            ShcError::NbfMissing
        } else {
            ShcError::ExpInvalid
        });
    }
    if f > MILLISECONDS_THRESHOLD {
        return Err(ShcError::TimeInMilliseconds(name));
    }
    // Bounded above, so the conversion cannot overflow.
    #[allow(clippy::cast_possible_truncation)]
    Ok(f.floor() as i64)
}

/// Checks the payload claims other than the signature: issuer URL, `nbf`/`exp`
/// against `now`, `vc.type`, `fhirVersion`, and the FHIR Bundle.
pub fn check_payload(payload: &Value, now: i64) -> Result<PayloadClaims, ShcError> {
    let (mut claims, bundle) = check_claims(payload, now)?;
    claims.fhir_bundle = bundle.clone();
    Ok(claims)
}

/// The checks of [`check_payload`], returning the bundle by reference (the caller
/// decides whether to copy or move it).
fn check_claims(payload: &Value, now: i64) -> Result<(PayloadClaims, &Value), ShcError> {
    if !payload.is_object() {
        return Err(ShcError::PayloadJson("not an object".into()));
    }
    let issuer = check_iss(payload)?.to_owned();
    let nbf = seconds(payload.get("nbf").unwrap_or(&Value::Null), "nbf")?;
    let exp = match payload.get("exp") {
        None => None,
        Some(v) => Some(seconds(v, "exp")?),
    };
    if let Some(exp) = exp
        && exp < nbf
    {
        return Err(ShcError::ExpBeforeNbf { nbf, exp });
    }
    if nbf > now.saturating_add(CLOCK_SKEW_SECS) {
        return Err(ShcError::NotYetValid { nbf, now });
    }
    if let Some(exp) = exp
        && exp <= now
    {
        return Err(ShcError::Expired { exp, now });
    }
    let vc = payload.get("vc").ok_or(ShcError::VcTypeMissing)?;
    let Some(type_list) = vc.get("type").and_then(Value::as_array) else {
        return Err(ShcError::VcTypeMissing);
    };
    let mut types = Vec::with_capacity(type_list.len());
    for t in type_list {
        types.push(t.as_str().ok_or(ShcError::VcTypeMissing)?.to_owned());
    }
    if !types.iter().any(|t| t == TYPE_HEALTH_CARD) {
        return Err(ShcError::VcTypeHealthCardMissing);
    }
    let subject = vc.get("credentialSubject");
    let version = subject
        .and_then(|s| s.get("fhirVersion"))
        .and_then(Value::as_str);
    if !version.is_some_and(|v| v.starts_with("4.")) {
        return Err(ShcError::FhirVersion);
    }
    let Some(bundle) = subject.and_then(|s| s.get("fhirBundle")) else {
        return Err(ShcError::FhirNotBundle);
    };
    let warnings = fhir::check_bundle(bundle)?;
    Ok((
        PayloadClaims {
            issuer,
            nbf,
            exp,
            types,
            fhir_bundle: Value::Null,
            warnings,
        },
        bundle,
    ))
}

fn verify_jws_bounded(
    jws: &str,
    trust: &IssuerDirectory,
    now: i64,
    max_len: usize,
    chunks: usize,
) -> Result<VerifiedCard, ShcError> {
    if jws.len() > MAX_INPUT_LEN {
        return Err(ShcError::InputTooLarge(jws.len()));
    }
    let mut decoded = decode_jws(jws, max_len)?;
    let iss = check_iss(&decoded.payload)?;
    let (key, window) = trust.lookup(iss, &decoded.kid)?;
    if let Some(window) = window {
        window.check(&decoded.kid, now)?;
    }
    let signing_input = &jws.as_bytes()[..decoded.signing_input_len];
    key.verify_sig(signing_input, &decoded.signature)
        .map_err(|_| ShcError::BadSignature(decoded.kid.clone()))?;
    let (claims, _) = check_claims(&decoded.payload, now)?;
    // A key with a chain signs nothing outside the chain's period.
    if let Some(window) = window {
        window.check(&decoded.kid, claims.nbf)?;
    }
    let fhir_bundle = decoded
        .payload
        .pointer_mut("/vc/credentialSubject/fhirBundle")
        .map(Value::take)
        .unwrap_or(Value::Null);
    Ok(VerifiedCard {
        issuer: claims.issuer,
        kid: decoded.kid,
        nbf: claims.nbf,
        exp: claims.exp,
        types: claims.types,
        fhir_bundle,
        signature: decoded.signature,
        chunks,
        warnings: claims.warnings,
    })
}

/// Verifies a bare compact JWS.
pub fn verify_jws(jws: &str, trust: &IssuerDirectory, now: i64) -> Result<VerifiedCard, ShcError> {
    let jws = numeric::check_framing(jws)?;
    verify_jws_bounded(jws, trust, now, MAX_SINGLE_JWS_LEN, 1)
}

/// Verifies the QR text(s) of one card: one `shc:/…` text, or all chunks of the
/// deprecated chunked form in any order.
pub fn verify_qr_texts(
    texts: &[&str],
    trust: &IssuerDirectory,
    now: i64,
) -> Result<VerifiedCard, ShcError> {
    let total: usize = texts.iter().map(|t| t.len()).sum();
    if total > MAX_INPUT_LEN {
        return Err(ShcError::InputTooLarge(total));
    }
    let (jws, chunks) = numeric::assemble(texts)?;
    let max = if chunks == 1 {
        MAX_SINGLE_JWS_LEN
    } else {
        chunks * MAX_CHUNK_JWS_LEN
    };
    verify_jws_bounded(&jws, trust, now, max, chunks)
}

/// Verifies every card of a `.smart-health-card` file
/// (`{"verifiableCredential":["<jws>", …]}`); the first defect refuses the file.
pub fn verify_file(
    json: &str,
    trust: &IssuerDirectory,
    now: i64,
) -> Result<Vec<VerifiedCard>, ShcError> {
    let jwss = file_credentials(json)?;
    jwss.iter()
        .map(|j| verify_jws_bounded(j, trust, now, MAX_SINGLE_JWS_LEN, 1))
        .collect()
}

/// The JWS strings of a `.smart-health-card` file.
pub fn file_credentials(json: &str) -> Result<Vec<String>, ShcError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct File {
        verifiable_credential: Vec<String>,
    }
    if json.len() > MAX_INPUT_LEN {
        return Err(ShcError::InputTooLarge(json.len()));
    }
    let json = numeric::check_framing(json)?;
    let f: File = serde_json::from_str(json).map_err(|e| ShcError::FileJson(e.to_string()))?;
    if f.verifiable_credential.is_empty() {
        return Err(ShcError::FileEmpty);
    }
    Ok(f.verifiable_credential)
}

/// Verifies the cards of a FHIR `$health-cards-issue` response (a `Parameters`
/// resource with `verifiableCredential` parameters).
pub fn verify_fhir_parameters(
    json: &str,
    trust: &IssuerDirectory,
    now: i64,
) -> Result<Vec<VerifiedCard>, ShcError> {
    if json.len() > MAX_INPUT_LEN {
        return Err(ShcError::InputTooLarge(json.len()));
    }
    let json = numeric::check_framing(json)?;
    let v: Value = serde_json::from_str(json).map_err(|e| ShcError::FileJson(e.to_string()))?;
    if v.get("resourceType").and_then(Value::as_str) != Some("Parameters") {
        return Err(ShcError::FileJson("not a FHIR Parameters resource".into()));
    }
    let params = v
        .get("parameter")
        .and_then(Value::as_array)
        .ok_or_else(|| ShcError::FileJson("no `parameter` array".into()))?;
    let mut cards = Vec::new();
    for p in params {
        if p.get("name").and_then(Value::as_str) == Some("verifiableCredential") {
            let jws = p
                .get("valueString")
                .and_then(Value::as_str)
                .ok_or_else(|| ShcError::FileJson("credential without valueString".into()))?;
            cards.push(verify_jws_bounded(jws, trust, now, MAX_SINGLE_JWS_LEN, 1)?);
        }
    }
    if cards.is_empty() {
        return Err(ShcError::FileEmpty);
    }
    Ok(cards)
}

/// Verifies QR pictures (PNG or JPEG) of one card: one picture, or one per chunk.
pub fn verify_qr_images(
    images: &[&[u8]],
    trust: &IssuerDirectory,
    now: i64,
) -> Result<VerifiedCard, ShcError> {
    let texts = images
        .iter()
        .map(|i| crate::qr::decode_image(i))
        .collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    verify_qr_texts(&refs, trust, now)
}

/// Verifies every card in `input`, whatever its form: `shc:/…` QR text, a
/// `.smart-health-card` file, a FHIR `Parameters` response, or a bare JWS.
pub fn verify_all(
    input: &str,
    trust: &IssuerDirectory,
    now: i64,
) -> Result<Vec<VerifiedCard>, ShcError> {
    if input.len() > MAX_INPUT_LEN {
        return Err(ShcError::InputTooLarge(input.len()));
    }
    let framed = numeric::check_framing(input)?;
    if framed.starts_with("shc:") {
        Ok(vec![verify_qr_texts(&[framed], trust, now)?])
    } else if framed.starts_with('{') {
        if framed.contains("\"verifiableCredential\"") && !framed.contains("\"Parameters\"") {
            verify_file(framed, trust, now)
        } else {
            verify_fhir_parameters(framed, trust, now)
        }
    } else {
        Ok(vec![verify_jws(framed, trust, now)?])
    }
}

/// Verifies one card in `input` (`shc:/…` text, a file holding one card, or a bare
/// JWS). `now` is seconds since the epoch; the library reads no clock. A file
/// holding several cards is refused here: use [`verify_all`].
pub fn verify(input: &str, trust: &IssuerDirectory, now: i64) -> Result<VerifiedCard, ShcError> {
    let mut cards = verify_all(input, trust, now)?;
    if cards.len() != 1 {
        return Err(ShcError::FileJson(format!(
            "holds {} cards; use verify_all",
            cards.len()
        )));
    }
    cards.pop().ok_or(ShcError::FileEmpty)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{ImmunizationInput, LabResultInput, Person, ShcIssuer};

    const NOW: i64 = 1_800_000_000;

    fn person() -> Person {
        Person {
            family: "Anyperson".into(),
            given: vec!["John".into(), "B.".into()],
            birth_date: "1951-01-20".into(),
        }
    }

    fn issuer() -> ShcIssuer {
        let pkcs8 = ShcIssuer::generate_pkcs8().unwrap();
        ShcIssuer::from_pkcs8("https://hc.example.org/shc", &pkcs8).unwrap()
    }

    fn shot(date: &str) -> ImmunizationInput {
        ImmunizationInput {
            cvx: "207".into(),
            date: date.into(),
            lot: Some("0000001".into()),
            performer: "ABC General Hospital".into(),
        }
    }

    fn trust_of(i: &ShcIssuer) -> IssuerDirectory {
        let mut d = IssuerDirectory::new();
        d.add_jwks_json(i.iss(), &i.jwks().to_string()).unwrap();
        d
    }

    #[test]
    fn issue_and_verify_every_form() {
        let i = issuer();
        let trust = trust_of(&i);
        let card = i
            .issue_immunizations(
                &person(),
                &[shot("2021-01-01"), shot("2021-01-29")],
                NOW - 10,
            )
            .unwrap();
        assert!(
            card.jws
                .starts_with("eyJ6aXAiOiJERUYiLCJhbGciOiJFUzI1NiIsImtpZCI6")
        );
        let v = verify(&card.jws, &trust, NOW).unwrap();
        assert_eq!(v.issuer, "https://hc.example.org/shc");
        assert_eq!(v.kid, i.kid());
        assert_eq!(v.signature.len(), 64);
        assert!(v.warnings.is_empty(), "{:?}", v.warnings);
        assert!(v.types.iter().any(|t| t == crate::issue::TYPE_IMMUNIZATION));
        assert_eq!(v.fhir_bundle["entry"].as_array().map(Vec::len), Some(3));
        let from_qr = verify(&card.qr_text(), &trust, NOW).unwrap();
        assert_eq!(from_qr.signature_sha256(), v.signature_sha256());
        let from_file = verify_file(&card.file_json(), &trust, NOW).unwrap();
        assert_eq!(from_file.len(), 1);
        assert!(card.qr_svg().unwrap().contains("<svg"));
        // Through a picture and back.
        let img = crate::qr::to_luma(&card.qr_code().unwrap(), 4);
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let from_png = verify_qr_images(&[&png], &trust, NOW).unwrap();
        assert_eq!(from_png.kid, i.kid());
    }

    #[test]
    fn lab_result_card() {
        let i = issuer();
        let lab = LabResultInput {
            loinc: "94558-4".into(),
            result_snomed: "260385009".into(),
            effective: "2021-02-17".into(),
            performer: "ABC Lab".into(),
        };
        let card = i.issue_lab_results(&person(), &[lab], NOW - 10).unwrap();
        let v = verify(&card.qr_text(), &trust_of(&i), NOW).unwrap();
        assert!(v.types.iter().any(|t| t == crate::issue::TYPE_LABORATORY));
    }

    #[test]
    fn named_trust_errors() {
        let i = issuer();
        let other = issuer();
        let card = i
            .issue_immunizations(&person(), &[shot("2021-01-01")], NOW)
            .unwrap();
        // Issuer unknown.
        let err = verify(&card.jws, &IssuerDirectory::new(), NOW).unwrap_err();
        assert_eq!(err.code(), "shc.unknown_issuer");
        // Same issuer URL, but its published key is another one.
        let mut d = IssuerDirectory::new();
        d.add_jwks_json(i.iss(), &other.jwks().to_string()).unwrap();
        assert_eq!(
            verify(&card.jws, &d, NOW).unwrap_err().code(),
            "shc.unknown_kid"
        );
        // The kid belongs to a different trusted issuer.
        let mut d = IssuerDirectory::new();
        d.add_jwks_json(i.iss(), &other.jwks().to_string()).unwrap();
        d.add_jwks_json("https://elsewhere.example", &i.jwks().to_string())
            .unwrap();
        assert_eq!(
            verify(&card.jws, &d, NOW).unwrap_err().code(),
            "shc.wrong_key"
        );
        // Not yet valid, then tampered signature.
        let trust = trust_of(&i);
        assert_eq!(
            verify(&card.jws, &trust, NOW - 3600).unwrap_err().code(),
            "shc.not_yet_valid"
        );
        let mut bad = card.jws.clone();
        let last = bad.pop().unwrap();
        bad.push(if last == 'A' { 'B' } else { 'A' });
        let code = verify(&bad, &trust, NOW).unwrap_err().code();
        assert!(
            code == "shc.bad_signature" || code == "shc.jws_base64",
            "{code}"
        );
    }

    #[test]
    fn expiry_and_limits() {
        let i = issuer();
        let trust = trust_of(&i);
        let payload = serde_json::json!({
            "iss": i.iss(), "nbf": NOW - 100, "exp": NOW - 1,
            "vc": {"type": [TYPE_HEALTH_CARD], "credentialSubject": {"fhirVersion": "4.0.1",
              "fhirBundle": {"resourceType": "Bundle", "type": "collection", "entry": [
                {"fullUrl": "resource:0", "resource": {"resourceType": "Patient", "birthDate": "1951-01-20"}}]}}}
        });
        let jws = i.sign_payload(&payload).unwrap();
        assert_eq!(verify(&jws, &trust, NOW).unwrap_err().code(), "shc.expired");
        assert!(verify(&jws, &trust, NOW - 50).is_ok());
        // Too many shots for one QR: refused at issue, never chunked.
        let many: Vec<_> = (1..=200u32)
            .map(|d| ImmunizationInput {
                lot: Some(format!("{:08x}", d.wrapping_mul(2_654_435_761))),
                ..shot(&format!("20{:02}-0{}-{:02}", d % 30, 1 + d % 9, 1 + d % 28))
            })
            .collect();
        assert_eq!(
            i.issue_immunizations(&person(), &many, NOW)
                .unwrap_err()
                .code(),
            "shc.issue_too_large"
        );
    }

    #[test]
    fn deflate_bounds() {
        use std::io::Write as _;
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![b'a'; MAX_INFLATED_LEN + 10]).unwrap();
        let bomb = enc.finish().unwrap();
        assert_eq!(
            inflate_raw(&bomb, MAX_INFLATED_LEN).unwrap_err().code(),
            "shc.inflated_too_large"
        );
        assert_eq!(
            inflate_raw(&bomb[..bomb.len() / 2], MAX_INFLATED_LEN)
                .unwrap_err()
                .code(),
            "shc.bad_deflate"
        );
        let mut trailing = bomb.clone();
        trailing.push(0);
        assert_ne!(
            inflate_raw(&trailing, 1 << 20).map(|v| v.len()).ok(),
            Some(MAX_INFLATED_LEN + 10)
        );
    }

    #[test]
    fn never_panics_on_mutations() {
        let i = issuer();
        let trust = trust_of(&i);
        let card = i
            .issue_immunizations(&person(), &[shot("2021-01-01")], NOW)
            .unwrap();
        let inputs = [card.jws.clone(), card.qr_text(), card.file_json()];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for input in &inputs {
            let bytes = input.as_bytes();
            for _ in 0..400 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let mut m = bytes.to_vec();
                let pos = (seed as usize) % m.len();
                match seed % 4 {
                    0 => m[pos] = (seed >> 8) as u8 & 0x7f,
                    1 => m.truncate(pos),
                    2 => m.insert(pos, b'.'),
                    _ => {
                        m.remove(pos);
                    }
                };
                if let Ok(s) = String::from_utf8(m) {
                    let _ = verify_all(&s, &trust, NOW);
                }
            }
        }
        for junk in [
            "",
            "shc:/",
            "shc:/1/2/",
            "{}",
            "{\"verifiableCredential\":[]}",
            "..",
            "a.b.c",
        ] {
            assert!(verify(junk, &trust, NOW).is_err());
        }
    }
}
