//! Issuer keys: JWK checks as the specification requires, RFC 7638 thumbprints, and
//! the directory of trusted issuers with keys parsed once for fast verification.

use std::collections::HashMap;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::ShcError;

/// RFC 7638 thumbprint of a P-256 key from its base64url `x` and `y`: the `kid` a
/// SMART Health Card issuer must use.
pub fn thumbprint(x: &str, y: &str) -> String {
    // Members in lexicographic order, no whitespace (RFC 7638 §3).
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, canonical.as_bytes()))
}

/// One checked issuer key.
#[derive(Debug)]
struct TrustedKey {
    key: ParsedPublicKey,
    /// When the key came with an `x5c` chain: the period every certificate of
    /// the chain is valid in, outside which the key verifies nothing.
    valid: Option<Validity>,
}

/// A period of validity, inclusive, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// The latest notBefore of the chain.
    pub not_before: i64,
    /// The earliest notAfter of the chain.
    pub not_after: i64,
}

impl Validity {
    /// Whether the key `kid` with this chain may be used at `at` (RFC 5280: both
    /// bounds included).
    pub fn check(&self, kid: &str, at: i64) -> Result<(), ShcError> {
        if (self.not_before..=self.not_after).contains(&at) {
            return Ok(());
        }
        Err(ShcError::X5cNotValidAt {
            kid: kid.to_owned(),
            not_before: self.not_before,
            not_after: self.not_after,
            at,
        })
    }
}

/// Trusted issuers (`iss` URL → their keys by kid). Keys are parsed once when added,
/// so verification does no key parsing.
#[derive(Debug, Default)]
pub struct IssuerDirectory {
    issuers: HashMap<String, HashMap<String, TrustedKey>>,
}

/// A checked public key: kid plus the uncompressed point `04 || x || y`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedJwk {
    /// The key id (the RFC 7638 thumbprint).
    pub kid: String,
    /// The uncompressed P-256 point.
    pub point: Vec<u8>,
    /// The validity period of its `x5c` chain, when it has one.
    pub valid: Option<Validity>,
}

fn str_field<'a>(k: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a str> {
    k.get(name).and_then(Value::as_str)
}

/// Checks one JWK the way the specification requires of issuer keys: EC, P-256,
/// ES256, `use: sig`, no private part, `kid` equal to the RFC 7638 thumbprint, and
/// an `x5c` chain when present (see [`check_x5c`]); `iss`, when given, must be the
/// leaf certificate's subjectAltName URI.
pub fn check_jwk(key: &Value, iss: Option<&str>) -> Result<CheckedJwk, ShcError> {
    let Some(k) = key.as_object() else {
        return Err(ShcError::JwksJson("a key is not an object".into()));
    };
    let label = str_field(k, "kid").unwrap_or("").to_owned();
    if k.contains_key("d") {
        return Err(ShcError::JwkPrivate(label));
    }
    if str_field(k, "kty") != Some("EC") {
        return Err(ShcError::JwkKty(label));
    }
    if str_field(k, "crv") != Some("P-256") {
        return Err(ShcError::JwkCrv(label));
    }
    if str_field(k, "alg") != Some("ES256") {
        return Err(ShcError::JwkAlg(label));
    }
    if str_field(k, "use") != Some("sig") {
        return Err(ShcError::JwkUse(label));
    }
    let Some(kid) = str_field(k, "kid") else {
        return Err(ShcError::JwkKidMissing);
    };
    let (Some(x), Some(y)) = (str_field(k, "x"), str_field(k, "y")) else {
        return Err(ShcError::JwkPoint(label));
    };
    let (Ok(xb), Ok(yb)) = (URL_SAFE_NO_PAD.decode(x), URL_SAFE_NO_PAD.decode(y)) else {
        return Err(ShcError::JwkPoint(label));
    };
    if xb.len() != 32 || yb.len() != 32 {
        return Err(ShcError::JwkPoint(label));
    }
    let tp = thumbprint(x, y);
    if tp != kid {
        return Err(ShcError::JwkKidNotThumbprint {
            kid: kid.to_owned(),
            thumbprint: tp,
        });
    }
    let mut point = Vec::with_capacity(65);
    point.push(4);
    point.extend_from_slice(&xb);
    point.extend_from_slice(&yb);
    if ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point).is_err() {
        return Err(ShcError::JwkPoint(label));
    }
    let valid = match k.get("x5c") {
        Some(x5c) => Some(check_x5c(x5c, &point, iss, kid)?),
        None => None,
    };
    Ok(CheckedJwk {
        kid: kid.to_owned(),
        point,
        valid,
    })
}

/// Checks every key of a JWKS document (`{"keys":[…]}`); any defective key fails
/// the whole set, as a published key set should hold no defective key.
pub fn check_jwks(jwks: &str, iss: Option<&str>) -> Result<Vec<CheckedJwk>, ShcError> {
    let v: Value = serde_json::from_str(jwks).map_err(|e| ShcError::JwksJson(e.to_string()))?;
    let Some(keys) = v.get("keys").and_then(Value::as_array) else {
        return Err(ShcError::JwksJson("no `keys` array".into()));
    };
    keys.iter().map(|k| check_jwk(k, iss)).collect()
}

const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const OID_ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const OID_ECDSA_SHA512: &str = "1.2.840.10045.4.3.4";

/// Checks an `x5c` chain as far as a verifier without trust anchors can: every
/// entry a DER certificate, the leaf's key equal to the JWK, the leaf's
/// subjectAltName URI equal to `iss` (when given), each certificate signed (ECDSA
/// P-256/P-384/P-521) by the next, which must be a CA. Returns the period in which
/// every certificate is valid, which verification holds the card's time to. Not
/// checked: the root's trust (a SMART issuer is trusted by its `iss` and JWKS, the
/// chain only adds evidence) and key usage.
pub fn check_x5c(
    x5c: &Value,
    point: &[u8],
    iss: Option<&str>,
    kid: &str,
) -> Result<Validity, ShcError> {
    use base64::engine::general_purpose::STANDARD;
    use x509_cert::Certificate;
    use x509_cert::der::{Decode as _, Encode as _};
    use x509_cert::ext::pkix::name::GeneralName;
    use x509_cert::ext::pkix::{BasicConstraints, SubjectAltName};

    let malformed = || ShcError::X5cMalformed(kid.to_owned());
    let list = x5c
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(malformed)?;
    let mut certs = Vec::with_capacity(list.len());
    for c in list {
        let der = STANDARD
            .decode(c.as_str().ok_or_else(malformed)?)
            .map_err(|_| malformed())?;
        certs.push(Certificate::from_der(&der).map_err(|_| malformed())?);
    }
    let leaf = &certs[0];
    let leaf_key = leaf
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .as_bytes();
    if leaf_key != Some(point) {
        return Err(ShcError::X5cKeyMismatch(kid.to_owned()));
    }
    if let Some(iss) = iss {
        let san = leaf
            .tbs_certificate()
            .get_extension::<SubjectAltName>()
            .map_err(|_| malformed())?;
        let found = san.is_some_and(|(_, names)| {
            names.0.iter().any(
                |n| matches!(n, GeneralName::UniformResourceIdentifier(u) if u.as_str() == iss),
            )
        });
        if !found {
            return Err(ShcError::X5cSanMismatch {
                kid: kid.to_owned(),
                iss: iss.to_owned(),
            });
        }
    }
    for (index, pair) in certs.windows(2).enumerate() {
        let (child, parent) = (&pair[0], &pair[1]);
        let bad = || ShcError::X5cChain {
            kid: kid.to_owned(),
            index,
        };
        let is_ca = parent
            .tbs_certificate()
            .get_extension::<BasicConstraints>()
            .map_err(|_| malformed())?
            .is_some_and(|(_, bc)| bc.ca);
        if !is_ca {
            return Err(ShcError::X5cNotCa {
                kid: kid.to_owned(),
                index: index + 1,
            });
        }
        let tbs = child.tbs_certificate().to_der().map_err(|_| malformed())?;
        let sig = child.signature().as_bytes().ok_or_else(bad)?;
        let parent_key = parent
            .tbs_certificate()
            .subject_public_key_info()
            .subject_public_key
            .as_bytes()
            .ok_or_else(bad)?;
        let oid = child.signature_algorithm().oid.to_string();
        let alg: &dyn aws_lc_rs::signature::VerificationAlgorithm =
            match (oid.as_str(), parent_key.len()) {
                (OID_ECDSA_SHA256, 65) => &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
                (OID_ECDSA_SHA256, 97) => &aws_lc_rs::signature::ECDSA_P384_SHA256_ASN1,
                (OID_ECDSA_SHA384, 65) => &aws_lc_rs::signature::ECDSA_P256_SHA384_ASN1,
                (OID_ECDSA_SHA384, 97) => &aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1,
                (OID_ECDSA_SHA512, 97) => &aws_lc_rs::signature::ECDSA_P384_SHA512_ASN1,
                (OID_ECDSA_SHA256, 133) => &aws_lc_rs::signature::ECDSA_P521_SHA256_ASN1,
                (OID_ECDSA_SHA384, 133) => &aws_lc_rs::signature::ECDSA_P521_SHA384_ASN1,
                (OID_ECDSA_SHA512, 133) => &aws_lc_rs::signature::ECDSA_P521_SHA512_ASN1,
                _ => return Err(bad()),
            };
        aws_lc_rs::signature::UnparsedPublicKey::new(alg, parent_key)
            .verify(&tbs, sig)
            .map_err(|_| bad())?;
    }
    let secs = |t: x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
    };
    let mut valid = Validity {
        not_before: i64::MIN,
        not_after: i64::MAX,
    };
    for cert in &certs {
        let v = cert.tbs_certificate().validity();
        valid.not_before = valid.not_before.max(secs(v.not_before));
        valid.not_after = valid.not_after.min(secs(v.not_after));
    }
    Ok(valid)
}

impl IssuerDirectory {
    /// An empty directory: trusts nobody.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts `iss` with the keys of its JWKS document (as served at
    /// `iss + "/.well-known/jwks.json"`). Returns how many keys were added.
    pub fn add_jwks_json(&mut self, iss: &str, jwks: &str) -> Result<usize, ShcError> {
        let keys = check_jwks(jwks, Some(iss))?;
        let n = keys.len();
        for k in keys {
            self.add_checked(iss, k)?;
        }
        Ok(n)
    }

    /// Trusts `iss` with one already checked key.
    pub fn add_checked(&mut self, iss: &str, key: CheckedJwk) -> Result<(), ShcError> {
        let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &key.point)
            .map_err(|_| ShcError::JwkPoint(key.kid.clone()))?;
        self.issuers.entry(iss.to_owned()).or_default().insert(
            key.kid,
            TrustedKey {
                key: parsed,
                valid: key.valid,
            },
        );
        Ok(())
    }

    /// Loads a VCI-style directory listing (`{"participating_issuers":[{"iss":…}]}`,
    /// like the test data's `test-issuers.json`); `jwks_for` supplies each issuer's
    /// JWKS document (we never fetch over the network). Issuers without a JWKS are
    /// skipped and returned, so the caller can report them.
    pub fn add_vci_directory(
        &mut self,
        directory: &str,
        mut jwks_for: impl FnMut(&str) -> Option<String>,
    ) -> Result<Vec<String>, ShcError> {
        let v: Value =
            serde_json::from_str(directory).map_err(|e| ShcError::JwksJson(e.to_string()))?;
        let Some(list) = v.get("participating_issuers").and_then(Value::as_array) else {
            return Err(ShcError::JwksJson(
                "no `participating_issuers` array".into(),
            ));
        };
        let mut missing = Vec::new();
        for entry in list {
            let Some(iss) = entry.get("iss").and_then(Value::as_str) else {
                return Err(ShcError::JwksJson("an issuer without `iss`".into()));
            };
            match jwks_for(iss) {
                Some(jwks) => {
                    self.add_jwks_json(iss, &jwks)?;
                }
                None => missing.push(iss.to_owned()),
            }
        }
        Ok(missing)
    }

    /// Whether `iss` is trusted at all.
    pub fn contains_issuer(&self, iss: &str) -> bool {
        self.issuers.contains_key(iss)
    }

    /// The verification key for (`iss`, `kid`) and, when it came with an `x5c` chain,
    /// the period it may be used in; or the named reason there is none.
    pub(crate) fn lookup(
        &self,
        iss: &str,
        kid: &str,
    ) -> Result<(&ParsedPublicKey, Option<Validity>), ShcError> {
        let Some(keys) = self.issuers.get(iss) else {
            return Err(ShcError::UnknownIssuer(iss.to_owned()));
        };
        if let Some(k) = keys.get(kid) {
            return Ok((&k.key, k.valid));
        }
        if let Some((owner, _)) = self.issuers.iter().find(|(_, ks)| ks.contains_key(kid)) {
            return Err(ShcError::WrongKey {
                kid: kid.to_owned(),
                owner: owner.clone(),
            });
        }
        Err(ShcError::UnknownKid(kid.to_owned()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_thumbprint() {
        assert_eq!(
            thumbprint(
                "11XvRWy1I2S0EyJlyf_bWfw_TQ5CJJNLw78bHXNxcgw",
                "eZXwxvO1hvCY0KucrPfKo7yAyMT6Ajc3N7OkAB6VYy8"
            ),
            "3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s"
        );
    }

    #[test]
    fn lookup_errors() {
        let mut d = IssuerDirectory::new();
        d.add_jwks_json("https://a", crate::testdata::SPEC_EXAMPLE_JWKS)
            .unwrap();
        assert_eq!(
            d.lookup("https://b", "x").unwrap_err().code(),
            "shc.unknown_issuer"
        );
        assert_eq!(
            d.lookup("https://a", "x").unwrap_err().code(),
            "shc.unknown_kid"
        );
        d.issuers.insert("https://b".into(), HashMap::new());
        assert_eq!(
            d.lookup("https://b", "3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s")
                .unwrap_err()
                .code(),
            "shc.wrong_key"
        );
    }

    /// A JWK for a new P-256 key, with an `x5c` chain [leaf, root] made by rcgen:
    /// the leaf names `iss` and is valid in `leaf_years`, the root is a CA or not.
    fn jwk_with_chain(iss: &str, leaf_years: (i32, i32), root_is_ca: bool) -> Value {
        jwk_and_key_with_chain(iss, leaf_years, root_is_ca).0
    }

    /// [`jwk_with_chain`], with the key's PKCS#8 to sign cards with.
    fn jwk_and_key_with_chain(
        iss: &str,
        leaf_years: (i32, i32),
        root_is_ca: bool,
    ) -> (Value, Vec<u8>) {
        use base64::engine::general_purpose::STANDARD;
        use rcgen::{CertificateParams, IsCa, Issuer, KeyPair, PKCS_ECDSA_P256_SHA256, SanType};
        let root_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut root = CertificateParams::new(Vec::<String>::new()).unwrap();
        root.is_ca = if root_is_ca {
            IsCa::Ca(rcgen::BasicConstraints::Unconstrained)
        } else {
            IsCa::ExplicitNoCa
        };
        root.not_before = rcgen::date_time_ymd(2020, 1, 1);
        root.not_after = rcgen::date_time_ymd(2040, 1, 1);
        let root_der = root.self_signed(&root_key).unwrap().der().to_vec();
        let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
        leaf.subject_alt_names = vec![SanType::URI(iss.try_into().unwrap())];
        leaf.not_before = rcgen::date_time_ymd(leaf_years.0, 1, 1);
        leaf.not_after = rcgen::date_time_ymd(leaf_years.1, 1, 1);
        let leaf_der = leaf
            .signed_by(&leaf_key, &Issuer::new(root, root_key))
            .unwrap()
            .der()
            .to_vec();
        let point = leaf_key.public_key_raw();
        let (x, y) = (
            URL_SAFE_NO_PAD.encode(&point[1..33]),
            URL_SAFE_NO_PAD.encode(&point[33..]),
        );
        let jwk = serde_json::json!({
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig",
            "kid": thumbprint(&x, &y), "x": x, "y": y,
            "x5c": [STANDARD.encode(leaf_der), STANDARD.encode(root_der)],
        });
        (jwk, leaf_key.serialize_der())
    }

    #[test]
    fn cards_of_an_x5c_key_verify_only_inside_its_chain() {
        let iss = "https://issuer.example";
        let (jwk, pkcs8) = jwk_and_key_with_chain(iss, (2024, 2030), true);
        let mut d = IssuerDirectory::new();
        let jwks = serde_json::json!({ "keys": [jwk] }).to_string();
        d.add_jwks_json(iss, &jwks).unwrap();
        let issuer = crate::ShcIssuer::from_pkcs8(iss, &pkcs8).unwrap();
        let person = crate::Person {
            family: "Lin".into(),
            given: vec!["Yi".into()],
            birth_date: "1980-03-01".into(),
        };
        let dose = crate::ImmunizationInput {
            cvx: "511".into(),
            date: "2021-05-01".into(),
            lot: None,
            performer: "Fuzhou CDC".into(),
        };
        let (y2026, y2031, y2023) = (1_796_083_200, 1_924_992_000, 1_680_000_000);
        let card = issuer
            .issue_immunizations(&person, std::slice::from_ref(&dose), y2026)
            .unwrap();
        crate::verify::verify_jws(&card.jws, &d, y2026 + 60).expect("inside the chain");
        let late = crate::verify::verify_jws(&card.jws, &d, y2031).unwrap_err();
        assert_eq!(late.code(), "shc.x5c_not_valid_at", "{late}");
        // Signed (nbf) before the leaf was valid: refused even when verified in time.
        let early = issuer.issue_immunizations(&person, &[dose], y2023).unwrap();
        let err = crate::verify::verify_jws(&early.jws, &d, y2026).unwrap_err();
        assert_eq!(err.code(), "shc.x5c_not_valid_at", "{err}");
        assert!(err.to_string().contains(&y2023.to_string()), "{err}");
    }

    #[test]
    fn an_x5c_key_verifies_only_while_its_chain_is_valid() {
        let iss = "https://issuer.example";
        let jwk = jwk_with_chain(iss, (2024, 2030), true);
        let kid = jwk["kid"].as_str().unwrap().to_owned();
        let mut d = IssuerDirectory::new();
        let jwks = serde_json::json!({ "keys": [jwk] }).to_string();
        assert_eq!(d.add_jwks_json(iss, &jwks).unwrap(), 1);
        let (_, window) = d.lookup(iss, &kid).unwrap();
        let window = window.expect("a chain gives a period");
        // The leaf (2024-01-01 to 2030-01-01) is inside the root's (2020 to 2040).
        assert_eq!(
            (window.not_before, window.not_after),
            (1_704_067_200, 1_893_456_000)
        );
        for at in [1_704_067_200, 1_796_083_200, 1_893_456_000] {
            window.check(&kid, at).expect("inside, bounds included");
        }
        for at in [1_704_067_199, 1_893_456_001] {
            let err = window.check(&kid, at).unwrap_err();
            assert_eq!(err.code(), "shc.x5c_not_valid_at");
        }
        // A key without x5c has no period.
        d.add_jwks_json("https://a", crate::testdata::SPEC_EXAMPLE_JWKS)
            .unwrap();
        let (_, none) = d
            .lookup("https://a", "3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s")
            .unwrap();
        assert!(none.is_none());
    }

    #[test]
    fn an_x5c_chain_signed_by_a_non_ca_is_refused() {
        let iss = "https://issuer.example";
        let jwk = jwk_with_chain(iss, (2024, 2030), false);
        let err = check_jwk(&jwk, Some(iss)).unwrap_err();
        assert_eq!(err.code(), "shc.x5c_not_ca", "{err}");
        let ok = check_jwk(&jwk_with_chain(iss, (2024, 2030), true), Some(iss)).unwrap();
        let v = ok.valid.unwrap();
        assert_eq!((v.not_before, v.not_after), (1_704_067_200, 1_893_456_000));
    }
}
