//! Validated personal fields: names, phone numbers and password strength.
//!
//! Parsing at the edge means the rest of the system holds only well-formed values,
//! and each type's normalised form is what the blind index is computed from.
//! Error messages describe the rule and never echo the input.

use std::fmt;

use crate::identity::{fold_width, is_dash};
use crate::mask;

/// Why a personal field was rejected. Messages never include the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error(
        "a name has 1 to 64 Chinese or Latin letters, spaces, hyphens, apostrophes, \
         periods or middle dots (·)"
    )]
    Name,
    #[error(
        "the surname and the given name, each written as a name is, must together make up \
         the registered name"
    )]
    NameParts,
    #[error(
        "a phone number is an 11-digit mainland mobile number, \
         or + and 8 to 15 digits for other countries"
    )]
    Phone,
    #[error("a password has 8 to 128 characters")]
    PasswordLength,
    #[error("this password is too easy to guess")]
    PasswordGuessable,
}

impl FieldError {
    /// A stable machine-readable code for APIs and translations.
    pub fn code(&self) -> &'static str {
        match self {
            FieldError::Name => "name.invalid",
            FieldError::NameParts => "name.parts",
            FieldError::Phone => "phone.invalid",
            FieldError::PasswordLength | FieldError::PasswordGuessable => "password.weak",
        }
    }
}

/// A person's name as written on their identity document.
///
/// `Debug` shows it masked, so a stray `{:?}` in a log does not leak it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    /// Longest accepted name, in characters; transliterated names can be long.
    const MAX_CHARS: usize = 64;

    /// Checks and normalises a name: fullwidth ASCII becomes ASCII, whitespace is
    /// trimmed and inner runs of spaces become one space (control characters such
    /// as tabs and newlines are rejected), and the bullet `•` and katakana
    /// middle dot `・` that some keyboards produce become the middle dot `·` that
    /// ID cards print in transliterated names ("买买提·艾力").
    ///
    /// Allowed: CJK ideographs, Latin letters (accented too), spaces, hyphens,
    /// apostrophes, periods and the middle dot, with at least one letter.
    pub fn parse(raw: &str) -> Result<PersonName, FieldError> {
        let folded: String = raw
            .chars()
            .map(|c| match fold_width(c) {
                '•' | '・' => '·',
                c => c,
            })
            .collect();
        if folded.trim().chars().any(char::is_control) {
            return Err(FieldError::Name);
        }
        let name = folded.split_whitespace().collect::<Vec<_>>().join(" ");
        let length = name.chars().count();
        let allowed = name.chars().all(|c| is_letter(c) || is_name_punctuation(c));
        if (1..=Self::MAX_CHARS).contains(&length) && allowed && name.chars().any(is_letter) {
            Ok(PersonName(name))
        } else {
            Err(FieldError::Name)
        }
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PersonName")
            .field(&mask::mask_name(&self.0))
            .finish()
    }
}

/// Whether `c` is a CJK unified or compatibility ideograph (any extension), or
/// 〇, which appears in some names.
pub(crate) fn is_cjk_ideograph(c: char) -> bool {
    matches!(c,
        '\u{3007}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{323AF}'
    ) && c.is_alphabetic()
}

/// Latin letters: ASCII, Latin-1 Supplement, Extended-A/B and Extended
/// Additional (Vietnamese), plus combining accents for decomposed input.
fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || (matches!(c, '\u{C0}'..='\u{24F}' | '\u{1E00}'..='\u{1EFF}') && c.is_alphabetic())
}

fn is_letter(c: char) -> bool {
    is_cjk_ideograph(c) || is_latin_letter(c)
}

fn is_name_punctuation(c: char) -> bool {
    matches!(
        c,
        ' ' | '-' | '\'' | '\u{2019}' | '.' | '·' | '\u{300}'..='\u{36F}'
    )
}

/// A phone number in the form the blind index is computed from.
///
/// `Debug` shows it masked, so a stray `{:?}` in a log does not leak it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Checks and normalises a phone number.
    ///
    /// Spaces, hyphens and parentheses are removed and fullwidth digits folded.
    /// A mainland number, with or without `+86`/`0086`, must be a mobile number
    /// (`1[3-9]` and 9 more digits) and is kept as its 11 digits, so every way of
    /// writing it gives one form. Any other number must be international: `+` (or
    /// `00`) and 8 to 15 digits not starting with 0 (E.164), kept as `+digits`.
    pub fn parse(raw: &str) -> Result<Phone, FieldError> {
        let compact: String = raw
            .chars()
            .map(fold_width)
            .filter(|&c| !c.is_whitespace() && !is_dash(c) && c != '(' && c != ')')
            .collect();
        let international = compact
            .strip_prefix('+')
            .or_else(|| compact.strip_prefix("00"));
        let normalised = match international {
            Some(rest) => match rest.strip_prefix("86") {
                Some(mainland) => is_mainland_mobile(mainland).then(|| mainland.to_owned()),
                None => is_e164_digits(rest).then(|| format!("+{rest}")),
            },
            None => is_mainland_mobile(&compact).then_some(compact),
        };
        normalised.map(Phone).ok_or(FieldError::Phone)
    }

    /// The normalised number: 11 digits for a mainland mobile, `+digits` otherwise.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Phone")
            .field(&mask::mask_phone(&self.0))
            .finish()
    }
}

fn is_mainland_mobile(digits: &str) -> bool {
    matches!(digits.as_bytes(), [b'1', b'3'..=b'9', rest @ ..]
        if rest.len() == 9 && rest.iter().all(u8::is_ascii_digit))
}

fn is_e164_digits(digits: &str) -> bool {
    (8..=15).contains(&digits.len())
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Passwords that length alone would let through but every guessing list tries
/// first (compared case-insensitively).
const COMMON_PASSWORDS: [&str; 12] = [
    "password",
    "password1",
    "passw0rd",
    "qwertyui",
    "qwertyuiop",
    "1q2w3e4r",
    "1qaz2wsx",
    "abcd1234",
    "abc12345",
    "a1234567",
    "iloveyou",
    "woaini1314",
];

/// Checks a new password, following NIST SP 800-63B rather than composition rules
/// (which push people to predictable patterns): 8 to 128 characters (counted as
/// characters, so Chinese passphrases work), not one character repeated, not only
/// digits unless at least 12 long (a short digit string is a date or a PIN), and
/// not one of a few very common passwords.
pub fn check_password(password: &str) -> Result<(), FieldError> {
    let length = password.chars().count();
    if !(8..=128).contains(&length) {
        return Err(FieldError::PasswordLength);
    }
    let mut chars = password.chars();
    let repeated = chars.next().is_some_and(|first| chars.all(|c| c == first));
    let short_digits = length < 12 && password.chars().all(|c| c.is_ascii_digit());
    let common = COMMON_PASSWORDS
        .iter()
        .any(|p| p.eq_ignore_ascii_case(password));
    if repeated || short_digits || common {
        Err(FieldError::PasswordGuessable)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> Result<String, FieldError> {
        PersonName::parse(raw).map(|n| n.as_str().to_owned())
    }

    fn phone(raw: &str) -> Result<String, FieldError> {
        Phone::parse(raw).map(|p| p.as_str().to_owned())
    }

    #[test]
    fn valid_names() {
        assert_eq!(name("张三"), Ok("张三".to_owned()));
        assert_eq!(name("  欧阳娜娜 "), Ok("欧阳娜娜".to_owned()));
        assert_eq!(name("买买提·艾力"), Ok("买买提·艾力".to_owned()));
        assert_eq!(name("买买提•艾力"), Ok("买买提·艾力".to_owned()));
        assert_eq!(name("买买提・艾力"), Ok("买买提·艾力".to_owned()));
        assert_eq!(name("John  Smith"), Ok("John Smith".to_owned()));
        assert_eq!(name("Ｊｏｈｎ　Ｓｍｉｔｈ"), Ok("John Smith".to_owned()));
        assert_eq!(
            name("Seán O'Brien-Núñez"),
            Ok("Seán O'Brien-Núñez".to_owned())
        );
        assert_eq!(name("Nguyễn Thị Minh"), Ok("Nguyễn Thị Minh".to_owned()));
        assert_eq!(name("J. R. R. Tolkien"), Ok("J. R. R. Tolkien".to_owned()));
        assert_eq!(name("𠀀"), Ok("𠀀".to_owned()), "extension B ideograph");
        assert_eq!(name("林〇"), Ok("林〇".to_owned()));
        let longest = "李".repeat(64);
        assert_eq!(name(&longest), Ok(longest.clone()));
    }

    #[test]
    fn invalid_names() {
        let too_long = "李".repeat(65);
        for bad in [
            "",
            "   ",
            "张三1",
            "John_Smith",
            "张三!",
            "a\u{0}b",
            "a\nb",
            "·",
            "--",
            "Иван",
            "×",
            "😀",
            too_long.as_str(),
        ] {
            assert_eq!(name(bad), Err(FieldError::Name), "{bad:?}");
        }
    }

    #[test]
    fn valid_phones() {
        for raw in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+8613812345678",
            "+86 138 1234 5678",
            "008613812345678",
            "１３８１２３４５６７８",
        ] {
            assert_eq!(phone(raw), Ok("13812345678".to_owned()), "{raw}");
        }
        assert_eq!(phone("+44 7946 012345"), Ok("+447946012345".to_owned()));
        assert_eq!(phone("0044 7946 012345"), Ok("+447946012345".to_owned()));
        assert_eq!(phone("+1 (415) 555-0100"), Ok("+14155550100".to_owned()));
        assert_eq!(phone("+85291234567"), Ok("+85291234567".to_owned()));
    }

    #[test]
    fn invalid_phones() {
        for bad in [
            "",
            "12812345678",
            "1381234567",
            "138123456789",
            "+8601012345678",
            "+86 10 1234 5678",
            "+4412345",
            "+0123456789",
            "+1234567890123456",
            "abc",
            "13812345678x",
            "8613812345678",
        ] {
            assert_eq!(phone(bad), Err(FieldError::Phone), "{bad:?}");
        }
    }

    #[test]
    fn passwords() {
        for ok in [
            "correct horse",
            "Tr0ub4dor&3",
            "我的密码很长很长",
            "123456789012",
            "aaaaaaab",
        ] {
            assert_eq!(check_password(ok), Ok(()), "{ok}");
        }
        assert_eq!(check_password(""), Err(FieldError::PasswordLength));
        assert_eq!(check_password("abc1234"), Err(FieldError::PasswordLength));
        assert_eq!(
            check_password(&"a".repeat(129)),
            Err(FieldError::PasswordLength)
        );
        assert_eq!(
            check_password(&"好".repeat(128)),
            Err(FieldError::PasswordGuessable)
        );
        for weak in ["12345678", "19900517", "aaaaaaaa", "PassWord", "woaini1314"] {
            assert_eq!(
                check_password(weak),
                Err(FieldError::PasswordGuessable),
                "{weak}"
            );
        }
    }

    #[test]
    fn codes_and_messages() {
        assert_eq!(FieldError::Name.code(), "name.invalid");
        assert_eq!(FieldError::Phone.code(), "phone.invalid");
        assert_eq!(FieldError::PasswordLength.code(), "password.weak");
        assert_eq!(FieldError::PasswordGuessable.code(), "password.weak");
        for (input, err) in [
            ("张三1", name("张三1").expect_err("invalid")),
            ("1381234567", phone("1381234567").expect_err("invalid")),
            ("12345678", check_password("12345678").expect_err("weak")),
        ] {
            assert!(!err.to_string().contains(input));
        }
    }

    #[test]
    fn debug_is_masked() {
        let n = PersonName::parse("张三明").expect("valid");
        assert_eq!(format!("{n:?}"), "PersonName(\"张*明\")");
        let p = Phone::parse("13812345678").expect("valid");
        assert_eq!(format!("{p:?}"), "Phone(\"138****5678\")");
    }
}
