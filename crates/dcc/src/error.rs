//! The one error type of the crate, with stable machine codes.

/// Why an HC1 payload, a trust store or an issuing request was refused.
///
/// Each variant maps to a stable code (see [`DccError::code`]) so that the HTTP layer, the
/// CLI and logs can report a failure without parsing the human message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DccError {
    /// The text or a decoded stage is larger than we accept (hostile input guard).
    #[error("input too large: {0} bytes")]
    TooLarge(usize),
    /// The text does not start with the `HC1:` context identifier.
    #[error("missing or unsupported prefix (expected HC1:)")]
    BadPrefix,
    /// The text after the prefix is not base45.
    #[error("invalid base45: {0}")]
    BadBase45(String),
    /// The zlib stream is broken or absent where it is required.
    #[error("zlib: {0}")]
    BadCompression(String),
    /// The COSE_Sign1 structure cannot be parsed.
    #[error("COSE_Sign1: {0}")]
    BadCose(String),
    /// The CWT claims (issuer, iat, exp, hcert) are missing or malformed.
    #[error("CWT claims: {0}")]
    BadClaims(String),
    /// The COSE algorithm is none of ES256 (-7), ES384 (-35) and PS256 (-37), or the signing
    /// certificate's key cannot make it (e.g. ES384 with a P-256 key, or a curve other than P-256
    /// and P-384).
    #[error("unsupported signature algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// No certificate of the trust store matches the key id.
    #[error("no trusted signing certificate for kid {0}")]
    UnknownKid(String),
    /// The signature does not verify with the signing certificate's key.
    #[error("signature does not verify")]
    BadSignature,
    /// The certificate was issued after the verification time (iat in the future).
    #[error("not yet valid (iat {iat} > now {now})")]
    NotYetValid {
        /// Issued-at claim.
        iat: i64,
        /// The verification time.
        now: i64,
    },
    /// The certificate's expiry (exp) has passed.
    #[error("expired (exp {exp} < now {now})")]
    Expired {
        /// Expiry claim.
        exp: i64,
        /// The verification time.
        now: i64,
    },
    /// The signing certificate was not valid when the DCC was issued.
    #[error("signing certificate not valid at issuing time {0}")]
    DscValidity(i64),
    /// The signing certificate's key usage does not allow this kind of certificate.
    #[error("key usage: {0}")]
    KeyUsage(String),
    /// The health certificate JSON does not match the EU DCC schema.
    #[error("schema: {0}")]
    Schema(String),
    /// The certificate declares (`ver`) a schema version of a major version no bundled schema
    /// has, e.g. `2.0.0`.
    #[error("schema version: {0}")]
    SchemaVersion(String),
    /// A folder of EU value sets cannot be read, or lacks a set the schema names.
    #[error("value sets: {0}")]
    ValueSets(String),
    /// An X.509 signing certificate (or trust list) cannot be read or has an unusable key.
    #[error("certificate: {0}")]
    BadCertificate(String),
    /// Issuing failed (key, certificate or signing).
    #[error("issue: {0}")]
    Issue(String),
}

impl DccError {
    /// A stable machine code, e.g. `"dcc.bad_signature"`, for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            DccError::TooLarge(_) => "dcc.too_large",
            DccError::BadPrefix => "dcc.bad_prefix",
            DccError::BadBase45(_) => "dcc.bad_base45",
            DccError::BadCompression(_) => "dcc.bad_compression",
            DccError::BadCose(_) => "dcc.bad_cose",
            DccError::BadClaims(_) => "dcc.bad_claims",
            DccError::UnsupportedAlgorithm(_) => "dcc.unsupported_algorithm",
            DccError::UnknownKid(_) => "dcc.unknown_kid",
            DccError::BadSignature => "dcc.bad_signature",
            DccError::NotYetValid { .. } => "dcc.not_yet_valid",
            DccError::Expired { .. } => "dcc.expired",
            DccError::DscValidity(_) => "dcc.dsc_validity",
            DccError::KeyUsage(_) => "dcc.key_usage",
            DccError::Schema(_) => "dcc.schema",
            DccError::SchemaVersion(_) => "dcc.schema_version",
            DccError::ValueSets(_) => "dcc.value_sets",
            DccError::BadCertificate(_) => "dcc.bad_certificate",
            DccError::Issue(_) => "dcc.issue",
        }
    }
}
