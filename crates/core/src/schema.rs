//! OpenAPI schemas of request fields that take one of a closed set of names.
//!
//! The fields stay strings (a wrong name is answered 422 with its own code,
//! not a generic deserialisation error), but the document lists the names as
//! an enum through `#[schema(schema_with = ...)]`, so that clients, and the
//! API fuzzer of `scripts/api-fuzz.sh`, know what the service accepts. The
//! names come from the domain's own lists where it has one.

use healthcode_domain::colour::Colour;
use healthcode_domain::facts::{Purpose, RiskLevel, TestKind, TestOutcome};
use healthcode_domain::identity::DocumentType;
use healthcode_domain::services::{Closure, Service};
use utoipa::openapi::Array;
use utoipa::openapi::schema::{ArrayBuilder, Object, ObjectBuilder, Type};

fn one_of<'a>(names: impl IntoIterator<Item = &'a str>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
        .description(Some(description))
        .build()
}

pub(crate) fn document_type() -> Object {
    one_of(
        DocumentType::ALL.map(DocumentType::as_str),
        "The kind of identity document.",
    )
}

pub(crate) fn colour() -> Object {
    one_of(
        [Colour::Green, Colour::Yellow, Colour::Red].map(Colour::as_str),
        "The colour.",
    )
}

pub(crate) fn test_kind() -> Object {
    one_of(
        [TestKind::Pcr, TestKind::Antigen].map(TestKind::as_str),
        "The kind of test.",
    )
}

pub(crate) fn test_outcome() -> Object {
    one_of(
        [TestOutcome::Positive, TestOutcome::Negative].map(TestOutcome::as_str),
        "The outcome.",
    )
}

pub(crate) fn appeal_decision() -> Object {
    one_of(
        crate::cases::DECISIONS,
        "`upheld` (the colour was wrong; correct it with an override) or `rejected`.",
    )
}

pub(crate) fn risk_scope_kind() -> Object {
    one_of(
        ["division", "venue"],
        "`division` (a GB/T 2260 code at any level) or `venue` (a venue id).",
    )
}

pub(crate) fn risk_level() -> Object {
    one_of(
        [RiskLevel::High, RiskLevel::Medium, RiskLevel::Low].map(RiskLevel::as_str),
        "How dangerous the area is.",
    )
}

pub(crate) fn service() -> Object {
    one_of(
        Service::ALL.map(Service::as_str),
        "The service's stable name (see `GET /v1/services`).",
    )
}

pub(crate) fn closure() -> Object {
    one_of(
        [Closure::Suspended, Closure::Retired].map(Closure::as_str),
        "`suspended` (for a while) or `retired` (for good).",
    )
}

pub(crate) fn purpose() -> Object {
    one_of(
        [Purpose::EpidemicPrevention].map(Purpose::as_str),
        "The purpose whose data goes.",
    )
}

pub(crate) fn symptoms() -> Array {
    ArrayBuilder::new()
        .items(one_of(crate::facts::SYMPTOMS, "A symptom."))
        .description(Some("The symptoms the person has."))
        .build()
}

#[cfg(test)]
mod tests {
    use healthcode_domain::facts::{Purpose, RiskLevel, TestKind, TestOutcome};

    /// The names listed are the names the parsers accept.
    #[test]
    fn the_listed_names_parse() {
        assert!(
            [TestKind::Pcr, TestKind::Antigen]
                .iter()
                .all(|k| TestKind::parse(k.as_str()) == Some(*k))
        );
        assert!(
            [TestOutcome::Positive, TestOutcome::Negative]
                .iter()
                .all(|o| TestOutcome::parse(o.as_str()) == Some(*o))
        );
        assert_eq!(Purpose::EpidemicPrevention.as_str(), "epidemic-prevention");
        assert_eq!(
            [RiskLevel::High, RiskLevel::Medium, RiskLevel::Low].map(RiskLevel::as_str),
            ["high", "medium", "low"]
        );
    }
}
