//! BCP 47 language tags, in the subset the platform uses: a language, optionally a script and a
//! region (`en`, `fr-CA`, `zh-Hant`, `zh-Hant-TW`).

use std::fmt;

/// A canonicalized language tag: `fr-ca` parses to `fr-CA`, `ZH-hant` to `zh-Hant`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LanguageTag(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseLanguageError {
    #[error("empty language tag")]
    Empty,
    #[error("not a language tag of the form ll, ll-RR or ll-Ssss-RR")]
    Malformed,
}

impl LanguageTag {
    pub fn parse(s: &str) -> Result<Self, ParseLanguageError> {
        if s.is_empty() {
            return Err(ParseLanguageError::Empty);
        }
        let mut parts = s.split(['-', '_']);
        let language = parts.next().ok_or(ParseLanguageError::Malformed)?;
        if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(ParseLanguageError::Malformed);
        }
        let mut out = language.to_ascii_lowercase();
        let mut seen_script = false;
        let mut seen_region = false;
        for part in parts {
            let alpha = part.bytes().all(|b| b.is_ascii_alphabetic());
            let digit = part.bytes().all(|b| b.is_ascii_digit());
            if part.len() == 4 && alpha && !seen_script && !seen_region {
                seen_script = true;
                out.push('-');
                out.push_str(&part[..1].to_ascii_uppercase());
                out.push_str(&part[1..].to_ascii_lowercase());
            } else if ((part.len() == 2 && alpha) || (part.len() == 3 && digit)) && !seen_region {
                seen_region = true;
                out.push('-');
                out.push_str(&part.to_ascii_uppercase());
            } else {
                return Err(ParseLanguageError::Malformed);
            }
        }
        Ok(Self(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag (`fr` for `fr-CA`).
    pub fn base(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for LanguageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for LanguageTag {
    type Err = ParseLanguageError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Parses an `Accept-Language` value into tags with their weight in thousandths, highest
/// first (stable for equal weights). Malformed entries and `*` are skipped; at most 16
/// entries are read.
pub(crate) fn parse_accept_language(value: &str) -> Vec<(LanguageTag, u16)> {
    let mut out: Vec<(LanguageTag, u16)> = value
        .split(',')
        .take(16)
        .filter_map(|item| {
            let mut pieces = item.split(';');
            let tag = LanguageTag::parse(pieces.next()?.trim()).ok()?;
            let mut q = 1000;
            for p in pieces {
                if let Some(v) = p.trim().strip_prefix("q=") {
                    q = parse_q(v)?;
                }
            }
            Some((tag, q))
        })
        .collect();
    out.sort_by_key(|e| std::cmp::Reverse(e.1));
    out
}

/// The tags of an `Accept-Language` value that the shopper accepts (`q` above 0), highest
/// weight first (stable for equal weights); `*` and malformed entries are skipped.
pub fn accept_language(value: &str) -> Vec<LanguageTag> {
    parse_accept_language(value).into_iter().filter(|(_, q)| *q > 0).map(|(tag, _)| tag).collect()
}

/// `q` values are 0 to 1 with up to three decimals; returned in thousandths.
fn parse_q(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int: u16 = match int {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let mut thousandths = 0u16;
    for (i, d) in frac.bytes().chain(std::iter::repeat(b'0')).take(3).enumerate() {
        thousandths += u16::from(d - b'0') * [100, 10, 1][i];
    }
    let q = int * 1000 + thousandths;
    (q <= 1000).then_some(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, ParseLanguageError>) {
        assert_eq!(LanguageTag::parse(input).map(|t| t.0), expected.map(str::to_string), "{input}");
    }

    #[test]
    fn canonical_forms() {
        check("fr", Ok("fr"));
        check("FR-ca", Ok("fr-CA"));
        check("zh_hant_tw", Ok("zh-Hant-TW"));
        check("es-419", Ok("es-419"));
        check("", Err(ParseLanguageError::Empty));
        check("f", Err(ParseLanguageError::Malformed));
        check("fr-CA-CA", Err(ParseLanguageError::Malformed));
        check("fr-Latn-Latn", Err(ParseLanguageError::Malformed));
        check("en-US-x-private", Err(ParseLanguageError::Malformed));
        check("../etc", Err(ParseLanguageError::Malformed));
    }

    #[test]
    fn accept_language_orders_by_weight() {
        let parsed = parse_accept_language("de;q=0.5, fr-CH, en;q=0.9, *;q=0.1, bad tag, ja;q=1.5");
        let tags: Vec<_> = parsed.iter().map(|(t, q)| (t.as_str(), *q)).collect();
        assert_eq!(tags, vec![("fr-CH", 1000), ("en", 900), ("de", 500)]);
    }
}
