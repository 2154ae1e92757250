//! Errors of every layer, each with a stable machine code naming the defect.

use thiserror::Error;

/// Why a card (or a key, or an issuing request) was refused.
///
/// Each variant names one defect so that callers, logs and the test-data table can
/// say exactly what was wrong; [`ShcError::code`] is the stable identifier.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ShcError {
    // --- input framing ---
    /// The input is larger than any SMART Health Card can be.
    #[error("input of {0} bytes exceeds the limit")]
    InputTooLarge(usize),
    /// Whitespace or other characters before or after the value.
    #[error("characters before or after the value")]
    TrailingCharacters,
    /// A UTF-8 byte order mark before the value.
    #[error("UTF-8 byte order mark before the value")]
    ByteOrderMark,

    // --- numeric QR (shc:/) ---
    /// The QR text does not start with `shc:/`.
    #[error("QR text does not start with `shc:/`")]
    QrHeader,
    /// The numeric part holds a character that is not a digit.
    #[error("numeric QR data holds a non-digit")]
    NumericNonDigit,
    /// The numeric part has an odd number of digits.
    #[error("numeric QR data has an odd number of digits ({0})")]
    NumericOddLength(usize),
    /// A digit pair above 77 (no base64url character maps to it).
    #[error("numeric QR digit pair {0} is above 77")]
    NumericOutOfRange(u8),
    /// A malformed `shc:/i/n/` chunk prefix.
    #[error("malformed chunk prefix")]
    ChunkHeader,
    /// A chunk prefix `shc:/1/1/`: a single QR must not carry a chunk prefix.
    #[error("single QR code carries a chunk prefix 1/1")]
    ChunkSingle,
    /// Chunk index 0 or above the chunk count.
    #[error("chunk index {index} out of range 1..={count}")]
    ChunkIndexOutOfRange {
        /// The chunk's index.
        index: usize,
        /// The chunk count it declares.
        count: usize,
    },
    /// Chunks disagree on how many chunks there are.
    #[error("chunks disagree on the chunk count")]
    ChunkCountMismatch,
    /// The same chunk index twice.
    #[error("chunk {0} appears twice")]
    ChunkDuplicate(usize),
    /// A chunk is missing.
    #[error("chunk {0} is missing")]
    ChunkMissing(usize),
    /// More chunks than the validator allows.
    #[error("{0} chunks is more than allowed")]
    TooManyChunks(usize),
    /// One chunk carries more JWS characters than fit one chunk QR.
    #[error("chunk {index} carries {len} JWS characters, more than {max}")]
    ChunkTooBig {
        /// The chunk's index.
        index: usize,
        /// Its JWS characters.
        len: usize,
        /// The limit per chunk.
        max: usize,
    },
    /// More chunks than needed: the JWS would fit in fewer QR codes.
    #[error("{count} chunks for a JWS of {len} characters; {needed} would do")]
    ChunkTooSmall {
        /// Chunks used.
        count: usize,
        /// JWS length.
        len: usize,
        /// Chunks needed.
        needed: usize,
    },
    /// Chunk sizes are not balanced as the specification asks.
    #[error("chunk sizes are unbalanced")]
    ChunksUnbalanced,

    // --- QR pictures ---
    /// The picture could not be read as an image.
    #[error("cannot read the picture: {0}")]
    QrImage(String),
    /// No QR code was found in the picture.
    #[error("no QR code found in the picture")]
    QrNotFound,
    /// A QR code was found but could not be decoded.
    #[error("QR code cannot be decoded: {0}")]
    QrDecode(String),
    /// A QR version above 22, the largest the specification allows.
    #[error("QR version {0} is above 22")]
    QrVersion(usize),

    // --- JWS ---
    /// The JWS does not have exactly three dot-separated parts.
    #[error("JWS has {0} parts, not 3")]
    JwsParts(usize),
    /// A JWS part is not unpadded base64url.
    #[error("JWS {0} is not base64url")]
    JwsBase64(&'static str),
    /// The JWS is longer than fits a single version-22 QR code.
    #[error("JWS of {len} characters exceeds {max}")]
    JwsTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The JWS header is not a JSON object.
    #[error("JWS header is not a JSON object")]
    HeaderJson,
    /// The header has no `alg`.
    #[error("JWS header has no `alg`")]
    HeaderAlgMissing,
    /// The header's `alg` is not ES256.
    #[error("JWS header `alg` is {0:?}, not ES256")]
    HeaderAlgUnsupported(String),
    /// The header has no `zip` (the payload must be DEFLATE-compressed).
    #[error("JWS header has no `zip`: payload must be DEFLATE-compressed")]
    HeaderZipMissing,
    /// The header's `zip` is not DEF.
    #[error("JWS header `zip` is {0:?}, not DEF")]
    HeaderZipUnsupported(String),
    /// The header has no `kid`.
    #[error("JWS header has no `kid`")]
    HeaderKidMissing,
    /// The payload is not raw DEFLATE.
    #[error("payload is not raw DEFLATE: {0}")]
    BadDeflate(String),
    /// The payload inflates beyond the bound.
    #[error("payload inflates beyond {0} bytes")]
    InflatedTooLarge(usize),
    /// The signature is DER-encoded; ES256 in JWS is the 64-byte r||s.
    #[error("signature is DER-encoded ({0} bytes); ES256 needs 64-byte r||s")]
    DerSignature(usize),
    /// The signature is neither 64 bytes nor DER.
    #[error("signature is {0} bytes, not 64")]
    SignatureLength(usize),
    /// The signature does not verify with the issuer's key.
    #[error("signature does not verify with key {0}")]
    BadSignature(String),

    // --- payload ---
    /// The payload starts with a byte order mark.
    #[error("payload starts with a UTF-8 byte order mark")]
    PayloadBom,
    /// The payload is not a JSON object.
    #[error("payload is not a JSON object: {0}")]
    PayloadJson(String),
    /// The payload has no `iss` string.
    #[error("payload has no `iss` string")]
    IssMissing,
    /// `iss` is not an https URL.
    #[error("issuer {0:?} is not an https URL")]
    IssNotHttps(String),
    /// `iss` ends with a slash.
    #[error("issuer {0:?} ends with a slash")]
    IssTrailingSlash(String),
    /// The payload has no numeric `nbf`.
    #[error("payload has no numeric `nbf`")]
    NbfMissing,
    /// `exp` is not a number.
    #[error("payload `exp` is not a number")]
    ExpInvalid,
    /// A time is in milliseconds; JWT times are seconds.
    #[error("`{0}` looks like milliseconds, not seconds")]
    TimeInMilliseconds(&'static str),
    /// `nbf` is in the future.
    #[error("not valid before {nbf} (now {now})")]
    NotYetValid {
        /// The card's `nbf`.
        nbf: i64,
        /// The time checked at.
        now: i64,
    },
    /// `exp` is in the past.
    #[error("expired at {exp} (now {now})")]
    Expired {
        /// The card's `exp`.
        exp: i64,
        /// The time checked at.
        now: i64,
    },
    /// `exp` is before `nbf`.
    #[error("expires ({exp}) before it becomes valid ({nbf})")]
    ExpBeforeNbf {
        /// The card's `nbf`.
        nbf: i64,
        /// The card's `exp`.
        exp: i64,
    },
    /// `vc` or `vc.type` is missing or not an array of strings.
    #[error("payload `vc.type` is missing or not an array of strings")]
    VcTypeMissing,
    /// `vc.type` lacks `https://smarthealth.cards#health-card`.
    #[error("`vc.type` lacks https://smarthealth.cards#health-card")]
    VcTypeHealthCardMissing,
    /// `credentialSubject.fhirVersion` is missing or not 4.x.
    #[error("`credentialSubject.fhirVersion` is missing or not FHIR R4")]
    FhirVersion,

    // --- FHIR bundle ---
    /// The bundle is not JSON.
    #[error("FHIR bundle is not JSON: {0}")]
    FhirJson(String),
    /// `fhirBundle` is missing or not a Bundle.
    #[error("`fhirBundle` is missing or not a FHIR Bundle")]
    FhirNotBundle,
    /// The Bundle's type is not `collection`.
    #[error("FHIR Bundle type is not `collection`")]
    FhirBundleType,
    /// A bundle entry without a resource and resourceType.
    #[error("bundle entry {0} has no resource with a resourceType")]
    FhirEntry(usize),
    /// An empty string, array or object (FHIR forbids them).
    #[error("empty FHIR value at {0}")]
    FhirEmptyValue(String),
    /// A status that is not a FHIR code of the resource.
    #[error("{resource} status {status:?} is not a valid FHIR code")]
    FhirInvalidStatus {
        /// The resource type.
        resource: String,
        /// The status found.
        status: String,
    },
    /// A vaccine or observation code without `coding`.
    #[error("{0} has no coding")]
    FhirMissingCoding(String),
    /// An Immunization without exactly one `occurrence[x]`.
    #[error("Immunization in entry {0} does not have exactly one occurrence[x]")]
    FhirOccurrence(usize),
    /// `meta.security` is not a list of Codings.
    #[error("`meta.security` in entry {0} is not a list of Codings")]
    FhirBadMetaSecurity(usize),

    // --- trust ---
    /// The issuer is not in the trusted directory.
    #[error("issuer {0:?} is not trusted")]
    UnknownIssuer(String),
    /// The issuer has no key with this kid.
    #[error("issuer has no key {0:?}")]
    UnknownKid(String),
    /// The kid belongs to another trusted issuer, not the one the card names.
    #[error("key {kid:?} belongs to issuer {owner:?}, not to the card's issuer")]
    WrongKey {
        /// The kid.
        kid: String,
        /// The issuer that owns it.
        owner: String,
    },

    // --- JWKS ---
    /// The JWKS document is not JSON with a `keys` array.
    #[error("JWKS is not JSON with a `keys` array: {0}")]
    JwksJson(String),
    /// A key that is not `kty: EC`.
    #[error("key {0:?}: kty is not EC")]
    JwkKty(String),
    /// A key that is not on P-256.
    #[error("key {0:?}: crv is not P-256")]
    JwkCrv(String),
    /// A key whose `alg` is not ES256.
    #[error("key {0:?}: alg is not ES256")]
    JwkAlg(String),
    /// A key whose `use` is not `sig`.
    #[error("key {0:?}: use is not sig")]
    JwkUse(String),
    /// A published key that carries private material (`d`).
    #[error("key {0:?} carries private material")]
    JwkPrivate(String),
    /// A key without `kid`.
    #[error("key without kid")]
    JwkKidMissing,
    /// A key whose `kid` is not its RFC 7638 thumbprint.
    #[error("key {kid:?}: kid is not the thumbprint {thumbprint:?}")]
    JwkKidNotThumbprint {
        /// The kid given.
        kid: String,
        /// The computed thumbprint.
        thumbprint: String,
    },
    /// A key whose coordinates are not a P-256 point.
    #[error("key {0:?}: x/y are not a P-256 point")]
    JwkPoint(String),

    /// An `x5c` entry that is not a base64 DER certificate.
    #[error("key {0:?}: x5c holds a malformed certificate")]
    X5cMalformed(String),
    /// The `x5c` leaf certificate holds another public key than the JWK.
    #[error("key {0:?}: x5c leaf certificate holds another key")]
    X5cKeyMismatch(String),
    /// The `x5c` leaf certificate has no subjectAltName URI equal to the issuer URL.
    #[error("key {kid:?}: x5c leaf certificate has no subjectAltName URI {iss:?}")]
    X5cSanMismatch {
        /// The key.
        kid: String,
        /// The issuer URL expected.
        iss: String,
    },
    /// A certificate of the `x5c` chain that signs the one before it is not a CA
    /// (basicConstraints cA absent or false).
    #[error("key {kid:?}: x5c certificate {index} signs another but is not a CA")]
    X5cNotCa {
        /// The key.
        kid: String,
        /// The position of the certificate that is not a CA (0 = leaf).
        index: usize,
    },
    /// The card is verified, or was issued (`nbf`), outside the validity period of its
    /// key's `x5c` chain.
    #[error(
        "key {kid:?}: its x5c certificate chain is valid from {not_before} to {not_after}, not at {at}"
    )]
    X5cNotValidAt {
        /// The key.
        kid: String,
        /// The latest notBefore of the chain, Unix seconds.
        not_before: i64,
        /// The earliest notAfter of the chain, Unix seconds.
        not_after: i64,
        /// The verification time or the card's `nbf`, Unix seconds.
        at: i64,
    },
    /// A certificate of the `x5c` chain is not signed by the next one.
    #[error("key {kid:?}: x5c certificate {index} is not signed by the next")]
    X5cChain {
        /// The key.
        kid: String,
        /// The certificate position (0 = leaf).
        index: usize,
    },

    // --- file forms ---
    /// A `.smart-health-card` or FHIR Parameters document that is not valid JSON of its shape.
    #[error("health card file is not valid: {0}")]
    FileJson(String),
    /// A file with no credentials.
    #[error("file holds no verifiable credential")]
    FileEmpty,

    // --- issuing ---
    /// The issuer's key could not be loaded or used.
    #[error("issuer key: {0}")]
    IssueKey(String),
    /// The issuing request is not valid.
    #[error("issuing input: {0}")]
    IssueInput(String),
    /// The card is too large for a single QR code; we do not chunk.
    #[error("card JWS of {0} characters is too large for a single QR code (max 1195)")]
    IssueTooLarge(usize),
}

impl ShcError {
    /// Stable machine code of the defect (e.g. `shc.trailing_characters`).
    pub fn code(&self) -> &'static str {
        use ShcError::*;
        match self {
            InputTooLarge(_) => "shc.input_too_large",
            TrailingCharacters => "shc.trailing_characters",
            ByteOrderMark => "shc.byte_order_mark",
            QrHeader => "shc.qr_header",
            NumericNonDigit => "shc.numeric_non_digit",
            NumericOddLength(_) => "shc.numeric_odd_length",
            NumericOutOfRange(_) => "shc.numeric_out_of_range",
            ChunkHeader => "shc.chunk_header",
            ChunkSingle => "shc.chunk_single",
            ChunkIndexOutOfRange { .. } => "shc.chunk_index_out_of_range",
            ChunkCountMismatch => "shc.chunk_count_mismatch",
            ChunkDuplicate(_) => "shc.chunk_duplicate",
            ChunkMissing(_) => "shc.chunk_missing",
            TooManyChunks(_) => "shc.too_many_chunks",
            ChunkTooBig { .. } => "shc.chunk_too_big",
            ChunkTooSmall { .. } => "shc.chunk_too_small",
            ChunksUnbalanced => "shc.chunks_unbalanced",
            QrImage(_) => "shc.qr_image",
            QrNotFound => "shc.qr_not_found",
            QrDecode(_) => "shc.qr_decode",
            QrVersion(_) => "shc.qr_version",
            JwsParts(_) => "shc.jws_parts",
            JwsBase64(_) => "shc.jws_base64",
            JwsTooLong { .. } => "shc.jws_too_long",
            HeaderJson => "shc.header_json",
            HeaderAlgMissing => "shc.header_alg_missing",
            HeaderAlgUnsupported(_) => "shc.header_alg_unsupported",
            HeaderZipMissing => "shc.header_zip_missing",
            HeaderZipUnsupported(_) => "shc.header_zip_unsupported",
            HeaderKidMissing => "shc.header_kid_missing",
            BadDeflate(_) => "shc.bad_deflate",
            InflatedTooLarge(_) => "shc.inflated_too_large",
            DerSignature(_) => "shc.der_signature",
            SignatureLength(_) => "shc.signature_length",
            BadSignature(_) => "shc.bad_signature",
            PayloadBom => "shc.payload_bom",
            PayloadJson(_) => "shc.payload_json",
            IssMissing => "shc.iss_missing",
            IssNotHttps(_) => "shc.iss_not_https",
            IssTrailingSlash(_) => "shc.iss_trailing_slash",
            NbfMissing => "shc.nbf_missing",
            ExpInvalid => "shc.exp_invalid",
            TimeInMilliseconds(_) => "shc.time_in_milliseconds",
            NotYetValid { .. } => "shc.not_yet_valid",
            Expired { .. } => "shc.expired",
            ExpBeforeNbf { .. } => "shc.exp_before_nbf",
            VcTypeMissing => "shc.vc_type_missing",
            VcTypeHealthCardMissing => "shc.vc_type_health_card_missing",
            FhirVersion => "shc.fhir_version",
            FhirJson(_) => "shc.fhir_json",
            FhirNotBundle => "shc.fhir_not_bundle",
            FhirBundleType => "shc.fhir_bundle_type",
            FhirEntry(_) => "shc.fhir_entry",
            FhirEmptyValue(_) => "shc.fhir_empty_value",
            FhirInvalidStatus { .. } => "shc.fhir_invalid_status",
            FhirMissingCoding(_) => "shc.fhir_missing_coding",
            FhirOccurrence(_) => "shc.fhir_occurrence",
            FhirBadMetaSecurity(_) => "shc.fhir_bad_meta_security",
            UnknownIssuer(_) => "shc.unknown_issuer",
            UnknownKid(_) => "shc.unknown_kid",
            WrongKey { .. } => "shc.wrong_key",
            JwksJson(_) => "shc.jwks_json",
            JwkKty(_) => "shc.jwk_kty",
            JwkCrv(_) => "shc.jwk_crv",
            JwkAlg(_) => "shc.jwk_alg",
            JwkUse(_) => "shc.jwk_use",
            JwkPrivate(_) => "shc.jwk_private",
            JwkKidMissing => "shc.jwk_kid_missing",
            JwkKidNotThumbprint { .. } => "shc.jwk_kid_not_thumbprint",
            JwkPoint(_) => "shc.jwk_point",
            X5cMalformed(_) => "shc.x5c_malformed",
            X5cKeyMismatch(_) => "shc.x5c_key_mismatch",
            X5cSanMismatch { .. } => "shc.x5c_san_mismatch",
            X5cChain { .. } => "shc.x5c_chain",
            X5cNotCa { .. } => "shc.x5c_not_ca",
            X5cNotValidAt { .. } => "shc.x5c_not_valid_at",
            FileJson(_) => "shc.file_json",
            FileEmpty => "shc.file_empty",
            IssueKey(_) => "shc.issue_key",
            IssueInput(_) => "shc.issue_input",
            IssueTooLarge(_) => "shc.issue_too_large",
        }
    }
}
