//! Machinery shared by every signed token type ([`crate::code`], [`crate::place`]).
//!
//! A token is `PREFIX || base45( COSE_Sign1 )` over a CWT-style claims map (see the
//! wire format in [`crate::code`]). Everything that does not depend on which claims a
//! token carries lives here, so the two token types cannot drift apart: signing a
//! claims map, the strict decoding of the envelope, the claims common to every token
//! (iss, exp, iat, the token-type claim), the key lookup and signature check, and the
//! time and issuer checks.
//!
//! # Token types
//!
//! Every token carries the signed token-type claim `-65537`, and decoding checks it
//! *before* anything specific to a token type, right after the claims map parses. A
//! token of another type is rejected as [`VerifyError::Malformed`] with a detail that
//! starts with `"wrong token type"`, whether the type shows in the unsigned prefix (a
//! place code scanned by a personal-code checker) or only in the signed claim (the
//! prefix was swapped). We keep `Malformed` (stable code `code.malformed`) rather than
//! a dedicated variant so the published set of error codes does not change; a checker
//! that wants to say "this is a venue poster, not a health code" can match the
//! detail's prefix.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ciborium::value::Value;
use coset::cwt::{ClaimName, ClaimsSet, Timestamp};
use coset::iana::{self, EnumI64 as _};
use coset::{
    Algorithm, CborSerializable as _, CoseSign1, CoseSign1Builder, HeaderBuilder,
    RegisteredLabelWithPrivate, TaggedCborSerializable as _,
};

use aws_lc_rs::signature::{ED25519, UnparsedPublicKey};

use crate::revocation::RevocationId;

use crate::code::{CodeError, VerifyError};
use crate::keys::SigningKey;
use crate::trust::{ALG_EDDSA, CRV_ED25519, KeyStatus, TrustList};

/// Longest payload any verifier looks at, bounding the work done on hostile input.
pub(crate) const MAX_PAYLOAD_LEN: usize = 2048;

/// The token-type claim, shared by every token type so that one can never be
/// mistaken for another.
pub(crate) const CLAIM_TOKEN_TYPE: i64 = -65537;

/// Longest kid accepted in the protected header; ours are 8 bytes.
const MAX_KID_LEN: usize = 64;

/// The token types signed with the issuer's keys; each has its own prefix and
/// token-type claim value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// The personal health code, [`crate::code`].
    Personal,
    /// The venue place code, [`crate::place`].
    Place,
}

impl TokenKind {
    const ALL: [TokenKind; 2] = [TokenKind::Personal, TokenKind::Place];

    /// The unsigned text prefix, so a scanner can route a payload without decoding.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            TokenKind::Personal => crate::code::PREFIX,
            TokenKind::Place => crate::place::PREFIX,
        }
    }

    /// The signed token-type claim value, which is what actually decides the type.
    pub(crate) fn token_type(self) -> u64 {
        match self {
            TokenKind::Personal => crate::code::TOKEN_TYPE_PERSONAL,
            TokenKind::Place => crate::place::TOKEN_TYPE_PLACE,
        }
    }

    /// Human-readable name for error details.
    fn name(self) -> &'static str {
        match self {
            TokenKind::Personal => "personal health code",
            TokenKind::Place => "place code",
        }
    }

    /// How a short-lived or long-lived token treats a retired key (see
    /// [`check_key_and_signature`]).
    fn key_rule(self) -> KeyRule {
        match self {
            TokenKind::Personal => KeyRule::ShortLived,
            TokenKind::Place => KeyRule::LongLived,
        }
    }
}

/// Whether a token's life cycle is bounded by the key's verification window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyRule {
    /// Minutes-long tokens: the key must still be active (`status` not retired,
    /// `now <= verify_until`) and the token issued no later than `signs_until`.
    ShortLived,
    /// Printed tokens: the key may be retired, only `issued_at <= signs_until` counts.
    LongLived,
}

pub(crate) fn malformed(detail: impl Into<String>) -> VerifyError {
    VerifyError::Malformed(detail.into())
}

/// Whether `s` looks like a 6-digit GB/T 2260 division code.
pub(crate) fn is_division_code(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Serialises a claims map: the common claims, the token type, then `private` in
/// the given order (callers pass them sorted by key so the encoding is
/// deterministic).
pub(crate) fn encode_claims(
    issuer: &str,
    issued_at: i64,
    expires_at: Option<i64>,
    token_type: u64,
    private: Vec<(i64, Value)>,
) -> Result<Vec<u8>, CodeError> {
    let mut rest = Vec::with_capacity(private.len() + 1);
    rest.push((
        ClaimName::PrivateUse(CLAIM_TOKEN_TYPE),
        Value::from(token_type),
    ));
    rest.extend(
        private
            .into_iter()
            .map(|(id, value)| (ClaimName::PrivateUse(id), value)),
    );
    let set = ClaimsSet {
        issuer: Some(issuer.to_owned()),
        expiration_time: expires_at.map(Timestamp::WholeSeconds),
        issued_at: Some(Timestamp::WholeSeconds(issued_at)),
        rest,
        ..ClaimsSet::default()
    };
    set.to_vec()
        .map_err(|e| CodeError::Encoding(format!("claims: {e}")))
}

/// Wraps a serialised claims map in a signed, tagged COSE_Sign1 and base45-encodes
/// it behind `prefix`.
pub(crate) fn sign(payload: Vec<u8>, key: &SigningKey, prefix: &str) -> Result<String, CodeError> {
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .key_id(key.kid_bytes().to_vec())
        .build();
    let bytes = CoseSign1Builder::new()
        .protected(protected)
        .payload(payload)
        .create_signature(&[], |tbs| key.sign(tbs).to_vec())
        .build()
        .to_tagged_vec()
        .map_err(|e| CodeError::Encoding(format!("COSE_Sign1: {e}")))?;
    Ok(format!("{prefix}{}", base45::encode(&bytes)))
}

/// A structurally valid envelope whose signature has not been checked yet.
pub(crate) struct Envelope {
    sign1: CoseSign1,
    alg: Algorithm,
    kid_bytes: Vec<u8>,
}

impl Envelope {
    /// The kid as looked up in the trust list (base64url, no padding).
    pub(crate) fn kid(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.kid_bytes)
    }

    /// Names this token in a revocation list.
    pub(crate) fn revocation_id(&self) -> RevocationId {
        RevocationId::of_signature(&self.sign1.signature)
    }
}

/// Strictly decodes `payload` as a token of type `kind`: the envelope, then the
/// claims common to every token type. The caller parses [`CommonClaims::private`].
pub(crate) fn decode(
    payload: &str,
    kind: TokenKind,
) -> Result<(Envelope, CommonClaims), VerifyError> {
    let envelope = decode_envelope(payload, kind)?;
    let claims_bytes = envelope
        .sign1
        .payload
        .as_deref()
        .ok_or_else(|| malformed("payload is detached"))?;
    let claims = decode_common_claims(claims_bytes, kind)?;
    Ok((envelope, claims))
}

fn decode_envelope(payload: &str, kind: TokenKind) -> Result<Envelope, VerifyError> {
    if payload.len() > MAX_PAYLOAD_LEN {
        return Err(malformed(format!(
            "payload is {} bytes, longer than the maximum {MAX_PAYLOAD_LEN}",
            payload.len()
        )));
    }
    let prefix = kind.prefix();
    let Some(body) = payload.strip_prefix(prefix) else {
        if let Some(other) = TokenKind::ALL
            .into_iter()
            .find(|other| payload.starts_with(other.prefix()))
        {
            return Err(malformed(format!(
                "wrong token type: payload starts with {} ({}), expected {prefix} ({})",
                other.prefix(),
                other.name(),
                kind.name()
            )));
        }
        return Err(malformed(format!("payload does not start with {prefix}")));
    };
    let bytes = base45::decode(body).map_err(|_| malformed("payload is not valid base45"))?;
    // The base45 decoder silently truncates an out-of-range final pair; insist on the
    // one canonical text for these bytes.
    if base45::encode(&bytes) != body {
        return Err(malformed("payload is not canonical base45"));
    }

    let sign1 = CoseSign1::from_tagged_slice(&bytes)
        .map_err(|e| malformed(format!("not a tagged COSE_Sign1: {e}")))?;
    if sign1.clone().to_tagged_vec().ok().as_deref() != Some(bytes.as_slice()) {
        return Err(malformed("COSE_Sign1 is not canonically encoded"));
    }
    if !sign1.unprotected.is_empty() {
        return Err(malformed("unprotected header must be empty"));
    }
    let header = &sign1.protected.header;
    if !header.crit.is_empty()
        || header.content_type.is_some()
        || !header.iv.is_empty()
        || !header.partial_iv.is_empty()
        || !header.counter_signatures.is_empty()
        || !header.rest.is_empty()
    {
        return Err(malformed(
            "protected header has parameters other than alg and kid",
        ));
    }
    let alg = header
        .alg
        .clone()
        .ok_or_else(|| malformed("protected header has no alg"))?;
    let kid_bytes = header.key_id.clone();
    if kid_bytes.is_empty() {
        return Err(malformed("protected header has no kid"));
    }
    if kid_bytes.len() > MAX_KID_LEN {
        return Err(malformed(format!("kid is longer than {MAX_KID_LEN} bytes")));
    }
    Ok(Envelope {
        sign1,
        alg,
        kid_bytes,
    })
}

/// The claims every token type carries, plus the type-specific ones still to parse.
pub(crate) struct CommonClaims {
    /// iss (1).
    pub(crate) issuer: String,
    /// iat (6).
    pub(crate) issued_at: i64,
    /// exp (4); `decode` has checked it is after `issued_at`.
    pub(crate) expires_at: Option<i64>,
    /// The private-use claims other than the token type, in encoded order.
    pub(crate) private: Vec<(i64, Value)>,
}

fn decode_common_claims(bytes: &[u8], kind: TokenKind) -> Result<CommonClaims, VerifyError> {
    let set = ClaimsSet::from_slice(bytes)
        .map_err(|e| malformed(format!("payload is not a CWT claims map: {e}")))?;

    // The token type first, so a token of another type is reported as such rather than
    // as whatever claim of its own this type does not know.
    let mut token_type = None;
    let mut rest = Vec::with_capacity(set.rest.len());
    for (name, value) in set.rest {
        match name {
            ClaimName::PrivateUse(CLAIM_TOKEN_TYPE) => {
                token_type = Some(uint_claim(value, CLAIM_TOKEN_TYPE)?);
            }
            other => rest.push((other, value)),
        }
    }
    let token_type =
        token_type.ok_or_else(|| malformed(format!("missing claim {CLAIM_TOKEN_TYPE} (type)")))?;
    if token_type != kind.token_type() {
        let found = match TokenKind::ALL
            .into_iter()
            .find(|k| k.token_type() == token_type)
        {
            Some(other) => format!(" ({})", other.name()),
            None => String::new(),
        };
        return Err(malformed(format!(
            "wrong token type {token_type}{found}, expected {} ({})",
            kind.token_type(),
            kind.name()
        )));
    }

    if set.subject.is_some()
        || set.audience.is_some()
        || set.not_before.is_some()
        || set.cwt_id.is_some()
    {
        return Err(malformed(
            "unexpected standard claim (sub, aud, nbf or cti)",
        ));
    }
    let issuer = set
        .issuer
        .ok_or_else(|| malformed("missing claim iss (1)"))?;
    // Optional here: personal codes require it, place codes may omit it.
    let expires_at = match set.expiration_time {
        None => None,
        t => Some(whole_seconds(t, "exp (4)")?),
    };
    let issued_at = whole_seconds(set.issued_at, "iat (6)")?;

    let mut private = Vec::with_capacity(rest.len());
    for (name, value) in rest {
        match name {
            ClaimName::PrivateUse(id) => private.push((id, value)),
            other => {
                return Err(malformed(format!(
                    "unknown claim {}",
                    claim_name_text(&other)
                )));
            }
        }
    }
    if expires_at.is_some_and(|exp| exp <= issued_at) {
        return Err(malformed("exp is not after iat"));
    }
    Ok(CommonClaims {
        issuer,
        issued_at,
        expires_at,
        private,
    })
}

/// Checks the algorithm, finds the key, applies the key life cycle for `kind`, and
/// verifies the signature; returns the kid.
///
/// A revoked key rejects everything. Otherwise a key rejects a token that claims
/// `issued_at > signs_until`; for a personal code (minutes-long) the key must also
/// not be `Retired` and `now <= verify_until`, while a place code (printed, months
/// long) is still accepted from a retired key: see [`crate::place`].
pub(crate) fn check_key_and_signature(
    envelope: &Envelope,
    kind: TokenKind,
    issued_at: i64,
    trust: &TrustList,
    now: i64,
) -> Result<String, VerifyError> {
    if envelope.alg != Algorithm::Assigned(iana::Algorithm::EdDSA) {
        return Err(VerifyError::UnsupportedAlgorithm {
            alg: algorithm_name(&envelope.alg),
        });
    }

    let kid = envelope.kid();
    let Some(key) = trust.find(&kid) else {
        return Err(VerifyError::UnknownKey { kid });
    };
    if key.status == KeyStatus::Revoked {
        return Err(VerifyError::RevokedKey { kid });
    }
    let after_signing = key.signs_until.is_some_and(|until| issued_at > until);
    let retired = match kind.key_rule() {
        KeyRule::ShortLived => {
            key.status == KeyStatus::Retired
                || key.verify_until.is_some_and(|until| now > until)
                || after_signing
        }
        KeyRule::LongLived => after_signing,
    };
    if retired {
        return Err(VerifyError::RetiredKey { kid });
    }
    if key.alg != ALG_EDDSA || key.crv != CRV_ED25519 {
        return Err(VerifyError::UnsupportedAlgorithm {
            alg: format!("{}/{}", key.alg, key.crv),
        });
    }
    let public_key = key.public_key_bytes().ok_or(VerifyError::BadSignature)?;
    envelope
        .sign1
        .verify_signature(&[], |signature, tbs| {
            UnparsedPublicKey::new(&ED25519, &public_key).verify(tbs, signature)
        })
        .map_err(|_| VerifyError::BadSignature)?;
    Ok(kid)
}

/// The checks after the signature: `issued_at - skew <= now`, `now < expires_at +
/// skew` when the token expires, and the issuer matches the trust list. Negative
/// `skew_seconds` counts as 0.
pub(crate) fn check_validity(
    issuer: &str,
    issued_at: i64,
    expires_at: Option<i64>,
    trust: &TrustList,
    now: i64,
    skew_seconds: i64,
) -> Result<(), VerifyError> {
    let skew = skew_seconds.max(0);
    if issued_at > now.saturating_add(skew) {
        return Err(VerifyError::NotYetValid { issued_at });
    }
    if let Some(expires_at) = expires_at
        && now >= expires_at.saturating_add(skew)
    {
        return Err(VerifyError::Expired {
            expired_at: expires_at,
        });
    }
    if issuer != trust.issuer {
        return Err(VerifyError::WrongIssuer {
            expected: trust.issuer.clone(),
            found: issuer.to_owned(),
        });
    }
    Ok(())
}

fn whole_seconds(t: Option<Timestamp>, name: &str) -> Result<i64, VerifyError> {
    match t {
        Some(Timestamp::WholeSeconds(s)) => Ok(s),
        Some(Timestamp::FractionalSeconds(_)) => {
            Err(malformed(format!("claim {name} must be whole seconds")))
        }
        None => Err(malformed(format!("missing claim {name}"))),
    }
}

pub(crate) fn uint_claim(value: Value, id: i64) -> Result<u64, VerifyError> {
    match value {
        Value::Integer(i) => {
            u64::try_from(i).map_err(|_| malformed(format!("claim {id} is out of range")))
        }
        _ => Err(malformed(format!("claim {id} must be an unsigned integer"))),
    }
}

pub(crate) fn text_claim(value: Value, id: i64) -> Result<String, VerifyError> {
    match value {
        Value::Text(t) => Ok(t),
        _ => Err(malformed(format!("claim {id} must be text"))),
    }
}

fn claim_name_text(name: &ClaimName) -> String {
    match name {
        RegisteredLabelWithPrivate::Assigned(a) => a.to_i64().to_string(),
        RegisteredLabelWithPrivate::PrivateUse(i) => i.to_string(),
        RegisteredLabelWithPrivate::Text(t) => format!("{:?}", truncate(t)),
    }
}

fn algorithm_name(alg: &Algorithm) -> String {
    match alg {
        RegisteredLabelWithPrivate::Assigned(a) => format!("{a:?} ({})", a.to_i64()),
        RegisteredLabelWithPrivate::PrivateUse(i) => i.to_string(),
        RegisteredLabelWithPrivate::Text(t) => format!("{:?}", truncate(t)),
    }
}

/// Shortens attacker-controlled text before it goes into an error message.
pub(crate) fn truncate(text: &str) -> &str {
    match text.char_indices().nth(32) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}
