//! The laboratory results import (`healthcode import results FILE.csv`): the CSV
//! reader (`healthcode_core::import::read_results`) and the validation every parsed
//! row then goes through (`ResultInput::validate`), which the API's `POST
//! /v1/results` shares.
#![no_main]

use healthcode_core::import::read_results;
use healthcode_fuzz::{NOW, SKEW};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(rows) = read_results(data) else {
        return;
    };
    for (_line, row) in rows {
        if let Ok(input) = row
            && let Ok(result) = input.validate(NOW, SKEW)
        {
            assert!(result.sample_at <= result.result_at);
            assert!(result.result_at <= NOW + SKEW);
        }
    }
});
