//! SMART Health Cards as scanned QR text: the numeric `shc:/…` form and the
//! deprecated chunked `shc:/i/n/…` form (one chunk per input line, in any order),
//! assembled and verified against the trusted issuers.
#![no_main]

use healthcode_fuzz::{SHC_NOW, shc_issuers, text};
use healthcode_shc::{numeric, verify_qr_texts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = text(data) else {
        return;
    };
    let lines: Vec<&str> = input.lines().collect();
    for line in &lines {
        if let Ok(part) = numeric::parse_part(line)
            && let Ok(jws) = numeric::decode_digits(part.digits)
            && part.chunk.is_none()
        {
            // Every decoded character re-encodes to the same two digits.
            assert_eq!(numeric::encode(&jws), *line);
        }
    }
    let _ = numeric::assemble(&lines);
    if let Err(e) = verify_qr_texts(&lines, shc_issuers(), SHC_NOW) {
        let _ = (e.code(), e.to_string());
    }
    let _ = verify_qr_texts(&[input], shc_issuers(), SHC_NOW);
});
