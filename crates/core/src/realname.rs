//! Real-name verification: does this name belong to this document?
//!
//! The local verifier checks what can be checked without the national identity
//! service: the document is valid for its type and the name is well-formed. A
//! deployment connected to the national service (e.g. the Ministry of Public
//! Security's identity authentication platform) implements [`RealNameVerifier`]
//! with a call to it and passes that to [`crate::AppState::new`]; nothing else changes.

use std::future::Future;
use std::pin::Pin;

use healthcode_domain::identity::{Document, DocumentType};
use healthcode_domain::person::PersonName;

use crate::error::ErrorCode;

/// The verdict of a real-name check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RealNameVerdict {
    Verified,
    /// The name and document do not belong together, with a stable code
    /// (`realname.name_script`, `realname.mismatch`).
    Rejected {
        code: ErrorCode,
        message: String,
    },
    /// The verifying service could not answer; registration should be retried.
    Unavailable(String),
}

/// A boxed future, so implementations can call remote services.
pub type VerdictFuture<'a> = Pin<Box<dyn Future<Output = RealNameVerdict> + Send + 'a>>;

/// Checks that a name and an identity document belong to one real person.
pub trait RealNameVerifier: Send + Sync {
    fn verify<'a>(&'a self, name: &'a PersonName, document: &'a Document) -> VerdictFuture<'a>;
}

/// Checks what needs no outside service. The name and document arrive already
/// validated by the domain (format, check digit, region, birth date); on top of
/// that a mainland resident ID is issued under the holder's name in Chinese
/// characters, so a name without any is refused. Suitable for development and
/// for provinces whose identity check happens in person.
pub struct LocalVerifier;

impl RealNameVerifier for LocalVerifier {
    fn verify<'a>(&'a self, name: &'a PersonName, document: &'a Document) -> VerdictFuture<'a> {
        let verdict = if document.doc_type == DocumentType::ResidentId && !has_han(name.as_str()) {
            RealNameVerdict::Rejected {
                code: ErrorCode::RealnameNameScript,
                message: "a resident ID is issued under a name in Chinese characters".to_owned(),
            }
        } else {
            RealNameVerdict::Verified
        };
        Box::pin(async move { verdict })
    }
}

fn has_han(name: &str) -> bool {
    name.chars().any(|c| matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{20000}'..='\u{3134F}'))
}
