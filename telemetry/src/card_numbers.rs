//! Card numbers (primary account numbers) found in text of any shape: what the core's input
//! guard refuses, what the edge keeps out of its logs, and what the test suite's audit looks
//! for in every log file and database dump.
//!
//! The text is read as a person would read a card number off it, after decoding (JSON escapes,
//! percent-encoding and form encoding are the caller's to undo):
//! - digits are any Unicode decimal digits (full-width `４２４２`, Arabic-Indic, Devanagari…) and
//!   the digit-valued forms NFKC folds to digits (superscripts, circled `①`);
//! - digit groups may be separated by up to [`MAX_SEPARATORS`] separators of any common kind:
//!   white space (tabs, no-break spaces), dashes, dots, slashes, underscores, commas, bullets,
//!   invisible format characters (zero-width spaces, soft hyphens);
//! - letters around the digits do not hide them (`card4242424242424242x`).
//!
//! A card number is 13 to 19 digits (ISO/IEC 7812) passing the Luhn check, made of whole digit
//! groups of one run: `4242 4242 4242 4242 1234` holds one. What is not a card number: a group
//! of more than 19 digits (an identifier), the digit groups of a UUID, and a hexadecimal token
//! of 32 characters or more (a digest), so that identifiers are never taken for cards.

/// Separators accepted between two digit groups of one number.
pub const MAX_SEPARATORS: usize = 4;

/// The shortest and longest card numbers (ISO/IEC 7812).
pub const PAN_DIGITS: std::ops::RangeInclusive<usize> = 13..=19;

/// The shortest hexadecimal token taken for a digest and left alone.
const DIGEST_MIN_LEN: usize = 32;

/// Whether `text` holds a card number in any of the shapes above.
pub fn carries(text: &str) -> bool {
    scan(text, &mut |_| true)
}

/// Every card number in `text`, as its ASCII digits, in order (duplicates kept).
pub fn find_all(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    scan(text, &mut |digits| {
        found.push(digits.iter().map(|d| char::from(b'0' + d)).collect());
        false
    });
    found
}

/// The Luhn (mod 10) check over decimal digit values.
pub fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// What one character is to the scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Digit(u8),
    Separator,
    Other,
}

/// Walks the digit runs of `text` and calls `found` with each card number's digits; stops early
/// when `found` returns true, and returns whether it did.
fn scan(text: &str, found: &mut dyn FnMut(&[u8]) -> bool) -> bool {
    // Fast exit: most text holds fewer than 13 digits of any kind.
    if text.chars().filter(|c| digit_value(*c).is_some()).count() < *PAN_DIGITS.start() {
        return false;
    }
    let classes = classify(text);
    // Digit groups of the current run; a run ends at anything but a digit or a separator, or
    // after more than MAX_SEPARATORS separators in a row.
    let mut groups: Vec<Vec<u8>> = Vec::new();
    let mut separators = 0;
    for class in classes.iter().copied().chain(std::iter::once(Class::Other)) {
        match class {
            Class::Digit(d) => {
                if separators > 0 || groups.is_empty() {
                    groups.push(Vec::new());
                }
                separators = 0;
                groups.last_mut().expect("a group was pushed").push(d);
            }
            Class::Separator if !groups.is_empty() && separators < MAX_SEPARATORS => separators += 1,
            _ => {
                if check_run(&groups, found) {
                    return true;
                }
                groups.clear();
                separators = 0;
            }
        }
    }
    false
}

/// Checks every window of whole groups of one run; a group longer than a card number splits
/// the run (it is an identifier, and nothing spans it).
fn check_run(groups: &[Vec<u8>], found: &mut dyn FnMut(&[u8]) -> bool) -> bool {
    for part in groups.split(|g| g.len() > *PAN_DIGITS.end()) {
        let mut digits: Vec<u8> = Vec::with_capacity(*PAN_DIGITS.end());
        for start in 0..part.len() {
            digits.clear();
            for group in &part[start..] {
                digits.extend_from_slice(group);
                if digits.len() > *PAN_DIGITS.end() {
                    break;
                }
                if PAN_DIGITS.contains(&digits.len()) && luhn_valid(&digits) && found(&digits) {
                    return true;
                }
            }
        }
    }
    false
}

/// Each character's class, with the characters of UUIDs and digests made `Other`.
fn classify(text: &str) -> Vec<Class> {
    let chars: Vec<char> = text.chars().collect();
    let mut classes: Vec<Class> = chars
        .iter()
        .map(|&c| match digit_value(c) {
            Some(d) => Class::Digit(d),
            None if is_separator(c) => Class::Separator,
            None => Class::Other,
        })
        .collect();
    // Maximal runs of ASCII hex digits and dashes: a UUID, or a digest.
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_hexdigit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_hexdigit() || chars[i] == '-') {
            i += 1;
        }
        let glued = |at: Option<&char>| at.is_some_and(|c| c.is_alphanumeric());
        if glued(start.checked_sub(1).and_then(|s| chars.get(s))) || glued(chars.get(i)) {
            continue;
        }
        let token = &chars[start..i];
        if uuid_groups(token) {
            classes[start..i].fill(Class::Other);
            continue;
        }
        let mut at = start;
        for part in token.split(|c| *c == '-') {
            if part.len() >= DIGEST_MIN_LEN && part.iter().any(char::is_ascii_alphabetic) {
                classes[at..at + part.len()].fill(Class::Other);
            }
            at += part.len() + 1;
        }
    }
    classes
}

/// Whether `token` holds UUIDs only: groups of 8-4-4-4-12 hex digits (several UUIDs joined by
/// dashes too, as in a list of ids).
fn uuid_groups(token: &[char]) -> bool {
    let parts: Vec<usize> = token.split(|c| *c == '-').map(<[char]>::len).collect();
    !parts.is_empty() && parts.len().is_multiple_of(5) && parts.chunks(5).all(|p| p == [8, 4, 4, 4, 12])
}

/// The value of a decimal digit of any script, or of a digit-valued form NFKC folds to one.
pub fn digit_value(c: char) -> Option<u8> {
    if c.is_ascii_digit() {
        return Some(c as u8 - b'0');
    }
    if c.is_ascii() {
        return None;
    }
    let cp = u32::from(c);
    // Unicode decimal digits (Nd) come in blocks of ten from a zero.
    let zero = DECIMAL_ZEROS.partition_point(|&z| z <= cp);
    if zero > 0 && cp - DECIMAL_ZEROS[zero - 1] < 10 {
        return Some((cp - DECIMAL_ZEROS[zero - 1]) as u8);
    }
    OTHER_DIGITS
        .iter()
        .find(|(first, _, len)| (*first..*first + len).contains(&cp))
        .map(|(first, value, _)| (*value + (cp - first)) as u8)
}

/// Whether `c` may stand between two digit groups of a card number.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.' | '/' | '\\' | '_' | ',' | '|' | '+' | '*' | '~' | '\u{00AD}' // soft hyphen
                | '\u{00B7}' // middle dot
                | '\u{2010}'..='\u{2015}' // hyphens and dashes
                | '\u{2022}' | '\u{2219}' | '\u{2027}' // bullets, hyphenation point
                | '\u{2212}' | '\u{FE58}' | '\u{FE63}' // minus signs, small dashes
                | '\u{FF0C}' | '\u{FF0D}' | '\u{FF0E}' | '\u{FF0F}' | '\u{FF3F}' // full-width , - . / _
                | '\u{3001}' | '\u{3002}' | '\u{30FB}' // ideographic comma, full stop, katakana middle dot
                | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' // invisible
        )
}

/// The zero of every block of Unicode decimal digits (general category Nd), Unicode 14.
const DECIMAL_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50, 0xED0,
    0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
    0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0,
    0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60,
    0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// Other digit-valued characters (superscripts, subscripts, circled and parenthesized digits):
/// (first code point, its value, how many follow with consecutive values), Unicode 14.
const OTHER_DIGITS: [(u32, u32, u32); 21] = [
    (0xB2, 2, 2),
    (0xB9, 1, 1),
    (0x1369, 1, 9),
    (0x19DA, 1, 1),
    (0x2070, 0, 1),
    (0x2074, 4, 6),
    (0x2080, 0, 10),
    (0x2460, 1, 9),
    (0x2474, 1, 9),
    (0x2488, 1, 9),
    (0x24EA, 0, 1),
    (0x24F5, 1, 9),
    (0x24FF, 0, 1),
    (0x2776, 1, 9),
    (0x2780, 1, 9),
    (0x278A, 1, 9),
    (0x10A40, 1, 4),
    (0x10E60, 1, 9),
    (0x11052, 1, 9),
    (0x1F100, 0, 1),
    (0x1F101, 0, 10),
];

#[cfg(test)]
mod tests;
