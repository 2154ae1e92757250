//! Masked forms of personal fields for display to checkers, staff and logs.
//!
//! A checker at an entrance needs to see that a code belongs to the person in
//! front of them, not who that person is: each function shows just enough to
//! recognise one's own data or match a face, and works on characters (on
//! whole graphemes for names), not bytes.

use unicode_segmentation::UnicodeSegmentation;

use crate::person::is_cjk_ideograph;

const MASK: char = '*';

/// Longest masked name, in UTF-8 bytes: ten CJK characters and change. A
/// personal code carries the masked name and must stay within QR version 11 at
/// level M, so code signing refuses anything longer; [`mask_name`] never
/// produces anything longer, whatever name registration accepted.
pub const MAX_MASKED_NAME_LEN: usize = 32;

/// Longest grapheme a masked name shows as it is, in bytes: a letter with a few
/// combining marks. A longer one (a letter under a stack of marks) is masked
/// like the rest, so one character can neither crowd out the others nor push
/// the name past [`MAX_MASKED_NAME_LEN`].
const MAX_SHOWN_GRAPHEME_LEN: usize = 8;

/// Longest run of `*` in a name shortened to fit: this many, then one fewer,
/// down to one.
const SHORTENED_RUN: usize = 3;

/// Ends a masked name that had to be cut.
const ELLIPSIS: &str = "…";

/// One grapheme of a masked name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    /// A grapheme of the name, shown as it is.
    Shown(&'a str),
    /// A grapheme masked as `*`.
    Masked,
    /// The space between two words.
    Space,
}

/// Masks a name: Chinese names keep their first and last character
/// ("张三明" → "张*明", "欧阳娜娜" → "欧**娜", "张三" → "张*"); other names keep the
/// first letter of each word ("John Smith" → "J*** S****"). A one-character name
/// is masked completely.
///
/// Works on extended grapheme clusters, so a letter is kept or masked with its
/// accents, never cut from them. The result is at most [`MAX_MASKED_NAME_LEN`]
/// bytes, for every name: a shown grapheme longer than a letter with a few
/// marks is masked too, and a name whose masked form is still too long has its
/// runs of `*` shortened to three, two, then one ("Maria Guadalupe Hernandez
/// Rodriguez" → "M*** G*** H*** R***") and, if that is not enough, is cut
/// between two graphemes and ends with "…". Shortening only ever hides more.
pub fn mask_name(name: &str) -> String {
    let mut pieces = natural_mask(name);
    for piece in &mut pieces {
        if matches!(piece, Piece::Shown(g) if g.len() > MAX_SHOWN_GRAPHEME_LEN) {
            *piece = Piece::Masked;
        }
    }
    let fits =
        |&run: &usize| rendered(&pieces, run).map(str::len).sum::<usize>() <= MAX_MASKED_NAME_LEN;
    let mut runs = std::iter::once(usize::MAX).chain((1..=SHORTENED_RUN).rev());
    if let Some(run) = runs.find(fits) {
        return rendered(&pieces, run).collect();
    }
    let budget = MAX_MASKED_NAME_LEN - ELLIPSIS.len();
    let mut masked = String::with_capacity(MAX_MASKED_NAME_LEN);
    for text in rendered(&pieces, 1) {
        if masked.len() + text.len() > budget {
            break;
        }
        masked.push_str(text);
    }
    while masked.ends_with(' ') {
        masked.pop();
    }
    masked.push_str(ELLIPSIS);
    masked
}

/// The masked form of a name before it is bounded, grapheme by grapheme.
fn natural_mask(name: &str) -> Vec<Piece<'_>> {
    let graphemes: Vec<&str> = name.trim().graphemes(true).collect();
    if graphemes.len() <= 1 {
        return vec![Piece::Masked; graphemes.len()];
    }
    if graphemes.iter().any(|g| g.chars().any(is_cjk_ideograph)) {
        let last = if graphemes.len() > 2 {
            graphemes.len() - 1
        } else {
            0
        };
        return graphemes
            .iter()
            .enumerate()
            .map(|(i, &g)| {
                if i == 0 || i == last {
                    Piece::Shown(g)
                } else {
                    Piece::Masked
                }
            })
            .collect();
    }
    let mut pieces = Vec::with_capacity(graphemes.len());
    let words = graphemes
        .split(|g| g.chars().all(char::is_whitespace))
        .filter(|word| !word.is_empty());
    for word in words {
        if !pieces.is_empty() {
            pieces.push(Piece::Space);
        }
        pieces.extend(word.iter().enumerate().map(|(i, &g)| {
            if i == 0 {
                Piece::Shown(g)
            } else {
                Piece::Masked
            }
        }));
    }
    pieces
}

/// The text of `pieces`, with each run of `*` shortened to at most `run`.
fn rendered<'a>(pieces: &'a [Piece<'a>], run: usize) -> impl Iterator<Item = &'a str> + 'a {
    let mut masked_in_a_row = 0;
    pieces.iter().filter_map(move |piece| match *piece {
        Piece::Masked => {
            masked_in_a_row += 1;
            (masked_in_a_row <= run).then_some("*")
        }
        Piece::Shown(g) => {
            masked_in_a_row = 0;
            Some(g)
        }
        Piece::Space => {
            masked_in_a_row = 0;
            Some(" ")
        }
    })
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
    fn accents_stay_with_their_letter() {
        // "Émile Zoë" with combining accents: one grapheme each, never split.
        assert_eq!(mask_name("E\u{301}mile Zoe\u{308}"), "E\u{301}**** Z**");
        assert_eq!(mask_name("e\u{301}"), "*");
        // A letter under a stack of marks is masked like the rest.
        let stacked = format!("Z{} Smith", "\u{301}\u{302}\u{303}\u{304}\u{306}".repeat(4));
        assert_eq!(mask_name(&stacked), "* S****");
    }

    #[test]
    fn long_names_are_shortened_to_fit_a_code() {
        // 34 bytes as they are: each run of `*` goes down to three.
        assert_eq!(
            mask_name("Maria Guadalupe Hernandez Rodriguez"),
            "M*** G*** H*** R***"
        );
        // Three is not enough, two is.
        assert_eq!(
            mask_name("Anna Bella Carla Dora Ella Fiona Gina"),
            "A** B** C** D** E** F** G**"
        );
        // 64 characters of a Chinese name.
        let long = format!("欧{}娜", "阳".repeat(62));
        assert_eq!(mask_name(&long), "欧***娜");
        // Too many words even with one `*` each: cut between words, with "…".
        let many = "Ab Cd Ef Gh Ij Kl Mn Op Qr St Uv Wx Yz Ab Cd Ef";
        assert_eq!(mask_name(many), "A* C* E* G* I* K* M* O* Q* S*…");
        let initials = "A B C D E F G H I J K L M N O P Q R S T U V W X Y Z";
        assert_eq!(mask_name(initials), "A B C D E F G H I J K L M N O…");
        // Names that fit keep their natural form exactly.
        assert_eq!(
            mask_name("Maria Hernandez Rodriguez"),
            "M**** H******** R********"
        );
        for name in [
            many,
            initials,
            long.as_str(),
            "Maria Guadalupe Hernandez Rodriguez",
        ] {
            assert!(mask_name(name).len() <= MAX_MASKED_NAME_LEN, "{name}");
        }
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

    /// The graphemes the unbounded mask of an accepted name shows, in order:
    /// the first and last of a Chinese name, the first of each word otherwise.
    fn naturally_shown(name: &str) -> Vec<&str> {
        let graphemes: Vec<&str> = name.graphemes(true).collect();
        match graphemes.as_slice() {
            [] | [_] => Vec::new(),
            [first, .., last] if graphemes.iter().any(|g| g.chars().any(is_cjk_ideograph)) => {
                if graphemes.len() > 2 {
                    vec![*first, *last]
                } else {
                    vec![*first]
                }
            }
            _ => name
                .split(' ')
                .filter_map(|word| word.graphemes(true).next())
                .collect(),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Whatever name registration accepts, its mask fits a code, is made
        /// of whole graphemes of the name (or `*`, spaces and "…"), and shows
        /// no more than the unbounded mask would.
        #[test]
        fn every_accepted_name_masks_within_the_bound(
            name in crate::strategies::accepted_name()
        ) {
            let name = name.as_str();
            let masked = mask_name(name);
            proptest::prop_assert!(masked.len() <= MAX_MASKED_NAME_LEN, "{masked:?}");
            proptest::prop_assert!(!masked.is_empty());
            let graphemes: Vec<&str> = name.graphemes(true).collect();
            let mut shown = Vec::new();
            for g in masked.graphemes(true) {
                match g {
                    "*" | " " | ELLIPSIS => {}
                    g => {
                        proptest::prop_assert!(graphemes.contains(&g), "{g:?} in {masked:?}");
                        shown.push(g);
                    }
                }
            }
            // What is shown is what the unbounded mask shows, or less of it.
            let natural = naturally_shown(name);
            let mut rest = natural.iter();
            proptest::prop_assert!(
                shown.iter().all(|g| rest.any(|n| n == g)),
                "{masked:?} shows more than {natural:?}"
            );
        }
    }
}
