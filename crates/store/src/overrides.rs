//! Overrides (two officials) and appeals.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{AppealRecord, OverrideRecord, Store, StoreError, Unit};

const OVERRIDE_COLUMNS: &str = "id, person_id, colour, justification_enc, requested_by, requested_at, \
                                approved_by, approved_at, expires_at";
const APPEAL_COLUMNS: &str = "id, person_id, colour, policy_version, text_enc, filed_at, status, \
                              resolution_enc, resolved_by, resolved_at";

impl Store {
    /// One override.
    pub async fn override_by_id(&self, id: &str) -> Result<Option<OverrideRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {OVERRIDE_COLUMNS} FROM overrides WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.data)
        .await?;
        row.as_ref().map(override_row).transpose()
    }

    /// The most recent overrides of everyone, for supervision (newest first).
    pub async fn recent_overrides(&self, limit: i64) -> Result<Vec<OverrideRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OVERRIDE_COLUMNS} FROM overrides ORDER BY requested_at DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.data)
        .await?;
        rows.iter().map(override_row).collect()
    }

    /// Every override of a person, requested, approved or expired, oldest
    /// first (for their export).
    pub async fn overrides_of(&self, person_id: &str) -> Result<Vec<OverrideRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OVERRIDE_COLUMNS} FROM overrides WHERE person_id = $1 ORDER BY requested_at"
        ))
        .bind(person_id)
        .fetch_all(&self.data)
        .await?;
        rows.iter().map(override_row).collect()
    }

    /// A person's approved overrides that have not expired by `now`.
    pub async fn active_overrides(
        &self,
        person_id: &str,
        now: i64,
    ) -> Result<Vec<OverrideRecord>, StoreError> {
        let rows = sqlx::query(&active_overrides_sql())
            .bind(person_id)
            .bind(now)
            .fetch_all(&self.data)
            .await?;
        rows.iter().map(override_row).collect()
    }

    /// The overrides in force for many people, in one query (a recomputation
    /// chunk).
    pub async fn active_overrides_many(
        &self,
        person_ids: &[String],
        now: i64,
    ) -> Result<Vec<OverrideRecord>, StoreError> {
        if person_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {OVERRIDE_COLUMNS} FROM overrides WHERE person_id IN ({}) \
             AND approved_by IS NOT NULL AND expires_at > $1 ORDER BY person_id, requested_at",
            crate::placeholders(2, person_ids.len())
        );
        let mut query = sqlx::query(&sql).bind(now);
        for id in person_ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.data).await?;
        rows.iter().map(override_row).collect()
    }

    /// Appeals in a status (e.g. `open`), oldest first.
    pub async fn appeals_with_status(
        &self,
        status: &str,
        limit: i64,
    ) -> Result<Vec<AppealRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {APPEAL_COLUMNS} FROM appeals WHERE status = $1 ORDER BY filed_at LIMIT $2"
        ))
        .bind(status)
        .bind(limit)
        .fetch_all(&self.data)
        .await?;
        rows.iter().map(appeal_row).collect()
    }

    /// A person's appeals, newest first.
    pub async fn appeals_of(&self, person_id: &str) -> Result<Vec<AppealRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {APPEAL_COLUMNS} FROM appeals WHERE person_id = $1 ORDER BY filed_at DESC"
        ))
        .bind(person_id)
        .fetch_all(&self.data)
        .await?;
        rows.iter().map(appeal_row).collect()
    }

    /// One appeal.
    pub async fn appeal_by_id(&self, id: &str) -> Result<Option<AppealRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {APPEAL_COLUMNS} FROM appeals WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.data)
        .await?;
        row.as_ref().map(appeal_row).transpose()
    }
}

fn active_overrides_sql() -> String {
    format!(
        "SELECT {OVERRIDE_COLUMNS} FROM overrides \
         WHERE person_id = $1 AND approved_by IS NOT NULL AND expires_at > $2 ORDER BY requested_at"
    )
}

fn override_row(r: &AnyRow) -> Result<OverrideRecord, StoreError> {
    Ok(OverrideRecord {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        colour: r.try_get("colour")?,
        justification_enc: r.try_get("justification_enc")?,
        requested_by: r.try_get("requested_by")?,
        requested_at: r.try_get("requested_at")?,
        approved_by: r.try_get("approved_by")?,
        approved_at: r.try_get("approved_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}

fn appeal_row(r: &AnyRow) -> Result<AppealRecord, StoreError> {
    Ok(AppealRecord {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        colour: r.try_get("colour")?,
        policy_version: r.try_get("policy_version")?,
        text_enc: r.try_get("text_enc")?,
        filed_at: r.try_get("filed_at")?,
        status: r.try_get("status")?,
        resolution_enc: r.try_get("resolution_enc")?,
        resolved_by: r.try_get("resolved_by")?,
        resolved_at: r.try_get("resolved_at")?,
    })
}

impl Unit {
    /// Records an override request; it has no effect until a second official approves it.
    pub async fn request_override(&mut self, o: &OverrideRecord) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO overrides ({OVERRIDE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7)"
        ))
        .bind(&o.id)
        .bind(&o.person_id)
        .bind(&o.colour)
        .bind(&o.justification_enc)
        .bind(&o.requested_by)
        .bind(o.requested_at)
        .bind(o.expires_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Approves a pending override by an official other than its requester.
    /// Returns `false` if it was not pending, had expired, or the approver is the
    /// requester (the database refuses that too).
    pub async fn approve_override(
        &mut self,
        id: &str,
        approver: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE overrides SET approved_by = $2, approved_at = $3 \
             WHERE id = $1 AND approved_by IS NULL AND requested_by <> $2 AND expires_at > $3",
        )
        .bind(id)
        .bind(approver)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Files an appeal.
    pub async fn file_appeal(&mut self, a: &AppealRecord) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO appeals ({APPEAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, NULL)"
        ))
        .bind(&a.id)
        .bind(&a.person_id)
        .bind(&a.colour)
        .bind(&a.policy_version)
        .bind(&a.text_enc)
        .bind(a.filed_at)
        .bind(&a.status)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Resolves an open appeal; `false` if it was not open.
    pub async fn resolve_appeal(
        &mut self,
        id: &str,
        status: &str,
        resolution_enc: &[u8],
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE appeals SET status = $2, resolution_enc = $3, resolved_by = $4, resolved_at = $5 \
             WHERE id = $1 AND status = 'open'",
        )
        .bind(id)
        .bind(status)
        .bind(resolution_enc)
        .bind(by)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A person's approved overrides in force at `now`, as the unit sees them
    /// (an approval it made included).
    pub async fn active_overrides(
        &mut self,
        person_id: &str,
        now: i64,
    ) -> Result<Vec<OverrideRecord>, StoreError> {
        let rows = sqlx::query(&active_overrides_sql())
            .bind(person_id)
            .bind(now)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(override_row).collect()
    }
}
