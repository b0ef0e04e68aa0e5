use proptest::prelude::*;

use super::*;

/// Test cards of the major networks (all pass the Luhn check).
const CARDS: [&str; 6] = [
    "4242424242424242",
    "378282246310005",
    "6011111111111117",
    "5555555555554444",
    "4111111111111111110",
    "3530111333300000",
];

fn check_found(text: &str, expected: &str) {
    assert!(carries(text), "not found in {text:?}");
    assert!(find_all(text).iter().any(|f| f == expected), "{expected} not among {:?} in {text:?}", find_all(text));
}

#[test]
fn cards_are_found_in_every_common_shape() {
    let card = "4242424242424242";
    for text in [
        "4242424242424242",
        "4242 4242 4242 4242",
        "4242-4242-4242-4242",
        "4242  4242  4242  4242",
        "4242.4242.4242.4242",
        "4242/4242/4242/4242",
        "4242_4242_4242_4242",
        "4242\t4242\t4242\t4242",
        "4242\u{00A0}4242\u{00A0}4242\u{00A0}4242",
        "4242\u{202F}4242\u{202F}4242\u{202F}4242",
        "4242 - 4242 - 4242 - 4242",
        "4242\u{2013}4242\u{2013}4242\u{2013}4242",
        "42\u{200B}42\u{00AD}4242424242424242",
        "\u{FF14}\u{FF12}\u{FF14}\u{FF12}\u{FF14}\u{FF12}\u{FF14}\u{FF12}\u{FF14}\u{FF12}\u{FF14}\u{FF12}\u{FF14}\u{FF12}\u{FF14}\u{FF12}",
        "\u{0664}\u{0662}\u{0664}\u{0662}424242424242",
        "card4242424242424242",
        "4242424242424242exp",
        "x4242424242424242y",
        "my card is 4242 4242 4242 4242, exp 12/34",
        "4242 4242 4242 4242 1234",
        "99 4242424242424242",
        "\u{2463}242424242424242",
    ] {
        check_found(text, card);
    }
}

#[test]
fn every_network_s_test_card_is_found() {
    for card in CARDS {
        check_found(card, card);
        check_found(&format!("note: {card}."), card);
    }
}

#[test]
fn identifiers_and_ordinary_values_are_not_cards() {
    for text in [
        "SKU-000123",
        // Luhn-invalid 16 digits.
        "4242424242424241",
        // 12 digits, too short; a 20-digit id, too long.
        "424242424242",
        "42424242424242424242",
        "7f0c2f1e-2f1b-4c61-9a9f-0d4b1c2e3f4a",
        "2026-11-28T06:00:00Z",
        "129900",
        "+33 6 12 34 56 78",
        // A digest with digit runs.
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "",
    ] {
        assert!(!carries(text), "{text:?} taken for a card: {:?}", find_all(text));
    }
}

#[test]
fn the_digit_groups_of_a_uuid_are_not_a_card() {
    // 15 digits passing the Luhn check, as the digit groups of a UUID.
    let run = "1234567-8901-2347";
    let digits: Vec<u8> = run.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    assert!(luhn_valid(&digits), "the test run must pass the Luhn check");
    assert!(carries(run));
    for text in ["a1234567-8901-2347-8123-0123456789ab", "/v1/carts/a1234567-8901-2347-8123-0123456789ab/lines"] {
        assert!(!carries(text), "{text}");
    }
}

#[test]
fn a_card_beside_an_identifier_is_still_found() {
    check_found("7f0c2f1e-2f1b-4c61-9a9f-0d4b1c2e3f4a 4242424242424242", "4242424242424242");
    check_found("123456789012345678901234 then 4242424242424242", "4242424242424242");
    check_found(
        "4242424242424242-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "4242424242424242",
    );
}

#[test]
fn digits_of_other_scripts_have_their_value() {
    assert_eq!(digit_value('7'), Some(7));
    assert_eq!(digit_value('\u{FF17}'), Some(7));
    assert_eq!(digit_value('\u{0967}'), Some(1));
    assert_eq!(digit_value('\u{00B2}'), Some(2));
    assert_eq!(digit_value('\u{2460}'), Some(1));
    assert_eq!(digit_value('\u{1D7D9}'), Some(1));
    assert_eq!(digit_value('a'), None);
    assert_eq!(digit_value('\u{3007}'), None);
}

#[test]
fn luhn_matches_known_values() {
    let digits = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<_>>();
    assert!(luhn_valid(&digits("79927398713")));
    assert!(!luhn_valid(&digits("79927398710")));
}

/// A card number of `len` digits passing the Luhn check, from `body` digits.
pub fn luhn_number(body: &[u8], len: usize) -> String {
    let mut digits: Vec<u8> = body.iter().take(len - 1).map(|d| d % 10).collect();
    while digits.len() < len - 1 {
        digits.push(0);
    }
    let check = (0..10).find(|c| luhn_valid(&[digits.as_slice(), &[*c]].concat())).expect("a check digit");
    digits.push(check);
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

proptest! {
    #[test]
    fn random_card_numbers_in_random_shapes_are_found(
        body in proptest::collection::vec(0u8..10, 18),
        len in 13usize..=19,
        group in 1usize..=6,
        separator in prop::sample::select(vec![" ", "  ", "-", ".", "/", "_", "\t", "\u{00A0}", " - ", "\u{200B}", ""]),
        script in prop::sample::select(vec![0x30u32, 0xFF10, 0x660, 0x966]),
        before in "[a-zA-Z ]{0,3}",
        after in "[a-zA-Z .]{0,3}",
    ) {
        let card = luhn_number(&body, len);
        let shaped: String = card
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let digit = char::from_u32(script + (c as u32 - 0x30)).expect("a digit");
                let sep = if i > 0 && i % group == 0 { separator } else { "" };
                sep.chars().chain(std::iter::once(digit)).collect::<Vec<_>>()
            })
            .collect();
        let text = format!("{before}{shaped}{after}");
        prop_assert!(find_all(&text).contains(&card), "{card} not found in {text:?}");
    }

    #[test]
    fn uuids_and_digests_are_never_cards(bytes in proptest::collection::vec(any::<u8>(), 32)) {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let uuid = format!("{}-{}-4{}-a{}-{}", &hex[..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32]);
        prop_assert!(!carries(&uuid), "{uuid}");
        prop_assert!(!carries(&uuid.to_uppercase()), "{uuid}");
        if hex.bytes().any(|b| b.is_ascii_alphabetic()) {
            prop_assert!(!carries(&hex), "{hex}");
        }
    }
}
