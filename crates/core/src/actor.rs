//! Who is acting: the authenticated caller of a request, and the checks a
//! service makes on it before doing anything.

use healthcode_domain::actor::Actor;
use healthcode_domain::role::Role;

use crate::error::Error;

/// The authenticated account behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: String,
    pub role: Role,
    pub person_id: Option<String>,
    /// The hash of the session token the caller presented (logout ends it).
    pub token_hash: [u8; 32],
}

impl Caller {
    /// The person of a citizen account; refuses every other role.
    pub fn citizen(&self) -> Result<&str, Error> {
        match (&self.role, &self.person_id) {
            (Role::Citizen, Some(person)) => Ok(person),
            _ => Err(Error::forbidden()),
        }
    }

    /// The caller as the actor of what it does.
    pub fn actor(&self) -> Actor {
        match (&self.role, &self.person_id) {
            (Role::Citizen, Some(person_id)) => Actor::Citizen {
                account_id: self.account_id.clone(),
                person_id: person_id.clone(),
            },
            (role, _) => Actor::Staff {
                account_id: self.account_id.clone(),
                role: *role,
            },
        }
    }

    /// Refuses callers whose role is not among `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), Error> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(Error::forbidden())
        }
    }
}

/// A background job of the service as an actor.
pub fn job(name: &str) -> Actor {
    Actor::Job {
        name: name.to_owned(),
    }
}

/// The authority account an act is by (from the API or named on the command
/// line); refuses every other actor.
pub(crate) fn authority(by: &Actor) -> Result<&str, Error> {
    match (by.role(), by.account_id()) {
        (Some(Role::Authority), Some(account)) => Ok(account),
        _ => Err(Error::forbidden()),
    }
}
