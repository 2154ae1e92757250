//! The `shc:/` numeric QR text: each base64url character of the JWS becomes two
//! digits (character code − 45), so the QR can use its dense numeric mode.
//! Also the deprecated chunked form `shc:/i/n/…`, which we read but never write.

use crate::ShcError;

/// Largest JWS that fits one version-22 QR code at error correction L.
pub const MAX_SINGLE_JWS_LEN: usize = 1195;
/// Largest JWS part one chunk of the deprecated chunked form may carry.
pub const MAX_CHUNK_JWS_LEN: usize = 1191;
/// Bound on the number of chunks we assemble (the specification sets none; this
/// bounds the work an input can cause).
pub const MAX_CHUNKS: usize = 20;

const PREFIX: &str = "shc:/";

/// Refuses a byte order mark and whitespace around a value; one final newline (as
/// text editors add) is tolerated.
pub(crate) fn check_framing(input: &str) -> Result<&str, ShcError> {
    if input.starts_with('\u{feff}') {
        return Err(ShcError::ByteOrderMark);
    }
    let s = input
        .strip_suffix("\r\n")
        .or_else(|| input.strip_suffix('\n'))
        .unwrap_or(input);
    if s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return Err(ShcError::TrailingCharacters);
    }
    Ok(s)
}

/// Encodes a JWS as the numeric QR text `shc:/…` (one QR, no chunking).
pub fn encode(jws: &str) -> String {
    let mut out = String::with_capacity(PREFIX.len() + jws.len() * 2);
    out.push_str(PREFIX);
    for b in jws.bytes() {
        let v = b.saturating_sub(45);
        out.push(char::from(b'0' + v / 10));
        out.push(char::from(b'0' + v % 10));
    }
    out
}

/// Decodes the digits of a numeric QR text into the JWS characters.
pub fn decode_digits(digits: &str) -> Result<String, ShcError> {
    let bytes = digits.as_bytes();
    if !bytes.iter().all(u8::is_ascii_digit) {
        return Err(ShcError::NumericNonDigit);
    }
    if !bytes.len().is_multiple_of(2) {
        return Err(ShcError::NumericOddLength(bytes.len()));
    }
    let mut out = String::with_capacity(bytes.len() / 2);
    for pair in bytes.chunks_exact(2) {
        let v = (pair[0] - b'0') * 10 + (pair[1] - b'0');
        if v > 77 {
            return Err(ShcError::NumericOutOfRange(v));
        }
        out.push(char::from(v + 45));
    }
    Ok(out)
}

/// One QR text: either a whole card or one chunk of a chunked card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPart<'a> {
    /// `Some((index, count))` for a chunk, `None` for a whole card.
    pub chunk: Option<(usize, usize)>,
    /// The numeric digits after the prefix.
    pub digits: &'a str,
}

/// Parses the `shc:/` prefix and the optional `i/n/` chunk prefix.
pub fn parse_part(text: &str) -> Result<QrPart<'_>, ShcError> {
    let rest = text.strip_prefix(PREFIX).ok_or(ShcError::QrHeader)?;
    if !rest.contains('/') {
        return Ok(QrPart {
            chunk: None,
            digits: rest,
        });
    }
    let mut it = rest.splitn(3, '/');
    let (Some(i), Some(n), Some(digits)) = (it.next(), it.next(), it.next()) else {
        return Err(ShcError::ChunkHeader);
    };
    let index = parse_small(i)?;
    let count = parse_small(n)?;
    if count == 1 {
        return Err(ShcError::ChunkSingle);
    }
    if count > MAX_CHUNKS {
        return Err(ShcError::TooManyChunks(count));
    }
    if index == 0 || index > count || count == 0 {
        return Err(ShcError::ChunkIndexOutOfRange { index, count });
    }
    Ok(QrPart {
        chunk: Some((index, count)),
        digits,
    })
}

fn parse_small(s: &str) -> Result<usize, ShcError> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) || s.starts_with('0') {
        return Err(ShcError::ChunkHeader);
    }
    s.parse().map_err(|_| ShcError::ChunkHeader)
}

/// Turns one or more QR texts into the JWS. Returns the JWS and the number of
/// chunks it came in (1 for a single QR). Checks the chunk structure the way the
/// specification's validator does: indices, count, duplicates, missing chunks,
/// chunks too big, more chunks than needed, unbalanced chunk sizes.
pub fn assemble(texts: &[&str]) -> Result<(String, usize), ShcError> {
    if texts.is_empty() {
        return Err(ShcError::QrHeader);
    }
    if texts.len() > MAX_CHUNKS {
        return Err(ShcError::TooManyChunks(texts.len()));
    }
    let mut parts = Vec::with_capacity(texts.len());
    for t in texts {
        parts.push(parse_part(check_framing(t)?)?);
    }
    let first_part = &parts[0];
    let Some((_, count)) = first_part.chunk else {
        if texts.len() > 1 {
            // A whole card cannot be combined with other QR codes.
            return Err(ShcError::ChunkHeader);
        }
        return Ok((decode_digits(first_part.digits)?, 1));
    };
    let mut slots: Vec<Option<String>> = vec![None; count];
    for p in &parts {
        let Some((index, n)) = p.chunk else {
            return Err(ShcError::ChunkHeader);
        };
        if n != count {
            return Err(ShcError::ChunkCountMismatch);
        }
        let slot = &mut slots[index - 1];
        if slot.is_some() {
            return Err(ShcError::ChunkDuplicate(index));
        }
        *slot = Some(decode_digits(p.digits)?);
    }
    let mut chunks = Vec::with_capacity(count);
    for (i, s) in slots.into_iter().enumerate() {
        chunks.push(s.ok_or(ShcError::ChunkMissing(i + 1))?);
    }
    for (i, c) in chunks.iter().enumerate() {
        if c.len() > MAX_CHUNK_JWS_LEN {
            return Err(ShcError::ChunkTooBig {
                index: i + 1,
                len: c.len(),
                max: MAX_CHUNK_JWS_LEN,
            });
        }
    }
    let jws: String = chunks.concat();
    let needed = if jws.len() <= MAX_SINGLE_JWS_LEN {
        1
    } else {
        jws.len().div_ceil(MAX_CHUNK_JWS_LEN)
    };
    if count > needed {
        return Err(ShcError::ChunkTooSmall {
            count,
            len: jws.len(),
            needed,
        });
    }
    let max = chunks.iter().map(String::len).max().unwrap_or(0);
    let min = chunks.iter().map(String::len).min().unwrap_or(0);
    if max - min > count {
        return Err(ShcError::ChunksUnbalanced);
    }
    Ok((jws, count))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let jws = "eyJ6aXAi.abc-_z.0129";
        let text = encode(jws);
        assert!(text.starts_with("shc:/"));
        let part = parse_part(&text).unwrap();
        assert_eq!(decode_digits(part.digits).unwrap(), jws);
    }

    #[test]
    fn numeric_defects() {
        assert_eq!(
            decode_digits("123").unwrap_err().code(),
            "shc.numeric_odd_length"
        );
        assert_eq!(
            decode_digits("78").unwrap_err().code(),
            "shc.numeric_out_of_range"
        );
        assert_eq!(
            decode_digits("1a").unwrap_err().code(),
            "shc.numeric_non_digit"
        );
        assert_eq!(parse_part("shc:12").unwrap_err().code(), "shc.qr_header");
        assert_eq!(
            parse_part("shc:/1/1/12").unwrap_err().code(),
            "shc.chunk_single"
        );
        assert_eq!(
            parse_part("shc:/3/2/12").unwrap_err().code(),
            "shc.chunk_index_out_of_range"
        );
        assert_eq!(
            parse_part("shc:/x/2/12").unwrap_err().code(),
            "shc.chunk_header"
        );
    }

    #[test]
    fn chunk_assembly() {
        let a = "shc:/1/2/5676";
        let b = "shc:/2/2/5676";
        assert_eq!(assemble(&[a]).unwrap_err().code(), "shc.chunk_missing");
        assert_eq!(assemble(&[a, a]).unwrap_err().code(), "shc.chunk_duplicate");
        assert_eq!(assemble(&[b, a]).unwrap_err().code(), "shc.chunk_too_small");
        assert_eq!(
            assemble(&[" shc:/12"]).unwrap_err().code(),
            "shc.trailing_characters"
        );
    }
}
