//! Who an account acts as. Each route states which roles may call it.

use serde::{Deserialize, Serialize};

/// The actors of the product brief. A citizen registers; every other role is a
/// staff account created by an administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Citizen,
    Checker,
    Collector,
    Lab,
    Venue,
    Authority,
    Regulator,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 7] = [
        Role::Citizen,
        Role::Checker,
        Role::Collector,
        Role::Lab,
        Role::Venue,
        Role::Authority,
        Role::Regulator,
    ];

    /// The stable lowercase name used in APIs, the CLI and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Checker => "checker",
            Role::Collector => "collector",
            Role::Lab => "lab",
            Role::Venue => "venue",
            Role::Authority => "authority",
            Role::Regulator => "regulator",
        }
    }

    /// Parses the stable name; `None` for anything else.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Whether accounts of this role are created by staff rather than by registration.
    pub fn is_staff(self) -> bool {
        self != Role::Citizen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("admin"), None);
        assert!(!Role::Citizen.is_staff());
        assert!(Role::Regulator.is_staff());
    }
}
