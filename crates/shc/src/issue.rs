//! Issuing SMART Health Cards: the FHIR Bundle, the W3C-VC-shaped payload, raw
//! DEFLATE, the ES256 compact JWS, and the JWKS an issuer publishes.

use std::io::Write as _;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::Compression;
use flate2::write::DeflateEncoder;
use serde_json::{Value, json};

use crate::numeric::{self, MAX_SINGLE_JWS_LEN};
use crate::verify::TYPE_HEALTH_CARD;
use crate::{ShcError, jwk};

/// `vc.type` for immunization cards.
pub const TYPE_IMMUNIZATION: &str = "https://smarthealth.cards#immunization";
/// `vc.type` for laboratory result cards.
pub const TYPE_LABORATORY: &str = "https://smarthealth.cards#laboratory";
/// `vc.type` for COVID-19 cards.
pub const TYPE_COVID19: &str = "https://smarthealth.cards#covid19";

const CVX: &str = "http://hl7.org/fhir/sid/cvx";
const LOINC: &str = "http://loinc.org";
const SNOMED: &str = "http://snomed.info/sct";

/// The card holder, as little as identifies them: name and birth date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Family name.
    pub family: String,
    /// Given names.
    pub given: Vec<String>,
    /// Birth date, `YYYY-MM-DD`.
    pub birth_date: String,
}

/// One vaccination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImmunizationInput {
    /// CVX vaccine code (e.g. `207`).
    pub cvx: String,
    /// Date given, `YYYY-MM-DD`.
    pub date: String,
    /// Lot number, if known.
    pub lot: Option<String>,
    /// Who gave it (organisation name).
    pub performer: String,
}

/// One laboratory result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabResultInput {
    /// LOINC test code (e.g. `94558-4`).
    pub loinc: String,
    /// SNOMED CT result code (e.g. `260385009` negative).
    pub result_snomed: String,
    /// When the sample was taken, `YYYY-MM-DD` or a FHIR dateTime.
    pub effective: String,
    /// The laboratory (organisation name).
    pub performer: String,
}

/// An issued card in the forms it is handed out in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCard {
    /// The compact JWS.
    pub jws: String,
}

impl IssuedCard {
    /// The numeric QR text `shc:/…`.
    pub fn qr_text(&self) -> String {
        numeric::encode(&self.jws)
    }

    /// The QR code (one code, byte + numeric segments).
    pub fn qr_code(&self) -> Result<qrcode::QrCode, ShcError> {
        crate::qr::encode_numeric(&self.qr_text())
    }

    /// The QR code as SVG.
    pub fn qr_svg(&self) -> Result<String, ShcError> {
        Ok(crate::qr::to_svg(&self.qr_code()?))
    }

    /// The `.smart-health-card` file (`application/smart-health-card`).
    pub fn file_json(&self) -> String {
        json!({ "verifiableCredential": [self.jws] }).to_string()
    }
}

/// A SMART Health Card issuer: its `iss` URL and P-256 signing key.
#[derive(Debug)]
pub struct ShcIssuer {
    iss: String,
    key: EcdsaKeyPair,
    kid: String,
    x: String,
    y: String,
}

fn check_date(d: &str, what: &str) -> Result<(), ShcError> {
    let b = d.as_bytes();
    let ok = b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b[..4]
            .iter()
            .chain(&b[5..7])
            .chain(&b[8..10])
            .all(u8::is_ascii_digit);
    if ok {
        Ok(())
    } else {
        Err(ShcError::IssueInput(format!("{what} {d:?} is not a date")))
    }
}

fn non_empty(s: &str, what: &str) -> Result<(), ShcError> {
    if s.trim().is_empty() {
        Err(ShcError::IssueInput(format!("{what} is empty")))
    } else {
        Ok(())
    }
}

impl ShcIssuer {
    /// Generates a new P-256 key in PKCS#8 (to be stored by the caller).
    pub fn generate_pkcs8() -> Result<Vec<u8>, ShcError> {
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map(|d| d.as_ref().to_vec())
            .map_err(|_| ShcError::IssueKey("cannot generate a P-256 key".into()))
    }

    /// An issuer at `iss` (https, no trailing slash: where `/.well-known/jwks.json`
    /// is served) signing with a P-256 key given in PKCS#8.
    pub fn from_pkcs8(iss: &str, pkcs8: &[u8]) -> Result<Self, ShcError> {
        if !iss.starts_with("https://") || iss.ends_with('/') || iss.len() <= 8 {
            return Err(ShcError::IssueInput(format!(
                "issuer {iss:?} must be an https URL without a trailing slash"
            )));
        }
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
            .map_err(|e| ShcError::IssueKey(e.to_string()))?;
        let point = key.public_key().as_ref();
        if point.len() != 65 {
            return Err(ShcError::IssueKey("not an uncompressed P-256 point".into()));
        }
        let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
        let y = URL_SAFE_NO_PAD.encode(&point[33..65]);
        let kid = jwk::thumbprint(&x, &y);
        Ok(Self {
            iss: iss.to_owned(),
            key,
            kid,
            x,
            y,
        })
    }

    /// The issuer URL.
    pub fn iss(&self) -> &str {
        &self.iss
    }

    /// The key id (RFC 7638 thumbprint).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWKS document to serve at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [ {
            "kty": "EC", "crv": "P-256", "x": self.x, "y": self.y,
            "kid": self.kid, "use": "sig", "alg": "ES256"
        } ] })
    }

    /// Issues a vaccination card.
    pub fn issue_immunizations(
        &self,
        person: &Person,
        shots: &[ImmunizationInput],
        nbf: i64,
    ) -> Result<IssuedCard, ShcError> {
        if shots.is_empty() {
            return Err(ShcError::IssueInput("no immunization".into()));
        }
        let mut entries = vec![patient_entry(person)?];
        for (i, s) in shots.iter().enumerate() {
            non_empty(&s.cvx, "CVX code")?;
            non_empty(&s.performer, "performer")?;
            check_date(&s.date, "immunization date")?;
            let mut r = json!({
                "resourceType": "Immunization",
                "status": "completed",
                "vaccineCode": { "coding": [ { "system": CVX, "code": s.cvx } ] },
                "patient": { "reference": "resource:0" },
                "occurrenceDateTime": s.date,
                "performer": [ { "actor": { "display": s.performer } } ],
            });
            if let Some(lot) = s.lot.as_deref().filter(|l| !l.trim().is_empty())
                && let Some(o) = r.as_object_mut()
            {
                o.insert("lotNumber".into(), Value::from(lot));
            }
            entries.push(json!({ "fullUrl": format!("resource:{}", i + 1), "resource": r }));
        }
        self.issue_bundle(entries, TYPE_IMMUNIZATION, nbf)
    }

    /// Issues a laboratory result card.
    pub fn issue_lab_results(
        &self,
        person: &Person,
        results: &[LabResultInput],
        nbf: i64,
    ) -> Result<IssuedCard, ShcError> {
        if results.is_empty() {
            return Err(ShcError::IssueInput("no lab result".into()));
        }
        let mut entries = vec![patient_entry(person)?];
        for (i, r) in results.iter().enumerate() {
            non_empty(&r.loinc, "LOINC code")?;
            non_empty(&r.result_snomed, "SNOMED result code")?;
            non_empty(&r.performer, "performer")?;
            check_date(&r.effective, "effective date")?;
            let obs = json!({
                "resourceType": "Observation",
                "status": "final",
                "code": { "coding": [ { "system": LOINC, "code": r.loinc } ] },
                "subject": { "reference": "resource:0" },
                "effectiveDateTime": r.effective,
                "performer": [ { "display": r.performer } ],
                "valueCodeableConcept": { "coding": [ { "system": SNOMED, "code": r.result_snomed } ] },
            });
            entries.push(json!({ "fullUrl": format!("resource:{}", i + 1), "resource": obs }));
        }
        self.issue_bundle(entries, TYPE_LABORATORY, nbf)
    }

    fn issue_bundle(
        &self,
        entries: Vec<Value>,
        kind: &str,
        nbf: i64,
    ) -> Result<IssuedCard, ShcError> {
        let payload = json!({
            "iss": self.iss,
            "nbf": nbf,
            "vc": {
                "type": [TYPE_HEALTH_CARD, kind, TYPE_COVID19],
                "credentialSubject": {
                    "fhirVersion": "4.0.1",
                    "fhirBundle": { "resourceType": "Bundle", "type": "collection", "entry": entries }
                }
            }
        });
        let jws = self.sign_payload(&payload)?;
        if jws.len() > MAX_SINGLE_JWS_LEN {
            // We never use the deprecated chunking: the caller must issue fewer
            // entries per card (e.g. one card per vaccination).
            return Err(ShcError::IssueTooLarge(jws.len()));
        }
        Ok(IssuedCard { jws })
    }

    /// Signs any payload as a SMART Health Card JWS: minified JSON, raw DEFLATE,
    /// header `{"zip":"DEF","alg":"ES256","kid":…}`, 64-byte r||s signature.
    pub fn sign_payload(&self, payload: &Value) -> Result<String, ShcError> {
        let json = serde_json::to_vec(payload).map_err(|e| ShcError::IssueInput(e.to_string()))?;
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
        enc.write_all(&json)
            .map_err(|e| ShcError::IssueInput(e.to_string()))?;
        let deflated = enc
            .finish()
            .map_err(|e| ShcError::IssueInput(e.to_string()))?;
        // Written by hand to keep the specification's member order; the kid is
        // base64url, so it needs no escaping.
        let header = format!(r#"{{"zip":"DEF","alg":"ES256","kid":"{}"}}"#, self.kid);
        let mut jws = URL_SAFE_NO_PAD.encode(header.as_bytes());
        jws.push('.');
        jws.push_str(&URL_SAFE_NO_PAD.encode(&deflated));
        let sig = self
            .key
            .sign(&SystemRandom::new(), jws.as_bytes())
            .map_err(|_| ShcError::IssueKey("signing failed".into()))?;
        jws.push('.');
        jws.push_str(&URL_SAFE_NO_PAD.encode(sig.as_ref()));
        Ok(jws)
    }
}

fn patient_entry(p: &Person) -> Result<Value, ShcError> {
    non_empty(&p.family, "family name")?;
    check_date(&p.birth_date, "birth date")?;
    let given: Vec<&String> = p.given.iter().filter(|g| !g.trim().is_empty()).collect();
    let mut name = json!({ "family": p.family });
    if !given.is_empty()
        && let Some(o) = name.as_object_mut()
    {
        o.insert("given".into(), json!(given));
    }
    Ok(json!({
        "fullUrl": "resource:0",
        "resource": { "resourceType": "Patient", "name": [name], "birthDate": p.birth_date }
    }))
}
