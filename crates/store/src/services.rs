//! Services on a schedule: the closures authorities scheduled, live and past.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, Unit};

/// A scheduled closure of a service as stored (texts as the authority wrote
/// them; nothing personal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceClosureRecord {
    pub id: String,
    pub service: String,
    /// `suspended` or `retired`.
    pub closure: String,
    pub effective_from: i64,
    pub notice_zh: String,
    pub notice_en: String,
    /// The authority's account.
    pub scheduled_by: String,
    pub scheduled_at: i64,
    /// Who cancelled or replaced it, and when; `None` while it stands.
    pub ended_by: Option<String>,
    pub ended_at: Option<i64>,
}

const COLUMNS: &str = "id, service, closure, effective_from, notice_zh, notice_en, \
                       scheduled_by, scheduled_at, ended_by, ended_at";

fn closure(r: &AnyRow) -> Result<ServiceClosureRecord, StoreError> {
    Ok(ServiceClosureRecord {
        id: r.try_get("id")?,
        service: r.try_get("service")?,
        closure: r.try_get("closure")?,
        effective_from: r.try_get("effective_from")?,
        notice_zh: r.try_get("notice_zh")?,
        notice_en: r.try_get("notice_en")?,
        scheduled_by: r.try_get("scheduled_by")?,
        scheduled_at: r.try_get("scheduled_at")?,
        ended_by: r.try_get("ended_by")?,
        ended_at: r.try_get("ended_at")?,
    })
}

impl Unit {
    /// Ends the standing closure of `service`, if there is one (cancelled, or
    /// replaced by a new one); returns whether there was.
    pub async fn end_service_closure(&mut self, service: &str) -> Result<bool, StoreError> {
        let by = self.actor().account_id().map(str::to_owned);
        let now = self.now();
        let done = sqlx::query(
            "UPDATE service_closures SET ended_by = $1, ended_at = $2 \
             WHERE service = $3 AND ended_at IS NULL",
        )
        .bind(by)
        .bind(now)
        .bind(service)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Schedules a closure; the standing one of the service must be ended first.
    pub async fn insert_service_closure(
        &mut self,
        r: &ServiceClosureRecord,
    ) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO service_closures ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&r.id)
        .bind(&r.service)
        .bind(&r.closure)
        .bind(r.effective_from)
        .bind(&r.notice_zh)
        .bind(&r.notice_en)
        .bind(&r.scheduled_by)
        .bind(r.scheduled_at)
        .bind(r.ended_by.as_deref())
        .bind(r.ended_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

impl Store {
    /// The standing closure of each service that has one.
    pub async fn service_closures(&self) -> Result<Vec<ServiceClosureRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM service_closures WHERE ended_at IS NULL ORDER BY service"
        ))
        .fetch_all(&self.data)
        .await?;
        rows.iter().map(closure).collect()
    }

    /// Every closure ever scheduled, the latest first.
    pub async fn service_closure_history(&self) -> Result<Vec<ServiceClosureRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM service_closures ORDER BY scheduled_at DESC, id"
        ))
        .fetch_all(&self.data)
        .await?;
        rows.iter().map(closure).collect()
    }
}
