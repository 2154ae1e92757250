//! A name as a travel document prints it: surname and given name apart.
//!
//! A certificate is matched against the holder's passport at a border, and a
//! Chinese passport prints the surname and the given name in separate fields
//! (刘建华: surname 刘 `LIU`, given name 建华 `JIANHUA`). A resident ID record
//! holds the name as one string, so the split is proposed from a table of
//! Chinese surnames, compound ones (欧阳, 司马…) first, and the person confirms
//! or corrects it; holders of passports and permits give both.

use crate::person::{FieldError, PersonName, is_cjk_ideograph};

/// Chinese compound surnames (复姓) still in use, as the 百家姓 and modern
/// registers list them. A name starting with one of these takes both
/// characters as its surname.
pub const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "钟离", "闾丘", "独孤", "南宫", "西门", "申屠", "太史", "端木", "澹台",
    "公冶", "宗政", "濮阳", "淳于", "单于", "太叔", "仲孙", "呼延", "万俟", "拓跋", "百里", "东郭",
    "公羊", "赫连", "第五", "梁丘", "左丘", "东门", "乐正", "司空", "司寇", "亓官", "巫马", "公西",
    "漆雕", "壤驷", "公良", "谷梁", "宰父", "段干", "颛孙", "羊舌", "微生", "鲜于", "闻人", "子车",
    "夹谷", "南门", "公户", "公玉", "公仪", "公伯", "公祖", "公乘", "司城", "姜戎",
];

/// A surname and a given name that together make up a registered name.
#[derive(Clone, PartialEq, Eq)]
pub struct NameParts {
    surname: String,
    given: String,
}

impl std::fmt::Debug for NameParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NameParts")
            .field("surname", &crate::mask::mask_name(&self.surname))
            .field("given", &crate::mask::mask_name(&self.given))
            .finish()
    }
}

impl NameParts {
    /// The split to propose for `name` when nobody has given one: a Chinese
    /// name's compound surname from [`COMPOUND_SURNAMES`] or else its first
    /// character, and the rest as the given name; a name in Latin letters'
    /// last word as the surname (the order most passports from abroad use).
    /// A name with the middle dot of transliterated minority names (买买提·艾力)
    /// is left whole as the surname, for the person to split: how those names
    /// divide differs from family to family. So is a name whose split would
    /// leave a part that is no name on its own (a lone hyphen or accent, as in
    /// `-张`): what is proposed can always be confirmed as it is ([`parse`]).
    ///
    /// [`parse`]: NameParts::parse
    pub fn propose(name: &PersonName) -> NameParts {
        let split = Self::split(name.as_str());
        Self::parse(name, &split.surname, &split.given).unwrap_or_else(|_| NameParts {
            surname: name.as_str().to_owned(),
            given: String::new(),
        })
    }

    /// The split [`propose`](NameParts::propose) starts from, not yet checked.
    fn split(name: &str) -> NameParts {
        let whole = || NameParts {
            surname: name.to_owned(),
            given: String::new(),
        };
        if name.contains('·') {
            return whole();
        }
        if name.chars().any(is_cjk_ideograph) {
            let compact: String = name.chars().filter(|c| !c.is_whitespace()).collect();
            let chars: Vec<char> = compact.chars().collect();
            if chars.len() < 2 {
                return whole();
            }
            let cut = match COMPOUND_SURNAMES.iter().find(|s| compact.starts_with(**s)) {
                Some(_) if chars.len() > 2 => 2,
                _ => 1,
            };
            return NameParts {
                surname: chars[..cut].iter().collect(),
                given: chars[cut..].iter().collect(),
            };
        }
        match name.rsplit_once(' ') {
            Some((given, surname)) => NameParts {
                surname: surname.to_owned(),
                given: given.to_owned(),
            },
            None => whole(),
        }
    }

    /// Checks a split someone gave: each part is written as names are (the
    /// given name may be empty, as some passports have none), and the two make
    /// up `name` in either order, spaces aside.
    pub fn parse(name: &PersonName, surname: &str, given: &str) -> Result<NameParts, FieldError> {
        let surname = PersonName::parse(surname).map_err(|_| FieldError::NameParts)?;
        let given = match given.trim() {
            "" => String::new(),
            text => PersonName::parse(text)
                .map_err(|_| FieldError::NameParts)?
                .as_str()
                .to_owned(),
        };
        let compact = |s: &str| -> String {
            s.chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_lowercase)
                .collect()
        };
        let whole = compact(name.as_str());
        let (s, g) = (compact(surname.as_str()), compact(&given));
        if format!("{s}{g}") != whole && format!("{g}{s}") != whole {
            return Err(FieldError::NameParts);
        }
        Ok(NameParts {
            surname: surname.as_str().to_owned(),
            given,
        })
    }

    /// Parts read back from the store, already checked when they were written.
    pub fn stored(surname: String, given: String) -> NameParts {
        NameParts { surname, given }
    }

    pub fn surname(&self) -> &str {
        &self.surname
    }

    /// The given name; empty when the document has none.
    pub fn given(&self) -> &str {
        &self.given
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> PersonName {
        PersonName::parse(text).expect("a valid name")
    }

    fn proposed(text: &str) -> (String, String) {
        let parts = NameParts::propose(&name(text));
        (parts.surname().to_owned(), parts.given().to_owned())
    }

    #[test]
    fn chinese_names_split_after_the_surname_compound_ones_included() {
        for (full, surname, given) in [
            ("刘建华", "刘", "建华"),
            ("欧阳娜娜", "欧阳", "娜娜"),
            ("司马秋燕", "司马", "秋燕"),
            ("诸葛亮", "诸葛", "亮"),
            ("王五", "王", "五"),
            // A compound surname alone is a one-character surname and a given name.
            ("欧阳", "欧", "阳"),
        ] {
            assert_eq!(
                proposed(full),
                (surname.to_owned(), given.to_owned()),
                "{full}"
            );
        }
    }

    #[test]
    fn other_names_are_proposed_as_most_passports_print_them() {
        assert_eq!(
            proposed("Maria Guadalupe Hernandez"),
            ("Hernandez".to_owned(), "Maria Guadalupe".to_owned())
        );
        assert_eq!(proposed("Madonna"), ("Madonna".to_owned(), String::new()));
        assert_eq!(
            proposed("买买提·艾力"),
            ("买买提·艾力".to_owned(), String::new())
        );
    }

    #[test]
    fn a_given_split_must_make_up_the_name() {
        let full = name("欧阳娜娜");
        let parts = NameParts::parse(&full, "欧阳", "娜娜").expect("the passport's split");
        assert_eq!((parts.surname(), parts.given()), ("欧阳", "娜娜"));
        assert!(
            NameParts::parse(&full, "欧", "阳娜娜").is_ok(),
            "another split of the same name"
        );
        assert_eq!(
            NameParts::parse(&full, "欧阳", "娜"),
            Err(FieldError::NameParts),
            "a character missing"
        );
        assert_eq!(
            NameParts::parse(&full, "", "欧阳娜娜"),
            Err(FieldError::NameParts)
        );
        let latin = name("Maria Guadalupe Hernandez Rodriguez");
        assert!(NameParts::parse(&latin, "Hernandez Rodriguez", "Maria Guadalupe").is_ok());
        assert!(NameParts::parse(&latin, "HERNANDEZ RODRIGUEZ", "maria guadalupe").is_ok());
        assert!(NameParts::parse(&latin, "Hernandez", "Maria").is_err());
        assert!(NameParts::parse(&name("Madonna"), "Madonna", "").is_ok());
    }

    #[test]
    fn a_proposed_split_can_always_be_confirmed() {
        // Found by fuzzing (`fuzz/`, target `identity`): "-𠝀" was proposed as the
        // surname "-" and the given name "𠝀", and a lone hyphen is no name, so
        // confirming the proposal as it was failed.
        for text in [
            "-𠝀",
            "-张三",
            "'张三",
            "John -",
            "Anne-Marie O'Neil",
            "刘建华",
        ] {
            let full = name(text);
            let parts = NameParts::propose(&full);
            assert_eq!(
                NameParts::parse(&full, parts.surname(), parts.given()),
                Ok(parts.clone()),
                "{text}"
            );
        }
        assert_eq!(proposed("-𠝀"), ("-𠝀".to_owned(), String::new()));
        assert_eq!(proposed("John -"), ("John -".to_owned(), String::new()));
    }

    #[test]
    fn debug_never_shows_the_name() {
        let parts = NameParts::propose(&name("刘建华"));
        let shown = format!("{parts:?}");
        assert!(!shown.contains("建华"), "{shown}");
    }
}
