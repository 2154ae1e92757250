//! Signing keys of the international certificate formats (EU DCC and SMART
//! Health Cards), one per format. Like the code-signing keys they live in the
//! database, sealed by the vault, so every app server issues under the same DSC
//! and JWKS key, and a restart does not invalidate certificates already handed out.

use sqlx::Row;

use crate::{Store, StoreError};

/// One format's issuer key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialKeyRecord {
    /// `dcc` or `shc`.
    pub format: String,
    /// The PKCS#8 private key, sealed by the vault (never stored in clear).
    pub secret_sealed: Vec<u8>,
    /// The DER Document Signer Certificate (DCC only; SHC publishes a JWKS instead).
    pub certificate: Option<Vec<u8>>,
    /// When the key was generated (Unix seconds).
    pub created_at: i64,
}

impl Store {
    /// The stored key of `format`, if one was generated.
    pub async fn credential_key(
        &self,
        format: &str,
    ) -> Result<Option<CredentialKeyRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT format, secret_sealed, certificate, created_at FROM credential_keys \
             WHERE format = $1",
        )
        .bind(format)
        .fetch_optional(&self.data)
        .await?;
        row.map(|r| {
            Ok(CredentialKeyRecord {
                format: r.try_get("format")?,
                secret_sealed: r.try_get("secret_sealed")?,
                certificate: r.try_get("certificate")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .transpose()
    }

    /// Stores a key unless the format already has one, in one statement, so
    /// servers starting together agree on a single key: the loser's insert does
    /// nothing and it loads the winner's key. Returns whether this one was stored.
    pub async fn insert_credential_key(
        &self,
        record: &CredentialKeyRecord,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO credential_keys (format, secret_sealed, certificate, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (format) DO NOTHING",
        )
        .bind(&record.format)
        .bind(&record.secret_sealed)
        .bind(&record.certificate)
        .bind(record.created_at)
        .execute(&self.data)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
