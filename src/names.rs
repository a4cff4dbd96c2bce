//! Display names: the one rule for a guest's chosen name and the `name` claim of a host-minted
//! token. A name is trimmed, 1–32 characters, and must show something: characters that draw
//! nothing or rewrite what is drawn around them are refused, because they let a name vanish
//! (U+200B alone, U+3164, U+2800) or pass for another (direction marks, stacked accents).
//!
//! What this cannot catch: an exact duplicate or a look-alike from another script ("Аlice" with a
//! Cyrillic А). Those are honest characters; the page tells members apart by their ids.
//!
//! The general category comes from `unicode-general-category` (Unicode 16; +4 KB gzip in the
//! worker). Default-ignorable code points that are not format characters (Hangul fillers, the
//! Khmer inherent vowels, ...) have no category of their own, so they are the small table below.

use unicode_general_category::{get_general_category, GeneralCategory as Gc};

pub const MAX_NAME_CHARS: usize = 32;
/// Combining marks allowed on one character: enough for Vietnamese (two) or a Devanagari
/// cluster, not for a tower of accents that paints over the names around it.
pub const MAX_MARK_RUN: usize = 4;
/// Joiners (ZWJ, ZWNJ) are only kept between characters from U+0590 on: emoji sequences and the
/// scripts that need them (Arabic, Persian, the Indic scripts). Latin, Greek and Cyrillic never
/// do, and there a joiner only makes an invisible copy of another name.
const JOINER_SCRIPTS_FROM: char = '\u{0590}';

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum NameError {
    Empty,
    TooLong,
    ControlCharacter,
    InvisibleCharacter,
    TooManyMarks,
    NothingVisible,
}

impl NameError {
    pub fn detail(self) -> &'static str {
        match self {
            NameError::Empty => "the name is empty",
            NameError::TooLong => "the name is longer than 32 characters",
            NameError::ControlCharacter => "the name contains control characters or line breaks",
            NameError::InvisibleCharacter => "the name contains invisible or formatting characters",
            NameError::TooManyMarks => "the name stacks more than 4 accents on one character",
            NameError::NothingVisible => "the name has no visible character",
        }
    }
}

/// What one character does to a name.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Kind {
    /// Draws something of its own.
    Visible,
    /// A combining mark: drawn on the character before it.
    Mark,
    /// A space of any width: allowed inside a name, but not visible on its own.
    Space,
    /// ZWJ or ZWNJ: allowed only inside an emoji sequence or a script that needs it.
    Joiner,
    /// Picks a glyph variant (U+FE0F for emoji): only right after what it modifies.
    VariationSelector,
    /// Tag characters spell the subdivision flags (🏴 + tags): only after U+1F3F4.
    Tag,
    /// Controls, bidi overrides/isolates and line/paragraph separators.
    Control,
    /// Draws nothing: format characters, fillers, blanks, noncharacters.
    Invisible,
}

/// Default-ignorable or blank code points whose category does not say so (Lo, Mn, So, Cn).
const INVISIBLE: &[(char, char)] = &[
    ('\u{034F}', '\u{034F}'),   // combining grapheme joiner
    ('\u{115F}', '\u{1160}'),   // Hangul choseong/jungseong fillers
    ('\u{17B4}', '\u{17B5}'),   // Khmer inherent vowels
    ('\u{180B}', '\u{180F}'),   // Mongolian free variation selectors, vowel separator
    ('\u{2060}', '\u{206F}'),   // word joiner, invisible operators, deprecated format chars
    ('\u{2800}', '\u{2800}'),   // braille pattern blank
    ('\u{3164}', '\u{3164}'),   // Hangul filler
    ('\u{FFA0}', '\u{FFA0}'),   // halfwidth Hangul filler
    ('\u{FFF0}', '\u{FFF8}'),   // reserved default-ignorable
    ('\u{1BCA0}', '\u{1BCA3}'), // shorthand format controls
    ('\u{1D173}', '\u{1D17A}'), // musical format controls
    ('\u{E0000}', '\u{E001F}'), // reserved default-ignorable before the tags
    ('\u{E0080}', '\u{E00FF}'), // reserved default-ignorable after the tags
    ('\u{E01F0}', '\u{E0FFF}'), // reserved default-ignorable after the variation selectors
];

fn kind(c: char) -> Kind {
    match c {
        '\u{200C}' | '\u{200D}' => return Kind::Joiner,
        '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' => return Kind::VariationSelector,
        '\u{E0020}'..='\u{E007F}' => return Kind::Tag,
        // Bidi embeddings, overrides and isolates rewrite what is shown after the name.
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => return Kind::Control,
        _ => {}
    }
    if INVISIBLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&c)) || is_noncharacter(c) {
        return Kind::Invisible;
    }
    match get_general_category(c) {
        Gc::Control | Gc::LineSeparator | Gc::ParagraphSeparator => Kind::Control,
        Gc::Format | Gc::Surrogate => Kind::Invisible,
        Gc::NonspacingMark | Gc::SpacingMark | Gc::EnclosingMark => Kind::Mark,
        Gc::SpaceSeparator => Kind::Space,
        _ if c.is_whitespace() => Kind::Space,
        _ => Kind::Visible,
    }
}

/// U+FDD0–U+FDEF and the last two code points of every plane: never characters.
fn is_noncharacter(c: char) -> bool {
    ('\u{FDD0}'..='\u{FDEF}').contains(&c) || (c as u32 & 0xFFFE) == 0xFFFE
}

/// Checks a display name and returns it trimmed. Names are always shown as text, so `<` and `&`
/// are fine.
pub fn validate_name(raw: &str) -> Result<String, NameError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let chars: Vec<char> = name.chars().collect();
    if chars.len() > MAX_NAME_CHARS {
        return Err(NameError::TooLong);
    }
    let mut visible = false;
    let mut marks = 0;
    // The last visible character and the kind of the character just before this one.
    let mut base: Option<char> = None;
    let mut prev: Option<(char, Kind)> = None;
    for (i, &c) in chars.iter().enumerate() {
        let k = kind(c);
        match k {
            Kind::Control => return Err(NameError::ControlCharacter),
            Kind::Invisible => return Err(NameError::InvisibleCharacter),
            Kind::Visible => {
                visible = true;
                marks = 0;
                base = Some(c);
            }
            Kind::Space => {
                marks = 0;
                base = None;
            }
            Kind::Mark | Kind::VariationSelector => {
                if k == Kind::VariationSelector && !matches!(prev, Some((_, Kind::Visible))) {
                    return Err(NameError::InvisibleCharacter);
                }
                marks += 1;
                if marks > MAX_MARK_RUN {
                    return Err(NameError::TooManyMarks);
                }
            }
            Kind::Joiner => {
                let after = matches!(prev, Some((_, Kind::Visible | Kind::Mark | Kind::VariationSelector)));
                let before = chars.get(i + 1).is_some_and(|&n| kind(n) == Kind::Visible && n >= JOINER_SCRIPTS_FROM);
                if !(after && before && base.is_some_and(|b| b >= JOINER_SCRIPTS_FROM)) {
                    return Err(NameError::InvisibleCharacter);
                }
                marks = 0;
            }
            Kind::Tag => {
                let in_flag = matches!(prev, Some(('\u{1F3F4}', _)) | Some((_, Kind::Tag)));
                if !in_flag {
                    return Err(NameError::InvisibleCharacter);
                }
            }
        }
        prev = Some((c, k));
    }
    if !visible {
        return Err(NameError::NothingVisible);
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn refused(name: &str) -> NameError {
        validate_name(name).expect_err(name)
    }

    #[test]
    fn ordinary_names_are_kept_trimmed() {
        for name in ["Alice", "Bo Li", "<b>Bo</b>", "Zoë", "Nguyễn Thị Ánh", "李小龍", "محمد", "Дмитрий", "Ελένη"]
        {
            assert_eq!(validate_name(&format!("  {name} ")).as_deref(), Ok(name), "{name}");
        }
        assert_eq!(validate_name(&"é".repeat(32)).map(|n| n.chars().count()), Ok(32));
    }

    #[test]
    fn empty_and_long_names_are_refused() {
        assert_eq!(refused("   "), NameError::Empty);
        assert_eq!(refused(&"x".repeat(33)), NameError::TooLong);
    }

    #[test]
    fn controls_bidi_overrides_and_separators_are_refused() {
        for c in ['\u{0007}', '\u{0085}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{2028}', '\u{2029}'] {
            assert_eq!(refused(&format!("a{c}b")), NameError::ControlCharacter, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn each_invisible_or_format_character_is_refused() {
        let listed = [
            '\u{00AD}',
            '\u{034F}',
            '\u{061C}',
            '\u{115F}',
            '\u{1160}',
            '\u{17B4}',
            '\u{180E}',
            '\u{200B}',
            '\u{200E}',
            '\u{200F}',
            '\u{2060}',
            '\u{2061}',
            '\u{2064}',
            '\u{206F}',
            '\u{2800}',
            '\u{3164}',
            '\u{FEFF}',
            '\u{FFA0}',
            '\u{FFF9}',
            '\u{FFFE}',
            '\u{FDD0}',
            '\u{1D173}',
            '\u{E0001}',
            '\u{E0000}',
            '\u{E0FFF}',
        ];
        for c in listed {
            let hex = c as u32;
            assert_eq!(refused(&format!("a{c}b")), NameError::InvisibleCharacter, "inside: U+{hex:04X}");
            assert_eq!(refused(&format!("Alice{c}")), NameError::InvisibleCharacter, "after: U+{hex:04X}");
            assert!(validate_name(&c.to_string()).is_err(), "alone: U+{hex:04X}");
        }
        // The reported names.
        for name in ["\u{200B}", "\u{3164}", "\u{2800}", "\u{00AD}\u{2060}", "\u{200E}Alice", "Alice\u{061C}"] {
            assert!(validate_name(name).is_err(), "{name:?}");
        }
    }

    #[test]
    fn zwj_is_kept_inside_emoji_and_scripts_that_need_it() {
        for name in [
            "👩\u{200D}💻 Ada",
            "👨\u{200D}👩\u{200D}👧\u{200D}👦",
            "👩\u{200D}❤\u{FE0F}\u{200D}👨",
            "🏳\u{FE0F}\u{200D}🌈",
            "क्\u{200D}ष",
            "می\u{200C}خواهم",
        ] {
            assert_eq!(validate_name(name).as_deref(), Ok(name), "{name:?}");
        }
    }

    #[test]
    fn joiners_elsewhere_are_refused() {
        for name in
            ["Al\u{200D}ice", "Al\u{200C}ice", "\u{200D}👩", "👩\u{200D}", "👩\u{200D}\u{200D}💻", "👩\u{200D} 💻"]
        {
            assert_eq!(refused(name), NameError::InvisibleCharacter, "{name:?}");
        }
    }

    #[test]
    fn variation_selectors_only_follow_what_they_modify() {
        for name in ["❤\u{FE0F}", "1\u{FE0F}\u{20E3}", "葛\u{E0100}"] {
            assert_eq!(validate_name(name).as_deref(), Ok(name), "{name:?}");
        }
        for name in ["\u{FE0F}", "a \u{FE0F}", "❤\u{FE0F}\u{FE0F}"] {
            assert!(validate_name(name).is_err(), "{name:?}");
        }
    }

    #[test]
    fn subdivision_flags_keep_their_tags() {
        let england = "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}";
        assert_eq!(validate_name(england).as_deref(), Ok(england));
        assert_eq!(refused("a\u{E0067}"), NameError::InvisibleCharacter);
    }

    #[test]
    fn stacked_marks_are_refused_past_four() {
        assert!(validate_name("Ae\u{0301}\u{0302}\u{0303}\u{0304}").is_ok());
        assert_eq!(refused("Ae\u{0301}\u{0302}\u{0303}\u{0304}\u{0305}"), NameError::TooManyMarks);
        let zalgo: String = std::iter::once('Z').chain(std::iter::repeat_n('\u{0336}', 31)).collect();
        assert_eq!(refused(&zalgo), NameError::TooManyMarks);
        // Marks on different letters do not add up.
        assert!(validate_name(&"e\u{0301}\u{0302}\u{0303}".repeat(8)).is_ok());
    }

    #[test]
    fn names_without_a_visible_character_are_refused() {
        for name in ["\u{0301}", "\u{0301}\u{0302}", "\u{3000}\u{0301}"] {
            assert_eq!(refused(name), NameError::NothingVisible, "{name:?}");
        }
        // Spaces inside are fine; a name of only spaces is trimmed to nothing.
        assert!(validate_name("a\u{3000}b").is_ok());
        assert_eq!(refused("\u{3000}\u{00A0}"), NameError::Empty);
    }

    fn accepted_rules_hold(name: &str) -> Result<(), TestCaseError> {
        prop_assert_eq!(name, name.trim());
        let n = name.chars().count();
        prop_assert!((1..=MAX_NAME_CHARS).contains(&n));
        prop_assert!(name.chars().any(|c| kind(c) == Kind::Visible));
        prop_assert!(!name.chars().any(|c| matches!(kind(c), Kind::Control | Kind::Invisible)));
        Ok(())
    }

    proptest! {
        #[test]
        fn any_string_gets_an_answer_and_accepted_names_keep_the_rules(raw in any::<String>()) {
            if let Ok(name) = validate_name(&raw) {
                accepted_rules_hold(&name)?;
                // Checking an accepted name again changes nothing.
                prop_assert_eq!(validate_name(&name), Ok(name.clone()));
            }
        }

        #[test]
        fn one_invisible_character_anywhere_refuses_a_good_name(
            name in "[A-Za-z0-9 ]{0,10}[A-Za-z][A-Za-z0-9 ]{0,10}",
            at in any::<prop::sample::Index>(),
            c in prop::sample::select(vec![
                '\u{00AD}', '\u{061C}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{2060}', '\u{2800}', '\u{3164}', '\u{115F}', '\u{FEFF}', '\u{FFA0}', '\u{202E}', '\u{FE0F}',
            ]),
        ) {
            let chars: Vec<char> = name.chars().collect();
            let i = at.index(chars.len() + 1);
            let spoiled: String = chars[..i].iter().chain(std::iter::once(&c)).chain(&chars[i..]).collect();
            // A variation selector right after a letter is a valid (if pointless) glyph choice.
            prop_assume!(!(c == '\u{FE0F}' && i > 0 && chars[i - 1] != ' '));
            prop_assert!(validate_name(&spoiled).is_err(), "{:?} accepted", spoiled);
        }

        #[test]
        fn names_of_letters_and_digits_are_accepted(name in "[\\p{L}\\p{N}&&[^\\x{115F}\\x{1160}\\x{3164}\\x{FFA0}]]{1,32}") {
            prop_assert_eq!(validate_name(&name), Ok(name.clone()));
        }
    }
}
