//! Health facts (encrypted), risk areas and published policies.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{
    FactRecord, PolicyProposalRecord, PolicyRecord, RiskAreaRecord, Store, StoreError, Unit,
};

impl Unit {
    /// Stores a fact; returns `false` if a fact with the same `dedup_key` was
    /// already stored (the write is then a no-op), which makes uploads idempotent.
    pub async fn insert_fact(&mut self, f: &FactRecord) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO facts (id, person_id, kind, occurred_at, recorded_at, source, source_id, purpose, \
             dedup_key, body_enc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (dedup_key) DO NOTHING",
        )
        .bind(&f.id)
        .bind(&f.person_id)
        .bind(&f.kind)
        .bind(f.occurred_at)
        .bind(f.recorded_at)
        .bind(&f.source)
        .bind(f.source_id.as_deref())
        .bind(&f.purpose)
        .bind(f.dedup_key.as_deref())
        .bind(&f.body_enc)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every fact of a person, oldest first, as the unit sees them (its own
    /// writes included).
    pub async fn facts_of(&mut self, person_id: &str) -> Result<Vec<FactRecord>, StoreError> {
        let rows = sqlx::query(FACTS_OF)
            .bind(person_id)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(fact).collect()
    }

    /// Deletes facts of a purpose that occurred before `before` (retention).
    pub async fn purge_facts(&mut self, purpose: &str, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM facts WHERE purpose = $1 AND occurred_at < $2")
            .bind(purpose)
            .bind(before)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected())
    }

    /// Declares a risk area.
    pub async fn insert_risk_area(&mut self, r: &RiskAreaRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO risk_areas (id, scope_kind, scope, level, name, from_at, until_at, declared_by, \
             declared_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&r.id)
        .bind(&r.scope_kind)
        .bind(&r.scope)
        .bind(&r.level)
        .bind(r.name.as_deref())
        .bind(r.from_at)
        .bind(r.until_at)
        .bind(&r.declared_by)
        .bind(r.declared_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Publishes a policy version. Versions and effective times are unique.
    pub async fn insert_policy(&mut self, p: &PolicyRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO policies (version, effective_from, document, published_by, published_at, \
             proposed_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&p.version)
        .bind(p.effective_from)
        .bind(&p.document)
        .bind(p.published_by.as_deref())
        .bind(p.published_at)
        .bind(p.proposed_by.as_deref())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Stores a proposed policy version; `Conflict("policy")` when its version
    /// or effective time is taken by a published policy or another proposal.
    pub async fn insert_policy_proposal(
        &mut self,
        p: &PolicyProposalRecord,
    ) -> Result<(), StoreError> {
        let taken: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM policies WHERE version = $1 OR effective_from = $2 \
             UNION ALL SELECT 1 FROM policy_proposals WHERE version = $1 OR effective_from = $2",
        )
        .bind(&p.version)
        .bind(p.effective_from)
        .fetch_optional(self.conn())
        .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict("policy"));
        }
        sqlx::query(
            "INSERT INTO policy_proposals (version, effective_from, document, proposed_by, \
             proposed_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&p.version)
        .bind(p.effective_from)
        .bind(&p.document)
        .bind(&p.proposed_by)
        .bind(p.proposed_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Removes a proposal and returns it, for its approval: two approvals at
    /// once find it only once.
    pub async fn take_policy_proposal(
        &mut self,
        version: &str,
    ) -> Result<Option<PolicyProposalRecord>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM policy_proposals WHERE version = $1 \
             RETURNING version, effective_from, document, proposed_by, proposed_at",
        )
        .bind(version)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(proposal).transpose()
    }
}

/// Every fact of a person, oldest first.
const FACTS_OF: &str = "SELECT id, person_id, kind, occurred_at, recorded_at, source, source_id, \
     purpose, dedup_key, body_enc FROM facts WHERE person_id = $1 ORDER BY occurred_at, id";

impl Store {
    /// Every fact of a person, oldest first.
    pub async fn facts_of(&self, person_id: &str) -> Result<Vec<FactRecord>, StoreError> {
        let rows = sqlx::query(FACTS_OF)
            .bind(person_id)
            .fetch_all(&self.data)
            .await?;
        rows.iter().map(fact).collect()
    }

    /// The facts of many people in one query (a recomputation chunk), ordered
    /// as [`facts_of`](Self::facts_of) orders each person's.
    pub async fn facts_of_many(
        &self,
        person_ids: &[String],
    ) -> Result<Vec<FactRecord>, StoreError> {
        if person_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, person_id, kind, occurred_at, recorded_at, source, source_id, purpose, dedup_key, \
             body_enc FROM facts WHERE person_id IN ({}) ORDER BY person_id, occurred_at, id",
            crate::placeholders(1, person_ids.len())
        );
        let mut query = sqlx::query(&sql);
        for id in person_ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.data).await?;
        rows.iter().map(fact).collect()
    }

    /// Every declared risk area, oldest first (a province has a few thousand at most).
    pub async fn risk_areas(&self) -> Result<Vec<RiskAreaRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, scope_kind, scope, level, name, from_at, until_at, declared_by, declared_at \
             FROM risk_areas ORDER BY declared_at, id",
        )
        .fetch_all(&self.data)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RiskAreaRecord {
                    id: r.try_get("id")?,
                    scope_kind: r.try_get("scope_kind")?,
                    scope: r.try_get("scope")?,
                    level: r.try_get("level")?,
                    name: r.try_get("name")?,
                    from_at: r.try_get("from_at")?,
                    until_at: r.try_get("until_at")?,
                    declared_by: r.try_get("declared_by")?,
                    declared_at: r.try_get("declared_at")?,
                })
            })
            .collect()
    }

    /// Every published policy, by effective time.
    pub async fn policies(&self) -> Result<Vec<PolicyRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, effective_from, document, published_by, published_at, proposed_by \
             FROM policies ORDER BY effective_from",
        )
        .fetch_all(&self.data)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PolicyRecord {
                    version: r.try_get("version")?,
                    effective_from: r.try_get("effective_from")?,
                    document: r.try_get("document")?,
                    published_by: r.try_get("published_by")?,
                    published_at: r.try_get("published_at")?,
                    proposed_by: r.try_get("proposed_by")?,
                })
            })
            .collect()
    }

    /// Policy versions proposed and not yet approved, by effective time.
    pub async fn policy_proposals(&self) -> Result<Vec<PolicyProposalRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, effective_from, document, proposed_by, proposed_at \
             FROM policy_proposals ORDER BY effective_from",
        )
        .fetch_all(&self.data)
        .await?;
        rows.iter().map(proposal).collect()
    }

    /// People whose stored colour expires at or before `now` (a time-based
    /// transition is due), through the `valid_until` index.
    pub async fn statuses_due(&self, now: i64, limit: i64) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT person_id FROM code_status WHERE valid_until IS NOT NULL AND valid_until <= $1 \
             ORDER BY valid_until LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.data)
        .await?)
    }
}

fn fact(r: &AnyRow) -> Result<FactRecord, StoreError> {
    Ok(FactRecord {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        kind: r.try_get("kind")?,
        occurred_at: r.try_get("occurred_at")?,
        recorded_at: r.try_get("recorded_at")?,
        source: r.try_get("source")?,
        source_id: r.try_get("source_id")?,
        purpose: r.try_get("purpose")?,
        dedup_key: r.try_get("dedup_key")?,
        body_enc: r.try_get("body_enc")?,
    })
}

fn proposal(r: &AnyRow) -> Result<PolicyProposalRecord, StoreError> {
    Ok(PolicyProposalRecord {
        version: r.try_get("version")?,
        effective_from: r.try_get("effective_from")?,
        document: r.try_get("document")?,
        proposed_by: r.try_get("proposed_by")?,
        proposed_at: r.try_get("proposed_at")?,
    })
}
