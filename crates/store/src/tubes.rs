//! Sample tubes and their members, for the sampling workbench and laboratories.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, Store, StoreError, TubeRecord, Unit};

/// A tube's row, as every read of a tube selects it; a macro, so that the
/// locking form extends the very same statement.
macro_rules! select_tube {
    () => {
        "SELECT id, capacity, collector_id, opened_at, sealed_at, outcome, kind, laboratory, \
         sample_at, result_at FROM tubes WHERE id = $1"
    };
}
const TUBE: &str = select_tube!();
/// [`TUBE`], locking the row on PostgreSQL until the transaction ends.
const TUBE_FOR_UPDATE: &str = concat!(select_tube!(), " FOR UPDATE");

/// A tube's members, in the order they were added.
const MEMBERS: &str =
    "SELECT person_id FROM tube_members WHERE tube_id = $1 ORDER BY added_at, person_id";

fn tube_record(row: &AnyRow, members: Vec<String>) -> Result<TubeRecord, StoreError> {
    Ok(TubeRecord {
        id: row.try_get("id")?,
        capacity: row.try_get("capacity")?,
        collector_id: row.try_get("collector_id")?,
        opened_at: row.try_get("opened_at")?,
        sealed_at: row.try_get("sealed_at")?,
        outcome: row.try_get("outcome")?,
        kind: row.try_get("kind")?,
        laboratory: row.try_get("laboratory")?,
        sample_at: row.try_get("sample_at")?,
        result_at: row.try_get("result_at")?,
        members,
    })
}

/// Why a sample could not join a tube.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddSample {
    Added,
    /// The person is in the tube already (a repeated scan).
    AlreadyIn,
    Full,
    /// The tube is sealed or has a result.
    Sealed,
    NoSuchTube,
}

impl Store {
    /// The tubes a person's samples went into, with when they were added and
    /// the tube's outcome if known (for their export): `(tube, added_at,
    /// outcome)`.
    pub async fn samples_of(
        &self,
        person_id: &str,
    ) -> Result<Vec<(String, i64, Option<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.tube_id, m.added_at, t.outcome FROM tube_members m \
             JOIN tubes t ON t.id = m.tube_id WHERE m.person_id = $1 ORDER BY m.added_at",
        )
        .bind(person_id)
        .fetch_all(&self.data)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("tube_id")?,
                    r.try_get("added_at")?,
                    r.try_get("outcome")?,
                ))
            })
            .collect()
    }

    /// A tube with its members.
    pub async fn tube(&self, tube_id: &str) -> Result<Option<TubeRecord>, StoreError> {
        let Some(row) = sqlx::query(TUBE)
            .bind(tube_id)
            .fetch_optional(&self.data)
            .await?
        else {
            return Ok(None);
        };
        let members = sqlx::query_scalar(MEMBERS)
            .bind(tube_id)
            .fetch_all(&self.data)
            .await?;
        tube_record(&row, members).map(Some)
    }
}

impl Unit {
    /// A tube with its members, held until the unit ends: on PostgreSQL its row
    /// is locked, on SQLite the unit holds the database's write lock. Samples,
    /// sealing and results check the tube and write in one unit that holds
    /// it, so none of them acts on a tube another is changing.
    pub async fn lock_tube(&mut self, tube_id: &str) -> Result<Option<TubeRecord>, StoreError> {
        let Some(row) = sqlx::query(self.tube_lock_sql())
            .bind(tube_id)
            .fetch_optional(self.conn())
            .await?
        else {
            return Ok(None);
        };
        let members = sqlx::query_scalar(MEMBERS)
            .bind(tube_id)
            .fetch_all(self.conn())
            .await?;
        tube_record(&row, members).map(Some)
    }

    /// The statement that reads and holds a tube's row in this unit.
    fn tube_lock_sql(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => TUBE,
            Backend::Postgres => TUBE_FOR_UPDATE,
        }
    }

    /// Opens a tube; `Conflict("tube")` if its id is taken.
    pub async fn open_tube(
        &mut self,
        id: &str,
        capacity: i64,
        collector_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "INSERT INTO tubes (id, capacity, collector_id, opened_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(capacity)
        .bind(collector_id)
        .bind(now)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("tube"));
        }
        Ok(())
    }

    /// Adds a person's sample to an open tube, holding the tube (see
    /// [`Unit::lock_tube`]) from the capacity check to the insert so that two
    /// collectors cannot overfill it, nor add a sample to a tube being sealed
    /// or given its result.
    pub async fn add_sample(
        &mut self,
        tube_id: &str,
        person_id: &str,
        now: i64,
    ) -> Result<AddSample, StoreError> {
        let Some(tube) = self.lock_tube(tube_id).await? else {
            return Ok(AddSample::NoSuchTube);
        };
        if tube.sealed_at.is_some() || tube.outcome.is_some() {
            return Ok(AddSample::Sealed);
        }
        if tube.members.iter().any(|m| m == person_id) {
            return Ok(AddSample::AlreadyIn);
        }
        if i64::try_from(tube.members.len()).unwrap_or(i64::MAX) >= tube.capacity {
            return Ok(AddSample::Full);
        }
        sqlx::query("INSERT INTO tube_members (tube_id, person_id, added_at) VALUES ($1, $2, $3)")
            .bind(tube_id)
            .bind(person_id)
            .bind(now)
            .execute(self.conn())
            .await?;
        Ok(AddSample::Added)
    }

    /// Seals a tube (no more samples); `false` if it does not exist or was sealed.
    pub async fn seal_tube(&mut self, tube_id: &str, now: i64) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE tubes SET sealed_at = $2 WHERE id = $1 AND sealed_at IS NULL")
                .bind(tube_id)
                .bind(now)
                .execute(self.conn())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a tube's result once; `false` if it already had one (a repeated
    /// upload), in which case nothing changes.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_tube_result(
        &mut self,
        tube_id: &str,
        outcome: &str,
        kind: &str,
        laboratory: &str,
        sample_at: i64,
        result_at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tubes SET outcome = $2, kind = $3, laboratory = $4, sample_at = $5, result_at = $6, \
             sealed_at = COALESCE(sealed_at, $6) WHERE id = $1 AND outcome IS NULL",
        )
        .bind(tube_id)
        .bind(outcome)
        .bind(kind)
        .bind(laboratory)
        .bind(sample_at)
        .bind(result_at)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
