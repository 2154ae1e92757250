//! The colour of a personal health code and the reasons behind it.
//!
//! The rules engine comes later; this module is its seam: a pure function from a
//! person's facts and a policy to a colour with reasons. Until the engine lands the
//! built-in policy shows green unless an authority's override is in force.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The three colours a code can show, ordered from least to most restrictive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Colour {
    Green,
    Yellow,
    Red,
}

impl Colour {
    /// The stable lowercase name used in APIs, tokens and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Green => "green",
            Colour::Yellow => "yellow",
            Colour::Red => "red",
        }
    }

    /// Parses the stable name; `None` for anything else.
    pub fn parse(name: &str) -> Option<Colour> {
        match name {
            "green" => Some(Colour::Green),
            "yellow" => Some(Colour::Yellow),
            "red" => Some(Colour::Red),
            _ => None,
        }
    }
}

/// A colour set by officials instead of by the rules, valid until it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub colour: Colour,
    pub justification: String,
    pub expires_at: Timestamp,
}

/// Everything the policy may look at for one person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub overrides: Vec<Override>,
}

/// A versioned policy. The built-in one knows no rules, only overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub version: String,
}

impl Policy {
    /// The policy in force before any rules are published.
    pub fn builtin() -> Policy {
        Policy {
            version: "builtin-1".to_owned(),
        }
    }
}

/// Why a code has its colour, in a form a person can read and a machine can match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable machine-readable code, e.g. `override.active`.
    pub code: String,
    pub message: String,
}

/// A colour with its reasons, and the time after which it must be recomputed even
/// if no new fact arrives (for example when an override expires).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub colour: Colour,
    pub reasons: Vec<Reason>,
    pub policy_version: String,
    pub valid_until: Option<Timestamp>,
}

/// Computes a person's colour from their facts under a policy at `now`.
///
/// The most restrictive unexpired override wins; without one the code is green.
pub fn assess(facts: &Facts, policy: &Policy, now: Timestamp) -> Assessment {
    let active = facts
        .overrides
        .iter()
        .filter(|o| o.expires_at > now)
        .max_by_key(|o| (o.colour, o.expires_at));
    match active {
        Some(o) => Assessment {
            colour: o.colour,
            reasons: vec![Reason {
                code: "override.active".to_owned(),
                message: format!(
                    "An authority set this colour until {}: {}",
                    o.expires_at, o.justification
                ),
            }],
            policy_version: policy.version.clone(),
            valid_until: Some(o.expires_at),
        },
        None => Assessment {
            colour: Colour::Green,
            reasons: vec![Reason {
                code: "policy.default".to_owned(),
                message: "No fact under the current policy calls for another colour.".to_owned(),
            }],
            policy_version: policy.version.clone(),
            valid_until: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).expect("valid test timestamp")
    }

    #[test]
    fn green_without_facts() {
        let a = assess(&Facts::default(), &Policy::builtin(), at(1_000));
        assert_eq!(a.colour, Colour::Green);
        assert_eq!(a.reasons[0].code, "policy.default");
        assert_eq!(a.valid_until, None);
    }

    #[test]
    fn override_applies_until_it_expires() {
        let facts = Facts {
            overrides: vec![Override {
                colour: Colour::Yellow,
                justification: "close contact".to_owned(),
                expires_at: at(2_000),
            }],
        };
        let during = assess(&facts, &Policy::builtin(), at(1_999));
        assert_eq!(during.colour, Colour::Yellow);
        assert_eq!(during.valid_until, Some(at(2_000)));
        let after = assess(&facts, &Policy::builtin(), at(2_000));
        assert_eq!(after.colour, Colour::Green);
    }

    #[test]
    fn most_restrictive_override_wins() {
        let o = |colour, exp| Override {
            colour,
            justification: String::new(),
            expires_at: at(exp),
        };
        let facts = Facts {
            overrides: vec![o(Colour::Yellow, 5_000), o(Colour::Red, 3_000)],
        };
        assert_eq!(
            assess(&facts, &Policy::builtin(), at(1)).colour,
            Colour::Red
        );
        assert_eq!(
            assess(&facts, &Policy::builtin(), at(3_000)).colour,
            Colour::Yellow
        );
    }

    #[test]
    fn colour_names_round_trip() {
        for c in [Colour::Green, Colour::Yellow, Colour::Red] {
            assert_eq!(Colour::parse(c.as_str()), Some(c));
        }
        assert_eq!(Colour::parse("blue"), None);
    }
}
