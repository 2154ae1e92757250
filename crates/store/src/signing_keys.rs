//! The issuer's code-signing keys. Secrets are sealed under the master key before they
//! reach the database; app servers share them through the database, which keeps
//! the servers themselves stateless.

use sqlx::Row;

use crate::{SigningKeyRecord, Store, StoreError, Unit};

impl Store {
    /// All signing keys, oldest first (the one signing now last).
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT kid, public_key, secret_sealed, status, not_before, signs_until, verify_until, created_at \
             FROM signing_keys ORDER BY created_at, CASE WHEN signs_until IS NULL THEN 1 ELSE 0 END, kid",
        )
        .fetch_all(&self.data)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SigningKeyRecord {
                    kid: r.try_get("kid")?,
                    public_key: r.try_get("public_key")?,
                    secret_sealed: r.try_get("secret_sealed")?,
                    status: r.try_get("status")?,
                    not_before: r.try_get("not_before")?,
                    signs_until: r.try_get("signs_until")?,
                    verify_until: r.try_get("verify_until")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}

impl Unit {
    /// Makes `new` the signing key. Every key that was signing stops signing at
    /// `now` and keeps verifying until `verify_until` (now plus the longest code
    /// lifetime), in the same transaction, so exactly one key signs at a time.
    pub async fn rotate_signing_key(
        &mut self,
        new: &SigningKeyRecord,
        now: i64,
        verify_until: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE signing_keys SET signs_until = $1, verify_until = $2 \
             WHERE status = 'active' AND signs_until IS NULL",
        )
        .bind(now)
        .bind(verify_until)
        .execute(self.conn())
        .await?;
        sqlx::query(
            "INSERT INTO signing_keys (kid, public_key, secret_sealed, status, not_before, signs_until, \
             verify_until, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&new.kid)
        .bind(&new.public_key)
        .bind(&new.secret_sealed)
        .bind(&new.status)
        .bind(new.not_before)
        .bind(new.signs_until)
        .bind(new.verify_until)
        .bind(new.created_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Revokes a key at once: codes it signed stop verifying everywhere the new
    /// trust list reaches. If it was the signing key, nothing signs until the
    /// next rotation.
    pub async fn revoke_signing_key(&mut self, kid: &str, now: i64) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE signing_keys SET status = 'revoked', signs_until = COALESCE(signs_until, $2), \
             verify_until = $2 WHERE kid = $1",
        )
        .bind(kid)
        .bind(now)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
