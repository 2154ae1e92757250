//! The venue place code: a long-lived signed token printed on a poster at a venue.
//!
//! A venue registers its name, address and division code; it gets a place code to
//! print. A citizen checks in by scanning it: the signature is verified offline with
//! the same trust list as personal codes, and the venue name is shown so the citizen
//! can see where they are checking in. The code carries no personal data.
//!
//! # Wire format
//!
//! The envelope is exactly that of a personal health code ([`crate::code`]): the same
//! signing keys, EdDSA only, kid in the protected header, empty unprotected header,
//! strict canonical decoding. Only the prefix, the token type and the claims differ:
//!
//! ```text
//! "HCV1:" || base45( COSE_Sign1 )
//!
//! claims = {
//!      1      => tstr,        ; iss: 6-digit GB/T 2260 province code
//!    ? 4      => int,         ; exp: Unix seconds; usually absent (see below)
//!      6      => int,         ; iat: Unix seconds
//!     -65537  => 2,           ; token type: 2 = place code
//!     -65542  => tstr,        ; venue id: 1 to 32 bytes of printable ASCII
//!     -65543  => tstr,        ; venue name: 1 to 64 bytes of UTF-8
//!     -65544  => tstr,        ; division: 6-digit GB/T 2260 code, in iss's province
//! }
//! ```
//!
//! * The claim keys continue the private-use range after the personal code's
//!   (`-65538..=-65541`) instead of reusing them, so a key never means two things.
//! * A realistic code (13-character Chinese venue name, 22-character id, no expiry) is
//!   293 characters, QR version 10 at level M (which holds 311); the longest claims
//!   [`issue_place`] accepts need version 11. Version 10 is 57×57 modules, still easy
//!   to scan from a printed poster.
//! * The venue name is what the citizen trusts to know where they are, so it may not
//!   contain control characters or Unicode bidirectional controls (which can make a
//!   name display as another), nor start or end with whitespace. The decoder enforces
//!   every rule [`issue_place`] does, so nothing is shown that the issuer would not
//!   have signed.
//! * A place code given to [`crate::code::verify`], or a personal code given to
//!   [`verify_place`], fails as [`VerifyError::Malformed`] (`code.malformed`) with a
//!   detail starting with `"wrong token type"`, whether the prefix is the other
//!   type's or was swapped (the signed token-type claim decides). The error enum and
//!   its codes stay the ones personal codes publish.
//!
//! # Key life cycle
//!
//! Personal codes live three minutes, so a key is *retired* (status `retired`, or
//! `now > verify_until`) once the last code it signed has expired. Place codes are
//! printed and stay on the wall for months, and reprinting every venue's poster at
//! each key rotation is impractical. So for place codes:
//!
//! * a key in status `active` **or** `retired` verifies place codes, whatever its
//!   `verify_until`: retirement only means "no more personal codes from this key";
//! * the code must claim `issued_at <= signs_until` (when the key has one), so a
//!   rotated-out key cannot vouch for codes dated after it stopped signing, which
//!   fails as [`VerifyError::RetiredKey`];
//! * a `revoked` key rejects everything it signed ([`VerifyError::RevokedKey`]):
//!   revocation is how a compromised key's posters are killed, and then every venue
//!   must reprint.
//!
//! # Time semantics
//!
//! A place code is accepted from `issued_at - skew` on, as personal codes are. Without
//! `expires_at` it stays valid while its key verifies (above), or until the venue is
//! re-registered (which a server tracks, not the code). With `expires_at` it is
//! accepted while `now < expires_at + skew`. Negative `skew` counts as 0.

use ciborium::value::Value;

use crate::code::{CodeError, VerifyError};
use crate::cose::{self, TokenKind, malformed, text_claim, truncate};
use crate::keys::SigningKey;
use crate::revocation::RevocationId;
use crate::trust::TrustList;

/// Prefix of a place code payload: distinct from the personal code's `HCP1:` so a
/// scanner can route it, versioned, and QR alphanumeric only.
pub const PREFIX: &str = "HCV1:";

/// Longest payload [`verify_place`] will look at, bounding the work done on hostile
/// input. Real place codes are about 300 characters.
pub const MAX_PAYLOAD_LEN: usize = cose::MAX_PAYLOAD_LEN;

/// Value of the token-type claim that marks a place code, so a place code can never
/// pass as a personal code signed by the same key (that is
/// [`crate::code::TOKEN_TYPE_PERSONAL`]).
pub const TOKEN_TYPE_PLACE: u64 = 2;

/// Longest venue id, in bytes: ids are short opaque handles (e.g. 22 characters of
/// base64url for 128 random bits), and the limit keeps codes within QR version 11.
pub const MAX_VENUE_ID_LEN: usize = 32;

/// Longest venue name, in UTF-8 bytes (21 CJK characters), so that even a maximal
/// place code stays within QR version 11 at level M.
pub const MAX_VENUE_NAME_LEN: usize = 64;

const CLAIM_VENUE_ID: i64 = -65542;
const CLAIM_VENUE_NAME: i64 = -65543;
const CLAIM_DIVISION: i64 = -65544;

/// What a place code asserts about a venue; deliberately nothing about any person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceClaims {
    /// The issuing province's 6-digit GB/T 2260 code; must match the trust list.
    pub issuer: String,
    /// The venue's opaque id, under which check-ins are recorded: 1 to
    /// [`MAX_VENUE_ID_LEN`] bytes of printable ASCII (no spaces).
    pub venue_id: String,
    /// The venue's name, shown to the citizen on check-in: 1 to
    /// [`MAX_VENUE_NAME_LEN`] bytes, see the module docs for the characters allowed.
    pub venue_name: String,
    /// 6-digit GB/T 2260 code of the venue's division, within the issuer's province,
    /// so check-ins can be aggregated by area without the address.
    pub division: String,
    /// Unix seconds when the code was issued; must not be after the key's
    /// `signs_until`.
    pub issued_at: i64,
    /// Unix seconds from which the code is no longer accepted, or `None` for a code
    /// valid while its key verifies (see the module docs).
    pub expires_at: Option<i64>,
}

/// A place code that passed every check in [`verify_place`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPlace {
    /// The verified claims: record the check-in under `venue_id`, show `venue_name`.
    pub claims: PlaceClaims,
    /// Kid of the key that signed it, for audit logs.
    pub kid: String,
    /// How a revocation list would name this place code.
    pub revocation_id: RevocationId,
}

/// Signs `claims` with `key` and returns the `HCV1:` payload to print as a QR code.
///
/// Fails with [`CodeError::InvalidClaims`] if the claims break a rule of the format
/// (see [`PlaceClaims`] and the module docs).
pub fn issue_place(claims: &PlaceClaims, key: &SigningKey) -> Result<String, CodeError> {
    check_claims(claims).map_err(CodeError::InvalidClaims)?;
    let payload = cose::encode_claims(
        &claims.issuer,
        claims.issued_at,
        claims.expires_at,
        TOKEN_TYPE_PLACE,
        vec![
            (CLAIM_VENUE_ID, Value::Text(claims.venue_id.clone())),
            (CLAIM_VENUE_NAME, Value::Text(claims.venue_name.clone())),
            (CLAIM_DIVISION, Value::Text(claims.division.clone())),
        ],
    )?;
    cose::sign(payload, key, PREFIX)
}

/// Decodes a place code *without verifying anything* (to find which province's
/// list to verify it against); the result is untrusted.
pub fn peek_place(payload: &str) -> Result<(PlaceClaims, String), VerifyError> {
    let (envelope, claims) = decode(payload)?;
    Ok((claims, envelope.kid()))
}

/// How a revocation list names this place code, read without verifying it.
pub fn peek_place_revocation_id(payload: &str) -> Result<RevocationId, VerifyError> {
    Ok(decode(payload)?.0.revocation_id())
}

/// Verifies a scanned place code offline against the issuer's trust list at time
/// `now`, before a check-in is recorded.
///
/// Checks, in this order (the first failure is reported): structure and claims
/// (`Malformed`, also for a personal code: the detail starts with `"wrong token
/// type"`), algorithm is EdDSA, the kid is in the trust list, the key is not revoked,
/// the code claims `issued_at <= signs_until` (else `RetiredKey`; a retired key is
/// otherwise fine, see the module docs), the signature, `issued_at <= now + skew`,
/// `now < expires_at + skew` if the code expires, and the issuer matches the trust
/// list.
pub fn verify_place(
    payload: &str,
    trust: &TrustList,
    now: i64,
    skew_seconds: i64,
) -> Result<VerifiedPlace, VerifyError> {
    let (envelope, claims) = decode(payload)?;
    let kid =
        cose::check_key_and_signature(&envelope, TokenKind::Place, claims.issued_at, trust, now)?;
    cose::check_validity(
        &claims.issuer,
        claims.issued_at,
        claims.expires_at,
        trust,
        now,
        skew_seconds,
    )?;
    Ok(VerifiedPlace {
        claims,
        kid,
        revocation_id: envelope.revocation_id(),
    })
}

/// The format's rules on claim values, shared by issuing and decoding; returns a
/// human-readable reason.
fn check_claims(claims: &PlaceClaims) -> Result<(), String> {
    if !cose::is_division_code(&claims.issuer) {
        return Err(format!(
            "issuer {:?} is not a 6-digit division code",
            truncate(&claims.issuer)
        ));
    }
    if claims.venue_id.is_empty()
        || claims.venue_id.len() > MAX_VENUE_ID_LEN
        || !claims.venue_id.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(format!(
            "venue_id must be 1 to {MAX_VENUE_ID_LEN} bytes of printable ASCII without spaces"
        ));
    }
    check_venue_name(&claims.venue_name)?;
    if !cose::is_division_code(&claims.division) {
        return Err(format!(
            "division {:?} is not a 6-digit division code",
            truncate(&claims.division)
        ));
    }
    // GB/T 2260: the first two digits are the province.
    if claims.division.get(..2) != claims.issuer.get(..2) {
        return Err(format!(
            "division {} is not in the issuer's province {}",
            claims.division, claims.issuer
        ));
    }
    if claims.expires_at.is_some_and(|exp| exp <= claims.issued_at) {
        return Err("expires_at must be after issued_at".to_owned());
    }
    Ok(())
}

fn check_venue_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_VENUE_NAME_LEN {
        return Err(format!(
            "venue_name must be 1 to {MAX_VENUE_NAME_LEN} bytes"
        ));
    }
    if name.trim() != name {
        return Err("venue_name must not start or end with whitespace".to_owned());
    }
    if let Some(c) = name.chars().find(|&c| c.is_control() || is_bidi_control(c)) {
        return Err(format!(
            "venue_name contains the control character U+{:04X}",
            u32::from(c)
        ));
    }
    Ok(())
}

/// Unicode bidirectional formatting characters (UAX #9), which can make a displayed
/// name read differently from its stored text.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Strictly decodes a place code, without checking its signature.
fn decode(payload: &str) -> Result<(cose::Envelope, PlaceClaims), VerifyError> {
    let (envelope, common) = cose::decode(payload, TokenKind::Place)?;

    let mut venue_id = None;
    let mut venue_name = None;
    let mut division = None;
    for (id, value) in common.private {
        match id {
            CLAIM_VENUE_ID => venue_id = Some(text_claim(value, id)?),
            CLAIM_VENUE_NAME => venue_name = Some(text_claim(value, id)?),
            CLAIM_DIVISION => division = Some(text_claim(value, id)?),
            other => return Err(malformed(format!("unknown claim {other}"))),
        }
    }
    let claims = PlaceClaims {
        issuer: common.issuer,
        venue_id: venue_id
            .ok_or_else(|| malformed(format!("missing claim {CLAIM_VENUE_ID} (venue id)")))?,
        venue_name: venue_name
            .ok_or_else(|| malformed(format!("missing claim {CLAIM_VENUE_NAME} (venue name)")))?,
        division: division
            .ok_or_else(|| malformed(format!("missing claim {CLAIM_DIVISION} (division)")))?,
        issued_at: common.issued_at,
        expires_at: common.expires_at,
    };
    check_claims(&claims).map_err(malformed)?;
    Ok((envelope, claims))
}

#[cfg(test)]
mod tests;
