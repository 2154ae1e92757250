//! Identifiers and tokens the service gives out: random, so that none says
//! anything about a person or about the order in which things happened.

use crate::error::Error;

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut raw = [0u8; N];
    aws_lc_rs::rand::fill(&mut raw).map_err(|_| Error::internal("random source failed"))?;
    Ok(raw)
}

/// A random 128-bit identifier in hex, for rows of every kind.
pub fn random_id() -> Result<String, Error> {
    Ok(hex::encode(random_bytes::<16>()?))
}

/// Whether a presented secret token equals the expected one, in time that
/// does not depend on where they differ.
pub fn tokens_match(presented: &str, expected: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(presented.as_bytes(), expected.as_bytes())
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_128_bits_of_hex_and_differ() {
        let (a, b) = (random_id().expect("id"), random_id().expect("id"));
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
