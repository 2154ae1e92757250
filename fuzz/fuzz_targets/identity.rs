//! The identity and personal-field parsers registration and login run on what people
//! type: document numbers of every type (GB 11643 resident IDs with their region,
//! birth date and check character; passports; permits), names and their split into
//! surname and given name, phone numbers and passwords, and the masks shown to
//! checkers and staff.
//!
//! Besides not panicking: every normalised value parses again to itself (the blind
//! index is computed from it, so a second parse must not move it), and a masked name
//! never exceeds the length a signed code can carry, and the surname and given name
//! proposed for a name are a split the person can confirm.
#![no_main]

use healthcode_domain::divisions;
use healthcode_domain::identity::{self, Document, DocumentType};
use healthcode_domain::mask::{self, MAX_MASKED_NAME_LEN};
use healthcode_domain::name_parts::NameParts;
use healthcode_domain::person::{PersonName, Phone, check_password};
use healthcode_fuzz::{NOW, text};
use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = text(data) else {
        return;
    };
    let Ok(now) = Timestamp::from_second(NOW) else {
        return;
    };
    let today = now.to_zoned(TimeZone::fixed(Offset::constant(8))).date();

    let normalised = identity::normalise_number(input);
    assert_eq!(identity::normalise_number(&normalised), normalised);
    for doc_type in DocumentType::ALL {
        if let Ok(document) = Document::parse(doc_type, input, today) {
            assert_eq!(document.number, normalised);
            let again = Document::parse(doc_type, &document.number, today);
            assert!(
                again.as_ref() == Ok(&document),
                "{doc_type:?} is not stable"
            );
            let _ = format!("{document:?}");
        }
    }
    let _ = DocumentType::parse(input);
    let _ = identity::resident_id_check_char(input);

    if let Ok(name) = PersonName::parse(input) {
        assert_eq!(PersonName::parse(name.as_str()).as_ref(), Ok(&name));
        let masked = mask::mask_name(name.as_str());
        assert!(masked.len() <= MAX_MASKED_NAME_LEN);
        let _ = format!("{name:?}");
        // The proposed split is one the person can confirm as it is.
        let proposed = NameParts::propose(&name);
        let confirmed = NameParts::parse(&name, proposed.surname(), proposed.given());
        assert!(
            confirmed.as_ref() == Ok(&proposed),
            "proposed {proposed:?} for {name:?}, confirming it gives {confirmed:?}"
        );
    }
    // A split someone gives: name, surname and given name on three lines.
    let mut lines = input.split('\n');
    if let (Some(name), Some(surname), given) = (lines.next(), lines.next(), lines.next())
        && let Ok(name) = PersonName::parse(name)
    {
        let _ = NameParts::parse(&name, surname, given.unwrap_or_default());
    }
    assert!(mask::mask_name(input).len() <= MAX_MASKED_NAME_LEN);

    if let Ok(phone) = Phone::parse(input) {
        assert_eq!(Phone::parse(phone.as_str()).as_ref(), Ok(&phone));
        let _ = format!("{phone:?}");
    }
    let _ = check_password(input);
    let _ = mask::mask_document(input);
    let _ = mask::mask_phone(input);

    let _ = divisions::full_name(input);
    let _ = divisions::province_code(input);
    let _ = divisions::retired_name(input);
});
