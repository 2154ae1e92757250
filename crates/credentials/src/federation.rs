//! Federation: a national trust list that vouches for every province's keys.
//!
//! Each province publishes its own [`TrustList`]. A national authority collects
//! them into a [`NationalTrustList`], adds the [`RevocationList`] of individual
//! certificates, and signs the whole with its anchor key. A checker anywhere in
//! the country is configured with the anchor's public key alone
//! ([`TrustAnchor`]): it accepts codes of every province in the list and
//! nothing else. Dropping a province key from the list (or marking it revoked)
//! takes effect for every checker at its next list update.
//!
//! The signed form is JSON, so it can be inspected with any tool:
//!
//! ```json
//! { "format": "healthcode-national-trust-list/1", "alg": "EdDSA", "kid": "<anchor kid>",
//!   "payload": "<base64url of the list's JSON>", "signature": "<base64url>" }
//! ```
//!
//! The signature covers [`SIGNING_CONTEXT`] followed by the payload's bytes
//! exactly as published, so the verifier never has to reproduce a canonical
//! serialisation. The list carries a `sequence` (checkers refuse to go back to
//! an older list) and an `expires_at` (a list that stopped being refreshed
//! stops being trusted, so a blocked update cannot freeze a revoked key in).

use aws_lc_rs::signature::{ED25519, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::code::{self, VerifiedCode, VerifyError};
use crate::keys::{SigningKey, kid_for};
use crate::place::{self, VerifiedPlace};
use crate::revocation::{RevocationId, RevocationList};
use crate::trust::{ALG_EDDSA, CRV_ED25519, TrustList};

/// The `format` of a signed national list; a reader refuses any other.
pub const FORMAT: &str = "healthcode-national-trust-list/1";
/// Prepended to the payload before signing, so an anchor signature can never
/// be mistaken for a signature over a code or anything else.
pub const SIGNING_CONTEXT: &[u8] = b"healthcode-national-trust-list-v1\0";

/// Why a national trust list was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum FederationError {
    /// Not a signed list in the expected format.
    #[error("not a national trust list: {0}")]
    Malformed(String),
    /// Signed by another key than the configured anchor.
    #[error("the list is signed by {found}, not by the anchor {expected}")]
    WrongAnchor { expected: String, found: String },
    /// The anchor's signature does not verify: the list was altered.
    #[error("the anchor's signature does not verify")]
    BadSignature,
    /// The list is past its `expires_at`.
    #[error("the list expired at {expires_at}; fetch a fresh one")]
    Expired { expires_at: i64 },
    /// Older than a list already seen.
    #[error("list sequence {found} is older than {seen}, already seen")]
    Rollback { seen: u64, found: u64 },
    /// A province's list inside is invalid, or two share an issuer.
    #[error("invalid province list: {0}")]
    InvalidProvince(String),
}

impl FederationError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            FederationError::Malformed(_) => "trust.malformed",
            FederationError::WrongAnchor { .. } => "trust.wrong_anchor",
            FederationError::BadSignature => "trust.bad_signature",
            FederationError::Expired { .. } => "trust.expired",
            FederationError::Rollback { .. } => "trust.rollback",
            FederationError::InvalidProvince(_) => "trust.invalid_province",
        }
    }
}

/// The public key a checker is configured with: the only thing it must obtain
/// out of band (printed, or shipped with the app).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustAnchor {
    pub kid: String,
    pub alg: String,
    pub crv: String,
    /// Raw Ed25519 public key, base64url without padding.
    pub public_key: String,
}

impl TrustAnchor {
    /// The anchor of a national signing key.
    pub fn of(key: &SigningKey) -> TrustAnchor {
        let public = key.public_key();
        TrustAnchor {
            kid: kid_for(&public),
            alg: ALG_EDDSA.to_owned(),
            crv: CRV_ED25519.to_owned(),
            public_key: URL_SAFE_NO_PAD.encode(public),
        }
    }

    /// Parses an anchor file, checking that its kid matches its key.
    pub fn from_json(text: &str) -> Result<TrustAnchor, FederationError> {
        let anchor: TrustAnchor = serde_json::from_str(text)
            .map_err(|e| FederationError::Malformed(format!("anchor: {e}")))?;
        let key = anchor.key_bytes()?;
        if anchor.alg != ALG_EDDSA || anchor.crv != CRV_ED25519 || kid_for(&key) != anchor.kid {
            return Err(FederationError::Malformed(
                "anchor: must be an EdDSA/Ed25519 key whose kid matches it".to_owned(),
            ));
        }
        Ok(anchor)
    }

    fn key_bytes(&self) -> Result<[u8; 32], FederationError> {
        URL_SAFE_NO_PAD
            .decode(&self.public_key)
            .ok()
            .and_then(|raw| <[u8; 32]>::try_from(raw.as_slice()).ok())
            .ok_or_else(|| FederationError::Malformed("anchor: public_key is not 32 bytes".into()))
    }
}

/// Every province's trust list, with the revoked certificates, as vouched for
/// by the national anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NationalTrustList {
    /// Increases with every list published; checkers never go back.
    pub sequence: u64,
    /// When this list was built (Unix seconds).
    pub generated_at: i64,
    /// After this, checkers refuse the list until they fetch a newer one.
    pub expires_at: i64,
    /// One list per province (unique issuers).
    pub provinces: Vec<TrustList>,
    /// Individually revoked certificates of any province and format.
    #[serde(default)]
    pub revoked: RevocationList,
}

/// A national list as published: the payload bytes and the anchor's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTrustList {
    pub format: String,
    pub alg: String,
    /// The anchor's kid.
    pub kid: String,
    /// base64url of the [`NationalTrustList`] JSON.
    pub payload: String,
    /// base64url of the Ed25519 signature over [`SIGNING_CONTEXT`] ‖ payload bytes.
    pub signature: String,
}

impl NationalTrustList {
    /// The trust list of a province, by its 6-digit issuer code.
    pub fn province(&self, issuer: &str) -> Option<&TrustList> {
        self.provinces.iter().find(|p| p.issuer == issuer)
    }

    /// Verifies a personal health code of any province in the list. A code
    /// whose key was dropped from its province's list (or whose province is not
    /// in the list) fails with [`VerifyError::UnknownKey`]; a certificate on
    /// the revocation list with [`VerifyError::RevokedCertificate`].
    pub fn verify_code(
        &self,
        payload: &str,
        now: i64,
        skew_seconds: i64,
    ) -> Result<VerifiedCode, VerifyError> {
        let (claims, kid) = code::peek(payload)?;
        let province = self
            .province(&claims.issuer)
            .ok_or(VerifyError::UnknownKey { kid })?;
        let verified = code::verify(payload, province, now, skew_seconds)?;
        self.not_revoked(&verified.revocation_id)?;
        Ok(verified)
    }

    /// Verifies a place code of any province in the list, as [`verify_code`](Self::verify_code).
    pub fn verify_place(
        &self,
        payload: &str,
        now: i64,
        skew_seconds: i64,
    ) -> Result<VerifiedPlace, VerifyError> {
        let (claims, kid) = place::peek_place(payload)?;
        let province = self
            .province(&claims.issuer)
            .ok_or(VerifyError::UnknownKey { kid })?;
        let verified = place::verify_place(payload, province, now, skew_seconds)?;
        self.not_revoked(&verified.revocation_id)?;
        Ok(verified)
    }

    /// Fails if the certificate is on the revocation list.
    pub fn not_revoked(&self, id: &RevocationId) -> Result<(), VerifyError> {
        if self.revoked.contains(id) {
            Err(VerifyError::RevokedCertificate)
        } else {
            Ok(())
        }
    }

    /// Checks every province list and that no issuer appears twice.
    pub fn validate(&self) -> Result<(), FederationError> {
        for (i, province) in self.provinces.iter().enumerate() {
            province
                .validate()
                .map_err(|e| FederationError::InvalidProvince(e.to_string()))?;
            if self.provinces[..i]
                .iter()
                .any(|p| p.issuer == province.issuer)
            {
                return Err(FederationError::InvalidProvince(format!(
                    "issuer {} appears twice",
                    province.issuer
                )));
            }
        }
        if self.expires_at <= self.generated_at {
            return Err(FederationError::Malformed(
                "expires_at must be after generated_at".to_owned(),
            ));
        }
        Ok(())
    }

    /// Validates and signs the list with the national anchor key.
    pub fn sign(&self, anchor: &SigningKey) -> Result<SignedTrustList, FederationError> {
        self.validate()?;
        let payload =
            serde_json::to_vec(self).map_err(|e| FederationError::Malformed(e.to_string()))?;
        let mut signed = SIGNING_CONTEXT.to_vec();
        signed.extend_from_slice(&payload);
        Ok(SignedTrustList {
            format: FORMAT.to_owned(),
            alg: ALG_EDDSA.to_owned(),
            kid: anchor.kid().to_owned(),
            payload: URL_SAFE_NO_PAD.encode(&payload),
            signature: URL_SAFE_NO_PAD.encode(anchor.sign(&signed)),
        })
    }
}

impl SignedTrustList {
    /// Parses the published JSON (without checking the signature yet).
    pub fn from_json(text: &str) -> Result<SignedTrustList, FederationError> {
        let signed: SignedTrustList =
            serde_json::from_str(text).map_err(|e| FederationError::Malformed(e.to_string()))?;
        if signed.format != FORMAT || signed.alg != ALG_EDDSA {
            return Err(FederationError::Malformed(format!(
                "format {:?} / alg {:?} is not {FORMAT} / {ALG_EDDSA}",
                signed.format, signed.alg
            )));
        }
        Ok(signed)
    }

    /// Checks the anchor's signature, then parses and validates the list, then
    /// its freshness at `now`; `seen` is the highest sequence the checker has
    /// accepted before (0 if none).
    pub fn open(
        &self,
        anchor: &TrustAnchor,
        now: i64,
        seen: u64,
    ) -> Result<NationalTrustList, FederationError> {
        let list = self.verified(anchor)?;
        if now >= list.expires_at {
            return Err(FederationError::Expired {
                expires_at: list.expires_at,
            });
        }
        if list.sequence < seen {
            return Err(FederationError::Rollback {
                seen,
                found: list.sequence,
            });
        }
        Ok(list)
    }

    /// The list if the anchor signed it, whatever its age: what a checker reads
    /// from its last saved list to learn the sequence it has seen.
    pub fn verified(&self, anchor: &TrustAnchor) -> Result<NationalTrustList, FederationError> {
        if self.kid != anchor.kid {
            return Err(FederationError::WrongAnchor {
                expected: anchor.kid.clone(),
                found: self.kid.clone(),
            });
        }
        let payload = URL_SAFE_NO_PAD
            .decode(&self.payload)
            .map_err(|_| FederationError::Malformed("payload is not base64url".to_owned()))?;
        let signature = URL_SAFE_NO_PAD
            .decode(&self.signature)
            .map_err(|_| FederationError::Malformed("signature is not base64url".to_owned()))?;
        let mut signed = SIGNING_CONTEXT.to_vec();
        signed.extend_from_slice(&payload);
        UnparsedPublicKey::new(&ED25519, anchor.key_bytes()?)
            .verify(&signed, &signature)
            .map_err(|_| FederationError::BadSignature)?;
        let list: NationalTrustList = serde_json::from_slice(&payload)
            .map_err(|e| FederationError::Malformed(e.to_string()))?;
        list.validate()?;
        Ok(list)
    }
}

#[cfg(test)]
mod tests;
