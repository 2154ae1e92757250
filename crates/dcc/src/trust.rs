//! The trust store: Document Signer Certificates (DSCs), parsed once, looked up by key id.

use std::collections::HashMap;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::Engine as _;
use x509_cert::Certificate;
use x509_cert::der::Decode as _;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage};

use crate::DccError;
use crate::decode::{Algorithm, CertType};

/// EU extended-key-usage OIDs restricting a DSC to test / vaccination / recovery certificates
/// (both spellings published by the eHealth Network).
const EKU_OIDS: [(&str, CertType); 6] = [
    ("1.3.6.1.4.1.1847.2021.1.1", CertType::Test),
    ("1.3.6.1.4.1.1847.2021.1.2", CertType::Vaccination),
    ("1.3.6.1.4.1.1847.2021.1.3", CertType::Recovery),
    ("1.3.6.1.4.1.0.1847.2021.1.1", CertType::Test),
    ("1.3.6.1.4.1.0.1847.2021.1.2", CertType::Vaccination),
    ("1.3.6.1.4.1.0.1847.2021.1.3", CertType::Recovery),
];
/// anyExtendedKeyUsage: allows every kind.
const ANY_EKU: &str = "2.5.29.37.0";

/// The key id of a DSC: the first 8 bytes of the SHA-256 of its DER encoding (EU DCC spec).
pub fn kid_of(der: &[u8]) -> [u8; 8] {
    let d = digest::digest(&digest::SHA256, der);
    let mut kid = [0u8; 8];
    kid.copy_from_slice(&d.as_ref()[..8]);
    kid
}

/// A DSC's public key, parsed once for each algorithm it can verify.
#[derive(Clone)]
enum DscKey {
    /// EC on P-256: ES256.
    P256(ParsedPublicKey),
    /// EC on P-384: ES256 (SHA-256, as Spain's test certificates sign) and ES384.
    P384 {
        sha256: ParsedPublicKey,
        sha384: ParsedPublicKey,
    },
    /// RSA: PS256.
    Rsa(ParsedPublicKey),
}

impl DscKey {
    fn describe(&self) -> &'static str {
        match self {
            DscKey::P256(_) => "an EC P-256 key",
            DscKey::P384 { .. } => "an EC P-384 key",
            DscKey::Rsa(_) => "an RSA key",
        }
    }
}

/// Why a DSC's key verifies nothing.
#[derive(Debug, Clone)]
enum KeyProblem {
    /// A kind of key or a curve we do not verify with (`dcc.unsupported_algorithm`).
    Unsupported(String),
    /// A key we would use but cannot read (`dcc.bad_certificate`).
    Unusable(String),
}

/// Named curves by OID.
const P256_OID: &str = "1.2.840.10045.3.1.7";
const P384_OID: &str = "1.3.132.0.34";

fn curve_name(oid: &str) -> &str {
    match oid {
        "1.3.132.0.35" => "P-521",
        "1.3.132.0.10" => "secp256k1",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        other => other,
    }
}

/// A fixed-width ECDSA signature (r ‖ s, as COSE carries it) as the DER `Ecdsa-Sig-Value`
/// aws-lc-rs reads for the curve–hash pairs it has no fixed-width form of.
fn ecdsa_fixed_to_der(sig: &[u8], width: usize) -> Option<Vec<u8>> {
    if sig.len() != 2 * width {
        return None;
    }
    let integer = |bytes: &[u8]| {
        let bytes = match bytes.iter().position(|b| *b != 0) {
            Some(first) => &bytes[first..],
            None => &[0u8][..],
        };
        let pad = bytes[0] & 0x80 != 0;
        let mut out = vec![0x02, u8::try_from(bytes.len() + usize::from(pad)).ok()?];
        if pad {
            out.push(0);
        }
        out.extend_from_slice(bytes);
        Some(out)
    };
    let (r, s) = sig.split_at(width);
    let body = [integer(r)?, integer(s)?].concat();
    let mut out = vec![0x30];
    match u8::try_from(body.len()) {
        Ok(len) if len < 0x80 => out.push(len),
        Ok(len) => out.extend([0x81, len]),
        Err(_) => return None,
    }
    out.extend(body);
    Some(out)
}

/// One Document Signer Certificate, with its public key parsed for fast verification.
#[derive(Clone)]
pub struct Dsc {
    der: Vec<u8>,
    kid: [u8; 8],
    /// The parsed key, or why there is none that verifies.
    key: Result<DscKey, KeyProblem>,
    subject: String,
    /// Extended key usage OIDs (`None` when the extension is absent).
    eku: Option<Vec<String>>,
    /// Key usage digitalSignature bit (`None` when the extension is absent).
    digital_signature: Option<bool>,
    not_before: i64,
    not_after: i64,
}

impl std::fmt::Debug for Dsc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dsc")
            .field(
                "kid",
                &base64::engine::general_purpose::STANDARD.encode(self.kid),
            )
            .field("subject", &self.subject)
            .field("eku", &self.eku)
            .finish_non_exhaustive()
    }
}

impl Dsc {
    /// Parses a DER X.509 certificate. The key must be EC on P-256 or P-384, or RSA, to be
    /// usable for verifying; a certificate with another key still loads (for key-usage checks)
    /// but verifies nothing, refusing with `dcc.unsupported_algorithm`.
    pub fn from_der(der: &[u8]) -> Result<Self, DccError> {
        let cert =
            Certificate::from_der(der).map_err(|e| DccError::BadCertificate(e.to_string()))?;
        let tbs = cert.tbs_certificate();
        let spki = tbs.subject_public_key_info();
        let key_bytes = spki.subject_public_key.raw_bytes();
        let key = match spki.algorithm.oid.to_string().as_str() {
            "1.2.840.10045.2.1" => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                    .map(|oid| oid.to_string())
                    .unwrap_or_default();
                let parse = |alg| {
                    ParsedPublicKey::new(alg, key_bytes)
                        .map_err(|e| KeyProblem::Unusable(format!("unusable EC key: {e}")))
                };
                match curve.as_str() {
                    P256_OID => parse(&signature::ECDSA_P256_SHA256_FIXED).map(DscKey::P256),
                    P384_OID => parse(&signature::ECDSA_P384_SHA256_ASN1).and_then(|sha256| {
                        Ok(DscKey::P384 {
                            sha256,
                            sha384: parse(&signature::ECDSA_P384_SHA384_FIXED)?,
                        })
                    }),
                    "" => Err(KeyProblem::Unusable("EC key without a named curve".into())),
                    other => Err(KeyProblem::Unsupported(format!(
                        "ECDSA on the curve {}",
                        curve_name(other)
                    ))),
                }
            }
            "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
                ParsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, key_bytes)
                    .map(DscKey::Rsa)
                    .map_err(|e| KeyProblem::Unusable(format!("unusable RSA key: {e}")))
            }
            other => Err(KeyProblem::Unsupported(format!(
                "a {} key",
                key_algorithm_name(other)
            ))),
        };
        let eku = tbs
            .get_extension::<ExtendedKeyUsage>()
            .map_err(|e| DccError::BadCertificate(format!("extended key usage: {e}")))?
            .map(|(_, eku)| eku.0.iter().map(|o| o.to_string()).collect::<Vec<_>>())
            // An empty EKU (invalid per RFC 5280, seen in the wild) restricts nothing.
            .filter(|eku| !eku.is_empty());
        let digital_signature = tbs
            .get_extension::<KeyUsage>()
            .map_err(|e| DccError::BadCertificate(format!("key usage: {e}")))?
            .map(|(_, ku)| ku.digital_signature());
        let validity = tbs.validity();
        Ok(Dsc {
            der: der.to_vec(),
            kid: kid_of(der),
            key,
            subject: tbs.subject().to_string(),
            eku,
            digital_signature,
            not_before: secs(validity.not_before.to_unix_duration()),
            not_after: secs(validity.not_after.to_unix_duration()),
        })
    }

    /// The key id (first 8 bytes of SHA-256 of the DER).
    pub fn kid(&self) -> [u8; 8] {
        self.kid
    }

    /// The DER encoding, e.g. to publish it in a trust list.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The subject distinguished name, for display.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Validity period (notBefore, notAfter) in Unix seconds.
    pub fn validity(&self) -> (i64, i64) {
        (self.not_before, self.not_after)
    }

    /// Verifies a COSE signature over `tbs` with this certificate's key.
    ///
    /// ES256 with a P-256 or P-384 key, ES384 with a P-384 key, PS256 with an RSA key; any
    /// other pairing, or a key of another kind or curve, is refused as
    /// `dcc.unsupported_algorithm`, naming both.
    pub fn verify(&self, alg: Algorithm, tbs: &[u8], sig: &[u8]) -> Result<(), DccError> {
        let key = match &self.key {
            Ok(key) => key,
            Err(KeyProblem::Unsupported(what)) => {
                return Err(DccError::UnsupportedAlgorithm(format!(
                    "{} by a signing certificate with {what}",
                    alg.name()
                )));
            }
            Err(KeyProblem::Unusable(why)) => return Err(DccError::BadCertificate(why.clone())),
        };
        let ok = match (alg, key) {
            (Algorithm::Es256, DscKey::P256(k)) | (Algorithm::Ps256, DscKey::Rsa(k)) => {
                k.verify_sig(tbs, sig).is_ok()
            }
            (Algorithm::Es384, DscKey::P384 { sha384, .. }) => sha384.verify_sig(tbs, sig).is_ok(),
            (Algorithm::Es256, DscKey::P384 { sha256, .. }) => {
                ecdsa_fixed_to_der(sig, 48).is_some_and(|der| sha256.verify_sig(tbs, &der).is_ok())
            }
            (alg, key) => {
                return Err(DccError::UnsupportedAlgorithm(format!(
                    "{} with {}",
                    alg.name(),
                    key.describe()
                )));
            }
        };
        if ok {
            Ok(())
        } else {
            Err(DccError::BadSignature)
        }
    }

    /// Whether this DSC may sign a certificate of this kind.
    ///
    /// Key usage, when present, must include digitalSignature. Extended key usage, when present
    /// and not empty, must name the kind with one of the EU OIDs (or anyExtendedKeyUsage), as
    /// RFC 5280 limits a certificate to the purposes listed; a DSC without the extension may
    /// sign every kind.
    pub fn allows(&self, ty: CertType) -> Result<(), DccError> {
        if self.digital_signature == Some(false) {
            return Err(DccError::KeyUsage(
                "key usage lacks digitalSignature".into(),
            ));
        }
        let Some(eku) = &self.eku else {
            return Ok(());
        };
        let ok = eku
            .iter()
            .any(|oid| oid == ANY_EKU || EKU_OIDS.iter().any(|(o, t)| o == oid && *t == ty));
        if ok {
            Ok(())
        } else {
            Err(DccError::KeyUsage(format!(
                "extended key usage {eku:?} does not allow {ty:?} certificates"
            )))
        }
    }
}

/// A public-key algorithm by OID, for refusals.
fn key_algorithm_name(oid: &str) -> &str {
    match oid {
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.1" => "DSA",
        other => other,
    }
}

fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// A set of trusted DSCs, indexed by key id.
///
/// Keys are parsed once when a certificate is added, so verifying is one hash lookup and one
/// signature check.
#[derive(Debug, Clone, Default)]
pub struct DscStore {
    certs: Vec<Dsc>,
    by_kid: HashMap<[u8; 8], Vec<usize>>,
}

impl DscStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a parsed DSC.
    pub fn add(&mut self, dsc: Dsc) {
        self.by_kid
            .entry(dsc.kid)
            .or_default()
            .push(self.certs.len());
        self.certs.push(dsc);
    }

    /// Adds a DER certificate.
    pub fn add_der(&mut self, der: &[u8]) -> Result<(), DccError> {
        self.add(Dsc::from_der(der)?);
        Ok(())
    }

    /// Adds a base64 (standard alphabet, whitespace ignored) DER certificate, the form trust lists
    /// and the dgc-testdata `CERTIFICATE` field use.
    pub fn add_base64(&mut self, b64: &str) -> Result<(), DccError> {
        let der = decode_b64(b64)?;
        self.add_der(&der)
    }

    /// Adds every `CERTIFICATE` block of a PEM text; fails if there is none.
    pub fn add_pem(&mut self, pem: &str) -> Result<(), DccError> {
        const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
        const END: &str = "-----END CERTIFICATE-----";
        let mut rest = pem;
        let mut found = 0;
        while let Some(start) = rest.find(BEGIN) {
            let body = &rest[start + BEGIN.len()..];
            let end = body
                .find(END)
                .ok_or_else(|| DccError::BadCertificate("unterminated PEM block".into()))?;
            self.add_base64(&body[..end])?;
            found += 1;
            rest = &body[end + END.len()..];
        }
        if found == 0 {
            return Err(DccError::BadCertificate("no PEM certificate".into()));
        }
        Ok(())
    }

    /// Adds a JSON trust list: an array of base64 DER strings, or of objects with a `rawData`
    /// (EU gateway form) or `certificate` field, or an object with such an array under
    /// `certificates`.
    pub fn add_json(&mut self, json: &str) -> Result<(), DccError> {
        let v: serde_json::Value =
            serde_json::from_str(json).map_err(|e| DccError::BadCertificate(e.to_string()))?;
        let list = match &v {
            serde_json::Value::Array(a) => a,
            serde_json::Value::Object(o) => o
                .get("certificates")
                .and_then(|c| c.as_array())
                .ok_or_else(|| DccError::BadCertificate("no certificates array".into()))?,
            _ => return Err(DccError::BadCertificate("trust list is not a list".into())),
        };
        for item in list {
            let b64 = item
                .as_str()
                .or_else(|| item.get("rawData").and_then(|r| r.as_str()))
                .or_else(|| item.get("certificate").and_then(|r| r.as_str()))
                .ok_or_else(|| DccError::BadCertificate("entry without certificate".into()))?;
            self.add_base64(b64)?;
        }
        Ok(())
    }

    /// A store of one DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, DccError> {
        let mut s = Self::new();
        s.add_der(der)?;
        Ok(s)
    }

    /// A store of every certificate of a PEM text.
    pub fn from_pem(pem: &str) -> Result<Self, DccError> {
        let mut s = Self::new();
        s.add_pem(pem)?;
        Ok(s)
    }

    /// A store of one base64 DER certificate.
    pub fn from_base64(b64: &str) -> Result<Self, DccError> {
        let mut s = Self::new();
        s.add_base64(b64)?;
        Ok(s)
    }

    /// A store from a JSON trust list (see [`DscStore::add_json`]).
    pub fn from_json(json: &str) -> Result<Self, DccError> {
        let mut s = Self::new();
        s.add_json(json)?;
        Ok(s)
    }

    /// Number of certificates.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// The certificates whose kid matches.
    pub fn by_kid(&self, kid: &[u8]) -> impl Iterator<Item = &Dsc> {
        let idx: &[usize] = <[u8; 8]>::try_from(kid)
            .ok()
            .and_then(|k| self.by_kid.get(&k))
            .map_or(&[], Vec::as_slice);
        idx.iter().filter_map(|i| self.certs.get(*i))
    }

    /// All certificates, for the no-kid fallback.
    pub fn iter(&self) -> impl Iterator<Item = &Dsc> {
        self.certs.iter()
    }
}

fn decode_b64(s: &str) -> Result<Vec<u8>, DccError> {
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean.as_bytes())
        .map_err(|e| DccError::BadCertificate(format!("base64: {e}")))
}
