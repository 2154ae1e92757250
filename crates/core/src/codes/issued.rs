//! A signed code as handed out, and the JSON it is served as.

use bytes::Bytes;
use healthcode_domain::colour::{Colour, Reason};
use serde::Serialize;
use utoipa::ToSchema;

/// `GET /v1/me/code` answers with this.
#[derive(Serialize, ToSchema)]
pub struct CodeResponse {
    /// The signed code (`HCP1:` + base45), the content of the QR code.
    pub payload: String,
    /// `green`, `yellow` or `red`.
    #[schema(value_type = String, example = "green")]
    pub colour: Colour,
    /// When the code was signed (RFC 3339, UTC).
    pub issued_at: String,
    /// When checkers stop accepting it (RFC 3339, UTC).
    pub expires_at: String,
    /// The masked name the checker sees.
    pub masked_name: String,
    /// Version of the policy that computed the colour.
    pub policy_version: String,
    /// Why the code has its colour.
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<Reason>,
    /// The QR code as SVG.
    pub svg: String,
}

/// A signed code, ready to serve again.
pub struct IssuedCode {
    pub issued_at: i64,
    pub expires_at: i64,
    pub colour: Colour,
    pub payload: String,
    /// The JSON body of [`CodeResponse`], serialised once.
    pub body: Bytes,
}
