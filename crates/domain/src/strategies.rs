//! Strategies for property tests: values the domain accepts, drawn at random.
//!
//! Enabled in other crates' tests by the `proptest` feature, so that what
//! registration accepts is checked against what the rest of the system can
//! handle (a masked name against code signing) with the very same inputs.

use proptest::char::range;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use crate::person::PersonName;

/// Longest raw name drawn, in characters: what [`PersonName::parse`] accepts.
const MAX_CHARS: usize = 64;

/// Names [`PersonName::parse`] accepts, of every kind registration sees, up to
/// its 64 characters: Chinese names (CJK extensions too), Latin names with
/// accents precomposed or combining, letters under stacks of combining marks,
/// the spaces, hyphens, apostrophes, periods and middle dots of transliterated
/// names, and mixtures of them all.
pub fn accepted_name() -> impl Strategy<Value = PersonName> {
    let cjk = || {
        prop_oneof![
            8 => range('\u{4E00}', '\u{9FFF}'),
            2 => range('\u{3400}', '\u{4DBF}'),
            2 => range('\u{20000}', '\u{2A6DF}'),
            1 => range('\u{F900}', '\u{FAFF}'),
            1 => Just('〇'),
        ]
        .prop_map(String::from)
    };
    let latin_letter = || {
        prop_oneof![
            4 => range('a', 'z'),
            2 => range('A', 'Z'),
            2 => range('\u{C0}', '\u{24F}'),
            1 => range('\u{1E00}', '\u{1EFF}'),
        ]
    };
    let mark = || range('\u{300}', '\u{36F}');
    let latin = || {
        prop_oneof![
            8 => latin_letter().prop_map(String::from),
            1 => mark().prop_map(String::from),
            1 => (latin_letter(), vec(mark(), 1..=30))
                .prop_map(|(letter, marks)| std::iter::once(letter).chain(marks).collect()),
        ]
    };
    let punctuation = || {
        select(vec![' ', '-', '\'', '\u{2019}', '.', '·', '•', '・', '　']).prop_map(String::from)
    };
    let names = |atom: BoxedStrategy<String>| {
        vec(atom, 1..=MAX_CHARS)
            .prop_map(|atoms| atoms.concat().chars().take(MAX_CHARS).collect::<String>())
    };
    prop_oneof![
        names(prop_oneof![6 => cjk(), 1 => punctuation()].boxed()),
        names(prop_oneof![6 => latin(), 2 => punctuation()].boxed()),
        names(prop_oneof![3 => cjk(), 3 => latin(), 2 => punctuation()].boxed()),
    ]
    .prop_filter_map("a name registration refuses", |raw| {
        PersonName::parse(&raw).ok()
    })
}
