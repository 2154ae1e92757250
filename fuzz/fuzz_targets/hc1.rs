//! EU Digital COVID Certificates as scanned: the `HC1:` text through every decoding
//! stage (prefix, base45, zlib, COSE, CWT claims, CBOR to JSON), then the full
//! verification (signature against the seeds' signer certificates, validity, key
//! usage, the EU schema) at the fixed clock and at the certificate's own issue time.
#![no_main]

use healthcode_dcc as dcc;
use healthcode_fuzz::{NOW, dsc_store, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = text(data) else {
        return;
    };
    let _ = dcc::text_to_cose(input);
    let decoded = match dcc::decode(input) {
        Ok(decoded) => decoded,
        Err(e) => {
            let _ = (e.code(), e.to_string());
            return;
        }
    };
    let _ = decoded.cert_types();
    let _ = decoded.algorithm();
    let mut times = vec![NOW];
    times.extend(decoded.iat);
    times.extend(decoded.exp);
    for now in times {
        match dcc::verify(input, dsc_store(), now) {
            Ok(verified) => assert_eq!(verified.dcc.signature(), decoded.signature()),
            Err(e) => {
                let _ = (e.code(), e.to_string());
            }
        }
    }
});
