//! Registering people and reading their (encrypted) records.

use healthcode_domain::actor::Actor;
use sqlx::Row;

use crate::unit::begin_write;
use crate::{CodeStatus, NewAccount, NewPerson, PersonRecord, Store, StoreError, Unit};

/// Everything written when a citizen registers.
pub struct NewCitizen {
    pub person: NewPerson,
    pub account: NewAccount,
    pub status: CodeStatus,
}

impl Store {
    /// Registers citizens for `actor` at `now`: their data keys go to the key
    /// store first, then the people, their accounts and their initial code
    /// status in one unit of work.
    ///
    /// The two stores are separate databases, so the write cannot be one atomic
    /// commit; the order makes a failure harmless: if the data transaction fails,
    /// the keys just written are removed again, and a key that survives a crash
    /// in between opens nothing, because nothing was encrypted under it.
    pub async fn register_citizens(
        &self,
        citizens: &[NewCitizen],
        actor: Actor,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut keys = self.keys.begin_with(begin_write(self.backend)).await?;
        for c in citizens {
            sqlx::query(
                "INSERT INTO data_keys (person_id, wrapped_key, created_at) VALUES ($1, $2, $3)",
            )
            .bind(&c.person.id)
            .bind(&c.person.wrapped_key)
            .bind(c.person.created_at)
            .execute(&mut *keys)
            .await?;
        }
        keys.commit().await?;

        let written = async {
            let mut unit = self.begin(actor, now).await?;
            unit.insert_citizens(citizens).await?;
            unit.commit().await
        }
        .await;
        if written.is_err() {
            let mut undo = self.keys.begin_with(begin_write(self.backend)).await?;
            for c in citizens {
                sqlx::query("DELETE FROM data_keys WHERE person_id = $1")
                    .bind(&c.person.id)
                    .execute(&mut *undo)
                    .await?;
            }
            undo.commit().await?;
        }
        written
    }

    /// A person's encrypted record with their wrapped data key, if registered.
    pub async fn person(&self, person_id: &str) -> Result<Option<PersonRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, document_type, name_enc, document_enc, phone_enc, address_enc, \
             name_parts_enc, created_at, keep_account_since FROM people WHERE id = $1",
        )
        .bind(person_id)
        .fetch_optional(&self.data)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let wrapped_key = self.wrapped_key(person_id).await?;
        Ok(Some(PersonRecord {
            id: row.try_get("id")?,
            document_type: row.try_get("document_type")?,
            name_enc: row.try_get("name_enc")?,
            document_enc: row.try_get("document_enc")?,
            phone_enc: row.try_get("phone_enc")?,
            address_enc: row.try_get("address_enc")?,
            name_parts_enc: row.try_get("name_parts_enc")?,
            wrapped_key,
            created_at: row.try_get("created_at")?,
            keep_account_since: row.try_get("keep_account_since")?,
        }))
    }

    /// The wrapped data key of a person, or `None` if it was never written or
    /// has been destroyed.
    pub async fn wrapped_key(&self, person_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = sqlx::query_scalar("SELECT wrapped_key FROM data_keys WHERE person_id = $1")
            .bind(person_id)
            .fetch_optional(&self.keys)
            .await?;
        Ok(key)
    }

    /// The wrapped data keys of many people, in one read of the key store (a
    /// recomputation chunk); people without a key are absent.
    pub async fn wrapped_keys(
        &self,
        person_ids: &[String],
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut out = Vec::with_capacity(person_ids.len());
        for chunk in person_ids.chunks(500) {
            let sql = format!(
                "SELECT person_id, wrapped_key FROM data_keys WHERE person_id IN ({})",
                crate::placeholders(1, chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(&self.keys).await? {
                out.push((row.try_get("person_id")?, row.try_get("wrapped_key")?));
            }
        }
        Ok(out)
    }

    /// The person registered with a document, found by its blind indexes.
    pub async fn find_person_by_document(
        &self,
        indexes: &[Vec<u8>],
    ) -> Result<Option<String>, StoreError> {
        for index in indexes {
            let found: Option<String> =
                sqlx::query_scalar("SELECT id FROM people WHERE document_index = $1")
                    .bind(index)
                    .fetch_optional(&self.data)
                    .await?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// The ids of registered people, at most `limit` (benchmarks pick among
    /// them; never their data).
    pub async fn person_ids(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM people ORDER BY id LIMIT $1")
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&self.data)
                .await?,
        )
    }

    /// Whether both databases answer (for readiness checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.data).await?;
        sqlx::query("SELECT 1").execute(&self.keys).await?;
        Ok(())
    }

    /// The number of registered people.
    pub async fn count_people(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM people")
            .fetch_one(&self.data)
            .await?)
    }
}

impl Unit {
    /// Replaces a person's sealed surname and given name (the person confirmed
    /// or corrected them); `NotFound` if the person is gone.
    pub async fn set_name_parts(
        &mut self,
        person_id: &str,
        name_parts_enc: &[u8],
    ) -> Result<(), StoreError> {
        let updated = sqlx::query("UPDATE people SET name_parts_enc = $1 WHERE id = $2")
            .bind(name_parts_enc)
            .bind(person_id)
            .execute(self.conn())
            .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn insert_citizens(&mut self, citizens: &[NewCitizen]) -> Result<(), StoreError> {
        for NewCitizen {
            person: p,
            account: a,
            status: s,
        } in citizens
        {
            sqlx::query(
                "INSERT INTO people (id, document_type, document_index, phone_index, name_enc, \
                 document_enc, phone_enc, address_enc, name_parts_enc, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&p.id)
            .bind(&p.document_type)
            .bind(&p.document_index)
            .bind(&p.phone_index)
            .bind(&p.name_enc)
            .bind(&p.document_enc)
            .bind(&p.phone_enc)
            .bind(p.address_enc.as_ref())
            .bind(p.name_parts_enc.as_ref())
            .bind(p.created_at)
            .execute(self.conn())
            .await?;
            self.insert_account(a).await?;
            self.upsert_status(s).await?;
        }
        Ok(())
    }
}
