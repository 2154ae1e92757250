//! The personal health code: a short-lived signed token shown as a QR code.
//!
//! # Wire format
//!
//! ```text
//! "HCP1:" || base45( COSE_Sign1 )
//!
//! COSE_Sign1 = #6.18([                      ; tag 18, as in the EU DCC
//!     protected:   bstr .cbor { 1: -8,       ; alg: EdDSA
//!                               4: h'…' },   ; kid: 8 bytes, see crate::keys
//!     unprotected: {},                       ; must be empty (nothing unsigned)
//!     payload:     bstr .cbor claims,
//!     signature:   bstr .size 64             ; Ed25519 over the Sig_structure
//! ])
//!
//! claims = {
//!      1      => tstr,        ; iss: 6-digit GB/T 2260 province code
//!      4      => int,         ; exp: Unix seconds
//!      6      => int,         ; iat: Unix seconds
//!     -65537  => 1,           ; token type: 1 = personal health code
//!     -65538  => bstr .size 16, ; subject: pseudonymous handle
//!     -65539  => 0 / 1 / 2,   ; colour: green / yellow / red
//!     -65540  => tstr,        ; masked name, e.g. "欧**娜"
//!     -65541  => tstr,        ; policy version, e.g. "builtin-1"
//! }
//! ```
//!
//! Design decisions:
//!
//! * Our own claims use the CWT *private-use* range (below -65536). Small negative
//!   keys would save 4 bytes each (about 30 base45 characters in total) but they
//!   belong to IANA-managed ranges; squatting there could collide with a future
//!   registration. A realistic code is 259 characters, QR version 9 at level M (which
//!   holds 262); a slightly longer name or policy version moves it to version 10.
//! * The token type is a signed claim, not only the unsigned `HCP1:` prefix, so a
//!   place code ([`crate::place`], `HCV1:`, type 2) signed by the same key can never
//!   be accepted as a personal code by swapping prefixes. Either way the rejection is
//!   [`VerifyError::Malformed`] with a detail starting `"wrong token type"`.
//! * Claim keys are allocated across all token types (`-65538..=-65541` here,
//!   `-65542..=-65544` for place codes), never reused with another meaning.
//! * No compression: the whole COSE object is ~170 bytes, 80 of them a signature and a
//!   random subject that do not compress and most of the rest short one-off values;
//!   zlib's header and checksum would eat any gain, and inflating untrusted input
//!   before the signature check is an avoidable attack surface.
//! * Everything is strict and canonical: the base45 text and the COSE structure must
//!   re-encode to exactly what was received, the unprotected header must be empty,
//!   and unknown claims or header parameters are rejected. So one signed code has
//!   exactly one valid text (a replay cache can key on it), and a verifier never
//!   silently ignores a claim it does not understand.
//! * Base45 output uses only the 45 characters of QR alphanumeric mode, and so does
//!   the prefix, so the whole payload is encoded at 5.5 bits per character.
//!
//! # Time semantics
//!
//! With `skew` the tolerated clock difference between issuer and checker (negative
//! values count as 0), a code is accepted while
//! `issued_at - skew <= now < expires_at + skew`: expiry is strict, so at
//! `now == expires_at + skew` the code is already expired.

use ciborium::value::Value;
use healthcode_domain::colour::Colour;

use crate::cose::{self, TokenKind, malformed, text_claim, uint_claim};
use crate::keys::SigningKey;
use crate::revocation::RevocationId;
use crate::trust::TrustList;

// Only the tests build tokens by hand.
#[cfg(test)]
use crate::trust::KeyStatus;
#[cfg(test)]
use coset::{
    CborSerializable as _, CoseSign1, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable as _,
    iana,
};

/// Prefix of a personal health code payload. Our own (not the EU's `HC1:`), versioned
/// so the format can evolve, and made of QR alphanumeric characters only.
pub const PREFIX: &str = "HCP1:";

/// Longest payload `verify` will look at, bounding the work done on hostile input.
/// Real codes are about 260 characters.
pub const MAX_PAYLOAD_LEN: usize = cose::MAX_PAYLOAD_LEN;

/// Value of the token-type claim that marks a personal health code; place codes
/// use [`crate::place::TOKEN_TYPE_PLACE`].
pub const TOKEN_TYPE_PERSONAL: u64 = 1;

/// Longest masked name `issue` accepts, in UTF-8 bytes (ten CJK characters), so that
/// even a maximal code stays within QR version 11 at level M. Defined by the domain,
/// whose `mask_name` never exceeds it, so that every registered name can be signed.
pub use healthcode_domain::mask::MAX_MASKED_NAME_LEN;

/// Longest policy version `issue` accepts, in bytes; see [`MAX_MASKED_NAME_LEN`].
pub const MAX_POLICY_VERSION_LEN: usize = 32;

const CLAIM_SUBJECT: i64 = -65538;
const CLAIM_COLOUR: i64 = -65539;
const CLAIM_MASKED_NAME: i64 = -65540;
const CLAIM_POLICY_VERSION: i64 = -65541;

/// What a personal health code asserts about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCodeClaims {
    /// The issuing province's 6-digit GB/T 2260 code; must match the trust list.
    pub issuer: String,
    /// Pseudonymous handle computed by the caller; never an ID number.
    pub subject: [u8; 16],
    /// The colour the checker shows.
    pub colour: Colour,
    /// Unix seconds when the code was issued.
    pub issued_at: i64,
    /// Unix seconds from which the code is no longer accepted (see module docs).
    pub expires_at: i64,
    /// Masked name the checker compares with the person, e.g. `欧**娜`.
    pub masked_name: String,
    /// Version of the policy that computed the colour, for appeals and audits.
    pub policy_version: String,
}

/// A code that passed every check in [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCode {
    /// The verified claims.
    pub claims: HealthCodeClaims,
    /// Kid of the key that signed it.
    pub kid: String,
    /// `now - issued_at`, clamped at 0, so a checker can show freshness.
    pub age_seconds: i64,
    /// How a revocation list would name this code.
    pub revocation_id: RevocationId,
}

/// Why a code could not be issued.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodeError {
    /// The claims violate the format's constraints.
    #[error("invalid claims: {0}")]
    InvalidClaims(String),
    /// CBOR/COSE serialisation failed (should not happen for valid claims).
    #[error("could not encode the code: {0}")]
    Encoding(String),
}

/// Why a code was rejected. Use [`VerifyError::code`] for stable machine-readable
/// codes; the messages are for humans and may change.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// Not a well-formed personal health code; the detail says where parsing failed.
    #[error("malformed code: {0}")]
    Malformed(String),
    /// Signed with an algorithm other than EdDSA, or the trusted key is not Ed25519.
    #[error("unsupported signature algorithm {alg}")]
    UnsupportedAlgorithm {
        /// The algorithm found.
        alg: String,
    },
    /// The kid is not in the trust list.
    #[error("unknown or revoked key {kid}: it is not in the trust list")]
    UnknownKey {
        /// The kid from the code.
        kid: String,
    },
    /// The key was revoked; nothing it signed is accepted.
    #[error("signing key {kid} has been revoked")]
    RevokedKey {
        /// The kid from the code.
        kid: String,
    },
    /// The key is retired, or the code claims to be issued after the key stopped
    /// signing.
    #[error("signing key {kid} is retired")]
    RetiredKey {
        /// The kid from the code.
        kid: String,
    },
    /// The signature does not verify (tampered or forged code), or the trusted key is
    /// unusable.
    #[error("signature does not verify")]
    BadSignature,
    /// The code has expired.
    #[error("code expired at {expired_at}")]
    Expired {
        /// The code's `expires_at`.
        expired_at: i64,
    },
    /// The code is issued in the future, beyond the tolerated skew.
    #[error("code is not valid before {issued_at}")]
    NotYetValid {
        /// The code's `issued_at`.
        issued_at: i64,
    },
    /// This very certificate is on the revocation list.
    #[error("this code has been revoked")]
    RevokedCertificate,
    /// The code names another issuer than the trust list.
    #[error("code issued by {found}, expected {expected}")]
    WrongIssuer {
        /// The trust list's issuer.
        expected: String,
        /// The code's issuer.
        found: String,
    },
}

impl VerifyError {
    /// Stable machine-readable code for APIs, logs and checker UIs.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::Malformed(_) => "code.malformed",
            VerifyError::UnsupportedAlgorithm { .. } => "code.unsupported_algorithm",
            VerifyError::UnknownKey { .. } => "code.unknown_key",
            VerifyError::RevokedKey { .. } => "code.revoked_key",
            VerifyError::RetiredKey { .. } => "code.retired_key",
            VerifyError::BadSignature => "code.bad_signature",
            VerifyError::Expired { .. } => "code.expired",
            VerifyError::NotYetValid { .. } => "code.not_yet_valid",
            VerifyError::WrongIssuer { .. } => "code.wrong_issuer",
            VerifyError::RevokedCertificate => "code.revoked_certificate",
        }
    }
}

/// Signs `claims` with `key` and returns the `HCP1:` payload to put in a QR code.
pub fn issue(claims: &HealthCodeClaims, key: &SigningKey) -> Result<String, CodeError> {
    validate_for_issue(claims)?;
    let payload = encode_claims(claims, TOKEN_TYPE_PERSONAL)?;
    sign_payload(payload, key)
}

/// Decodes a payload *without verifying anything*: for diagnostics only.
///
/// The result is untrusted. Anyone can produce a payload that peeks as green; only
/// [`verify`] tells whether the issuer signed it and whether it is still valid.
pub fn peek(payload: &str) -> Result<(HealthCodeClaims, String), VerifyError> {
    let (envelope, claims) = decode(payload)?;
    Ok((claims, envelope.kid()))
}

/// How a revocation list names this code, read without verifying it (for the
/// authority that revokes it).
pub fn peek_revocation_id(payload: &str) -> Result<RevocationId, VerifyError> {
    Ok(decode(payload)?.0.revocation_id())
}

/// Verifies a scanned payload offline against the issuer's trust list at time `now`.
///
/// Checks, in this order (the first failure is reported): structure and claims
/// (`Malformed`, also for a place code: the detail starts with `"wrong token type"`),
/// algorithm is EdDSA, the kid is in the trust list, the key is not revoked, the key
/// is not retired (status `retired`, `now > verify_until`, or the code claims
/// `issued_at > signs_until`), the signature, `issued_at <= now + skew`,
/// `now < expires_at + skew`, and the issuer matches the trust list.
pub fn verify(
    payload: &str,
    trust: &TrustList,
    now: i64,
    skew_seconds: i64,
) -> Result<VerifiedCode, VerifyError> {
    let (envelope, claims) = decode(payload)?;
    let kid = cose::check_key_and_signature(
        &envelope,
        TokenKind::Personal,
        claims.issued_at,
        trust,
        now,
    )?;
    cose::check_validity(
        &claims.issuer,
        claims.issued_at,
        Some(claims.expires_at),
        trust,
        now,
        skew_seconds,
    )?;

    let age_seconds = now.saturating_sub(claims.issued_at).max(0);
    Ok(VerifiedCode {
        claims,
        kid,
        age_seconds,
        revocation_id: envelope.revocation_id(),
    })
}

fn validate_for_issue(claims: &HealthCodeClaims) -> Result<(), CodeError> {
    let invalid = |detail: String| Err(CodeError::InvalidClaims(detail));
    if !cose::is_division_code(&claims.issuer) {
        return invalid(format!(
            "issuer {:?} is not a 6-digit division code",
            claims.issuer
        ));
    }
    if claims.expires_at <= claims.issued_at {
        return invalid("expires_at must be after issued_at".to_owned());
    }
    if claims.masked_name.len() > MAX_MASKED_NAME_LEN {
        return invalid(format!(
            "masked_name is longer than {MAX_MASKED_NAME_LEN} bytes"
        ));
    }
    if claims.policy_version.is_empty() || claims.policy_version.len() > MAX_POLICY_VERSION_LEN {
        return invalid(format!(
            "policy_version must be 1 to {MAX_POLICY_VERSION_LEN} bytes"
        ));
    }
    Ok(())
}

fn colour_to_cbor(colour: Colour) -> u64 {
    match colour {
        Colour::Green => 0,
        Colour::Yellow => 1,
        Colour::Red => 2,
    }
}

fn colour_from_cbor(n: u64) -> Option<Colour> {
    match n {
        0 => Some(Colour::Green),
        1 => Some(Colour::Yellow),
        2 => Some(Colour::Red),
        _ => None,
    }
}

/// Serialises the claims map; the token type is a parameter so tests can build
/// other token types.
fn encode_claims(claims: &HealthCodeClaims, token_type: u64) -> Result<Vec<u8>, CodeError> {
    cose::encode_claims(
        &claims.issuer,
        claims.issued_at,
        Some(claims.expires_at),
        token_type,
        vec![
            (CLAIM_SUBJECT, Value::Bytes(claims.subject.to_vec())),
            (CLAIM_COLOUR, Value::from(colour_to_cbor(claims.colour))),
            (CLAIM_MASKED_NAME, Value::Text(claims.masked_name.clone())),
            (
                CLAIM_POLICY_VERSION,
                Value::Text(claims.policy_version.clone()),
            ),
        ],
    )
}

/// Wraps a serialised claims map in a signed, tagged COSE_Sign1 and base45-encodes it.
fn sign_payload(payload: Vec<u8>, key: &SigningKey) -> Result<String, CodeError> {
    cose::sign(payload, key, PREFIX)
}

/// Strictly decodes a personal health code, without checking its signature.
fn decode(payload: &str) -> Result<(cose::Envelope, HealthCodeClaims), VerifyError> {
    let (envelope, common) = cose::decode(payload, TokenKind::Personal)?;
    let expires_at = common
        .expires_at
        .ok_or_else(|| malformed("missing claim exp (4)"))?;

    let mut subject = None;
    let mut colour = None;
    let mut masked_name = None;
    let mut policy_version = None;
    for (id, value) in common.private {
        match id {
            CLAIM_SUBJECT => match value {
                Value::Bytes(b) => {
                    let handle = <[u8; 16]>::try_from(b.as_slice())
                        .map_err(|_| malformed(format!("claim {id} (subject) must be 16 bytes")))?;
                    subject = Some(handle);
                }
                _ => return Err(malformed(format!("claim {id} (subject) must be bytes"))),
            },
            CLAIM_COLOUR => {
                let n = uint_claim(value, id)?;
                colour = Some(colour_from_cbor(n).ok_or_else(|| {
                    malformed(format!("claim {id} (colour) has unknown value {n}"))
                })?);
            }
            CLAIM_MASKED_NAME => masked_name = Some(text_claim(value, id)?),
            CLAIM_POLICY_VERSION => policy_version = Some(text_claim(value, id)?),
            other => return Err(malformed(format!("unknown claim {other}"))),
        }
    }

    let claims = HealthCodeClaims {
        issuer: common.issuer,
        subject: subject
            .ok_or_else(|| malformed(format!("missing claim {CLAIM_SUBJECT} (subject)")))?,
        colour: colour
            .ok_or_else(|| malformed(format!("missing claim {CLAIM_COLOUR} (colour)")))?,
        issued_at: common.issued_at,
        expires_at,
        masked_name: masked_name
            .ok_or_else(|| malformed(format!("missing claim {CLAIM_MASKED_NAME} (masked name)")))?,
        policy_version: policy_version.ok_or_else(|| {
            malformed(format!(
                "missing claim {CLAIM_POLICY_VERSION} (policy version)"
            ))
        })?,
    };
    Ok((envelope, claims))
}

#[cfg(test)]
mod tests;
