//! Card checks done at tokenization: the Luhn checksum, the brand, expiry and CVC rules, and the
//! test cards that choose a scenario. Pure functions; no card number leaves this module whole.

use serde::Serialize;

/// What happens when a token of this card is authorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// Authorized at once.
    Succeeds,
    /// Declined with `card_declined`.
    Declined,
    /// Declined with `insufficient_funds`.
    InsufficientFunds,
    /// `requires_action`: the shopper must pass a 3-D Secure challenge.
    ThreeDSecure,
    /// Authorized at once, but the HTTP answer comes only after the slow-card delay.
    ProcessingTimeout,
}

/// The test cards (all Luhn-valid). Any other valid number succeeds.
pub const TEST_CARDS: &[(&str, Scenario)] = &[
    ("4242424242424242", Scenario::Succeeds),
    ("4000000000000002", Scenario::Declined),
    ("4000000000009995", Scenario::InsufficientFunds),
    ("4000000000003220", Scenario::ThreeDSecure),
    ("4000000000000259", Scenario::ProcessingTimeout),
];

/// The card network, from the number's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Brand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Jcb,
    Unknown,
}

/// A card refused at tokenization; answered as 402 with the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("the card number is not a valid card number")]
    InvalidNumber,
    #[error("the expiry month must be 1 to 12")]
    InvalidExpiryMonth,
    #[error("the expiry year is not a plausible year")]
    InvalidExpiryYear,
    #[error("the card has expired")]
    ExpiredCard,
    #[error("the security code must be 3 or 4 digits")]
    InvalidCvc,
}

impl CardError {
    /// Stable error code.
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidNumber => "invalid_number",
            Self::InvalidExpiryMonth => "invalid_expiry_month",
            Self::InvalidExpiryYear => "invalid_expiry_year",
            Self::ExpiredCard => "expired_card",
            Self::InvalidCvc => "invalid_cvc",
        }
    }
}

/// A (year, month) pair, e.g. today's date or a card's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct YearMonth {
    pub year: u16,
    pub month: u8,
}

impl YearMonth {
    /// This month, in UTC.
    pub fn now_utc() -> Self {
        let now = time::OffsetDateTime::now_utc();
        Self { year: now.year().clamp(0, u16::MAX as i32) as u16, month: u8::from(now.month()) }
    }
}

/// What a token remembers of a card: never the full number or the CVC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardDetails {
    pub brand: Brand,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub scenario: Scenario,
}

impl CardDetails {
    /// Whether the card is past its expiry month at `today`.
    pub fn expired_at(&self, today: YearMonth) -> bool {
        YearMonth { year: self.exp_year, month: self.exp_month } < today
    }
}

/// Checks a card as entered (number with optional spaces, expiry, CVC) and returns what a token
/// keeps of it. Cards are valid through the end of their expiry month; two-digit years mean 20xx.
pub fn check_card(
    number: &str,
    exp_month: u32,
    exp_year: u32,
    cvc: &str,
    today: YearMonth,
) -> Result<CardDetails, CardError> {
    let digits: Vec<u8> = number.bytes().filter(|b| *b != b' ').collect();
    if !(12..=19).contains(&digits.len()) || !digits.iter().all(u8::is_ascii_digit) || !luhn_valid(&digits) {
        return Err(CardError::InvalidNumber);
    }
    if !(1..=12).contains(&exp_month) {
        return Err(CardError::InvalidExpiryMonth);
    }
    let exp_year = if exp_year < 100 { 2000 + exp_year } else { exp_year };
    if !(2000..=u32::from(today.year) + 50).contains(&exp_year) {
        return Err(CardError::InvalidExpiryYear);
    }
    let details = CardDetails {
        brand: brand(&digits),
        last4: String::from_utf8_lossy(&digits[digits.len() - 4..]).into_owned(),
        exp_month: exp_month as u8,
        exp_year: exp_year as u16,
        scenario: scenario(&digits),
    };
    if details.expired_at(today) {
        return Err(CardError::ExpiredCard);
    }
    if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CardError::InvalidCvc);
    }
    Ok(details)
}

/// The Luhn (mod 10) checksum over ASCII digits.
pub fn luhn_valid(digits: &[u8]) -> bool {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d = d * 2;
                if d > 9 { d - 9 } else { d }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The brand from the number's prefix (IIN ranges of the big networks).
pub fn brand(digits: &[u8]) -> Brand {
    let prefix =
        |n: usize| -> u32 { digits.iter().take(n).fold(0, |acc, b| acc * 10 + u32::from(b.saturating_sub(b'0'))) };
    match (prefix(1), prefix(2), prefix(3), prefix(4)) {
        (4, ..) => Brand::Visa,
        (_, 51..=55, ..) | (.., 2221..=2720) => Brand::Mastercard,
        (_, 34 | 37, ..) => Brand::Amex,
        (.., 6011) | (_, 65, ..) | (_, _, 644..=649, _) => Brand::Discover,
        (.., 3528..=3589) => Brand::Jcb,
        _ => Brand::Unknown,
    }
}

/// The scenario of a (valid) card number: a test card's, else success.
pub fn scenario(digits: &[u8]) -> Scenario {
    TEST_CARDS.iter().find(|(n, _)| n.as_bytes() == digits).map(|(_, s)| *s).unwrap_or(Scenario::Succeeds)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: YearMonth = YearMonth { year: 2026, month: 5 };

    #[test]
    fn luhn() {
        let check = |number: &str, valid: bool| assert_eq!(luhn_valid(number.as_bytes()), valid, "{number}");
        for (number, _) in TEST_CARDS {
            check(number, true);
        }
        check("5555555555554444", true);
        check("378282246310005", true);
        check("6011111111111117", true);
        check("4242424242424241", false);
        check("4000000000000001", false);
        check("0", true);
        check("", false);
        check("42a2", false);
    }

    #[test]
    fn brands() {
        let check = |number: &str, expected: Brand| assert_eq!(brand(number.as_bytes()), expected, "{number}");
        check("4242424242424242", Brand::Visa);
        check("5555555555554444", Brand::Mastercard);
        check("2223003122003222", Brand::Mastercard);
        check("378282246310005", Brand::Amex);
        check("6011111111111117", Brand::Discover);
        check("3566002020360505", Brand::Jcb);
        check("9999999999999995", Brand::Unknown);
    }

    #[test]
    fn checks_in_order() {
        let check = |number: &str, month: u32, year: u32, cvc: &str, expected: Result<Scenario, CardError>| {
            let got = check_card(number, month, year, cvc, TODAY).map(|d| d.scenario);
            assert_eq!(got, expected, "{number} {month}/{year} {cvc}");
        };
        check("4242424242424242", 12, 2030, "123", Ok(Scenario::Succeeds));
        check("4242 4242 4242 4242", 12, 30, "1234", Ok(Scenario::Succeeds));
        check("4000000000000002", 1, 2030, "123", Ok(Scenario::Declined));
        check("4000000000009995", 1, 2030, "123", Ok(Scenario::InsufficientFunds));
        check("4000000000003220", 1, 2030, "123", Ok(Scenario::ThreeDSecure));
        check("4000000000000259", 1, 2030, "123", Ok(Scenario::ProcessingTimeout));
        check("5555555555554444", 1, 2030, "123", Ok(Scenario::Succeeds));
        // The expiry month itself is still valid; the month before is not.
        check("4242424242424242", 5, 2026, "123", Ok(Scenario::Succeeds));
        check("4242424242424242", 4, 2026, "123", Err(CardError::ExpiredCard));
        check("4242424242424242", 12, 2025, "123", Err(CardError::ExpiredCard));
        check("4242424242424241", 12, 2030, "123", Err(CardError::InvalidNumber));
        check("424242424242", 12, 2030, "123", Ok(Scenario::Succeeds));
        check("42424242424", 12, 2030, "123", Err(CardError::InvalidNumber));
        check("4242-4242-4242-4242", 12, 2030, "123", Err(CardError::InvalidNumber));
        check("4242424242424242", 0, 2030, "123", Err(CardError::InvalidExpiryMonth));
        check("4242424242424242", 13, 2030, "123", Err(CardError::InvalidExpiryMonth));
        check("4242424242424242", 12, 2077, "123", Err(CardError::InvalidExpiryYear));
        check("4242424242424242", 12, 1999, "123", Err(CardError::InvalidExpiryYear));
        check("4242424242424242", 12, 2030, "12", Err(CardError::InvalidCvc));
        check("4242424242424242", 12, 2030, "12345", Err(CardError::InvalidCvc));
        check("4242424242424242", 12, 2030, "12a", Err(CardError::InvalidCvc));
    }

    #[test]
    fn keeps_only_last4() {
        let details = check_card("4242 4242 4242 4242", 12, 2030, "123", TODAY).unwrap();
        assert_eq!(details.last4, "4242");
        assert!(!format!("{details:?}").contains("42424242"));
    }
}
