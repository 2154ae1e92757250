//! Accounts, logins and sessions.
//!
//! Session tokens never reach the database: only their SHA-256 hash is stored,
//! so a copy of the database cannot be used to act as anyone.

use healthcode_domain::role::Role;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{
    LoginKey, LoginRecord, NewAccount, SessionRecord, StaffAccount, Store, StoreError, Unit,
};

impl Unit {
    /// Creates a staff account (any role but citizen).
    pub async fn create_staff(&mut self, account: &NewAccount) -> Result<(), StoreError> {
        if !account.role.is_staff() || account.username.is_none() || account.person_id.is_some() {
            return Err(StoreError::Config(
                "a staff account needs a staff role and a username, and no person".to_owned(),
            ));
        }
        self.insert_account(account).await
    }

    pub(crate) async fn insert_account(&mut self, a: &NewAccount) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO accounts (id, role, person_id, username, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&a.id)
        .bind(a.role.as_str())
        .bind(a.person_id.as_deref())
        .bind(a.username.as_deref())
        .bind(&a.password_hash)
        .bind(a.created_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Stores a new session under the hash of its token.
    pub async fn create_session(
        &mut self,
        token_hash: &[u8],
        account_id: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let now = self.now();
        sqlx::query("INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(account_id)
            .bind(now)
            .bind(expires_at)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Ends a session (logout). Returns whether it existed.
    pub async fn delete_session(&mut self, token_hash: &[u8]) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes sessions that expired by the unit's time; returns how many.
    pub async fn purge_expired_sessions(&mut self) -> Result<u64, StoreError> {
        let now = self.now();
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected())
    }
}

impl Store {
    /// Staff accounts, by username.
    pub async fn staff_accounts(&self) -> Result<Vec<StaffAccount>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, username, role, created_at FROM accounts \
             WHERE username IS NOT NULL ORDER BY username",
        )
        .fetch_all(&self.data)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StaffAccount {
                    account_id: r.try_get("id")?,
                    username: r.try_get("username")?,
                    role: role(r)?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// The account a login names, with its password hash.
    pub async fn find_login(&self, key: &LoginKey) -> Result<Option<LoginRecord>, StoreError> {
        const COLUMNS: &str = "SELECT a.id, a.role, a.person_id, a.password_hash FROM accounts a";
        let row = match key {
            LoginKey::Username(name) => {
                sqlx::query(&format!("{COLUMNS} WHERE a.username = $1"))
                    .bind(name)
                    .fetch_optional(&self.data)
                    .await?
            }
            LoginKey::Phone(index) => {
                sqlx::query(&format!(
                    "{COLUMNS} JOIN people p ON p.id = a.person_id WHERE p.phone_index = $1"
                ))
                .bind(index)
                .fetch_optional(&self.data)
                .await?
            }
            LoginKey::Document(indexes) => {
                let mut found = None;
                for index in indexes {
                    found = sqlx::query(&format!(
                        "{COLUMNS} JOIN people p ON p.id = a.person_id WHERE p.document_index = $1"
                    ))
                    .bind(index)
                    .fetch_optional(&self.data)
                    .await?;
                    if found.is_some() {
                        break;
                    }
                }
                found
            }
        };
        row.map(|r| {
            Ok(LoginRecord {
                account_id: r.try_get("id")?,
                role: role(&r)?,
                person_id: r.try_get("person_id")?,
                password_hash: r.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    /// A citizen's account with its password hash (to ask for the password
    /// again before an irreversible act).
    pub async fn citizen_login(&self, person_id: &str) -> Result<Option<LoginRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, role, person_id, password_hash FROM accounts WHERE person_id = $1",
        )
        .bind(person_id)
        .fetch_optional(&self.data)
        .await?;
        row.map(|r| {
            Ok(LoginRecord {
                account_id: r.try_get("id")?,
                role: role(&r)?,
                person_id: r.try_get("person_id")?,
                password_hash: r.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    /// The token hashes of an account's sessions (to forget them from a
    /// server's memory when the account goes).
    pub async fn session_hashes_of(&self, account_id: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT token_hash FROM sessions WHERE account_id = $1")
                .bind(account_id)
                .fetch_all(&self.data)
                .await?,
        )
    }

    /// The sessions of an account (when opened, until when), for the
    /// person's export; never their tokens.
    pub async fn sessions_of(&self, account_id: &str) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT created_at, expires_at FROM sessions WHERE account_id = $1 ORDER BY created_at",
        )
        .bind(account_id)
        .fetch_all(&self.data)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("created_at")?, r.try_get("expires_at")?)))
            .collect()
    }

    /// The unexpired session with this token hash, if any.
    pub async fn session(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT s.account_id, s.expires_at, a.role, a.person_id FROM sessions s \
             JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.data)
        .await?;
        row.map(|r| {
            Ok(SessionRecord {
                account_id: r.try_get("account_id")?,
                role: role(&r)?,
                person_id: r.try_get("person_id")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }
}

fn role(row: &AnyRow) -> Result<Role, StoreError> {
    let name: String = row.try_get("role")?;
    Role::parse(&name)
        .ok_or_else(|| StoreError::Config(format!("unknown role {name:?} in accounts")))
}
