//! Signing keys of the international certificate formats (EU DCC and SMART
//! Health Cards), one per format. Like the code-signing keys they live in the
//! database, sealed under the master key, so every app server issues under the same DSC
//! and JWKS key, and a restart does not invalidate certificates already handed out.

use sqlx::Row;

use crate::{Store, StoreError, Unit};

/// One format's issuer key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialKeyRecord {
    /// `dcc` or `shc`.
    pub format: String,
    /// The PKCS#8 private key, sealed under the master key (never stored in clear).
    pub secret_sealed: Vec<u8>,
    /// The DER Document Signer Certificate (DCC only; SHC publishes a JWKS instead).
    pub certificate: Option<Vec<u8>>,
    /// When the key was generated (Unix seconds).
    pub created_at: i64,
}

/// A rotated-out key's public part, still published until `verify_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredCredentialKey {
    /// `dcc` or `shc`.
    pub format: String,
    /// DCC: base64url of the DSC's 8-byte kid; SHC: the JWK thumbprint.
    pub kid: String,
    /// DCC: the DSC (DER); SHC: the public JWK (JSON bytes).
    pub public_part: Vec<u8>,
    pub retired_at: i64,
    /// Until when verifiers are told to trust it: the longest life of what it signed.
    pub verify_until: i64,
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

    /// The retired keys still to be published at `now`, oldest first.
    pub async fn retired_credential_keys(
        &self,
        now: i64,
    ) -> Result<Vec<RetiredCredentialKey>, StoreError> {
        let rows = sqlx::query(
            "SELECT format, kid, public_part, retired_at, verify_until FROM credential_key_history \
             WHERE verify_until > $1 ORDER BY retired_at, kid",
        )
        .bind(now)
        .fetch_all(&self.data)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RetiredCredentialKey {
                    format: r.try_get("format")?,
                    kid: r.try_get("kid")?,
                    public_part: r.try_get("public_part")?,
                    retired_at: r.try_get("retired_at")?,
                    verify_until: r.try_get("verify_until")?,
                })
            })
            .collect()
    }
}

impl Unit {
    /// Stores a key unless the format already has one, in one statement, so
    /// servers starting together agree on a single key: the loser's insert does
    /// nothing and it loads the winner's key. Returns whether this one was stored.
    pub async fn insert_credential_key(
        &mut self,
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
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces the key of `new.format` and keeps the old one's public part in
    /// the history, in one transaction, so the old key is never both gone from
    /// the trust list and still signing.
    pub async fn rotate_credential_key(
        &mut self,
        new: &CredentialKeyRecord,
        retired: &RetiredCredentialKey,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO credential_key_history (format, kid, public_part, retired_at, verify_until) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&retired.format)
        .bind(&retired.kid)
        .bind(&retired.public_part)
        .bind(retired.retired_at)
        .bind(retired.verify_until)
        .execute(self.conn())
        .await?;
        let done = sqlx::query(
            "UPDATE credential_keys SET secret_sealed = $1, certificate = $2, created_at = $3 \
             WHERE format = $4",
        )
        .bind(&new.secret_sealed)
        .bind(&new.certificate)
        .bind(new.created_at)
        .bind(&new.format)
        .execute(self.conn())
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Withdraws a retired key at once (compromised): nothing it signed verifies
    /// once servers reload. Returns whether there was such a key.
    pub async fn withdraw_credential_key(
        &mut self,
        format: &str,
        kid: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM credential_key_history WHERE format = $1 AND kid = $2")
            .bind(format)
            .bind(kid)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
