//! Venues: the places citizens check in at, each owned by a venue account.
//!
//! A venue is a business, so its name and address are not personal data and are
//! stored in clear. Its signed place code is stored as issued, so that every
//! reprint of the poster is the very same code.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, Unit};

/// A venue as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueRecord {
    /// Short opaque id (22 characters of base64url), printed in the place code.
    pub id: String,
    /// The venue account that registered it; only this account manages it.
    pub owner_account: String,
    pub name: String,
    pub address: String,
    /// 6-digit GB/T 2260 code of the division the venue is in.
    pub division: String,
    /// The signed `HCV1:` place code, as printed.
    pub place_code: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, owner_account, name, address, division, place_code, created_at";

fn insert_venue(v: &VenueRecord) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    sqlx::query(
        "INSERT INTO venues (id, owner_account, name, address, division, place_code, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&v.id)
    .bind(&v.owner_account)
    .bind(&v.name)
    .bind(&v.address)
    .bind(&v.division)
    .bind(&v.place_code)
    .bind(v.created_at)
}

impl Store {
    /// One venue by id, if registered.
    pub async fn venue(&self, id: &str) -> Result<Option<VenueRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM venues WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.data)
            .await?;
        row.as_ref().map(venue).transpose()
    }

    /// The venues a venue account registered, oldest first, so the account can
    /// find and reprint its place codes.
    pub async fn venues_of(&self, owner_account: &str) -> Result<Vec<VenueRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM venues WHERE owner_account = $1 ORDER BY created_at, id"
        ))
        .bind(owner_account)
        .fetch_all(&self.data)
        .await?;
        rows.iter().map(venue).collect()
    }

    /// Every division that has a venue. Check-ins copy their venue's division,
    /// so this bounds the divisions found in `check_ins` (retention walks it).
    pub async fn venue_divisions(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT DISTINCT division FROM venues ORDER BY division")
                .fetch_all(&self.data)
                .await?,
        )
    }
}

fn venue(r: &AnyRow) -> Result<VenueRecord, StoreError> {
    Ok(VenueRecord {
        id: r.try_get("id")?,
        owner_account: r.try_get("owner_account")?,
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        division: r.try_get("division")?,
        place_code: r.try_get("place_code")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Unit {
    /// Registers a venue (one statement, so nothing half-written can remain).
    /// Fails with [`StoreError::Conflict`]`("venue")` if the id is taken.
    pub async fn create_venue(&mut self, v: &VenueRecord) -> Result<(), StoreError> {
        let done = insert_venue(v).execute(self.conn()).await?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict("venue"))
        }
    }

    /// Registers many venues in one transaction (bulk loads): all or none.
    /// Fails with [`StoreError::Conflict`]`("venue")` if an id is taken.
    pub async fn create_venues(&mut self, venues: &[VenueRecord]) -> Result<(), StoreError> {
        for v in venues {
            if insert_venue(v).execute(self.conn()).await?.rows_affected() != 1 {
                return Err(StoreError::Conflict("venue"));
            }
        }
        Ok(())
    }
}
