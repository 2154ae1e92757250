//! Signed token formats for healthcode.
//!
//! * [`keys`]: the issuer's Ed25519 signing keys and their key ids.
//! * [`trust`]: the published trust list that lets anyone verify codes offline.
//! * [`code`]: the personal health code, a COSE_Sign1 over a CWT-style claims map,
//!   base45-encoded behind the `HCP1:` prefix.
//! * [`qr`]: rendering a payload as a QR code (SVG) at error-correction level M.
//!
//! All timestamps in this crate are `i64` Unix seconds, so that the formats do not
//! depend on a particular time library and match the CBOR/JSON encodings directly.

pub mod code;
pub mod keys;
pub mod qr;
pub mod trust;
