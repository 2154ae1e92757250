//! The issuer's signing keys as the service uses them: which key signs now, and
//! the trust list that lets anyone verify offline.
//!
//! Keys are stored (sealed) in the database, so every app server signs with the
//! same key and a rotation made by `healthcode keys rotate` reaches all of them
//! at their next reload.

use healthcode_credentials::keys::SigningKey;
use healthcode_credentials::trust::{KeyStatus, TrustList, TrustedKey};
use healthcode_domain::actor::Actor;
use healthcode_domain::audit::{Act, Draft};
use healthcode_store::{SigningKeyRecord, Store, StoreError};

use crate::secrets::{SecretError, Secrets};

/// Why the keyring could not be loaded or changed.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing key {kid} could not be opened: {reason}")]
    Unseal { kid: String, reason: String },
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// Who issues codes: the province's GB/T 2260 code and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerIdentity {
    pub code: String,
    pub name: String,
}

/// The loaded keys: the current signer (if any) and every key's public record.
pub struct Keyring {
    pub signer: Option<SigningKey>,
    pub records: Vec<SigningKeyRecord>,
}

impl Keyring {
    /// Loads every key and opens the one that signs now.
    pub async fn load(store: &Store, secrets: &Secrets) -> Result<Keyring, KeyringError> {
        let records = store.signing_keys().await?;
        let signer = records
            .iter()
            .rev()
            .find(|r| r.status == "active" && r.signs_until.is_none())
            .map(|r| {
                let secret = secrets.open_secret(&r.kid, &r.secret_sealed).map_err(|e| {
                    KeyringError::Unseal {
                        kid: r.kid.clone(),
                        reason: e.to_string(),
                    }
                })?;
                SigningKey::from_pkcs8(&secret).map_err(|e| KeyringError::Unseal {
                    kid: r.kid.clone(),
                    reason: e.to_string(),
                })
            })
            .transpose()?;
        Ok(Keyring { signer, records })
    }

    /// The trust list as published at `now`: keys past `verify_until` show as retired.
    pub fn trust_list(&self, issuer: &IssuerIdentity, now: i64) -> TrustList {
        let keys = self
            .records
            .iter()
            .filter_map(|r| {
                let public: [u8; 32] = r.public_key.as_slice().try_into().ok()?;
                let status = match r.status.as_str() {
                    "revoked" => KeyStatus::Revoked,
                    _ if r.verify_until.is_some_and(|v| v <= now) => KeyStatus::Retired,
                    _ => KeyStatus::Active,
                };
                Some(TrustedKey::from_public(
                    &public,
                    status,
                    r.not_before,
                    r.signs_until,
                    r.verify_until,
                ))
            })
            .collect();
        TrustList {
            dcc_signers: Vec::new(),
            shc_issuer: None,
            audit_keys: Vec::new(),
            issuer: issuer.code.clone(),
            issuer_name: issuer.name.clone(),
            generated_at: now,
            keys,
        }
    }
}

/// Key administration is an operator's act: the command line's, or the
/// operator starting the service on a store without keys.
///
/// Generates a new key and makes it the signer; the previous signer keeps
/// verifying for `code_lifetime` seconds (its last codes' lifetime), then retires.
pub async fn rotate(
    store: &Store,
    secrets: &Secrets,
    now: i64,
    code_lifetime: i64,
) -> Result<String, KeyringError> {
    let (key, secret) =
        SigningKey::generate().map_err(|e| KeyringError::Generate(e.to_string()))?;
    let sealed = secrets.seal_secret(key.kid(), secret.as_bytes())?;
    let record = SigningKeyRecord {
        kid: key.kid().to_owned(),
        public_key: key.public_key().to_vec(),
        secret_sealed: sealed,
        status: "active".to_owned(),
        not_before: now,
        signs_until: None,
        verify_until: None,
        created_at: now,
    };
    let mut unit = store.begin(Actor::Operator, now).await?;
    unit.rotate_signing_key(&record, now, now + code_lifetime)
        .await?;
    unit.audit(
        Draft::new(Act::KeyRotated)
            .detail("key", "code")
            .detail("kid", &record.kid),
    );
    unit.commit().await?;
    Ok(record.kid)
}

/// Makes sure a signing key exists (first run); returns the kid of a new key if
/// one was generated.
pub async fn ensure_signer(
    store: &Store,
    secrets: &Secrets,
    now: i64,
    code_lifetime: i64,
) -> Result<Option<String>, KeyringError> {
    let keyring = Keyring::load(store, secrets).await?;
    if keyring.signer.is_some() {
        return Ok(None);
    }
    rotate(store, secrets, now, code_lifetime).await.map(Some)
}

/// Revokes a key at once: nothing it signed verifies once servers reload.
pub async fn revoke(store: &Store, kid: &str, now: i64) -> Result<(), KeyringError> {
    let mut unit = store.begin(Actor::Operator, now).await?;
    unit.revoke_signing_key(kid, now).await?;
    unit.audit(
        Draft::new(Act::KeyRevoked)
            .detail("key", "code")
            .detail("kid", kid),
    );
    unit.commit().await?;
    Ok(())
}
