//! The trust store: Document Signer Certificates (DSCs), parsed once, looked up by key id.

use std::collections::HashMap;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::Engine as _;
use x509_cert::Certificate;
use x509_cert::der::Decode as _;
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

/// One Document Signer Certificate, with its public key parsed for fast verification.
#[derive(Clone)]
pub struct Dsc {
    der: Vec<u8>,
    kid: [u8; 8],
    key: Option<(Algorithm, ParsedPublicKey)>,
    key_problem: Option<String>,
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
    /// Parses a DER X.509 certificate. The key must be EC P-256 or RSA to be usable for
    /// verifying; a certificate with another key still loads (for key-usage checks) but never
    /// verifies anything.
    pub fn from_der(der: &[u8]) -> Result<Self, DccError> {
        let cert =
            Certificate::from_der(der).map_err(|e| DccError::BadCertificate(e.to_string()))?;
        let tbs = cert.tbs_certificate();
        let spki = tbs.subject_public_key_info();
        let key_bytes = spki.subject_public_key.raw_bytes();
        let (key, key_problem) = match spki.algorithm.oid.to_string().as_str() {
            "1.2.840.10045.2.1" => {
                match ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, key_bytes) {
                    Ok(k) => (Some((Algorithm::Es256, k)), None),
                    Err(e) => (None, Some(format!("EC key is not P-256: {e}"))),
                }
            }
            "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
                match ParsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, key_bytes) {
                    Ok(k) => (Some((Algorithm::Ps256, k)), None),
                    Err(e) => (None, Some(format!("unusable RSA key: {e}"))),
                }
            }
            other => (None, Some(format!("unsupported key algorithm {other}"))),
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
            key_problem,
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
    pub fn verify(&self, alg: Algorithm, tbs: &[u8], sig: &[u8]) -> Result<(), DccError> {
        let Some((key_alg, key)) = &self.key else {
            return Err(DccError::BadCertificate(
                self.key_problem.clone().unwrap_or_default(),
            ));
        };
        if *key_alg != alg {
            return Err(DccError::UnsupportedAlgorithm(format!(
                "{alg:?} with a {key_alg:?} key"
            )));
        }
        key.verify_sig(tbs, sig).map_err(|_| DccError::BadSignature)
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
