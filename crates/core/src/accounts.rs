//! Staff accounts: created by an operator, one role each.

use healthcode_domain::actor::Actor;
use healthcode_domain::audit::{Act, Draft};
use healthcode_domain::person::check_password;
use healthcode_domain::role::Role;
use healthcode_store::{LoginKey, NewAccount, StaffAccount, Store};

use crate::error::{Error, ErrorCode};
use crate::ids::random_id;
use crate::sessions::hash_password;

/// A staff login name: 3 to 64 letters, digits, `.`, `_` or `-`.
pub fn check_username(username: &str) -> Result<&str, Error> {
    let username = username.trim();
    let ok = (3..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(username)
    } else {
        Err(Error::new(
            ErrorCode::LoginIdentifier,
            "a username is 3 to 64 letters, digits, '.', '_' or '-'",
        ))
    }
}

/// Creates a staff account (any role but citizen) with `password`, checked for
/// strength and hashed here. Fails with `conflict` if the username is taken.
pub async fn create_staff(
    store: &Store,
    role: Role,
    username: &str,
    password: &str,
    now: i64,
) -> Result<StaffAccount, Error> {
    if !role.is_staff() {
        return Err(Error::new(
            ErrorCode::AuthForbidden,
            "staff accounts have a staff role: checker, collector, lab, venue, authority or regulator",
        ));
    }
    let username = check_username(username)?;
    check_password(password)?;
    create_staff_hashed(store, role, username, hash_password(password)?, now).await
}

/// Creates a staff account whose password is already hashed (the demo gives
/// every account one password, hashed once).
pub async fn create_staff_hashed(
    store: &Store,
    role: Role,
    username: &str,
    password_hash: String,
    now: i64,
) -> Result<StaffAccount, Error> {
    let account = NewAccount {
        id: random_id()?,
        role,
        person_id: None,
        username: Some(username.to_owned()),
        password_hash,
        created_at: now,
    };
    let mut unit = store.begin(Actor::Operator, now).await?;
    unit.create_staff(&account).await?;
    unit.audit(
        Draft::new(Act::AccountCreated)
            .detail("account", &account.id)
            .detail("role", role.as_str()),
    );
    unit.commit().await?;
    Ok(StaffAccount {
        account_id: account.id,
        username: username.to_owned(),
        role,
        created_at: now,
    })
}

/// Every staff account, by username (no secrets).
pub async fn staff_accounts(store: &Store) -> Result<Vec<StaffAccount>, Error> {
    Ok(store.staff_accounts().await?)
}

/// The staff account named `username` as the actor of an act the command line
/// does in its name (an authority scheduling a service, requesting disposal);
/// refused unless the account has `role`.
pub async fn staff_actor(store: &Store, username: &str, role: Role) -> Result<Actor, Error> {
    let key = LoginKey::Username(check_username(username)?.to_owned());
    match store.find_login(&key).await? {
        Some(login) if login.role == role => Ok(Actor::Staff {
            account_id: login.account_id,
            role,
        }),
        Some(_) => Err(Error::new(
            ErrorCode::AuthForbidden,
            format!(
                "the account {username} does not have the {} role",
                role.as_str()
            ),
        )),
        None => Err(Error::new(
            ErrorCode::NotFound,
            format!("no staff account is named {username}"),
        )),
    }
}
