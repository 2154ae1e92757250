//! The colour of a personal health code and the reasons behind it, as stored
//! and shown. The policies that compute them live in [`crate::policy`].

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_names_round_trip() {
        for c in [Colour::Green, Colour::Yellow, Colour::Red] {
            assert_eq!(Colour::parse(c.as_str()), Some(c));
        }
        assert_eq!(Colour::parse("blue"), None);
    }
}
