//! Masked forms of personal fields for display to checkers, staff and logs.
//!
//! A checker at an entrance needs to see that a code belongs to the person in
//! front of them, not who that person is: each function shows just enough to
//! recognise one's own data or match a face, and works on characters, not bytes.

use crate::person::is_cjk_ideograph;

const MASK: char = '*';

/// Masks a name: Chinese names keep their first and last character
/// ("张三明" → "张*明", "欧阳娜娜" → "欧**娜", "张三" → "张*"); other names keep the
/// first letter of each word ("John Smith" → "J*** S****"). A one-character name
/// is masked completely.
pub fn mask_name(name: &str) -> String {
    let name = name.trim();
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= 1 {
        return MASK.to_string().repeat(chars.len());
    }
    if chars.iter().any(|&c| is_cjk_ideograph(c)) {
        let last = if chars.len() > 2 { 1 } else { 0 };
        return keep_ends(&chars, 1, last);
    }
    name.split_whitespace()
        .map(|word| {
            let word: Vec<char> = word.chars().collect();
            keep_ends(&word, 1, 0)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Masks a document number, never showing more than half of it: 16 characters or
/// more keep the first 6 and last 2 (a resident ID shows its region, e.g.
/// "350102**********1X"), 8 or more keep 2 and 2, 4 or more keep 1 and 1, and
/// anything shorter is masked completely.
pub fn mask_document(number: &str) -> String {
    let chars: Vec<char> = number.trim().chars().collect();
    let (front, back) = match chars.len() {
        16.. => (6, 2),
        8.. => (2, 2),
        4.. => (1, 1),
        _ => (0, 0),
    };
    keep_ends(&chars, front, back)
}

/// Masks a phone number the way Chinese services do: 11 digits or more keep the
/// first 3 and last 4 ("13812345678" → "138****5678"), 7 or more keep 2 and 2,
/// shorter ones are masked completely. A leading `+` is kept.
pub fn mask_phone(phone: &str) -> String {
    let phone = phone.trim();
    let (plus, digits) = match phone.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", phone),
    };
    let chars: Vec<char> = digits.chars().collect();
    let (front, back) = match chars.len() {
        11.. => (3, 4),
        7.. => (2, 2),
        _ => (0, 0),
    };
    format!("{plus}{}", keep_ends(&chars, front, back))
}

/// Keeps `front` leading and `back` trailing characters and masks the rest.
fn keep_ends(chars: &[char], front: usize, back: usize) -> String {
    let tail_start = chars.len().saturating_sub(back);
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if i < front || i >= tail_start {
                c
            } else {
                MASK
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names() {
        assert_eq!(mask_name("张三明"), "张*明");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧**娜");
        assert_eq!(mask_name("张"), "*");
        assert_eq!(mask_name(" 李四 "), "李*");
        assert_eq!(mask_name("阿依古丽·买买提"), "阿******提");
    }

    #[test]
    fn latin_names() {
        assert_eq!(mask_name("John Smith"), "J*** S****");
        assert_eq!(mask_name("Madonna"), "M******");
        assert_eq!(mask_name("Zoë  O'Brien"), "Z** O******");
        assert_eq!(mask_name("J"), "*");
        assert_eq!(mask_name("Jo"), "J*");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_name("   "), "");
    }

    #[test]
    fn documents() {
        assert_eq!(mask_document("35010219900517121X"), "350102**********1X");
        assert_eq!(mask_document("USA310080101234"), "US***********34");
        assert_eq!(mask_document("E12345678"), "E1*****78");
        assert_eq!(mask_document("12345678"), "12****78");
        assert_eq!(mask_document("G1234"), "G***4");
        assert_eq!(mask_document("ABC"), "***");
        assert_eq!(mask_document(""), "");
    }

    #[test]
    fn documents_never_show_more_than_half() {
        let source = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for n in 0..=source.len() {
            let masked = mask_document(&source[..n]);
            assert_eq!(masked.chars().count(), n);
            let shown = masked.chars().filter(|&c| c != MASK).count();
            assert!(shown * 2 <= n, "{n}: {masked}");
        }
    }

    #[test]
    fn phones() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+447946012345"), "+447*****2345");
        assert_eq!(mask_phone("85212345"), "85****45");
        assert_eq!(mask_phone("12345"), "*****");
        assert_eq!(mask_phone(""), "");
    }
}
