//! SMART Health Cards (<https://spec.smarthealth.cards>): issuing cards for a
//! person's vaccinations and test results, publishing the issuer's JWKS, and
//! verifying cards in every form they travel in (QR text, QR pictures, files, JWS),
//! offline, against a directory of trusted issuers.
//!
//! Independent of the rest of healthcode: it knows FHIR, JWS and QR, not our domain.
//! No clock and no network inside: the caller passes `now` and the issuers' keys.

#![deny(missing_docs)]

mod error;
pub mod fhir;
pub mod issue;
pub mod jwk;
pub mod numeric;
pub mod qr;
pub mod testdata;
pub mod verify;

pub use error::ShcError;
pub use fhir::Warning;
pub use issue::{ImmunizationInput, IssuedCard, LabResultInput, Person, ShcIssuer};
pub use jwk::{IssuerDirectory, thumbprint};
pub use verify::{
    VerifiedCard, verify, verify_all, verify_file, verify_jws, verify_qr_images, verify_qr_texts,
};
