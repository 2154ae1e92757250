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

/// A checker account bound to a venue: it may record check-ins there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueChecker {
    pub account_id: String,
    pub username: String,
    /// Unix seconds.
    pub bound_at: i64,
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

    /// Whether the venue's owner bound the account as one of its checkers.
    pub async fn is_checker_of(
        &self,
        venue_id: &str,
        account_id: &str,
    ) -> Result<bool, StoreError> {
        let bound: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM venue_checkers WHERE venue_id = $1 AND account_id = $2",
        )
        .bind(venue_id)
        .bind(account_id)
        .fetch_optional(&self.data)
        .await?;
        Ok(bound.is_some())
    }

    /// The checker accounts bound to a venue, by username.
    pub async fn venue_checkers(&self, venue_id: &str) -> Result<Vec<VenueChecker>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.account_id, a.username, c.bound_at FROM venue_checkers c \
             JOIN accounts a ON a.id = c.account_id WHERE c.venue_id = $1 ORDER BY a.username",
        )
        .bind(venue_id)
        .fetch_all(&self.data)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(VenueChecker {
                    account_id: r.try_get("account_id")?,
                    username: r
                        .try_get::<Option<String>, _>("username")?
                        .unwrap_or_default(),
                    bound_at: r.try_get("bound_at")?,
                })
            })
            .collect()
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

    /// Binds checker accounts to venues, each pair once: they may record
    /// check-ins there. Binding a pair bound already changes nothing.
    pub async fn bind_checkers(
        &mut self,
        pairs: &[(&str, &str)],
        at: i64,
    ) -> Result<(), StoreError> {
        for (venue_id, account_id) in pairs {
            sqlx::query(
                "INSERT INTO venue_checkers (venue_id, account_id, bound_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(*venue_id)
            .bind(*account_id)
            .bind(at)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// Unbinds a checker account from a venue; whether it was bound.
    pub async fn unbind_checker(
        &mut self,
        venue_id: &str,
        account_id: &str,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM venue_checkers WHERE venue_id = $1 AND account_id = $2")
                .bind(venue_id)
                .bind(account_id)
                .execute(self.conn())
                .await?;
        Ok(done.rows_affected() > 0)
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
