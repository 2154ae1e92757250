//! Who does an act. Every write is made for an actor, and every opening of a
//! person's data by someone other than the person is recorded under one, so a
//! person can see who looked and a regulator can see who did what.

use serde::{Deserialize, Serialize};

use crate::role::Role;

/// The one doing an act.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A citizen acting for themself.
    Citizen {
        account_id: String,
        person_id: String,
    },
    /// A staff account (checker, collector, laboratory, venue, authority,
    /// regulator).
    Staff { account_id: String, role: Role },
    /// A background job of the service, by name.
    Job { name: String },
    /// An operator at the command line.
    Operator,
}

impl Actor {
    /// The stable name of the kind of actor: `citizen`, `staff`, `job` or
    /// `operator`.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Citizen { .. } => "citizen",
            Actor::Staff { .. } => "staff",
            Actor::Job { .. } => "job",
            Actor::Operator => "operator",
        }
    }

    /// The role the actor acts in, if it is an account.
    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::Citizen { .. } => Some(Role::Citizen),
            Actor::Staff { role, .. } => Some(*role),
            Actor::Job { .. } | Actor::Operator => None,
        }
    }

    /// The account acting, if any.
    pub fn account_id(&self) -> Option<&str> {
        match self {
            Actor::Citizen { account_id, .. } | Actor::Staff { account_id, .. } => Some(account_id),
            Actor::Job { .. } | Actor::Operator => None,
        }
    }

    /// Whether this actor is the person `person_id` acting for themself: their
    /// own reads are not another's access to their data.
    pub fn is_person(&self, person_id: &str) -> bool {
        matches!(self, Actor::Citizen { person_id: p, .. } if p == person_id)
    }

    /// A short label for logs and records: the kind and, for a job, its name,
    /// for an account its role; never anyone's name.
    pub fn label(&self) -> String {
        match self {
            Actor::Citizen { .. } => "citizen".to_owned(),
            Actor::Staff { role, .. } => format!("staff:{}", role.as_str()),
            Actor::Job { name } => format!("job:{name}"),
            Actor::Operator => "operator".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_describe_themselves_without_personal_data() {
        let citizen = Actor::Citizen {
            account_id: "a1".into(),
            person_id: "p1".into(),
        };
        assert!(citizen.is_person("p1"));
        assert!(!citizen.is_person("p2"));
        assert_eq!(citizen.role(), Some(Role::Citizen));
        let lab = Actor::Staff {
            account_id: "a2".into(),
            role: Role::Lab,
        };
        assert!(!lab.is_person("p1"));
        assert_eq!(lab.label(), "staff:lab");
        assert_eq!(lab.account_id(), Some("a2"));
        let job = Actor::Job {
            name: "retention".into(),
        };
        assert_eq!(
            (job.kind(), job.label()),
            ("job", "job:retention".to_owned())
        );
        assert_eq!(Actor::Operator.account_id(), None);
    }
}
