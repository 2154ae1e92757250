//! Issuing DCCs: an ES256 key with a self-signed DSC, typed vaccination and test entries, UVCIs.

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use ciborium::Value as Cbor;
use coset::{CoseSign1Builder, HeaderBuilder, TaggedCborSerializable as _, iana};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::decode::CertType;
use crate::time::utc_date;
use crate::trust::{Dsc, DscStore};
use crate::{DccError, schema};

/// SNOMED CT code of COVID-19, the `tg` of every entry.
pub const DISEASE_COVID19: &str = "840539006";
/// `tt` for a nucleic acid amplification (PCR) test.
pub const TEST_NAAT: &str = "LP6464-4";
/// `tt` for a rapid antigen test.
pub const TEST_RAT: &str = "LP217198-3";
/// `tr`: not detected (negative).
pub const RESULT_NOT_DETECTED: &str = "260415000";
/// `tr`: detected (positive).
pub const RESULT_DETECTED: &str = "260373001";
/// The schema version our certificates declare.
pub const SCHEMA_VERSION: &str = "1.3.0";

/// What a new issuer's self-signed DSC says about itself.
#[derive(Debug, Clone)]
pub struct IssuerParams {
    /// ISO 3166 alpha-2 country (also the CWT issuer claim), e.g. `"CN"`.
    pub country: String,
    /// Common name of the DSC, e.g. `"Guangdong DCC issuer 2026-1"`.
    pub common_name: String,
    /// DSC validity start, Unix seconds (day precision).
    pub not_before: i64,
    /// DSC validity end, Unix seconds (rounded up to the next midnight UTC).
    pub not_after: i64,
    /// Kinds the DSC may sign (EU extended key usage OIDs); empty means no restriction.
    pub kinds: Vec<CertType>,
}

/// An issuer: an ES256 signing key and its self-signed Document Signer Certificate.
pub struct DccIssuer {
    key: EcdsaKeyPair,
    pkcs8: Vec<u8>,
    dsc: Dsc,
    country: String,
}

impl std::fmt::Debug for DccIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DccIssuer")
            .field("dsc", &self.dsc)
            .field("country", &self.country)
            .finish_non_exhaustive()
    }
}

/// The UTC date of Unix seconds `t` as rcgen wants it (a DSC's validity has day precision).
fn ymd(t: i64) -> Result<(i32, u8, u8), DccError> {
    let d = utc_date(t).ok_or_else(|| DccError::Issue(format!("time {t} out of range")))?;
    let (m, day) = (d.month().unsigned_abs(), d.day().unsigned_abs());
    Ok((i32::from(d.year()), m, day))
}

impl DccIssuer {
    /// Generates a fresh P-256 key and a self-signed DSC for it, in one call.
    pub fn generate(params: &IssuerParams) -> Result<Self, DccError> {
        let err = |e: rcgen::Error| DccError::Issue(e.to_string());
        if params.country.len() != 2 || !params.country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(DccError::Issue(
                "country must be two upper-case letters".into(),
            ));
        }
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
        let mut cp = rcgen::CertificateParams::default();
        cp.distinguished_name = rcgen::DistinguishedName::new();
        cp.distinguished_name
            .push(rcgen::DnType::CountryName, params.country.clone());
        cp.distinguished_name
            .push(rcgen::DnType::CommonName, params.common_name.clone());
        let (y, m, d) = ymd(params.not_before)?;
        cp.not_before = rcgen::date_time_ymd(y, m, d);
        let (y, m, d) = ymd(params.not_after.saturating_add(86_399))?;
        cp.not_after = rcgen::date_time_ymd(y, m, d);
        cp.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        cp.extended_key_usages = params
            .kinds
            .iter()
            .map(|k| {
                let last = match k {
                    CertType::Test => 1,
                    CertType::Vaccination => 2,
                    CertType::Recovery => 3,
                };
                rcgen::ExtendedKeyUsagePurpose::Other(vec![1, 3, 6, 1, 4, 1, 1847, 2021, 1, last])
            })
            .collect();
        let cert = cp.self_signed(&key).map_err(err)?;
        Self::from_parts(&key.serialize_der(), cert.der(), &params.country)
    }

    /// Rebuilds an issuer from its stored PKCS#8 key and DER certificate.
    pub fn from_parts(pkcs8: &[u8], cert_der: &[u8], country: &str) -> Result<Self, DccError> {
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
            .map_err(|e| DccError::Issue(format!("PKCS#8 key: {e}")))?;
        let dsc = Dsc::from_der(cert_der)?;
        // The certificate must belong to the key: sign and verify a probe.
        let probe = key
            .sign(&SystemRandom::new(), b"healthcode-dcc probe")
            .map_err(|_| DccError::Issue("signing failed".into()))?;
        dsc.verify(
            crate::Algorithm::Es256,
            b"healthcode-dcc probe",
            probe.as_ref(),
        )
        .map_err(|_| DccError::Issue("certificate does not match the key".into()))?;
        Ok(DccIssuer {
            key,
            pkcs8: pkcs8.to_vec(),
            dsc,
            country: country.to_owned(),
        })
    }

    /// The PKCS#8 private key, to store (encrypted) and reload with [`DccIssuer::from_parts`].
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The DSC in DER, to publish in the trust list.
    pub fn certificate_der(&self) -> &[u8] {
        self.dsc.der()
    }

    /// The key id verifiers will look up.
    pub fn kid(&self) -> [u8; 8] {
        self.dsc.kid()
    }

    /// A trust store holding just this issuer's DSC (tests, demos).
    pub fn trust_store(&self) -> DscStore {
        let mut s = DscStore::new();
        s.add(self.dsc.clone());
        s
    }

    /// Issues a typed health certificate; see [`DccIssuer::issue_json`].
    pub fn issue(&self, cert: &HealthCertificate, iat: i64, exp: i64) -> Result<String, DccError> {
        let json = serde_json::to_value(cert).map_err(|e| DccError::Issue(e.to_string()))?;
        self.issue_json(&json, iat, exp)
    }

    /// Issues an `HC1:` text for an hcert JSON: schema check, CWT claims, COSE_Sign1 (tagged,
    /// ES256, kid in the protected header), zlib, base45.
    pub fn issue_json(&self, hcert: &Json, iat: i64, exp: i64) -> Result<String, DccError> {
        schema::validate(hcert)?;
        if exp <= iat {
            return Err(DccError::Issue("exp must be after iat".into()));
        }
        for ty in crate::decode::cert_types(hcert) {
            self.dsc.allows(ty)?;
        }
        let dcc = Cbor::serialized(hcert).map_err(|e| DccError::Issue(e.to_string()))?;
        let claims = Cbor::Map(vec![
            (Cbor::from(1), Cbor::from(self.country.as_str())),
            (Cbor::from(4), Cbor::from(exp)),
            (Cbor::from(6), Cbor::from(iat)),
            (Cbor::from(-260), Cbor::Map(vec![(Cbor::from(1), dcc)])),
        ]);
        let mut payload = Vec::new();
        ciborium::ser::into_writer(&claims, &mut payload)
            .map_err(|e| DccError::Issue(e.to_string()))?;
        let protected = HeaderBuilder::new()
            .algorithm(iana::Algorithm::ES256)
            .key_id(self.kid().to_vec())
            .build();
        let rng = SystemRandom::new();
        let mut failed = false;
        let sign1 = CoseSign1Builder::new()
            .protected(protected)
            .payload(payload)
            .create_signature(b"", |tbs| match self.key.sign(&rng, tbs) {
                Ok(sig) => sig.as_ref().to_vec(),
                Err(_) => {
                    failed = true;
                    Vec::new()
                }
            })
            .build();
        if failed {
            return Err(DccError::Issue("signing failed".into()));
        }
        let cose = sign1
            .to_tagged_vec()
            .map_err(|e| DccError::Issue(e.to_string()))?;
        let compressed =
            crate::decode::deflate_zlib(&cose).map_err(|e| DccError::Issue(e.to_string()))?;
        Ok(format!("HC1:{}", base45::encode(&compressed)))
    }
}

/// A person's name as the DCC carries it: as printed, and ICAO 9303 transliterated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name {
    /// Family name as in the identity document (`fn`).
    #[serde(rename = "fn", skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Family name in ICAO 9303 machine-readable form, `A-Z` and `<` (`fnt`).
    #[serde(rename = "fnt")]
    pub family_std: String,
    /// Given name(s) (`gn`).
    #[serde(rename = "gn", skip_serializing_if = "Option::is_none")]
    pub given: Option<String>,
    /// Given name(s), machine-readable (`gnt`).
    #[serde(rename = "gnt", skip_serializing_if = "Option::is_none")]
    pub given_std: Option<String>,
}

impl Name {
    /// A name whose printed form is written in Latin letters; the machine-readable form is
    /// derived (upper case, spaces and hyphens to `<`, other characters dropped).
    pub fn latin(family: &str, given: &str) -> Self {
        Self::transliterated(family, given, &icao(family), &icao(given))
    }

    /// A name with an explicit transliteration, e.g. 张 三 → `ZHANG`, `SAN` (Hanyu Pinyin).
    pub fn transliterated(family: &str, given: &str, family_std: &str, given_std: &str) -> Self {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Name {
            family: opt(family),
            family_std: icao(family_std),
            given: opt(given),
            given_std: opt(&icao(given_std)),
        }
    }
}

/// ICAO 9303 machine-readable form: upper-case A–Z, `<` for spaces and hyphens; common Latin
/// letters with diacritics transliterated (Ä → AE, ß → SS, é → E, ...); anything else dropped.
fn icao(s: &str) -> String {
    const PLAIN_FROM: &str = "ÀÁÂÃÈÉÊËÌÍÎÏÒÓÔÕÙÚÛÝÇÑŁŃŚŹŻĆĘĄàáâãèéêëìíîïòóôõùúûýçñłńśźżćęą";
    const PLAIN_TO: &str = "AAAAEEEEIIIIOOOOUUUYCNLNSZZCEAAAAAEEEEIIIIOOOOUUUYCNLNSZZCEA";
    let mut out = String::new();
    for c in s.trim().chars() {
        match c {
            'a'..='z' | 'A'..='Z' => out.push(c.to_ascii_uppercase()),
            ' ' | '-' | '<' => out.push('<'),
            'Ä' | 'ä' | 'Æ' | 'æ' => out.push_str("AE"),
            'Ö' | 'ö' | 'Ø' | 'ø' => out.push_str("OE"),
            'Ü' | 'ü' => out.push_str("UE"),
            'Å' | 'å' => out.push_str("AA"),
            'ß' => out.push_str("SS"),
            _ => {
                if let Some(i) = PLAIN_FROM.chars().position(|p| p == c)
                    && let Some(t) = PLAIN_TO.chars().nth(i)
                {
                    out.push(t);
                }
            }
        }
        if out.len() >= 80 {
            out.truncate(80);
            break;
        }
    }
    out
}

/// One vaccination (`v` entry of the DCC schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaccinationEntry {
    /// Disease targeted, e.g. [`DISEASE_COVID19`].
    pub tg: String,
    /// Vaccine or prophylaxis (EU value set, e.g. `"1119349007"` mRNA vaccine).
    pub vp: String,
    /// Vaccine product (e.g. `"EU/1/20/1528"`).
    pub mp: String,
    /// Marketing authorisation holder or manufacturer (e.g. `"ORG-100030215"`).
    pub ma: String,
    /// Dose number.
    pub dn: u32,
    /// Total doses in the series.
    pub sd: u32,
    /// Date of vaccination, `YYYY-MM-DD`.
    pub dt: String,
    /// Country of vaccination.
    pub co: String,
    /// Certificate issuer.
    #[serde(rename = "is")]
    pub issuer: String,
    /// Unique certificate identifier (see [`uvci`]).
    pub ci: String,
}

/// One test result (`t` entry of the DCC schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestEntry {
    /// Disease targeted, [`DISEASE_COVID19`].
    pub tg: String,
    /// Test type: [`TEST_NAAT`] or [`TEST_RAT`].
    pub tt: String,
    /// NAA test name (optional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nm: Option<String>,
    /// RAT device identifier from the EU list (optional for NAAT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ma: Option<String>,
    /// Sample collection time, RFC 3339 (e.g. [`crate::format_timestamp`]).
    pub sc: String,
    /// Result: [`RESULT_NOT_DETECTED`] or [`RESULT_DETECTED`].
    pub tr: String,
    /// Testing centre or facility (optional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tc: Option<String>,
    /// Country of test.
    pub co: String,
    /// Certificate issuer.
    #[serde(rename = "is")]
    pub issuer: String,
    /// Unique certificate identifier (see [`uvci`]).
    pub ci: String,
}

/// A health certificate (hcert key 1) with one vaccination or one test entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCertificate {
    /// Schema version, [`SCHEMA_VERSION`].
    pub ver: String,
    /// The holder's name.
    pub nam: Name,
    /// Date of birth, `YYYY-MM-DD` (or `YYYY-MM`, `YYYY`).
    pub dob: String,
    /// Vaccination entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub v: Option<Vec<VaccinationEntry>>,
    /// Test entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t: Option<Vec<TestEntry>>,
}

impl HealthCertificate {
    /// A vaccination certificate.
    pub fn vaccination(nam: Name, dob: &str, entry: VaccinationEntry) -> Self {
        HealthCertificate {
            ver: SCHEMA_VERSION.into(),
            nam,
            dob: dob.into(),
            v: Some(vec![entry]),
            t: None,
        }
    }

    /// A test certificate.
    pub fn test(nam: Name, dob: &str, entry: TestEntry) -> Self {
        HealthCertificate {
            ver: SCHEMA_VERSION.into(),
            nam,
            dob: dob.into(),
            v: None,
            t: Some(vec![entry]),
        }
    }
}

/// The Luhn mod N alphabet of the eHN UVCI guidelines (N = 38).
const UVCI_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:";

/// Luhn mod N check character over `input` (characters outside the alphabet are an error).
pub fn luhn_mod_n(input: &str) -> Result<char, DccError> {
    let n = UVCI_ALPHABET.len() as u32;
    let mut factor = 2;
    let mut sum = 0;
    for c in input.bytes().rev() {
        let code = UVCI_ALPHABET.iter().position(|a| *a == c).ok_or_else(|| {
            DccError::Issue(format!("character {:?} not allowed in a UVCI", c as char))
        })? as u32;
        let addend = factor * code;
        factor = if factor == 2 { 1 } else { 2 };
        sum += addend / n + addend % n;
    }
    let check = (n - sum % n) % n;
    Ok(UVCI_ALPHABET[check as usize] as char)
}

/// Builds a UVCI `URN:UVCI:01:{country}:{opaque}#{check}`.
///
/// The check character is Luhn mod N (N = 38, alphabet `A-Z0-9/:`) over the whole identifier
/// before `#`, prefix included, as the eHN guidelines' annex and the EU schema FAQ describe.
/// `opaque` may use `A-Z`, `0-9` and `/` (e.g. `GD/2026/0000123`).
pub fn uvci(country: &str, opaque: &str) -> Result<String, DccError> {
    if opaque.is_empty() || opaque.contains(':') {
        return Err(DccError::Issue(
            "UVCI body must be non-empty, without ':'".into(),
        ));
    }
    let body = format!("URN:UVCI:01:{country}:{opaque}");
    let check = luhn_mod_n(&body)?;
    Ok(format!("{body}#{check}"))
}

/// Whether a UVCI's `#` check character is right.
pub fn uvci_checksum_ok(uvci: &str) -> bool {
    match uvci.rsplit_once('#') {
        Some((body, check)) => {
            luhn_mod_n(body).is_ok_and(|c| check.len() == 1 && check.starts_with(c))
        }
        None => false,
    }
}

/// A random UVCI body: `{issuer_code}/` and 20 base32 characters (100 bits).
pub fn random_uvci(country: &str, issuer_code: &str) -> Result<String, DccError> {
    const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bytes = [0u8; 20];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| DccError::Issue("no randomness".into()))?;
    let tail: String = bytes
        .iter()
        .map(|b| B32[usize::from(b & 31)] as char)
        .collect();
    uvci(country, &format!("{issuer_code}/{tail}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{CertType, verify};

    const NOW: i64 = 1_795_000_000; // 2026-11-18

    fn issuer(kinds: Vec<CertType>) -> DccIssuer {
        DccIssuer::generate(&IssuerParams {
            country: "CN".into(),
            common_name: "healthcode test DSC".into(),
            not_before: NOW - 86_400,
            not_after: NOW + 365 * 86_400,
            kinds,
        })
        .unwrap()
    }

    fn vaccination() -> HealthCertificate {
        HealthCertificate::vaccination(
            Name::transliterated("张", "三", "ZHANG", "SAN"),
            "1980-05-01",
            VaccinationEntry {
                tg: DISEASE_COVID19.into(),
                vp: "1119349007".into(),
                mp: "EU/1/20/1528".into(),
                ma: "ORG-100030215".into(),
                dn: 2,
                sd: 2,
                dt: "2026-10-01".into(),
                co: "CN".into(),
                issuer: "Guangdong Health Commission".into(),
                ci: uvci("CN", "GD/2026/0000123").unwrap(),
            },
        )
    }

    fn test_cert() -> HealthCertificate {
        HealthCertificate::test(
            Name::latin("Müller-Lüdenscheidt", "Anna Maria"),
            "1990",
            TestEntry {
                tg: DISEASE_COVID19.into(),
                tt: TEST_NAAT.into(),
                nm: Some("PCR".into()),
                ma: None,
                sc: crate::format_timestamp(NOW - 3600),
                tr: RESULT_NOT_DETECTED.into(),
                tc: Some("Guangzhou lab 1".into()),
                co: "CN".into(),
                issuer: "Guangdong Health Commission".into(),
                ci: random_uvci("CN", "GD").unwrap(),
            },
        )
    }

    #[test]
    fn issue_then_verify_round_trips() {
        let iss = issuer(vec![]);
        let trust = iss.trust_store();
        for cert in [vaccination(), test_cert()] {
            let text = iss.issue(&cert, NOW, NOW + 30 * 86_400).unwrap();
            assert!(text.starts_with("HC1:"));
            let v = verify(&text, &trust, NOW + 60).unwrap();
            assert_eq!(v.signer_kid, iss.kid());
            assert_eq!(v.dcc.issuer.as_deref(), Some("CN"));
            assert_eq!(v.dcc.hcert, serde_json::to_value(&cert).unwrap());
            assert_eq!(v.dcc.signature().len(), 64);
            // Time checks.
            assert_eq!(
                verify(&text, &trust, NOW - 10).unwrap_err().code(),
                "dcc.not_yet_valid"
            );
            assert_eq!(
                verify(&text, &trust, NOW + 31 * 86_400).unwrap_err().code(),
                "dcc.expired"
            );
            // Another issuer's trust store does not know the kid.
            let other = issuer(vec![]).trust_store();
            assert_eq!(
                verify(&text, &other, NOW).unwrap_err().code(),
                "dcc.unknown_kid"
            );
        }
        // A stored issuer reloads and still verifies.
        let again = DccIssuer::from_parts(iss.pkcs8_der(), iss.certificate_der(), "CN").unwrap();
        let text = again.issue(&vaccination(), NOW, NOW + 86_400).unwrap();
        verify(&text, &trust, NOW).unwrap();
        // A key and a foreign certificate do not make an issuer.
        let foreign = issuer(vec![]);
        assert!(DccIssuer::from_parts(iss.pkcs8_der(), foreign.certificate_der(), "CN").is_err());
    }

    #[test]
    fn tampering_breaks_the_signature() {
        let iss = issuer(vec![]);
        let text = iss.issue(&vaccination(), NOW, NOW + 86_400).unwrap();
        let cose = crate::text_to_cose(&text).unwrap();
        // Flip a byte inside the payload (after the headers), recompress, re-encode.
        let mut bad = cose.clone();
        let i = bad.len() / 2;
        bad[i] ^= 0x01;
        let z = crate::decode::deflate_zlib(&bad).unwrap();
        let bad_text = format!("HC1:{}", base45::encode(&z));
        let err = verify(&bad_text, &iss.trust_store(), NOW).unwrap_err();
        assert!(
            matches!(
                err.code(),
                "dcc.bad_signature" | "dcc.bad_claims" | "dcc.bad_cose"
            ),
            "{err}"
        );
    }

    #[test]
    fn key_usage_restricts_kinds() {
        let iss = issuer(vec![CertType::Test]);
        assert_eq!(
            iss.issue(&vaccination(), NOW, NOW + 86_400)
                .unwrap_err()
                .code(),
            "dcc.key_usage"
        );
        let text = iss.issue(&test_cert(), NOW, NOW + 86_400).unwrap();
        verify(&text, &iss.trust_store(), NOW).unwrap();
    }

    #[test]
    fn invalid_hcert_is_not_issued() {
        let iss = issuer(vec![]);
        let mut cert = vaccination();
        cert.dob = "01/05/1980".into();
        assert_eq!(
            iss.issue(&cert, NOW, NOW + 86_400).unwrap_err().code(),
            "dcc.schema"
        );
    }

    #[test]
    fn icao_transliteration() {
        let n = Name::latin("Müller-Lüdenscheidt", "José Ángel");
        assert_eq!(n.family_std, "MUELLER<LUEDENSCHEIDT");
        assert_eq!(n.given_std.as_deref(), Some("JOSE<ANGEL"));
        assert_eq!(
            Name::latin("Rogaliński-Król", "").family_std,
            "ROGALINSKI<KROL"
        );
    }

    #[test]
    fn uvci_checksum() {
        let u = uvci("CN", "GD/2026/0000123").unwrap();
        assert!(u.starts_with("URN:UVCI:01:CN:GD/2026/0000123#"));
        assert!(uvci_checksum_ok(&u));
        let typo = u.replace("0000123", "0000132");
        assert!(!uvci_checksum_ok(&typo), "transposition must be caught");
        assert!(!uvci_checksum_ok(&u.replace("GD", "GE")));
        assert!(uvci("CN", "lower").is_err());
        assert!(uvci_checksum_ok(&random_uvci("CN", "GD").unwrap()));
    }

    /// Interop: what we issue decodes and verifies with the `dgc` crate, an independent
    /// implementation (ring, x509-parser, inflate).
    #[test]
    fn dgc_crate_decodes_and_verifies_ours() {
        use base64::Engine as _;
        let iss = issuer(vec![]);
        let mut trustlist = dgc::TrustList::default();
        trustlist
            .add_key_from_certificate(
                &base64::engine::general_purpose::STANDARD.encode(iss.certificate_der()),
            )
            .unwrap();
        for cert in [vaccination(), test_cert()] {
            let text = iss.issue(&cert, NOW, NOW + 86_400).unwrap();
            let container = dgc::decode(&text).unwrap();
            let (_, validity) = dgc::validate(&text, &trustlist).unwrap();
            assert!(validity.is_valid(), "{validity:?}");
            let theirs = serde_json::to_value(&container).unwrap();
            let ours = serde_json::to_value(&cert).unwrap();
            let hcert = &theirs["-260"]["1"];
            let hcert = if hcert.is_null() { &theirs } else { hcert };
            assert_eq!(hcert["nam"], ours["nam"], "{theirs}");
            assert_eq!(hcert["dob"], ours["dob"]);
        }
    }
}
