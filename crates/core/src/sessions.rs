//! Passwords, session tokens, logging in and out.
//!
//! A session token is 32 random bytes, given to the client once; the database
//! keeps only its SHA-256 hash. A server remembers a checked session for
//! `session_recheck` seconds so the hot path rarely touches the database;
//! logging out removes it at once from the database and this server's memory,
//! and from every other server's within that time.

use std::net::IpAddr;
use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use healthcode_domain::actor::Actor;
use healthcode_domain::person::Phone;
use healthcode_domain::role::Role;
use healthcode_store::LoginKey;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::Caller;
use crate::app::AppState;
use crate::clock::rfc3339;
use crate::error::{Error, ErrorCode};
use crate::ids::random_bytes;

/// Hashes a password with Argon2id (default parameters, random salt). CPU-heavy:
/// call it from a blocking task.
pub fn hash_password(password: &str) -> Result<String, Error> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?).map_err(Error::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(Error::internal)
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
pub fn new_session_token() -> Result<(String, [u8; 32]), Error> {
    let token = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
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

/// The caller presenting `token`, if it names a live session. Tokens we issue
/// are 43 base64url characters; anything else is not worth a lookup.
pub async fn caller(state: &AppState, token: &str) -> Result<Caller, Error> {
    if token.len() != 43 {
        return Err(Error::unauthorized());
    }
    let hash = token_hash(token);
    let session = state
        .session(&hash)
        .await?
        .ok_or_else(Error::unauthorized)?;
    Ok(Caller {
        account_id: session.account_id,
        role: session.role,
        person_id: session.person_id,
        token_hash: hash,
    })
}

/// Log in with a document number or phone (citizens) or a username (staff).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub document_number: Option<String>,
    pub phone: Option<String>,
    pub username: Option<String>,
    pub password: String,
}

/// A new session.
#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    /// RFC 3339 time the session ends.
    pub expires_at: String,
    /// `citizen`, `checker`, `collector`, `lab`, `venue`, `authority` or `regulator`.
    #[schema(value_type = String, example = "citizen")]
    pub role: Role,
}

/// Checks the credentials and opens a session.
///
/// `from` is the caller's address when the transport knows it: attempts are
/// rate-limited per address and per account ([`crate::limits`]).
pub async fn open_session(
    state: &AppState,
    req: &LoginRequest,
    from: Option<IpAddr>,
) -> Result<LoginResponse, Error> {
    let key = login_key(state, req)?;
    state.limits().login(&key, from)?;
    if req.password.len() > 1024 {
        return Err(Error::new(
            ErrorCode::PasswordTooLong,
            "the password is too long",
        ));
    }
    let found = state.store().find_login(&key).await?;
    let stored = found
        .as_ref()
        .map_or_else(|| DECOY_HASH.clone(), |f| f.password_hash.clone());
    let password = req.password.clone();
    let ok = state
        .password_work(move || verify_password(&stored, &password))
        .await?;
    let account = match found {
        Some(account) if ok => account,
        _ => {
            return Err(Error::new(
                ErrorCode::AuthInvalidCredentials,
                "the login or password is wrong",
            ));
        }
    };
    let expires_at = state.now() + state.config().session_lifetime;
    let (token, hash) = new_session_token()?;
    let actor = match &account.person_id {
        Some(person_id) => Actor::Citizen {
            account_id: account.account_id.clone(),
            person_id: person_id.clone(),
        },
        None => Actor::Staff {
            account_id: account.account_id.clone(),
            role: account.role,
        },
    };
    let mut unit = state.begin(actor).await?;
    unit.create_session(&hash, &account.account_id, expires_at)
        .await?;
    unit.commit().await?;
    tracing::info!(role = account.role.as_str(), "session opened");
    Ok(LoginResponse {
        token,
        expires_at: rfc3339(expires_at),
        role: account.role,
    })
}

fn login_key(state: &AppState, req: &LoginRequest) -> Result<LoginKey, Error> {
    match (&req.document_number, &req.phone, &req.username) {
        (Some(number), None, None) => {
            Ok(LoginKey::Document(state.people().document_indexes(number)))
        }
        (None, Some(phone), None) => {
            let phone = Phone::parse(phone)?;
            Ok(LoginKey::Phone(state.people().phone_index(&phone)))
        }
        (None, None, Some(username)) => Ok(LoginKey::Username(username.trim().to_owned())),
        _ => Err(Error::new(
            ErrorCode::LoginIdentifier,
            "give exactly one of document_number, phone or username",
        )),
    }
}

/// Ends the caller's session everywhere it is stored.
pub async fn end_session(state: &AppState, caller: &Caller) -> Result<(), Error> {
    let mut unit = state.begin(caller.actor()).await?;
    unit.delete_session(&caller.token_hash).await?;
    unit.commit().await?;
    state.forget_session(&caller.token_hash);
    Ok(())
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
