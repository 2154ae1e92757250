//! Hash-based revocation of individual certificates, as the EU DCC does it.
//!
//! Revoking one signing key withdraws everything it signed; sometimes a single
//! certificate must go (issued in error, reported stolen). The revocation list
//! names each revoked certificate by a [`RevocationId`]: the first 16 bytes of
//! SHA-256 over a domain tag and the certificate's signature. Every format we
//! verify (healthcode codes and place codes, HC1, SMART Health Cards) has a
//! signature, so one list covers them all; and the list reveals nothing about
//! certificates that are not on it: a hash names only what was revoked, and the
//! signature it is taken from cannot be guessed without holding the
//! certificate.

use std::collections::BTreeSet;
use std::fmt;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Separates revocation hashes from any other use of SHA-256 over signatures.
const DOMAIN: &[u8] = b"healthcode-revocation-v1\0";

/// Which revoked certificate an entry names: 16 bytes of a hash of its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RevocationId([u8; 16]);

impl RevocationId {
    /// The id of the certificate that carries `signature` (the raw signature
    /// bytes of its COSE_Sign1 or JWS).
    pub fn of_signature(signature: &[u8]) -> RevocationId {
        let mut input = Vec::with_capacity(DOMAIN.len() + signature.len());
        input.extend_from_slice(DOMAIN);
        input.extend_from_slice(signature);
        let hash = digest(&SHA256, &input);
        let mut id = [0u8; 16];
        id.copy_from_slice(&hash.as_ref()[..16]);
        RevocationId(id)
    }

    /// Parses the list's text form (22 characters of base64url).
    pub fn parse(text: &str) -> Option<RevocationId> {
        let raw = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        <[u8; 16]>::try_from(raw.as_slice()).ok().map(RevocationId)
    }
}

impl fmt::Display for RevocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

impl Serialize for RevocationId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RevocationId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        RevocationId::parse(&text)
            .ok_or_else(|| serde::de::Error::custom("a revocation id is 16 bytes of base64url"))
    }
}

/// The revoked certificates, kept sorted so that the published list is the
/// same bytes for the same set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RevocationList(BTreeSet<RevocationId>);

impl RevocationList {
    /// Whether the certificate with this signature is revoked.
    pub fn is_revoked(&self, signature: &[u8]) -> bool {
        self.0.contains(&RevocationId::of_signature(signature))
    }

    /// Whether the certificate with this id is revoked.
    pub fn contains(&self, id: &RevocationId) -> bool {
        self.0.contains(id)
    }

    /// Adds an entry; returns `false` if it was already there.
    pub fn insert(&mut self, id: RevocationId) -> bool {
        self.0.insert(id)
    }

    /// How many certificates are revoked.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing is revoked.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_round_trip() {
        let id = RevocationId::of_signature(b"signature");
        assert_eq!(id, RevocationId::of_signature(b"signature"));
        assert_ne!(id, RevocationId::of_signature(b"signaturf"));
        let text = id.to_string();
        assert_eq!(text.len(), 22);
        assert_eq!(RevocationId::parse(&text), Some(id));
        assert_eq!(RevocationId::parse("short"), None);
        assert_eq!(RevocationId::parse("not base64 at all!!!!!"), None);
    }

    #[test]
    fn the_list_names_only_what_was_revoked() {
        let mut list = RevocationList::default();
        assert!(list.insert(RevocationId::of_signature(b"revoked")));
        assert!(!list.insert(RevocationId::of_signature(b"revoked")));
        assert!(list.is_revoked(b"revoked"));
        assert!(!list.is_revoked(b"valid"));
        let json = serde_json::to_string(&list).expect("serialize");
        assert!(
            !json.contains("revoked"),
            "only hashes are published: {json}"
        );
        let back: RevocationList = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, list);
        assert!(serde_json::from_str::<RevocationList>(r#"["nope"]"#).is_err());
    }
}
