//! The precomputed colour of each person, so showing a code never recomputes it.

use sqlx::Row;

use crate::{CodeInputs, CodeStatus, Store, StoreError, Unit};

impl Store {
    /// What signing a code needs from the data store, in one query: the
    /// encrypted name and the stored status. `None` if the person is unknown.
    pub async fn code_inputs(&self, person_id: &str) -> Result<Option<CodeInputs>, StoreError> {
        let row = sqlx::query(
            "SELECT p.name_enc, s.person_id, s.colour, s.reasons_enc, s.policy_version, s.computed_at, \
             s.valid_until FROM people p LEFT JOIN code_status s ON s.person_id = p.id WHERE p.id = $1",
        )
        .bind(person_id)
        .fetch_optional(&self.data)
        .await?;
        row.map(|r| {
            let status = match r.try_get::<Option<String>, _>("person_id")? {
                Some(person_id) => Some(CodeStatus {
                    person_id,
                    colour: r.try_get("colour")?,
                    reasons_enc: r.try_get("reasons_enc")?,
                    policy_version: r.try_get("policy_version")?,
                    computed_at: r.try_get("computed_at")?,
                    valid_until: r.try_get("valid_until")?,
                }),
                None => None,
            };
            Ok(CodeInputs {
                name_enc: r.try_get("name_enc")?,
                status,
            })
        })
        .transpose()
    }

    /// How many people show each colour, by colour name (for the operator's
    /// dashboards and the recompute benchmark; no one is named).
    pub async fn colour_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT colour, COUNT(*) AS n FROM code_status GROUP BY colour ORDER BY colour",
        )
        .fetch_all(&self.data)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("colour")?, r.try_get("n")?)))
            .collect()
    }
}

impl Unit {
    /// Replaces a person's status.
    pub async fn set_code_status(&mut self, status: &CodeStatus) -> Result<(), StoreError> {
        self.upsert_status(status).await
    }

    /// Replaces the statuses of many people in one transaction (a risk
    /// area's or the sweeper's batch), computed from what was read at
    /// `read_at`: one commit instead of one per person.
    ///
    /// A person who got a new fact or an approved override at or after
    /// `read_at` keeps their status: the batch read too early to know it, and
    /// that fact's own recomputation, which reads after it was stored, writes
    /// the status. So a slow batch never overwrites a fresher colour.
    ///
    /// A person erased since the read gets no status (the row would outlive
    /// them): only people still registered are written.
    pub async fn set_code_statuses(
        &mut self,
        statuses: &[CodeStatus],
        read_at: i64,
    ) -> Result<(), StoreError> {
        // Skip anyone whose facts or overrides changed since the read, and
        // anyone no longer registered.
        for status in statuses {
            bind_status(sqlx::query(UPSERT_FRESH_STATUS), status)
                .bind(read_at)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn upsert_status(&mut self, s: &CodeStatus) -> Result<(), StoreError> {
        bind_status(sqlx::query(UPSERT_STATUS), s)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

/// Writes a person's status over the previous one; parameters `$1`..`$6` as
/// [`bind_status`] binds them.
const UPSERT_STATUS: &str = "INSERT INTO code_status \
     (person_id, colour, reasons_enc, policy_version, computed_at, valid_until) \
     VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (person_id) DO UPDATE SET colour = excluded.colour, reasons_enc = excluded.reasons_enc, \
     policy_version = excluded.policy_version, computed_at = excluded.computed_at, \
     valid_until = excluded.valid_until";

/// [`UPSERT_STATUS`] for a batch computed from a read at `$7`: skips people
/// with a fact or approved override recorded since, and people no longer
/// registered. An `INSERT ... SELECT` so that the conditions see the row to
/// insert; the `WHERE true` lets SQLite parse the upsert after a `SELECT`.
const UPSERT_FRESH_STATUS: &str = "INSERT INTO code_status \
     (person_id, colour, reasons_enc, policy_version, computed_at, valid_until) \
     SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM people p WHERE p.id = $1) \
       AND NOT EXISTS (SELECT 1 FROM facts f WHERE f.person_id = $1 AND f.recorded_at >= $7) \
       AND NOT EXISTS (SELECT 1 FROM overrides o WHERE o.person_id = $1 AND o.approved_at >= $7) \
     ON CONFLICT (person_id) DO UPDATE SET colour = excluded.colour, reasons_enc = excluded.reasons_enc, \
     policy_version = excluded.policy_version, computed_at = excluded.computed_at, \
     valid_until = excluded.valid_until";

fn bind_status<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    s: &'q CodeStatus,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(&s.person_id)
        .bind(&s.colour)
        .bind(s.reasons_enc.as_deref())
        .bind(&s.policy_version)
        .bind(s.computed_at)
        .bind(s.valid_until)
}
