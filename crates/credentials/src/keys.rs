//! The issuer's Ed25519 signing keys.
//!
//! A key is identified by its *kid*: the first 8 bytes of SHA-256 over the raw
//! 32-byte public key, like the EU Digital COVID Certificate's kid. The kid travels in
//! the (signed) COSE protected header so that a verifier can pick the right public key
//! from the trust list without trying them all.

use std::fmt;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::pkcs8::Document;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Length of the raw key id in bytes (before base64url encoding).
pub const KID_LEN: usize = 8;

/// Why a key could not be created or loaded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The system random source or key generation failed.
    #[error("could not generate an Ed25519 key")]
    Generate,
    /// The bytes are not an unencrypted PKCS#8 (v1 or v2) Ed25519 private key.
    #[error("not a valid PKCS#8 Ed25519 private key: {0}")]
    InvalidPkcs8(String),
}

/// Secret PKCS#8 bytes of a freshly generated key, for the caller to store.
///
/// This wraps aws-lc-rs's [`Document`], which zeroizes its buffer when dropped, so the
/// secret is not left behind in freed memory. It is deliberately neither `Clone` nor
/// printable: copy the bytes out with [`Pkcs8Secret::as_bytes`] only to write them to
/// protected storage.
pub struct Pkcs8Secret(Document);

impl Pkcs8Secret {
    /// The DER-encoded PKCS#8 v2 document (private and public key).
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_ref()
    }
}

impl fmt::Debug for Pkcs8Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Pkcs8Secret([redacted; {} bytes])",
            self.as_bytes().len()
        )
    }
}

/// An Ed25519 signing key together with its key id.
///
/// `Debug` prints only the kid, never secret material.
pub struct SigningKey {
    pair: Ed25519KeyPair,
    kid_bytes: [u8; KID_LEN],
    kid: String,
}

impl SigningKey {
    /// Generates a new key; returns it and its PKCS#8 document for the caller to store
    /// (the key cannot be exported again later through this type).
    pub fn generate() -> Result<(SigningKey, Pkcs8Secret), KeyError> {
        let rng = SystemRandom::new();
        let document = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| KeyError::Generate)?;
        let key = SigningKey::from_pkcs8(document.as_ref())?;
        Ok((key, Pkcs8Secret(document)))
    }

    /// Loads a key from PKCS#8 bytes (v1 as written by `openssl genpkey -algorithm
    /// ED25519`, or v2 as written by [`SigningKey::generate`]).
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<SigningKey, KeyError> {
        let pair =
            Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| KeyError::InvalidPkcs8(e.to_string()))?;
        let kid_bytes = kid_bytes_for(pair.public_key().as_ref());
        Ok(SigningKey {
            pair,
            kid: URL_SAFE_NO_PAD.encode(kid_bytes),
            kid_bytes,
        })
    }

    /// The raw 32-byte public key, as published in the trust list.
    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        // An Ed25519 public key is always exactly 32 bytes.
        for (o, b) in out.iter_mut().zip(self.pair.public_key().as_ref()) {
            *o = *b;
        }
        out
    }

    /// The key id (base64url, no padding) that verifiers look up in the trust list.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The raw key id bytes, as placed in the COSE `kid` header.
    pub(crate) fn kid_bytes(&self) -> &[u8; KID_LEN] {
        &self.kid_bytes
    }

    /// Signs `msg` with Ed25519 (pure, no pre-hashing).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        let signature = self.pair.sign(msg);
        let mut out = [0u8; 64];
        // An Ed25519 signature is always exactly 64 bytes.
        for (o, b) in out.iter_mut().zip(signature.as_ref()) {
            *o = *b;
        }
        out
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The key id for a raw public key: first 8 bytes of SHA-256, base64url without
/// padding (11 characters), so every party derives the same id from the key alone.
pub fn kid_for(public_key: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(kid_bytes_for(public_key))
}

/// The raw 8-byte key id for a public key.
pub(crate) fn kid_bytes_for(public_key: &[u8]) -> [u8; KID_LEN] {
    let hash = digest(&SHA256, public_key);
    let mut out = [0u8; KID_LEN];
    for (o, b) in out.iter_mut().zip(hash.as_ref()) {
        *o = *b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{ED25519, UnparsedPublicKey};

    #[test]
    fn generate_sign_verify_and_reload() {
        let (key, secret) = SigningKey::generate().expect("generate");
        let sig = key.sign(b"hello");
        UnparsedPublicKey::new(&ED25519, key.public_key())
            .verify(b"hello", &sig)
            .expect("signature verifies");

        let again = SigningKey::from_pkcs8(secret.as_bytes()).expect("reload");
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(again.kid(), key.kid());
    }

    #[test]
    fn kid_is_11_chars_of_base64url_over_sha256_prefix() {
        let (key, _) = SigningKey::generate().expect("generate");
        let kid = kid_for(&key.public_key());
        assert_eq!(kid, key.kid());
        assert_eq!(kid.len(), 11);
        assert!(
            kid.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        // Known answer: SHA-256("") = e3b0c442 98fc1c14 ...
        assert_eq!(
            kid_bytes_for(b""),
            [0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14]
        );
        assert_eq!(kid_for(b""), "47DEQpj8HBQ");
    }

    #[test]
    fn debug_does_not_leak_secrets() {
        let (key, secret) = SigningKey::generate().expect("generate");
        let shown = format!("{key:?} {secret:?}");
        assert!(shown.contains(key.kid()));
        assert!(shown.contains("redacted"));
        let hex: String = secret
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!shown.contains(&hex[hex.len() - 16..]));
    }

    #[test]
    fn rejects_garbage_pkcs8() {
        assert!(matches!(
            SigningKey::from_pkcs8(b"not a key"),
            Err(KeyError::InvalidPkcs8(_))
        ));
    }
}
