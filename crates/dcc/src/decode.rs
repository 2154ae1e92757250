//! HC1 decoding: prefix, base45, zlib, COSE_Sign1, CWT claims, hcert JSON. No signature check.

use ciborium::Value as Cbor;
use coset::{AsCborValue as _, CoseSign1};
use serde_json::Value as Json;

use crate::DccError;

/// Longest HC1 text we accept: a version 40 QR code holds at most 4,296 alphanumeric characters,
/// so anything much longer is not a scanned certificate.
pub const MAX_TEXT_LEN: usize = 8 * 1024;
/// Largest inflated COSE message we accept (zip-bomb guard; real DCCs are under 2 KiB).
pub const MAX_INFLATED_LEN: usize = 64 * 1024;
/// Deepest CBOR nesting we convert to JSON (a DCC is 4 levels deep).
const MAX_DEPTH: usize = 16;

/// The COSE algorithms a DCC may be signed with.
///
/// The EU DCC specification names ES256 (preferred) and PS256 (fallback). Member states' test
/// certificates also sign with ECDSA keys on P-384: Spain's (dgc-testdata `ES/`) label the
/// signature ES256 (SHA-256 with a P-384 key, as RFC 9053 permits), and ES384 is its
/// SHA-384 form. The curve comes from the signing certificate's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// ECDSA with SHA-256 (COSE -7), the EU's preferred algorithm; keys on P-256 or P-384.
    Es256,
    /// ECDSA with SHA-384 (COSE -35); keys on P-384.
    Es384,
    /// RSASSA-PSS with SHA-256 (COSE -37), allowed as fallback.
    Ps256,
}

impl Algorithm {
    /// The COSE name, e.g. `"ES256"`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
            Algorithm::Ps256 => "PS256",
        }
    }
}

/// Why a COSE algorithm label is refused, naming it.
fn refused_algorithm(label: i64) -> String {
    let named = cose_algorithm_name(label).map_or_else(
        || format!("COSE algorithm {label}"),
        |name| format!("{name} (COSE {label})"),
    );
    format!("{named} is not accepted (ES256, ES384, PS256)")
}

/// The algorithm label of a COSE_Sign1 that `coset` would not read, when it is an integer we
/// do not accept: `coset` refuses a whole header over an algorithm missing from its copy of
/// the IANA registry, and such a certificate is refused for its algorithm, not as unreadable.
fn unreadable_algorithm(bytes: &[u8]) -> Option<DccError> {
    let mut value = read_cbor(bytes, MAX_DEPTH).ok()?;
    while let Cbor::Tag(_, inner) = value {
        value = *inner;
    }
    let Cbor::Array(items) = value else {
        return None;
    };
    let alg_of = |map: &Cbor| {
        map.as_map()?
            .iter()
            .find(|(k, _)| int_key(k) == Some(1))
            .and_then(|(_, v)| int_key(v))
    };
    let protected = match items.first() {
        Some(Cbor::Bytes(b)) if !b.is_empty() => read_cbor(b, MAX_DEPTH).ok(),
        _ => None,
    };
    let label = protected
        .as_ref()
        .and_then(alg_of)
        .or_else(|| items.get(1).and_then(alg_of))?;
    let (alg, refusal) = algorithm_of_label(label);
    match alg {
        Some(_) => None,
        None => refusal.map(DccError::UnsupportedAlgorithm),
    }
}

/// The algorithm a label names, or why it is refused.
fn algorithm_of_label(label: i64) -> (Option<Algorithm>, Option<String>) {
    use coset::iana::{Algorithm as A, EnumI64 as _};
    match label {
        i if i == A::ES256.to_i64() => (Some(Algorithm::Es256), None),
        i if i == A::ES384.to_i64() => (Some(Algorithm::Es384), None),
        i if i == A::PS256.to_i64() => (Some(Algorithm::Ps256), None),
        other => (None, Some(refused_algorithm(other))),
    }
}

/// The name IANA's COSE Algorithms registry gives a label, for refusals of the algorithms we
/// do not verify.
fn cose_algorithm_name(label: i64) -> Option<&'static str> {
    Some(match label {
        -8 => "EdDSA",
        -36 => "ES512",
        -38 => "PS384",
        -39 => "PS512",
        -47 => "ES256K",
        -257 => "RS256",
        -258 => "RS384",
        -259 => "RS512",
        -65535 => "RS1",
        4 => "HMAC 256/64",
        5 => "HMAC 256/256",
        6 => "HMAC 384/384",
        7 => "HMAC 512/512",
        _ => return None,
    })
}

/// The kinds of certificate an hcert may carry, as restricted by the DSC's extended key usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertType {
    /// `v`: vaccination.
    Vaccination,
    /// `t`: test.
    Test,
    /// `r`: recovery.
    Recovery,
}

/// A decoded, not yet verified, HC1 certificate.
///
/// Holds what a verifier needs: the header (algorithm, key id), the CWT claims, the hcert JSON,
/// and the bytes that were signed together with the signature.
#[derive(Debug, Clone)]
pub struct DecodedDcc {
    /// The signing algorithm from the protected (or else unprotected) header, if supported.
    pub alg: Option<Algorithm>,
    /// The raw COSE algorithm label, for error messages when unsupported.
    alg_label: Option<String>,
    /// Key id: protected header first, unprotected header as fallback (as the EU spec says).
    pub kid: Option<Vec<u8>>,
    /// CWT claim 1: issuing country.
    pub issuer: Option<String>,
    /// CWT claim 6: issued at, Unix seconds.
    pub iat: Option<i64>,
    /// CWT claim 4: expiry, Unix seconds.
    pub exp: Option<i64>,
    /// CWT claim -260 → 1: the health certificate as JSON.
    pub hcert: Json,
    tbs: Vec<u8>,
    signature: Vec<u8>,
}

impl DecodedDcc {
    /// The raw COSE signature bytes; their SHA-256 identifies a DCC in a hash-based revocation list.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The COSE `Sig_structure` that the signature covers.
    pub fn signed_bytes(&self) -> &[u8] {
        &self.tbs
    }

    /// The certificate kinds (`v`, `t`, `r`) present in the hcert, for key-usage checks.
    pub fn cert_types(&self) -> Vec<CertType> {
        cert_types(&self.hcert)
    }

    /// The algorithm, or the reason it is unusable.
    pub fn algorithm(&self) -> Result<Algorithm, DccError> {
        self.alg.ok_or_else(|| {
            DccError::UnsupportedAlgorithm(self.alg_label.clone().unwrap_or_else(|| "none".into()))
        })
    }
}

/// The kinds of entries present (non-empty arrays under `v`, `t`, `r`).
pub fn cert_types(hcert: &Json) -> Vec<CertType> {
    let mut out = Vec::new();
    for (key, ty) in [
        ("v", CertType::Vaccination),
        ("t", CertType::Test),
        ("r", CertType::Recovery),
    ] {
        if hcert.get(key).is_some_and(|v| !v.is_null()) {
            out.push(ty);
        }
    }
    out
}

/// Strips the `HC1:` context identifier (stage "unprefix").
pub fn unprefix(text: &str) -> Result<&str, DccError> {
    if text.len() > MAX_TEXT_LEN {
        return Err(DccError::TooLarge(text.len()));
    }
    text.strip_prefix("HC1:").ok_or(DccError::BadPrefix)
}

/// Decodes base45 (stage "b45decode") with the `base45` crate.
///
/// RFC 9285 requires refusing a trailing pair worth more than 255; the crate truncates it
/// instead, so the last byte is re-encoded (again with the crate) and must give the same pair.
pub fn base45_decode(text: &str) -> Result<Vec<u8>, DccError> {
    if text.len() > MAX_TEXT_LEN {
        return Err(DccError::TooLarge(text.len()));
    }
    let out = base45::decode(text).map_err(|e| DccError::BadBase45(e.to_string()))?;
    if text.len() % 3 == 2 {
        let tail = text.get(text.len() - 2..);
        let last = out.last().map(|b| base45::encode([*b]));
        if tail.is_none() || tail != last.as_deref() {
            return Err(DccError::BadBase45("last group out of range".into()));
        }
    }
    Ok(out)
}

/// Whether bytes start with a valid zlib header (CMF/FLG check), i.e. are compressed at all.
pub fn is_zlib(data: &[u8]) -> bool {
    data.len() >= 2
        && data[0] & 0x0f == 8
        && (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 == 0
}

/// Inflates a zlib stream, refusing more than [`MAX_INFLATED_LEN`] bytes (stage "compression").
/// The Adler-32 checksum is checked, and nothing may follow the stream (one certificate, one
/// encoding). `flate2` on its zlib-rs backend does the work.
///
/// The inflater is kept per thread and reset for each stream: setting one up costs more than
/// inflating a certificate.
pub fn inflate(data: &[u8]) -> Result<Vec<u8>, DccError> {
    use flate2::Decompress;
    thread_local! {
        static INFLATER: std::cell::RefCell<Decompress> =
            std::cell::RefCell::new(Decompress::new(true));
    }
    if !is_zlib(data) {
        return Err(DccError::BadCompression("not a zlib stream".into()));
    }
    INFLATER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut inflater) => {
            inflater.reset(true);
            inflate_with(&mut inflater, data)
        }
        Err(_) => inflate_with(&mut Decompress::new(true), data),
    })
}

fn inflate_with(inflater: &mut flate2::Decompress, data: &[u8]) -> Result<Vec<u8>, DccError> {
    use flate2::{FlushDecompress, Status};
    let bad = |why: String| DccError::BadCompression(why);
    // One byte of room past the limit, so that a stream one byte too long is caught.
    let room = MAX_INFLATED_LEN + 1;
    let mut out = Vec::with_capacity((data.len() * 4).clamp(512, room));
    loop {
        if out.len() == out.capacity() {
            if out.len() >= room {
                return Err(DccError::TooLarge(out.len()));
            }
            out.reserve_exact(out.len().min(room - out.len()));
        }
        let (before_in, before_out) = (inflater.total_in(), inflater.total_out());
        let consumed = usize::try_from(before_in).unwrap_or(usize::MAX);
        let rest = data.get(consumed..).unwrap_or_default();
        let status = inflater
            .decompress_vec(rest, &mut out, FlushDecompress::Finish)
            .map_err(|e| bad(e.to_string()))?;
        if out.len() > MAX_INFLATED_LEN {
            return Err(DccError::TooLarge(out.len()));
        }
        match status {
            Status::StreamEnd if usize::try_from(inflater.total_in()).ok() == Some(data.len()) => {
                return Ok(out);
            }
            Status::StreamEnd => return Err(bad("data after the end of the zlib stream".into())),
            Status::Ok | Status::BufError => {
                let stuck = inflater.total_in() == before_in && inflater.total_out() == before_out;
                if stuck && out.len() < out.capacity() {
                    return Err(bad("truncated stream".into()));
                }
            }
        }
    }
}

/// Compresses with zlib at the best level, as issuers do before base45.
pub(crate) fn deflate_zlib(data: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write as _;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data)?;
    encoder.finish()
}

/// Inflates if the data is zlib, else returns it as is (some issuers skip compression).
pub fn inflate_if_zlib(data: Vec<u8>) -> Result<Vec<u8>, DccError> {
    if is_zlib(&data) {
        inflate(&data)
    } else {
        Ok(data)
    }
}

/// Decodes an `HC1:` text to COSE bytes: prefix, base45, zlib if present.
pub fn text_to_cose(text: &str) -> Result<Vec<u8>, DccError> {
    inflate_if_zlib(base45_decode(unprefix(text.trim_end())?)?)
}

/// Decodes an `HC1:` text without checking the signature.
///
/// Use this to show what a certificate claims; use [`crate::verify`] to trust it.
pub fn decode(text: &str) -> Result<DecodedDcc, DccError> {
    decode_cose(&text_to_cose(text)?)
}

/// Parses COSE_Sign1 bytes (tag 18, with or without the CWT tag 61, or untagged) and its claims.
///
/// The CBOR is read by `ciborium` with a nesting limit (its containers grow as items arrive, so
/// a hostile length cannot allocate ahead of the input, which is capped at
/// [`MAX_INFLATED_LEN`]); the COSE structure and its headers are `coset`'s.
pub fn decode_cose(bytes: &[u8]) -> Result<DecodedDcc, DccError> {
    if bytes.len() > MAX_INFLATED_LEN {
        return Err(DccError::TooLarge(bytes.len()));
    }
    let mut value = read_cbor(bytes, MAX_DEPTH).map_err(DccError::BadCose)?;
    let mut tags = Vec::new();
    while let Cbor::Tag(tag, inner) = value {
        if tags.len() == MAX_TAGS {
            return Err(DccError::BadCose("too many CBOR tags".into()));
        }
        tags.push(tag);
        value = *inner;
    }
    if tags.iter().any(|t| *t != COSE_SIGN1_TAG && *t != CWT_TAG) {
        return Err(DccError::BadCose(format!("unexpected tag in {tags:?}")));
    }
    let sign1 = CoseSign1::from_cbor_value(value).map_err(|e| {
        unreadable_algorithm(bytes).unwrap_or_else(|| DccError::BadCose(e.to_string()))
    })?;
    let Some(payload) = sign1.payload.as_deref() else {
        return Err(DccError::BadCose(
            "payload is not a byte string (detached?)".into(),
        ));
    };
    let (prot, unprot) = (&sign1.protected.header, &sign1.unprotected);
    let (alg, alg_label) = algorithm(prot.alg.as_ref(), unprot.alg.as_ref());
    let kid = [&prot.key_id, &unprot.key_id]
        .into_iter()
        .find(|k| !k.is_empty())
        .cloned();
    let claims = read_claims(payload)?;
    let tbs = sign1.tbs_data(b"");
    Ok(DecodedDcc {
        alg,
        alg_label,
        kid,
        issuer: claims.issuer,
        iat: claims.iat,
        exp: claims.exp,
        hcert: claims.hcert,
        tbs,
        signature: sign1.signature,
    })
}

/// COSE_Sign1's CBOR tag (RFC 9052).
const COSE_SIGN1_TAG: u64 = coset::iana::CborTag::CoseSign1 as u64;
/// The CWT tag (RFC 8392) some issuers put around the COSE_Sign1.
const CWT_TAG: u64 = 61;
/// Most tags we unwrap around the COSE_Sign1 and the CWT times.
const MAX_TAGS: usize = 4;

/// Reads exactly one CBOR item, at most `depth` containers deep.
fn read_cbor(mut bytes: &[u8], depth: usize) -> Result<Cbor, String> {
    let value =
        ciborium::de::from_reader_with_recursion_limit(&mut bytes, depth).map_err(|e| match e {
            ciborium::de::Error::RecursionLimitExceeded => "CBOR nesting too deep".to_owned(),
            other => format!("CBOR: {other}"),
        })?;
    if !bytes.is_empty() {
        return Err("trailing bytes after CBOR item".into());
    }
    Ok(value)
}

/// The signing algorithm: the protected header's integer label first, the unprotected one as
/// fallback; why it is refused, naming it, when it is not one we verify.
fn algorithm(
    prot: Option<&coset::Algorithm>,
    unprot: Option<&coset::Algorithm>,
) -> (Option<Algorithm>, Option<String>) {
    use coset::RegisteredLabelWithPrivate as L;
    use coset::iana::EnumI64 as _;
    let int = |a: Option<&coset::Algorithm>| match a {
        Some(L::Assigned(a)) => Some(a.to_i64()),
        Some(L::PrivateUse(i)) => Some(*i),
        _ => None,
    };
    match int(prot).or_else(|| int(unprot)) {
        Some(label) => algorithm_of_label(label),
        None => match prot.or(unprot) {
            Some(L::Text(name)) => (
                None,
                Some(format!("algorithm {name:?} is not a COSE algorithm label")),
            ),
            _ => (None, Some("no algorithm in the COSE header".into())),
        },
    }
}

struct Claims {
    issuer: Option<String>,
    iat: Option<i64>,
    exp: Option<i64>,
    hcert: Json,
}

/// An integer map key, as CWT claims and the hcert claim use.
fn int_key(k: &Cbor) -> Option<i64> {
    match k {
        Cbor::Integer(i) => i64::try_from(*i).ok(),
        _ => None,
    }
}

/// Reads the CWT claims: 1 (issuer), 4 (exp), 6 (iat) and -260 → 1 (the hcert, as JSON).
/// Other claims are ignored; a repeated hcert is refused.
fn read_claims(payload: &[u8]) -> Result<Claims, DccError> {
    // The hcert sits two maps deep and may itself nest MAX_DEPTH deep.
    let value = read_cbor(payload, MAX_DEPTH + 4).map_err(DccError::BadClaims)?;
    let Cbor::Map(entries) = value else {
        return Err(DccError::BadClaims("claims are not a map".into()));
    };
    let (mut issuer, mut iat, mut exp, mut hcert) = (None, None, None, None);
    for (k, v) in entries {
        match int_key(&k) {
            Some(1) => match v {
                Cbor::Text(s) => issuer = Some(s),
                _ => return Err(DccError::BadClaims("issuer is not text".into())),
            },
            Some(4) => exp = Some(cwt_time(v)?),
            Some(6) => iat = Some(cwt_time(v)?),
            Some(-260) => {
                if hcert.is_some() {
                    return Err(DccError::BadClaims("duplicate hcert claim".into()));
                }
                let Cbor::Map(inner) = v else {
                    return Err(DccError::BadClaims("hcert claim is not a map".into()));
                };
                let mut found = None;
                for (k, v) in inner {
                    if int_key(&k) == Some(1) {
                        if found.is_some() {
                            return Err(DccError::BadClaims("duplicate DCC".into()));
                        }
                        found = Some(v);
                    }
                }
                hcert =
                    Some(found.ok_or_else(|| DccError::BadClaims("no DCC (hcert key 1)".into()))?);
            }
            _ => {}
        }
    }
    let hcert = hcert.ok_or_else(|| DccError::BadClaims("no hcert claim (-260)".into()))?;
    if !matches!(hcert, Cbor::Map(_)) {
        return Err(DccError::BadClaims("DCC is not a map".into()));
    }
    Ok(Claims {
        issuer,
        iat,
        exp,
        hcert: cbor_into_json(hcert, 0)?,
    })
}

/// A CWT time (exp, iat): an integer, or an integral float, possibly tagged (tag 1).
fn cwt_time(mut v: Cbor) -> Result<i64, DccError> {
    for _ in 0..MAX_TAGS {
        match v {
            Cbor::Tag(_, inner) => v = *inner,
            _ => break,
        }
    }
    match v {
        Cbor::Integer(i) => {
            i64::try_from(i).map_err(|_| DccError::BadClaims("integer out of range".into()))
        }
        Cbor::Float(f) if f.is_finite() && f.abs() < 1e15 => Ok(f as i64),
        _ => Err(DccError::BadClaims("not a number".into())),
    }
}
/// Converts CBOR to JSON as the DCC's JSON form: text keys, numbers, strings, arrays, maps;
/// integer keys become their decimal text, tags are dropped, byte strings become base64,
/// non-finite floats become null. Other keys and items are refused (`dcc.bad_claims`).
///
/// Why public: the dgc-testdata runner compares a vector's `CBOR` field with its `JSON`.
pub fn cbor_to_json(v: &Cbor, depth: usize) -> Result<Json, DccError> {
    cbor_into_json(v.clone(), depth)
}

/// [`cbor_to_json`] consuming the value, so that strings move instead of being copied (the
/// decode hot path builds the hcert JSON once, from the value it owns).
fn cbor_into_json(v: Cbor, depth: usize) -> Result<Json, DccError> {
    if depth > MAX_DEPTH {
        return Err(DccError::BadClaims("nesting too deep".into()));
    }
    Ok(match v {
        Cbor::Integer(i) => {
            if let Ok(n) = i64::try_from(i) {
                Json::from(n)
            } else if let Ok(n) = u64::try_from(i) {
                Json::from(n)
            } else {
                return Err(DccError::BadClaims("integer out of range".into()));
            }
        }
        Cbor::Float(f) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
        Cbor::Text(s) => Json::String(s),
        Cbor::Bool(b) => Json::Bool(b),
        Cbor::Null => Json::Null,
        Cbor::Bytes(b) => {
            use base64::Engine as _;
            Json::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        Cbor::Tag(_, inner) => cbor_into_json(*inner, depth + 1)?,
        Cbor::Array(items) => Json::Array(
            items
                .into_iter()
                .map(|i| cbor_into_json(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Cbor::Map(entries) => {
            let mut map = serde_json::Map::with_capacity(entries.len());
            for (k, val) in entries {
                let key = match k {
                    Cbor::Text(s) => s,
                    Cbor::Integer(i) => i128::from(i).to_string(),
                    _ => return Err(DccError::BadClaims("map key is not text".into())),
                };
                map.insert(key, cbor_into_json(val, depth + 1)?);
            }
            Json::Object(map)
        }
        _ => return Err(DccError::BadClaims("unsupported CBOR item".into())),
    })
}

/// Compares two JSON values as data: maps ignore order, numbers compare by value (1 == 1.0).
pub fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hostile_input_is_refused_without_panic() {
        assert_eq!(
            decode("HC2:ABC").map(|_| ()).unwrap_err().code(),
            "dcc.bad_prefix"
        );
        assert_eq!(
            decode("HC1:").map(|_| ()).unwrap_err().code(),
            "dcc.bad_cose"
        );
        assert_eq!(
            decode("HC1:~~").map(|_| ()).unwrap_err().code(),
            "dcc.bad_base45"
        );
        let long = format!("HC1:{}", "A".repeat(MAX_TEXT_LEN));
        assert_eq!(
            decode(&long).map(|_| ()).unwrap_err().code(),
            "dcc.too_large"
        );
        // A zlib bomb: 1 MiB of zeros compresses to about 1 KiB.
        let bomb = deflate_zlib(&vec![0u8; 1 << 20]).expect("zlib");
        assert_eq!(
            inflate(&bomb).map(|_| ()).unwrap_err().code(),
            "dcc.too_large"
        );
        // Just past the limit, from a stream that is small (the cap holds, however the
        // buffer grows).
        let over = deflate_zlib(&vec![7u8; MAX_INFLATED_LEN + 1]).expect("zlib");
        assert!(over.len() < 1024);
        assert_eq!(
            inflate(&over).map(|_| ()).unwrap_err().code(),
            "dcc.too_large"
        );
        let at = deflate_zlib(&vec![7u8; MAX_INFLATED_LEN]).expect("zlib");
        assert_eq!(inflate(&at).expect("at the limit").len(), MAX_INFLATED_LEN);
        let ok = deflate_zlib(b"hello hello hello").expect("zlib");
        assert_eq!(inflate(&ok).expect("inflates"), b"hello hello hello");
        let mut trailing = ok.clone();
        trailing.extend_from_slice(b"GARBAGE");
        assert_eq!(
            inflate(&trailing).map(|_| ()).unwrap_err().code(),
            "dcc.bad_compression",
            "nothing may follow the stream"
        );
        let truncated = &ok[..ok.len() - 6];
        assert_eq!(
            inflate(truncated).map(|_| ()).unwrap_err().code(),
            "dcc.bad_compression"
        );
        let mut bad_adler = ok.clone();
        let last = bad_adler.len() - 1;
        bad_adler[last] ^= 1;
        assert_eq!(
            inflate(&bad_adler).map(|_| ()).unwrap_err().code(),
            "dcc.bad_compression"
        );
        for bytes in [
            &[0xd2u8][..],
            &[0xd8, 0x3d],
            &[0x84, 0x40, 0xa0, 0xf6, 0x40],
            &[0xff; 40],
        ] {
            assert!(decode_cose(bytes).is_err());
        }
    }

    #[test]
    fn base45_rfc9285_examples() {
        for (plain, enc) in [
            (&b"AB"[..], "BB8"),
            (b"Hello!!", "%69 VD92EX0"),
            (b"base-45", "UJCLQE7W581"),
            (b"ietf!", "QED8WEX0"),
            (b"", ""),
        ] {
            assert_eq!(base45::encode(plain), enc);
            assert_eq!(base45_decode(enc).unwrap(), plain);
        }
        // 65536 is out of range, so is a trailing pair above 255 ("ZZ" is 1610).
        for bad in ["GGW", "A", "ab", ":::", "ZZ", "BB8ZZ", "~~"] {
            assert_eq!(
                base45_decode(bad).unwrap_err().code(),
                "dcc.bad_base45",
                "{bad}"
            );
        }
        assert_eq!(base45_decode("U5").unwrap(), [255]);
        assert_eq!(base45_decode("V5").unwrap_err().code(), "dcc.bad_base45");
    }

    fn cbor(v: &Cbor) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::ser::into_writer(v, &mut out).unwrap();
        out
    }

    /// An unsigned COSE_Sign1 (tag 18) around `payload`; headers as given.
    fn sign1(protected: coset::Header, unprotected: coset::Header, payload: Vec<u8>) -> Vec<u8> {
        use coset::TaggedCborSerializable as _;
        coset::CoseSign1Builder::new()
            .protected(protected)
            .unprotected(unprotected)
            .payload(payload)
            .signature(vec![1, 2, 3])
            .build()
            .to_tagged_vec()
            .unwrap()
    }

    fn claims(hcert: Cbor) -> Vec<u8> {
        cbor(&Cbor::Map(vec![
            (Cbor::from(1), Cbor::from("CN")),
            (Cbor::from(4), Cbor::Tag(1, Box::new(Cbor::from(2_000)))),
            (Cbor::from(6), Cbor::Float(1_000.0)),
            (Cbor::from("extra"), Cbor::Bytes(vec![0; 4])),
            (Cbor::from(-260), Cbor::Map(vec![(Cbor::from(1), hcert)])),
        ]))
    }

    fn es256() -> coset::Header {
        coset::HeaderBuilder::new()
            .algorithm(coset::iana::Algorithm::ES256)
            .build()
    }

    #[test]
    fn cose_and_claims_are_read() {
        let hcert = Cbor::Map(vec![
            (
                Cbor::from("a"),
                Cbor::Array(vec![
                    Cbor::from(1),
                    Cbor::from(-2),
                    Cbor::Float(1.5),
                    Cbor::from("x"),
                    Cbor::Null,
                    Cbor::Bool(true),
                    Cbor::Float(f64::NAN),
                ]),
            ),
            (
                Cbor::from("b"),
                Cbor::Map(vec![(Cbor::from("c"), Cbor::from(u64::MAX))]),
            ),
            (Cbor::from(7), Cbor::Bytes(vec![1, 2])),
            (Cbor::from("t"), Cbor::Tag(0, Box::new(Cbor::from("2021")))),
        ]);
        let payload = claims(hcert);
        let kid = coset::HeaderBuilder::new().key_id(vec![9; 8]).build();
        let bytes = sign1(coset::Header::default(), kid, payload.clone());
        let d = decode_cose(&bytes).unwrap();
        assert_eq!(
            d.hcert,
            serde_json::json!({"a": [1, -2, 1.5, "x", null, true, null],
                "b": {"c": u64::MAX}, "7": "AQI=", "t": "2021"})
        );
        assert_eq!(
            (d.issuer.as_deref(), d.iat, d.exp),
            (Some("CN"), Some(1_000), Some(2_000))
        );
        // The unprotected header is the fallback for kid; no alg at all is reported at verify.
        assert_eq!(d.kid.as_deref(), Some(&[9u8; 8][..]));
        assert_eq!(
            d.algorithm().unwrap_err().code(),
            "dcc.unsupported_algorithm"
        );
        // Sig_structure: ["Signature1", protected, external_aad, payload].
        let tbs = cbor(&Cbor::Array(vec![
            Cbor::from("Signature1"),
            Cbor::Bytes(vec![]),
            Cbor::Bytes(vec![]),
            Cbor::Bytes(payload.clone()),
        ]));
        assert_eq!(d.signed_bytes(), tbs);
        assert_eq!(d.signature(), [1, 2, 3]);
        // Protected header first; untagged and CWT-tagged forms are accepted too.
        let prot = coset::HeaderBuilder::new()
            .algorithm(coset::iana::Algorithm::PS256)
            .key_id(vec![1; 8])
            .build();
        let bytes = sign1(
            prot,
            coset::HeaderBuilder::new().key_id(vec![2; 8]).build(),
            payload,
        );
        let d = decode_cose(&bytes).unwrap();
        assert_eq!(
            (d.alg, d.kid.as_deref()),
            (Some(Algorithm::Ps256), Some(&[1u8; 8][..]))
        );
        decode_cose(&bytes[1..]).unwrap();
        decode_cose(&[&[0xd8, 0x3d][..], &bytes].concat()).unwrap();
    }

    #[test]
    fn malformed_claims_are_refused() {
        let deep = (0..40).fold(Cbor::from(1), |v, _| Cbor::Map(vec![(Cbor::from("a"), v)]));
        let not_text_key = Cbor::Map(vec![(Cbor::Bool(true), Cbor::from(1))]);
        let mut trailing = claims(Cbor::Map(vec![]));
        trailing.push(0);
        for payload in [
            claims(deep),
            claims(not_text_key),
            claims(Cbor::Array(vec![])),
            trailing,
            cbor(&Cbor::Array(vec![])),
            cbor(&Cbor::Map(vec![(Cbor::from(1), Cbor::from("CN"))])),
            cbor(&Cbor::Map(vec![(Cbor::from(4), Cbor::from("soon"))])),
            vec![0xbf, 0x01],
        ] {
            let bytes = sign1(es256(), coset::Header::default(), payload);
            assert_eq!(decode_cose(&bytes).unwrap_err().code(), "dcc.bad_claims");
        }
    }

    #[test]
    fn hostile_cbor_is_refused() {
        let ok = sign1(es256(), coset::Header::default(), claims(Cbor::Map(vec![])));
        decode_cose(&ok).unwrap();
        let mut trailing = ok.clone();
        trailing.push(0);
        let detached = {
            use coset::TaggedCborSerializable as _;
            coset::CoseSign1Builder::new()
                .protected(es256())
                .build()
                .to_tagged_vec()
                .unwrap()
        };
        for bytes in [
            // An array claiming 2^32 entries, a byte string longer than the input.
            vec![0x9a, 0xff, 0xff, 0xff, 0xff],
            vec![0x5a, 0x00, 0x10, 0x00, 0x00],
            vec![0x81; 64],
            [vec![0xd2; 5], ok[1..].to_vec()].concat(),
            [vec![0xc1], ok[1..].to_vec()].concat(),
            trailing,
            detached,
            ok[..ok.len() - 1].to_vec(),
        ] {
            assert_eq!(decode_cose(&bytes).unwrap_err().code(), "dcc.bad_cose");
        }
        assert_eq!(
            decode_cose(&vec![0; MAX_INFLATED_LEN + 1])
                .unwrap_err()
                .code(),
            "dcc.too_large"
        );
    }

    #[test]
    fn json_eq_ignores_order_and_number_form() {
        let a = serde_json::json!({"a": 1, "b": [1.0, "x"]});
        let b = serde_json::json!({"b": [1, "x"], "a": 1.0});
        assert!(json_eq(&a, &b));
        assert!(!json_eq(&a, &serde_json::json!({"a": 1})));
    }
}

#[cfg(test)]
mod fuzz_tests {
    use super::*;

    /// Mutates a real vector's COSE and text in many deterministic ways; nothing may panic.
    #[test]
    fn mutated_input_never_panics() {
        let Some(dir) = crate::testdata::shared_testdata() else {
            return;
        };
        let text = std::fs::read_to_string(dir.join("dcc/common-CO3.json")).expect("read");
        let v: Json = serde_json::from_str(&text).expect("json");
        let prefix = v["PREFIX"].as_str().expect("PREFIX").to_owned();
        let cose = text_to_cose(&prefix).expect("decodes");
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let mut m = cose.clone();
            let n = 1 + (next() % 4) as usize;
            for _ in 0..n {
                let i = (next() % m.len() as u64) as usize;
                m[i] = (next() & 0xff) as u8;
            }
            if next() % 4 == 0 {
                m.truncate((next() % m.len() as u64) as usize);
            }
            let _ = decode_cose(&m);
            let chars: Vec<char> = prefix.chars().collect();
            let i = 4 + (next() % (chars.len() as u64 - 4)) as usize;
            let mut t = chars.clone();
            t[i] = char::from(b' ' + (next() % 64) as u8);
            let _ = decode(&t.iter().collect::<String>());
        }
    }
}
