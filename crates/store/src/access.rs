//! The access log: who opened a person's data, other than the person.
//!
//! Rows are written in the unit of work of the act they record (or, for a
//! checkpoint's scan, in the check-in batch that records the scan), so an act
//! and its record commit together. A person's rows go with the person
//! (`ON DELETE CASCADE`) and retention deletes them after their period.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, Unit};

/// One opening of a person's data by someone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecord {
    pub person_id: String,
    /// When, in Unix seconds.
    pub at: i64,
    /// Random, unique per person and time.
    pub id: String,
    /// `staff`, `job` or `operator`.
    pub actor_kind: String,
    /// The staff account's role (`checker`, `lab`, `authority`…), or the
    /// job's name.
    pub actor_role: Option<String>,
    /// The staff account's opaque id; never a name.
    pub actor_account: Option<String>,
    /// Why (`check_in`, `test_result`, `recompute`, `case_handling`…).
    pub purpose: String,
    /// Which of the person's data, comma-separated (`colour,masked_name`).
    pub fields: String,
}

/// Columns in the order [`bind_access`] binds them.
const COLUMNS: &str = "person_id, at, id, actor_kind, actor_role, actor_account, purpose, fields";

/// The `INSERT` of `rows` access records.
pub(crate) fn insert_sql(rows: usize) -> String {
    let mut sql = format!("INSERT INTO access_log ({COLUMNS}) VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        let first = r * 8;
        let params: Vec<String> = (1..=8).map(|c| format!("${}", first + c)).collect();
        sql.push('(');
        sql.push_str(&params.join(", "));
        sql.push(')');
    }
    sql
}

/// Binds the rows of an [`insert_sql`] statement.
pub(crate) fn bind_access<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    rows: &'q [&'q AccessRecord],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for r in rows {
        query = query
            .bind(r.person_id.as_str())
            .bind(r.at)
            .bind(r.id.as_str())
            .bind(r.actor_kind.as_str())
            .bind(r.actor_role.as_deref())
            .bind(r.actor_account.as_deref())
            .bind(r.purpose.as_str())
            .bind(r.fields.as_str());
    }
    query
}

impl Unit {
    /// Records that someone opened a person's data, in this unit; nothing for
    /// a person no longer registered (their log went with them).
    pub async fn record_access(&mut self, record: &AccessRecord) -> Result<(), StoreError> {
        let rows = [record];
        let sql = format!(
            "INSERT INTO access_log ({COLUMNS}) SELECT $1, $2, $3, $4, $5, $6, $7, $8 \
             WHERE EXISTS (SELECT 1 FROM people WHERE id = $1)"
        );
        bind_access(sqlx::query(&sql), &rows)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

impl Store {
    /// A person's access log, newest first: at most `limit` rows older than
    /// `before` (`(at, id)` of the last row of the previous page), if given.
    pub async fn access_log(
        &self,
        person_id: &str,
        before: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<Vec<AccessRecord>, StoreError> {
        let (at, id) = before.unwrap_or((i64::MAX, ""));
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM access_log WHERE person_id = $1 \
             AND (at < $2 OR (at = $2 AND id < $3)) ORDER BY at DESC, id DESC LIMIT $4"
        ))
        .bind(person_id)
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(&self.data)
        .await?;
        rows.iter().map(access_row).collect()
    }

    /// How many access records are stored (for tests and operators).
    pub async fn count_access_records(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM access_log")
            .fetch_one(&self.data)
            .await?)
    }
}

fn access_row(r: &AnyRow) -> Result<AccessRecord, StoreError> {
    Ok(AccessRecord {
        person_id: r.try_get("person_id")?,
        at: r.try_get("at")?,
        id: r.try_get("id")?,
        actor_kind: r.try_get("actor_kind")?,
        actor_role: r.try_get("actor_role")?,
        actor_account: r.try_get("actor_account")?,
        purpose: r.try_get("purpose")?,
        fields: r.try_get("fields")?,
    })
}
