//! The issuer's published trust list.
//!
//! This JSON document is a stable public format: the server publishes it at
//! `/v1/trust-list` and `healthcode verify --trust FILE` (and any third-party checker)
//! consumes it to verify codes offline from public keys alone. Fields are only ever
//! added, never renamed; unknown fields are ignored when reading so older verifiers keep
//! working with newer lists.
//!
//! ```json
//! {
//!   "issuer": "350000",
//!   "issuer_name": "Fujian Province",
//!   "generated_at": 1750000000,
//!   "keys": [{
//!     "kid": "47DEQpj8HBQ", "alg": "EdDSA", "crv": "Ed25519",
//!     "public_key": "<base64url, 32 bytes>", "status": "active",
//!     "not_before": 1750000000, "signs_until": null, "verify_until": null
//!   }]
//! }
//! ```

use aws_lc_rs::signature::{ED25519, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::keys::kid_for;

/// The only signature algorithm (COSE name) this crate issues and accepts.
pub const ALG_EDDSA: &str = "EdDSA";
/// The only curve this crate issues and accepts.
pub const CRV_ED25519: &str = "Ed25519";

/// Why a trust list was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TrustError {
    /// The document is not valid trust-list JSON.
    #[error("trust list is not valid JSON: {0}")]
    Json(String),
    /// The document parses but is inconsistent.
    #[error("invalid trust list: {0}")]
    Invalid(String),
}

/// The set of public keys an issuer (a province) vouches for, with their life cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustList {
    /// The province's 6-digit GB/T 2260 code, e.g. `"350000"`; codes must carry the
    /// same issuer.
    pub issuer: String,
    /// Human-readable issuer name, for display only.
    pub issuer_name: String,
    /// When this list was produced (Unix seconds), so checkers can warn on stale lists.
    pub generated_at: i64,
    /// All keys that are or were used, including retired and revoked ones, so that a
    /// verifier can tell "revoked" from "unknown".
    pub keys: Vec<TrustedKey>,
    /// The province's EU DCC document signer certificates (base64 of DER), to
    /// verify the HC1 certificates it issues.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dcc_signers: Vec<String>,
    /// The province's SMART Health Cards issuer and its public keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shc_issuer: Option<ShcIssuerKeys>,
    /// The keys that sign the audit log's tree heads (Ed25519), so a regulator
    /// can check the log from outside.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit_keys: Vec<TrustedKey>,
}

impl TrustList {
    /// Checks `signature` over `message` by the audit key `kid` of this list.
    pub fn verify_audit_signature(
        &self,
        kid: &str,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), TrustError> {
        let key = self
            .audit_keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or_else(|| TrustError::Invalid(format!("no audit key {kid} in the trust list")))?;
        if key.status == KeyStatus::Revoked {
            return Err(TrustError::Invalid(format!("audit key {kid} is revoked")));
        }
        if key.alg != ALG_EDDSA || key.crv != CRV_ED25519 {
            return Err(TrustError::Invalid(format!(
                "audit key {kid} is {}/{}, not EdDSA/Ed25519",
                key.alg, key.crv
            )));
        }
        let public = key
            .public_key_bytes()
            .ok_or_else(|| TrustError::Invalid(format!("audit key {kid} is malformed")))?;
        UnparsedPublicKey::new(&ED25519, &public)
            .verify(message, signature)
            .map_err(|_| TrustError::Invalid(format!("bad signature by audit key {kid}")))
    }
}

/// A SMART Health Cards issuer as a trust list carries it: the `iss` URL its
/// cards name and the JWKS it publishes at `iss/.well-known/jwks.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShcIssuerKeys {
    pub iss: String,
    /// The JWKS document (`{"keys": [...]}`), checked by the SHC verifier.
    pub jwks: serde_json::Value,
}

/// Life-cycle state of a published key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Signing, or rotated out but still verifying codes issued before `signs_until`.
    Active,
    /// No longer accepted: every code it signed has expired.
    Retired,
    /// Compromised or withdrawn: nothing it signed is accepted any more.
    Revoked,
}

/// One public key in the trust list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedKey {
    /// Key id: base64url (no padding) of the first 8 bytes of SHA-256(public key).
    pub kid: String,
    /// COSE algorithm name; always `"EdDSA"`.
    pub alg: String,
    /// Curve; always `"Ed25519"`.
    pub crv: String,
    /// Raw public key, base64url without padding (32 bytes → 43 characters).
    pub public_key: String,
    /// Life-cycle state.
    pub status: KeyStatus,
    /// When the key was introduced (Unix seconds).
    pub not_before: i64,
    /// When the key stopped signing new codes (rotation); codes claiming a later
    /// issue time are rejected.
    #[serde(default)]
    pub signs_until: Option<i64>,
    /// `signs_until` plus the longest code lifetime; after this the key is retired and
    /// nothing it signed is accepted.
    #[serde(default)]
    pub verify_until: Option<i64>,
}

impl TrustList {
    /// Looks a key up by its kid.
    pub fn find(&self, kid: &str) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Parses and [validates](TrustList::validate) a trust list, for consumers that
    /// load it from a file or the network.
    pub fn from_json(json: &str) -> Result<TrustList, TrustError> {
        let list: TrustList =
            serde_json::from_str(json).map_err(|e| TrustError::Json(e.to_string()))?;
        list.validate()?;
        Ok(list)
    }

    /// Checks internal consistency: a 6-digit issuer, unique kids, every key decodes to
    /// 32 bytes and its kid matches the key, only EdDSA/Ed25519, and
    /// `signs_until <= verify_until`. Catches publishing mistakes before they surface as
    /// puzzling verification failures.
    pub fn validate(&self) -> Result<(), TrustError> {
        if self.issuer.len() != 6 || !self.issuer.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TrustError::Invalid(format!(
                "issuer {:?} is not a 6-digit division code",
                self.issuer
            )));
        }
        for (i, key) in self.keys.iter().enumerate() {
            if self.keys[..i].iter().any(|k| k.kid == key.kid) {
                return Err(TrustError::Invalid(format!("duplicate kid {}", key.kid)));
            }
            if key.alg != ALG_EDDSA || key.crv != CRV_ED25519 {
                return Err(TrustError::Invalid(format!(
                    "key {}: unsupported alg/crv {}/{}",
                    key.kid, key.alg, key.crv
                )));
            }
            let raw = key.public_key_bytes().ok_or_else(|| {
                TrustError::Invalid(format!(
                    "key {}: public_key is not 32 bytes of base64url",
                    key.kid
                ))
            })?;
            if kid_for(&raw) != key.kid {
                return Err(TrustError::Invalid(format!(
                    "key {}: kid does not match the public key",
                    key.kid
                )));
            }
            if let (Some(s), Some(v)) = (key.signs_until, key.verify_until)
                && v < s
            {
                return Err(TrustError::Invalid(format!(
                    "key {}: verify_until is before signs_until",
                    key.kid
                )));
            }
        }
        Ok(())
    }
}

impl TrustedKey {
    /// Builds an entry from a raw public key; the kid is derived from the key so the
    /// two cannot disagree.
    pub fn from_public(
        public_key: &[u8; 32],
        status: KeyStatus,
        not_before: i64,
        signs_until: Option<i64>,
        verify_until: Option<i64>,
    ) -> TrustedKey {
        TrustedKey {
            kid: kid_for(public_key),
            alg: ALG_EDDSA.to_owned(),
            crv: CRV_ED25519.to_owned(),
            public_key: URL_SAFE_NO_PAD.encode(public_key),
            status,
            not_before,
            signs_until,
            verify_until,
        }
    }

    /// The raw public key, or `None` if the published string is not 32 bytes of
    /// base64url.
    pub fn public_key_bytes(&self) -> Option<[u8; 32]> {
        let raw = URL_SAFE_NO_PAD.decode(&self.public_key).ok()?;
        <[u8; 32]>::try_from(raw.as_slice()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TrustList {
        TrustList {
            dcc_signers: Vec::new(),
            shc_issuer: None,
            audit_keys: Vec::new(),
            issuer: "350000".to_owned(),
            issuer_name: "Fujian".to_owned(),
            generated_at: 1_750_000_000,
            keys: vec![
                TrustedKey::from_public(&[7; 32], KeyStatus::Active, 1_700_000_000, None, None),
                TrustedKey::from_public(
                    &[8; 32],
                    KeyStatus::Retired,
                    1_600_000_000,
                    Some(1_700_000_000),
                    Some(1_700_000_600),
                ),
            ],
        }
    }

    #[test]
    fn json_format_is_stable() {
        let list = sample();
        let json = serde_json::to_value(&list).expect("serialize");
        let key = &json["keys"][0];
        assert_eq!(json["issuer"], "350000");
        assert_eq!(key["alg"], "EdDSA");
        assert_eq!(key["crv"], "Ed25519");
        assert_eq!(key["status"], "active");
        assert_eq!(key["kid"], kid_for(&[7; 32]));
        assert_eq!(key["public_key"].as_str().map(str::len), Some(43));
        assert!(key["signs_until"].is_null());
        assert_eq!(json["keys"][1]["status"], "retired");
        assert_eq!(json["keys"][1]["verify_until"], 1_700_000_600);

        let text = serde_json::to_string(&list).expect("serialize");
        assert_eq!(TrustList::from_json(&text), Ok(list));
    }

    #[test]
    fn missing_optional_fields_and_unknown_fields_are_accepted() {
        let kid = kid_for(&[7; 32]);
        let pk = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let json = format!(
            r#"{{"issuer":"350000","issuer_name":"x","generated_at":1,"future":true,
                "keys":[{{"kid":"{kid}","alg":"EdDSA","crv":"Ed25519","public_key":"{pk}",
                          "status":"revoked","not_before":0}}]}}"#
        );
        let list = TrustList::from_json(&json).expect("parse");
        let key = list.find(&kid).expect("present");
        assert_eq!(key.status, KeyStatus::Revoked);
        assert_eq!(key.signs_until, None);
        assert_eq!(key.public_key_bytes(), Some([7; 32]));
        assert!(list.find("nope").is_none());
    }

    #[test]
    fn validate_catches_mistakes() {
        let mut bad = sample();
        bad.keys[0].kid = "AAAAAAAAAAA".to_owned();
        assert!(bad.validate().is_err());

        let mut bad = sample();
        bad.keys[0].public_key = "short".to_owned();
        assert!(bad.validate().is_err());

        let mut bad = sample();
        bad.keys[1] = bad.keys[0].clone();
        assert!(bad.validate().is_err());

        let mut bad = sample();
        bad.issuer = "35".to_owned();
        assert!(bad.validate().is_err());

        let mut bad = sample();
        bad.keys[0].alg = "ES256".to_owned();
        assert!(bad.validate().is_err());

        let mut bad = sample();
        bad.keys[1].verify_until = Some(1);
        assert!(bad.validate().is_err());

        assert!(matches!(
            TrustList::from_json("{"),
            Err(TrustError::Json(_))
        ));
    }
}
