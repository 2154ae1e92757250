//! The audit log: every administrative act, and every opening of a person's
//! data by someone other than the person, as entries of an append-only log
//! hashed as a Merkle tree (see [`merkle`]), whose signed tree heads let a
//! regulator check from outside that nothing was changed or removed.
//!
//! An entry names its actor by kind, role and opaque account id, and a person
//! only by a keyed pseudonym that only the service can compute: never by
//! anything personal, so the log outlives deletions and disposal unchanged.

pub mod merkle;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::actor::Actor;

/// What an entry records, by its stable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Act {
    /// Someone other than the person opened their data (`purpose` says why).
    #[serde(rename = "data.opened")]
    DataOpened,
    /// An authority proposed a policy version; a second one must approve it.
    #[serde(rename = "policy.proposed")]
    PolicyProposed,
    #[serde(rename = "policy.published")]
    PolicyPublished,
    #[serde(rename = "risk_area.declared")]
    RiskAreaDeclared,
    #[serde(rename = "risk_area.lifted")]
    RiskAreaLifted,
    #[serde(rename = "override.requested")]
    OverrideRequested,
    #[serde(rename = "override.approved")]
    OverrideApproved,
    #[serde(rename = "override.rejected")]
    OverrideRejected,
    #[serde(rename = "appeal.resolved")]
    AppealResolved,
    #[serde(rename = "key.rotated")]
    KeyRotated,
    #[serde(rename = "key.revoked")]
    KeyRevoked,
    #[serde(rename = "account.created")]
    AccountCreated,
    #[serde(rename = "service.scheduled")]
    ServiceScheduled,
    #[serde(rename = "service.cancelled")]
    ServiceCancelled,
    /// A person deleted their account (or an authority erased it on request).
    #[serde(rename = "erasure.requested")]
    ErasureRequested,
    #[serde(rename = "disposal.requested")]
    DisposalRequested,
    #[serde(rename = "disposal.approved")]
    DisposalApproved,
    #[serde(rename = "disposal.completed")]
    DisposalCompleted,
    #[serde(rename = "retention.published")]
    RetentionPublished,
    #[serde(rename = "retention.run")]
    RetentionRun,
}

impl Act {
    /// Every act, for filters and documentation.
    pub const ALL: &'static [Act] = &[
        Act::DataOpened,
        Act::PolicyProposed,
        Act::PolicyPublished,
        Act::RiskAreaDeclared,
        Act::RiskAreaLifted,
        Act::OverrideRequested,
        Act::OverrideApproved,
        Act::OverrideRejected,
        Act::AppealResolved,
        Act::KeyRotated,
        Act::KeyRevoked,
        Act::AccountCreated,
        Act::ServiceScheduled,
        Act::ServiceCancelled,
        Act::ErasureRequested,
        Act::DisposalRequested,
        Act::DisposalApproved,
        Act::DisposalCompleted,
        Act::RetentionPublished,
        Act::RetentionRun,
    ];

    /// The stable name (`policy.published`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Act::DataOpened => "data.opened",
            Act::PolicyProposed => "policy.proposed",
            Act::PolicyPublished => "policy.published",
            Act::RiskAreaDeclared => "risk_area.declared",
            Act::RiskAreaLifted => "risk_area.lifted",
            Act::OverrideRequested => "override.requested",
            Act::OverrideApproved => "override.approved",
            Act::OverrideRejected => "override.rejected",
            Act::AppealResolved => "appeal.resolved",
            Act::KeyRotated => "key.rotated",
            Act::KeyRevoked => "key.revoked",
            Act::AccountCreated => "account.created",
            Act::ServiceScheduled => "service.scheduled",
            Act::ServiceCancelled => "service.cancelled",
            Act::ErasureRequested => "erasure.requested",
            Act::DisposalRequested => "disposal.requested",
            Act::DisposalApproved => "disposal.approved",
            Act::DisposalCompleted => "disposal.completed",
            Act::RetentionPublished => "retention.published",
            Act::RetentionRun => "retention.run",
        }
    }

    /// The act named `name`.
    pub fn parse(name: &str) -> Option<Act> {
        Act::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}

/// Who did an act, as the log names them: kind, role, opaque account id or
/// job name. A citizen is named by nothing but the kind: the entry's subject
/// is their pseudonym.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryActor {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
}

impl From<&Actor> for EntryActor {
    fn from(actor: &Actor) -> Self {
        let (account, job) = match actor {
            Actor::Staff { account_id, .. } => (Some(account_id.clone()), None),
            Actor::Job { name } => (None, Some(name.clone())),
            Actor::Citizen { .. } | Actor::Operator => (None, None),
        };
        EntryActor {
            kind: actor.kind().to_owned(),
            role: match actor {
                Actor::Staff { role, .. } => Some(role.as_str().to_owned()),
                _ => None,
            },
            account,
            job,
        }
    }
}

/// An act to record, before the log gives it its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub act: Act,
    /// Why, for an opening of data (`check_in`, `test_result`…) or an act
    /// with a declared purpose (a disposal's).
    pub purpose: Option<String>,
    /// The person concerned, by pseudonym ([`Draft::subject`]).
    pub subject: Option<String>,
    /// Facts about the act that identify nobody: a policy version, a
    /// division code, a key id, counts.
    pub detail: BTreeMap<String, String>,
}

impl Draft {
    /// A draft of `act` with no purpose, subject or detail yet.
    pub fn new(act: Act) -> Draft {
        Draft {
            act,
            purpose: None,
            subject: None,
            detail: BTreeMap::new(),
        }
    }

    /// Adds the purpose.
    pub fn purpose(mut self, purpose: impl Into<String>) -> Draft {
        self.purpose = Some(purpose.into());
        self
    }

    /// Adds the subject's pseudonym (never a person id or anything
    /// personal: the gateway's keyed digest of the id).
    pub fn subject(mut self, pseudonym: String) -> Draft {
        self.subject = Some(pseudonym);
        self
    }

    /// Adds one detail.
    pub fn detail(mut self, key: &str, value: impl ToString) -> Draft {
        self.detail.insert(key.to_owned(), value.to_string());
        self
    }
}

/// One entry of the log, as hashed: its bytes are the canonical JSON of this
/// struct (fields in this order, details sorted by key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Its place in the log, from 0: an entry moved or removed no longer
    /// matches its place.
    pub seq: u64,
    /// When, in Unix seconds.
    pub at: i64,
    pub actor: EntryActor,
    pub act: Act,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub detail: BTreeMap<String, String>,
}

impl Entry {
    /// The entry of `draft` made by `actor` at `at`, at place `seq`.
    pub fn new(seq: u64, at: i64, actor: &Actor, draft: Draft) -> Entry {
        Pending {
            at,
            actor: EntryActor::from(actor),
            draft,
        }
        .into_entry(seq)
    }

    /// The bytes that are hashed and stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain strings, integers and maps cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads stored bytes back.
    pub fn from_bytes(bytes: &[u8]) -> Result<Entry, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// An entry waiting for its place in the log: what the unit of work (or a
/// check-in batch) commits with the act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub at: i64,
    pub actor: EntryActor,
    pub draft: Draft,
}

impl Pending {
    /// The entry at place `seq`.
    pub fn into_entry(self, seq: u64) -> Entry {
        Entry {
            seq,
            at: self.at,
            actor: self.actor,
            act: self.draft.act,
            purpose: self.draft.purpose,
            subject: self.draft.subject,
            detail: self.draft.detail,
        }
    }
}

/// A tree head as the issuer signs it: the log's size and root at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeHead {
    /// The issuer (province) code, so one province's head is never taken
    /// for another's.
    pub log: String,
    pub size: u64,
    pub root: merkle::Hash,
    /// When it was signed, in Unix seconds.
    pub at: i64,
}

impl TreeHead {
    /// The exact bytes the issuer signs: a versioned, line-separated text
    /// with nothing to parse ambiguously.
    pub fn signed_bytes(&self) -> Vec<u8> {
        format!(
            "healthcode audit tree head v1\n{}\n{}\n{}\n{}\n",
            self.log,
            self.size,
            self.at,
            hex::encode(self.root)
        )
        .into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use crate::role::Role;

    use super::*;

    #[test]
    fn entries_round_trip_and_name_no_one() {
        let lab = Actor::Staff {
            account_id: "acc-1".into(),
            role: Role::Lab,
        };
        let draft = Draft::new(Act::DataOpened)
            .purpose("test_result")
            .subject("5f1c0e".to_owned())
            .detail("fields", "facts,colour");
        let entry = Entry::new(4, 100, &lab, draft);
        let bytes = entry.to_bytes();
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(text.starts_with(r#"{"seq":4,"at":100,"actor":{"kind":"staff","role":"lab","account":"acc-1"},"act":"data.opened","purpose":"test_result","subject":"5f1c0e","detail":{"fields":"facts,colour"}}"#), "{text}");
        assert_eq!(Entry::from_bytes(&bytes).expect("parses"), entry);
        let citizen = Actor::Citizen {
            account_id: "acc-2".into(),
            person_id: "person-2".into(),
        };
        let text = String::from_utf8(
            Entry::new(0, 1, &citizen, Draft::new(Act::ErasureRequested)).to_bytes(),
        )
        .expect("utf-8");
        assert!(
            !text.contains("acc-2") && !text.contains("person-2"),
            "{text}"
        );
    }

    #[test]
    fn acts_have_one_name_each() {
        for act in Act::ALL {
            assert_eq!(Act::parse(act.as_str()), Some(*act));
            let json = serde_json::to_string(act).expect("json");
            assert_eq!(json, format!("\"{}\"", act.as_str()));
        }
    }

    #[test]
    fn tree_heads_sign_every_field() {
        let head = TreeHead {
            log: "350000".into(),
            size: 3,
            root: [1; 32],
            at: 9,
        };
        let mut other = head.clone();
        other.size = 4;
        assert_ne!(head.signed_bytes(), other.signed_bytes());
        let mut other = head.clone();
        other.log = "330000".into();
        assert_ne!(head.signed_bytes(), other.signed_bytes());
    }
}
