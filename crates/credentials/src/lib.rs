//! Signed token formats for healthcode.
//!
//! * [`keys`]: the issuer's Ed25519 signing keys and their key ids.
//! * [`trust`]: the published trust list that lets anyone verify codes offline.
//! * [`code`]: the personal health code, a COSE_Sign1 over a CWT-style claims map,
//!   base45-encoded behind the `HCP1:` prefix.
//! * [`place`]: the venue place code, a long-lived printed token signed with the same
//!   keys and envelope as personal codes, behind the `HCV1:` prefix.
//! * [`revocation`]: hash-based revocation of individual certificates of any format.
//! * [`federation`]: the national trust list, signed by an anchor key, that
//!   aggregates every province's keys and the revocation list.
//! * [`qr`]: rendering a payload as a QR code (SVG) at error-correction level M.
//!
//! All timestamps in this crate are `i64` Unix seconds, so that the formats do not
//! depend on a particular time library and match the CBOR/JSON encodings directly.

pub mod code;
mod cose;
pub mod federation;
pub mod keys;
pub mod place;
pub mod qr;
pub mod revocation;
pub mod trust;
