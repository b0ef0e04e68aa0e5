//! What text the API accepts anywhere: valid Unicode without control characters (but the tab and
//! line breaks of a body's free text) or noncharacters, and no longer than the place allows.
//! PostgreSQL refuses NUL in text (SQLSTATE 22021, 22P05 in JSON), so it must never get there;
//! the other control characters would reach logs, e-mails and labels printed by partners.

/// Where a string comes from: each place has its length limit and its line-break rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// A path segment: a slug, an id, a code.
    Path,
    /// A query parameter's name or value.
    Query,
    /// An object key of a JSON body.
    Key,
    /// A string value of a JSON body: may be free text with line breaks.
    Body,
}

impl TextKind {
    /// Longest accepted, in characters: above every field's own limit (a product's description,
    /// 10,000), so that fields keep their own, more precise, errors.
    pub fn max_chars(self) -> usize {
        match self {
            Self::Path => 512,
            Self::Query => 2_000,
            Self::Key => 200,
            Self::Body => 20_000,
        }
    }
}

/// What is wrong with a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    InvalidUtf8,
    Control(char),
    Noncharacter(char),
    TooLong { max: usize },
}

impl Problem {
    /// The stable error code.
    pub fn code(self) -> &'static str {
        match self {
            Self::TooLong { .. } => "text_too_long",
            _ => "invalid_text",
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidUtf8 => f.write_str("is not valid UTF-8"),
            Self::Control(c) => write!(f, "control character U+{:04X} is not accepted", u32::from(*c)),
            Self::Noncharacter(c) => write!(f, "U+{:04X} is not a character", u32::from(*c)),
            Self::TooLong { max } => write!(f, "is longer than {max} characters"),
        }
    }
}

/// Checks one string of `kind`.
pub fn check(s: &str, kind: TextKind) -> Result<(), Problem> {
    let mut count = 0;
    for c in s.chars() {
        count += 1;
        if c.is_control() && !(kind == TextKind::Body && matches!(c, '\t' | '\n' | '\r')) {
            return Err(Problem::Control(c));
        }
        if is_noncharacter(c) {
            return Err(Problem::Noncharacter(c));
        }
    }
    if count > kind.max_chars() {
        return Err(Problem::TooLong { max: kind.max_chars() });
    }
    Ok(())
}

/// Unicode's noncharacters: U+FDD0..U+FDEF and the last two code points of every plane.
fn is_noncharacter(c: char) -> bool {
    let cp = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&cp) || cp & 0xFFFE == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_table(kind: TextKind, cases: &[(&str, Result<(), Problem>)]) {
        for (text, expected) in cases {
            assert_eq!(check(text, kind), *expected, "{text:?} as {kind:?}");
        }
    }

    #[test]
    fn body_text_keeps_line_breaks_and_refuses_other_controls() {
        check_table(
            TextKind::Body,
            &[
                ("Rue de la Paix", Ok(())),
                ("ligne 1\nligne 2\r\n\tfin", Ok(())),
                ("東京都千代田区 🎁", Ok(())),
                ("a\u{0}b", Err(Problem::Control('\u{0}'))),
                ("\u{1b}[31m", Err(Problem::Control('\u{1b}'))),
                ("del\u{7f}", Err(Problem::Control('\u{7f}'))),
                ("c1\u{85}", Err(Problem::Control('\u{85}'))),
                ("\u{FFFF}", Err(Problem::Noncharacter('\u{FFFF}'))),
                ("\u{FDD0}", Err(Problem::Noncharacter('\u{FDD0}'))),
                ("\u{10FFFE}", Err(Problem::Noncharacter('\u{10FFFE}'))),
            ],
        );
    }

    #[test]
    fn paths_and_queries_take_no_control_at_all() {
        for kind in [TextKind::Path, TextKind::Query, TextKind::Key] {
            check_table(
                kind,
                &[("chaise-bois", Ok(())), ("a\nb", Err(Problem::Control('\n'))), ("\t", Err(Problem::Control('\t')))],
            );
        }
    }

    #[test]
    fn each_place_has_its_length_limit() {
        for kind in [TextKind::Path, TextKind::Query, TextKind::Key, TextKind::Body] {
            let max = kind.max_chars();
            assert_eq!(check(&"é".repeat(max), kind), Ok(()), "{kind:?}");
            assert_eq!(check(&"é".repeat(max + 1), kind), Err(Problem::TooLong { max }), "{kind:?}");
        }
    }
}
