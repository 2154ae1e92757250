//! Passwords, session tokens and the caller of a request.
//!
//! A session token is 32 random bytes, given to the client once; the database
//! keeps only its SHA-256 hash. Requests present it as `Authorization: Bearer`
//! (API) or in the `hc_session` cookie (web pages). A server remembers a checked
//! session for `session_recheck` seconds so the hot path rarely touches the
//! database; logging out removes it at once from the database and this server's
//! memory, and from every other server's within that time.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use aws_lc_rs::{digest, rand};
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use healthcode_domain::role::Role;
use healthcode_store::SessionRecord;

use crate::error::ApiError;
use crate::state::AppState;

/// Name of the session cookie used by the web pages.
pub const SESSION_COOKIE: &str = "hc_session";

/// Hashes a password with Argon2id (default parameters, random salt). CPU-heavy:
/// call it from a blocking task.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    rand::fill(&mut salt).map_err(|_| ApiError::internal("random source failed"))?;
    let salt = SaltString::encode_b64(&salt).map_err(ApiError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// Checks a password against a stored hash. CPU-heavy: call it from a blocking task.
pub fn verify_password(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to check against when the account does not exist, so that a login for
/// an unknown person takes as long as one with a wrong password.
pub static DECOY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("decoy password for timing").unwrap_or_default());

/// A fresh session token and the hash under which it is stored.
pub fn new_session_token() -> Result<(String, [u8; 32]), ApiError> {
    let mut raw = [0u8; 32];
    rand::fill(&mut raw).map_err(|_| ApiError::internal("random source failed"))?;
    let token = URL_SAFE_NO_PAD.encode(raw);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// The authenticated account behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: String,
    pub role: Role,
    pub person_id: Option<String>,
    pub token_hash: [u8; 32],
}

impl Caller {
    /// The person of a citizen account; refuses every other role.
    pub fn citizen(&self) -> Result<&str, ApiError> {
        match (&self.role, &self.person_id) {
            (Role::Citizen, Some(person)) => Ok(person),
            _ => Err(ApiError::forbidden()),
        }
    }

    /// Refuses callers whose role is not among `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// Finds the token in the `Authorization` header or, for pages, the session cookie.
fn presented_token(parts: &Parts) -> Option<&str> {
    if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))?;
        return Some(token.trim());
    }
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = presented_token(parts).ok_or_else(ApiError::unauthorized)?;
        // Tokens we issue are 43 base64url characters; anything else is not worth a lookup.
        if token.len() != 43 {
            return Err(ApiError::unauthorized());
        }
        let hash = token_hash(token);
        let session = state
            .session(&hash)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        let SessionRecord {
            account_id,
            role,
            person_id,
            ..
        } = session;
        Ok(Caller {
            account_id,
            role,
            person_id,
            token_hash: hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_when_equal() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse batterY"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, ha) = new_session_token().expect("token");
        let (b, _) = new_session_token().expect("token");
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), ha);
    }
}
