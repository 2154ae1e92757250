//! Identity documents a person registers with, and the checks their numbers must
//! pass before anyone tries to verify them against an identity service.
//!
//! Numbers are normalised first ([`normalise_number`]) so that the blind index,
//! which is computed from the normalised form, maps equivalent inputs to one entry.
//! Errors never include the number: they may be logged or shown to a third party.

use std::fmt;

use jiff::civil::{Date, date};
use serde::{Deserialize, Serialize};

use crate::{divisions, mask};

/// The kinds of identity document accepted for real-name registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    /// Mainland resident identity card (居民身份证), GB 11643-1999.
    ResidentId,
    /// Passport of any country.
    Passport,
    /// Mainland Travel Permit for Hong Kong and Macao Residents (港澳居民来往内地通行证).
    HkMacaoPermit,
    /// Mainland Travel Permit for Taiwan Residents (台湾居民来往大陆通行证).
    TaiwanPermit,
    /// Foreign Permanent Resident ID Card (外国人永久居留身份证).
    ForeignPermanentResidence,
}

impl DocumentType {
    /// Every document type, in a stable order (e.g. for a form's choices).
    pub const ALL: [DocumentType; 5] = [
        DocumentType::ResidentId,
        DocumentType::Passport,
        DocumentType::HkMacaoPermit,
        DocumentType::TaiwanPermit,
        DocumentType::ForeignPermanentResidence,
    ];

    /// The stable snake_case name used in APIs and storage (same as serde's).
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::ResidentId => "resident_id",
            DocumentType::Passport => "passport",
            DocumentType::HkMacaoPermit => "hk_macao_permit",
            DocumentType::TaiwanPermit => "taiwan_permit",
            DocumentType::ForeignPermanentResidence => "foreign_permanent_residence",
        }
    }

    /// Parses the stable name; `None` for anything else.
    pub fn parse(name: &str) -> Option<DocumentType> {
        DocumentType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// Sex as encoded in a resident ID number (odd sequence male, even female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

/// What a resident ID number says about its holder, so it need not be asked again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentIdInfo {
    /// The 6-digit division code of where the number was issued.
    pub region: String,
    pub birth_date: Date,
    pub sex: Sex,
}

/// A document number that passed the format checks for its type.
///
/// Its `Debug` output masks the number and leaves out the derived fields, so a
/// stray `{:?}` in a log does not leak them.
#[derive(Clone, PartialEq, Eq)]
pub struct Document {
    pub doc_type: DocumentType,
    /// The normalised number (see [`normalise_number`]).
    pub number: String,
    /// Present for resident ID numbers only.
    pub resident: Option<ResidentIdInfo>,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("doc_type", &self.doc_type)
            .field("number", &mask::mask_document(&self.number))
            .finish_non_exhaustive()
    }
}

impl Document {
    /// Normalises `raw` and checks it against the format of `doc_type`.
    ///
    /// `today` bounds resident ID birth dates; the caller passes it in so this
    /// stays free of clocks.
    pub fn parse(doc_type: DocumentType, raw: &str, today: Date) -> Result<Document, IdError> {
        let number = normalise_number(raw);
        if number.is_empty() {
            return Err(IdError::Empty);
        }
        let resident = match doc_type {
            DocumentType::ResidentId => Some(parse_resident_id(&number, today)?),
            DocumentType::Passport => {
                check_passport(&number)?;
                None
            }
            DocumentType::HkMacaoPermit => {
                check_hk_macao_permit(&number)?;
                None
            }
            DocumentType::TaiwanPermit => {
                check_taiwan_permit(&number)?;
                None
            }
            DocumentType::ForeignPermanentResidence => {
                check_foreign_residence(&number)?;
                None
            }
        };
        Ok(Document {
            doc_type,
            number,
            resident,
        })
    }
}

/// Why a document number was rejected. Messages never include the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("the document number is empty")]
    Empty,
    #[error("a resident ID number has exactly 18 characters")]
    Length,
    #[error("a resident ID number is 17 digits followed by a digit or X")]
    Format,
    #[error("the check character does not match the rest of the number; it may be mistyped")]
    Checksum,
    #[error("the first six digits of the ID number are not a known region code")]
    Region,
    #[error("the birth date in the ID number is not a real date")]
    BirthDateUnreal,
    #[error("the birth date in the ID number is in the future")]
    BirthDateFuture,
    #[error("the birth date in the ID number is before 1890")]
    BirthDateTooEarly,
    #[error("a passport number is 5 to 20 letters and digits")]
    Passport,
    #[error("a Hong Kong or Macao residents' permit number is H or M followed by 8 or 10 digits")]
    HkMacaoPermit,
    #[error("a Taiwan residents' permit number is 8 or 10 digits")]
    TaiwanPermit,
    #[error(
        "a foreign permanent resident ID number is 3 letters and 12 digits, \
         or 18 characters starting with 9"
    )]
    ForeignResidence,
}

impl IdError {
    /// A stable machine-readable code for APIs and translations.
    pub fn code(&self) -> &'static str {
        match self {
            IdError::Empty => "id.empty",
            IdError::Length => "id.length",
            IdError::Format => "id.format",
            IdError::Checksum => "id.checksum",
            IdError::Region => "id.region",
            IdError::BirthDateUnreal | IdError::BirthDateFuture | IdError::BirthDateTooEarly => {
                "id.birthdate"
            }
            IdError::Passport => "id.passport",
            IdError::HkMacaoPermit | IdError::TaiwanPermit => "id.permit",
            IdError::ForeignResidence => "id.foreign_residence",
        }
    }
}

/// The canonical form of a document number, so equivalent inputs share one blind
/// index entry.
///
/// Fullwidth ASCII (`１２Ｘ`, typed with a Chinese input method) becomes ASCII,
/// whitespace and hyphens/dashes are removed (people group digits with them, and
/// no accepted format contains either), and ASCII letters are upper-cased (so a
/// resident ID's `x` becomes `X`). Other characters are kept for the format
/// checks to reject.
pub fn normalise_number(raw: &str) -> String {
    raw.chars()
        .map(fold_width)
        .filter(|c| !c.is_whitespace() && !is_dash(*c))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Maps a fullwidth ASCII variant (U+FF01..=U+FF5E) to its ASCII character.
pub(crate) fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// ASCII hyphen and the Unicode hyphens and dashes (U+2010..=U+2015) that
/// keyboards substitute for it.
pub(crate) fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2010}'..='\u{2015}')
}

/// GB 11643-1999 weights for the 17 body digits: 2^(17-i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each weighted sum mod 11 (ISO 7064 MOD 11-2).
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// No living person was born earlier; older dates are typing errors.
const EARLIEST_BIRTH: Date = date(1890, 1, 1);

/// The ISO 7064 MOD 11-2 check character for 17 digits, as used by resident ID
/// numbers and the 2023 foreign permanent resident ID; `None` unless `first17` is
/// exactly 17 ASCII digits.
pub fn resident_id_check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK_CHARS.get((sum % 11) as usize).copied()
}

/// Builds a valid resident ID number from its parts (for the demo seeder and
/// tests). `None` if the region is not a known or retired division code, the
/// sequence is over 999 or the year does not have four digits.
///
/// An odd sequence makes a man's number, an even one a woman's.
pub fn make_resident_id(region: &str, birth: Date, sequence: u16) -> Option<String> {
    if !is_id_region(region) || sequence > 999 || !(1000..=9999).contains(&birth.year()) {
        return None;
    }
    let first17 = format!(
        "{region}{:04}{:02}{:02}{sequence:03}",
        birth.year(),
        birth.month(),
        birth.day()
    );
    let check = resident_id_check_char(&first17)?;
    Some(format!("{first17}{check}"))
}

/// Mainland resident ID (GB 11643-1999): a 6-digit region code (GB/T 2260), the
/// birth date as YYYYMMDD, a 3-digit sequence whose parity gives the sex, and an
/// ISO 7064 MOD 11-2 check character (a digit or `X`).
///
/// The region may be any known division, at any level, in force or retired:
/// numbers keep the code of where they were first issued, most are county codes
/// but some older ones carry a prefecture code.
fn parse_resident_id(number: &str, today: Date) -> Result<ResidentIdInfo, IdError> {
    let chars: Vec<char> = number.chars().collect();
    let Ok(chars) = <[char; 18]>::try_from(chars) else {
        return Err(IdError::Length);
    };
    let [body @ .., last] = chars;
    if !body.iter().all(char::is_ascii_digit) || !(last.is_ascii_digit() || last == 'X') {
        return Err(IdError::Format);
    }
    // From here on the number is ASCII, so byte ranges are character ranges.
    let first17 = number.get(..17).ok_or(IdError::Format)?;
    if resident_id_check_char(first17) != Some(last) {
        return Err(IdError::Checksum);
    }
    let region = number.get(..6).ok_or(IdError::Format)?;
    if !is_id_region(region) {
        return Err(IdError::Region);
    }
    let birth_date = birth_date(number.get(6..14).ok_or(IdError::Format)?, today)?;
    let sex = if body[16].to_digit(10).unwrap_or(0) % 2 == 1 {
        Sex::Male
    } else {
        Sex::Female
    };
    Ok(ResidentIdInfo {
        region: region.to_owned(),
        birth_date,
        sex,
    })
}

fn is_id_region(code: &str) -> bool {
    divisions::is_known(code) || divisions::retired_name(code).is_some()
}

/// Reads an 8-digit YYYYMMDD birth date that must be real, not after `today` and
/// not before [`EARLIEST_BIRTH`].
fn birth_date(yyyymmdd: &str, today: Date) -> Result<Date, IdError> {
    let field = |range: std::ops::Range<usize>| {
        yyyymmdd
            .get(range)
            .and_then(|s| s.parse::<i16>().ok())
            .ok_or(IdError::BirthDateUnreal)
    };
    let (year, month, day) = (field(0..4)?, field(4..6)?, field(6..8)?);
    let month = i8::try_from(month).map_err(|_| IdError::BirthDateUnreal)?;
    let day = i8::try_from(day).map_err(|_| IdError::BirthDateUnreal)?;
    let birth = Date::new(year, month, day).map_err(|_| IdError::BirthDateUnreal)?;
    if birth > today {
        Err(IdError::BirthDateFuture)
    } else if birth < EARLIEST_BIRTH {
        Err(IdError::BirthDateTooEarly)
    } else {
        Ok(birth)
    }
}

/// Passports of all countries: 5 to 20 letters and digits. ICAO 9303 gives the
/// machine-readable zone 9 characters for the number (longer ones spill into the
/// optional field), and issuing states vary, so only the shape is checked.
fn check_passport(number: &str) -> Result<(), IdError> {
    let ok = (5..=20).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then_some(()).ok_or(IdError::Passport)
}

/// Hong Kong and Macao residents' permit (回乡证): `H` (Hong Kong) or `M` (Macao)
/// and the holder's 8-digit lifelong number; booklets issued before the 2013 card
/// append a 2-digit issue count, making 10 digits.
fn check_hk_macao_permit(number: &str) -> Result<(), IdError> {
    let ok = match number.as_bytes() {
        [b'H' | b'M', digits @ ..] => is_digits(digits, &[8, 10]),
        _ => false,
    };
    ok.then_some(()).ok_or(IdError::HkMacaoPermit)
}

/// Taiwan residents' permit (台胞证): the holder's 8-digit lifelong number, the
/// only form issued since 2008-09-25; booklets issued from 2006 by Fujian, Jiangsu
/// and Shanghai append a 2-digit issue count, making 10 digits. (Older booklets
/// with a bracketed issuing-office letter have all expired and are rejected.)
fn check_taiwan_permit(number: &str) -> Result<(), IdError> {
    is_digits(number.as_bytes(), &[8, 10])
        .then_some(())
        .ok_or(IdError::TaiwanPermit)
}

/// Foreign permanent resident ID. The 2004 and 2017 cards carry 15 characters: an
/// ISO 3166-1 alpha-3 nationality code and 12 digits. Cards issued from
/// 2023-12-01 carry 18: `9` (marking a foreigner; citizens' numbers start 1-8),
/// 16 more digits and a check character computed as for resident IDs, per the
/// National Immigration Administration's notice on the 2023 card. Only those
/// are relied on: the fields inside either form (issuing province, nationality,
/// birth date) are not checked.
fn check_foreign_residence(number: &str) -> Result<(), IdError> {
    let bytes = number.as_bytes();
    match bytes.len() {
        15 => {
            let (letters, digits) = bytes.split_at(3);
            let ok = letters.iter().all(u8::is_ascii_uppercase) && is_digits(digits, &[12]);
            ok.then_some(()).ok_or(IdError::ForeignResidence)
        }
        18 => {
            let Some((&last, first17)) = bytes.split_last() else {
                return Err(IdError::ForeignResidence);
            };
            if first17.first() != Some(&b'9')
                || !is_digits(first17, &[17])
                || !(last.is_ascii_digit() || last == b'X')
            {
                return Err(IdError::ForeignResidence);
            }
            let check = number.get(..17).and_then(resident_id_check_char);
            if check == Some(char::from(last)) {
                Ok(())
            } else {
                Err(IdError::Checksum)
            }
        }
        _ => Err(IdError::ForeignResidence),
    }
}

fn is_digits(bytes: &[u8], lengths: &[usize]) -> bool {
    lengths.contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Date = date(2024, 6, 1);

    fn parse(doc_type: DocumentType, raw: &str) -> Result<Document, IdError> {
        Document::parse(doc_type, raw, TODAY)
    }

    fn resident(raw: &str) -> Result<Document, IdError> {
        parse(DocumentType::ResidentId, raw)
    }

    fn code_of(result: Result<Document, IdError>) -> &'static str {
        result.err().map_or("ok", |e| e.code())
    }

    /// Appends the right check character to 17 digits.
    fn with_check(first17: &str) -> String {
        let check = resident_id_check_char(first17).expect("17 digits");
        format!("{first17}{check}")
    }

    #[test]
    fn standard_example_is_valid() {
        let doc = resident("11010519491231002X").expect("GB 11643 example");
        assert_eq!(doc.doc_type, DocumentType::ResidentId);
        assert_eq!(doc.number, "11010519491231002X");
        let info = doc.resident.expect("resident info");
        assert_eq!(info.region, "110105");
        assert_eq!(info.birth_date, date(1949, 12, 31));
        assert_eq!(info.sex, Sex::Female);
    }

    #[test]
    fn check_chars_of_known_numbers() {
        // The two examples printed in GB 11643-1999.
        assert_eq!(resident_id_check_char("11010519491231002"), Some('X'));
        assert_eq!(resident_id_check_char("44052418800101001"), Some('4'));
        // The second one predates 1890 and its county no longer exists.
        assert_eq!(code_of(resident("440524188001010014")), "id.region");
        assert_eq!(resident_id_check_char("1101051949123100"), None);
        assert_eq!(resident_id_check_char("1101051949123100X"), None);
        assert_eq!(resident_id_check_char("１1010519491231002"), None);
    }

    #[test]
    fn built_numbers_parse_back() {
        let births = [
            date(1890, 1, 1),
            date(1949, 10, 1),
            date(2000, 2, 29),
            TODAY,
        ];
        for (i, (region, _)) in divisions::counties().enumerate().step_by(37) {
            let birth = births[i % births.len()];
            for sequence in [0, 1, 2, 37, 998, 999] {
                let number = make_resident_id(region, birth, sequence).expect("valid parts");
                let info = resident(&number).expect("built number parses").resident;
                let expected_sex = if sequence % 2 == 1 {
                    Sex::Male
                } else {
                    Sex::Female
                };
                assert_eq!(
                    info,
                    Some(ResidentIdInfo {
                        region: region.to_owned(),
                        birth_date: birth,
                        sex: expected_sex,
                    })
                );
            }
        }
    }

    #[test]
    fn make_resident_id_rejects_bad_parts() {
        let birth = date(1990, 5, 17);
        assert!(make_resident_id("350102", birth, 1000).is_none());
        assert!(make_resident_id("999999", birth, 1).is_none());
        assert!(make_resident_id("35010", birth, 1).is_none());
        assert!(make_resident_id("350102", date(999, 1, 1), 1).is_none());
        assert!(
            make_resident_id("110103", birth, 1).is_some(),
            "retired region"
        );
    }

    #[test]
    fn normalisation() {
        assert_eq!(
            normalise_number("  11010519491231002x "),
            "11010519491231002X"
        );
        assert_eq!(
            normalise_number("110105 19491231 002X"),
            "11010519491231002X"
        );
        assert_eq!(
            normalise_number("110105-1949\u{2013}1231-002x"),
            "11010519491231002X"
        );
        assert_eq!(
            normalise_number("１１０１０５１９４９１２３１００２ｘ"),
            "11010519491231002X"
        );
        assert_eq!(normalise_number("\u{3000}e1234567\t"), "E1234567");
        assert_eq!(normalise_number("  "), "");
        assert_eq!(
            normalise_number("Ä12"),
            "Ä12",
            "non-ASCII is left for the checks"
        );
        let doc = resident("１１０１０５ 19491231 002x").expect("equivalent input");
        assert_eq!(doc.number, "11010519491231002X");
    }

    #[test]
    fn rejection_codes() {
        assert_eq!(code_of(resident("")), "id.empty");
        assert_eq!(code_of(resident(" - ")), "id.empty");
        assert_eq!(code_of(resident("11010519491231002")), "id.length");
        assert_eq!(code_of(resident("11010519491231002X1")), "id.length");
        assert_eq!(code_of(resident("1101051949123100AX")), "id.format");
        assert_eq!(code_of(resident("11010519491231002Y")), "id.format");
        assert_eq!(code_of(resident("11010519491231002Ä")), "id.format");
        assert_eq!(code_of(resident("110105194912310021")), "id.checksum");
        assert_eq!(
            code_of(resident(&with_check("99999919491231002"))),
            "id.region"
        );
        assert_eq!(
            code_of(resident(&with_check("11019919491231002"))),
            "id.region"
        );
    }

    #[test]
    fn x_only_in_last_place() {
        let valid = "11010519491231002X";
        for i in 0..17 {
            let mut chars: Vec<char> = valid.chars().collect();
            chars[i] = 'X';
            let number: String = chars.into_iter().collect();
            assert_eq!(code_of(resident(&number)), "id.format", "X at {i}");
        }
    }

    #[test]
    fn birth_dates() {
        let id = |birth: &str| with_check(&format!("350102{birth}001"));
        assert_eq!(
            code_of(resident(&id("20010229"))),
            "id.birthdate",
            "not a leap year"
        );
        assert_eq!(code_of(resident(&id("20000229"))), "ok", "leap year");
        assert_eq!(code_of(resident(&id("19001301"))), "id.birthdate");
        assert_eq!(code_of(resident(&id("19000100"))), "id.birthdate");
        assert_eq!(code_of(resident(&id("19000431"))), "id.birthdate");
        assert_eq!(code_of(resident(&id("00000000"))), "id.birthdate");
        assert_eq!(code_of(resident(&id("20240601"))), "ok", "born today");
        assert_eq!(resident(&id("20240602")), Err(IdError::BirthDateFuture));
        assert_eq!(code_of(resident(&id("18900101"))), "ok");
        assert_eq!(resident(&id("18891231")), Err(IdError::BirthDateTooEarly));
        assert_eq!(resident(&id("19900230")), Err(IdError::BirthDateUnreal));
    }

    #[test]
    fn retired_region_is_accepted() {
        let number = with_check("11010319800101001");
        let doc = resident(&number).expect("崇文区 numbers are still valid");
        assert_eq!(doc.resident.map(|r| r.sex), Some(Sex::Male));
    }

    #[test]
    fn every_single_substitution_is_caught() {
        let valids = [
            "11010519491231002X".to_owned(),
            make_resident_id("440305", date(1988, 8, 8), 123).expect("valid"),
            make_resident_id("350102", date(1975, 3, 1), 44).expect("valid"),
        ];
        for valid in &valids {
            let original: Vec<char> = valid.chars().collect();
            for i in 0..18 {
                let replacements = if i == 17 { "0123456789X" } else { "0123456789" };
                for c in replacements.chars().filter(|&c| c != original[i]) {
                    let mut chars = original.clone();
                    chars[i] = c;
                    let number: String = chars.into_iter().collect();
                    assert_eq!(resident(&number), Err(IdError::Checksum), "{i}:{c}");
                }
            }
        }
    }

    #[test]
    fn every_adjacent_transposition_is_caught() {
        let valid = make_resident_id("440305", date(1987, 6, 5), 431).expect("valid");
        let original: Vec<char> = valid.chars().collect();
        for i in 0..17 {
            if original[i] == original[i + 1] {
                continue;
            }
            let mut chars = original.clone();
            chars.swap(i, i + 1);
            let number: String = chars.into_iter().collect();
            assert!(resident(&number).is_err(), "swap at {i}");
        }
    }

    #[test]
    fn messages_never_contain_the_number() {
        let cases = [
            (DocumentType::ResidentId, "11010519491231002"),
            (DocumentType::ResidentId, "1101051949123100AX"),
            (DocumentType::ResidentId, "110105194912310021"),
            (DocumentType::ResidentId, "99999919491231002X"),
            (DocumentType::ResidentId, "350102200102290011"),
            (DocumentType::Passport, "E12"),
            (DocumentType::HkMacaoPermit, "H123"),
            (DocumentType::TaiwanPermit, "1234567"),
            (DocumentType::ForeignPermanentResidence, "USA12345678901"),
            (
                DocumentType::ForeignPermanentResidence,
                "935840198001010011",
            ),
        ];
        for (doc_type, number) in cases {
            let err = parse(doc_type, number).expect_err(number);
            let message = err.to_string();
            assert!(!message.contains(number), "{message}");
            assert!(!message.contains(&number[..3]), "{message}");
        }
    }

    #[test]
    fn debug_masks_the_number() {
        let doc = resident("11010519491231002X").expect("valid");
        let debug = format!("{doc:?}");
        assert!(!debug.contains("11010519491231002X"), "{debug}");
        assert!(!debug.contains("19491231"), "{debug}");
    }

    #[test]
    fn passports() {
        for ok in [
            "E12345678",
            "eb1234567",
            "G1234",
            "12345678901234567890",
            "AB 123 456",
        ] {
            assert_eq!(code_of(parse(DocumentType::Passport, ok)), "ok", "{ok}");
        }
        for bad in ["E123", "E1234567890123456789X", "E1234/567", "É1234567"] {
            assert_eq!(
                code_of(parse(DocumentType::Passport, bad)),
                "id.passport",
                "{bad}"
            );
        }
        let doc = parse(DocumentType::Passport, " eb1234567 ").expect("valid");
        assert_eq!(doc.number, "EB1234567");
        assert_eq!(doc.resident, None);
    }

    #[test]
    fn permits() {
        let hk = DocumentType::HkMacaoPermit;
        for ok in [
            "H12345678",
            "m12345678",
            "H1234567801",
            "Ｈ１２３４５６７８",
        ] {
            assert_eq!(code_of(parse(hk, ok)), "ok", "{ok}");
        }
        for bad in [
            "12345678",
            "H1234567",
            "H123456789",
            "K12345678",
            "H1234567A",
        ] {
            assert_eq!(code_of(parse(hk, bad)), "id.permit", "{bad}");
        }
        let tw = DocumentType::TaiwanPermit;
        for ok in ["12345678", "1234567801"] {
            assert_eq!(code_of(parse(tw, ok)), "ok", "{ok}");
        }
        for bad in ["1234567", "123456789", "T12345678", "1234567801(B)"] {
            assert_eq!(code_of(parse(tw, bad)), "id.permit", "{bad}");
        }
    }

    #[test]
    fn foreign_permanent_residence() {
        let fpr = DocumentType::ForeignPermanentResidence;
        let new_form = with_check("93584019800101001");
        assert!(new_form.starts_with('9'));
        for ok in ["USA310080101234", "usa310080101234", new_form.as_str()] {
            assert_eq!(code_of(parse(fpr, ok)), "ok", "{ok}");
        }
        for bad in [
            "US1310080101234",
            "USA31008010123",
            "USA3100801012345",
            "UŠA310080101234",
        ] {
            assert_eq!(code_of(parse(fpr, bad)), "id.foreign_residence", "{bad}");
        }
        // A citizen's number is not a foreigner's.
        assert_eq!(
            code_of(parse(fpr, "11010519491231002X")),
            "id.foreign_residence"
        );
        assert_eq!(
            code_of(parse(fpr, "9358401980010100X1")),
            "id.foreign_residence"
        );
        let mut wrong_check = new_form.clone();
        wrong_check.pop();
        wrong_check.push(if new_form.ends_with('0') { '1' } else { '0' });
        assert_eq!(code_of(parse(fpr, &wrong_check)), "id.checksum");
    }

    #[test]
    fn error_codes_are_stable() {
        let all = [
            (IdError::Empty, "id.empty"),
            (IdError::Length, "id.length"),
            (IdError::Format, "id.format"),
            (IdError::Checksum, "id.checksum"),
            (IdError::Region, "id.region"),
            (IdError::BirthDateUnreal, "id.birthdate"),
            (IdError::BirthDateFuture, "id.birthdate"),
            (IdError::BirthDateTooEarly, "id.birthdate"),
            (IdError::Passport, "id.passport"),
            (IdError::HkMacaoPermit, "id.permit"),
            (IdError::TaiwanPermit, "id.permit"),
            (IdError::ForeignResidence, "id.foreign_residence"),
        ];
        for (err, code) in all {
            assert_eq!(err.code(), code);
        }
    }

    #[test]
    fn document_type_names() {
        let wire = [
            "resident_id",
            "passport",
            "hk_macao_permit",
            "taiwan_permit",
            "foreign_permanent_residence",
        ];
        for (t, name) in DocumentType::ALL.into_iter().zip(wire) {
            assert_eq!(t.as_str(), name);
            assert_eq!(DocumentType::parse(name), Some(t));
            let json = serde_json::to_string(&t).expect("serialise");
            assert_eq!(json, format!("\"{name}\""));
            let back: DocumentType = serde_json::from_str(&json).expect("deserialise");
            assert_eq!(back, t);
        }
        assert_eq!(DocumentType::parse("ResidentId"), None);
        assert_eq!(
            serde_json::to_string(&Sex::Male).expect("serialise"),
            "\"male\""
        );
        assert_eq!(
            serde_json::to_string(&Sex::Female).expect("serialise"),
            "\"female\""
        );
    }
}
