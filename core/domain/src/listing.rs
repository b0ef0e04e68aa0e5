//! Category listings: sort orders, page sizes, attribute filters and keyset cursors.
//!
//! A cursor is the sort key of the last item of a page, so the next page starts strictly after
//! it: products added while a shopper pages through a listing never cause an item to be shown
//! twice or skipped. Cursors are opaque to clients (base64url) and carry a fingerprint of the
//! listing they belong to, so a cursor from another listing is refused.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::attributes::{AttrKind, AttrValue, AttributeDef};

/// Listing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// Most recently published first.
    Newest,
    PriceAsc,
    PriceDesc,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "newest" => Self::Newest,
            "price_asc" => Self::PriceAsc,
            "price_desc" => Self::PriceDesc,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::PriceAsc => "price_asc",
            Self::PriceDesc => "price_desc",
        }
    }

    fn tag(self) -> u8 {
        match self {
            Self::Newest => 1,
            Self::PriceAsc => 2,
            Self::PriceDesc => 3,
        }
    }
}

pub const DEFAULT_PAGE_SIZE: u32 = 24;
/// With attribute filters, a page examines at most `limit × SCAN_BUDGET_PER_ITEM` listing
/// rows (within `MIN_SCAN_BUDGET..=MAX_SCAN_BUDGET`): a filter matching one product in 25
/// still fills pages, and a filter matching nothing costs a bounded scan per page.
pub const SCAN_BUDGET_PER_ITEM: u32 = 25;
pub const MIN_SCAN_BUDGET: u32 = 250;
pub const MAX_SCAN_BUDGET: u32 = 2500;
pub const MAX_PAGE_SIZE: u32 = 100;
/// At most this many attributes in one filter, and this many values per attribute.
pub const MAX_FILTER_ATTRIBUTES: usize = 10;
pub const MAX_FILTER_VALUES: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListingError {
    #[error("limit must be between 1 and {MAX_PAGE_SIZE}")]
    PageTooLarge,
    #[error("limit must be a positive integer")]
    InvalidLimit,
    #[error("sort must be one of newest, price_asc, price_desc")]
    InvalidSort,
    #[error("malformed cursor, or a cursor from another listing")]
    InvalidCursor,
    #[error("attribute `{0}` cannot be filtered on")]
    UnknownFilter(String),
    #[error("filter `{code}`: {reason}")]
    InvalidFilter { code: String, reason: String },
}

impl ListingError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::PageTooLarge => "page_too_large",
            Self::InvalidLimit => "invalid_limit",
            Self::InvalidSort => "invalid_sort",
            Self::InvalidCursor => "invalid_cursor",
            Self::UnknownFilter(_) => "unknown_filter",
            Self::InvalidFilter { .. } => "invalid_filter",
        }
    }
}

/// Parses the `limit` query parameter.
pub fn page_size(raw: Option<&str>) -> Result<u32, ListingError> {
    let Some(raw) = raw else { return Ok(DEFAULT_PAGE_SIZE) };
    // Any run of digits is a number; a huge one is "too large", not "malformed".
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ListingError::InvalidLimit);
    }
    match raw.parse::<u64>() {
        Ok(0) => Err(ListingError::InvalidLimit),
        Ok(n) if n <= u64::from(MAX_PAGE_SIZE) => Ok(n as u32),
        _ => Err(ListingError::PageTooLarge),
    }
}

/// Attribute filters: values are ORed within an attribute and attributes are ANDed.
/// Ordered by attribute code, so equal filters have equal fingerprints.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters(pub BTreeMap<String, Vec<AttrValue>>);

impl Filters {
    /// Builds filters from `attr.<code>=v1,v2` pairs, checked against the definitions:
    /// the attribute must exist and be filterable; enum values must be options; booleans
    /// `true` or `false`.
    pub fn parse<'a>(
        defs: &BTreeMap<String, AttributeDef>,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ListingError> {
        let mut out: BTreeMap<String, Vec<AttrValue>> = BTreeMap::new();
        for (code, raw) in pairs {
            let def = defs
                .get(code)
                .filter(|d| d.filterable && d.kind != AttrKind::Number)
                .ok_or_else(|| ListingError::UnknownFilter(code.chars().take(64).collect()))?;
            let values = out.entry(code.to_string()).or_default();
            for v in raw.split(',') {
                let invalid = |reason: String| ListingError::InvalidFilter { code: code.to_string(), reason };
                let value = match def.kind {
                    AttrKind::Enum if def.options.iter().any(|o| o == v) => AttrValue::Enum(v.to_string()),
                    AttrKind::Enum => {
                        return Err(invalid(format!("`{}` is not an option", v.chars().take(64).collect::<String>())));
                    }
                    AttrKind::Boolean => match v {
                        "true" => AttrValue::Boolean(true),
                        "false" => AttrValue::Boolean(false),
                        _ => return Err(invalid("expected true or false".into())),
                    },
                    AttrKind::Text if !v.is_empty() && v.len() <= 500 => AttrValue::Text(v.to_string()),
                    AttrKind::Text | AttrKind::Number => return Err(invalid("empty or too long value".into())),
                };
                if !values.contains(&value) {
                    values.push(value);
                }
                if values.len() > MAX_FILTER_VALUES {
                    return Err(invalid(format!("at most {MAX_FILTER_VALUES} values")));
                }
            }
        }
        if out.len() > MAX_FILTER_ATTRIBUTES {
            return Err(ListingError::InvalidFilter {
                code: "*".into(),
                reason: format!("at most {MAX_FILTER_ATTRIBUTES} attributes"),
            });
        }
        Ok(Self(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Where a page starts: strictly after this sort key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum After {
    /// Newest: (published_at in microseconds since the Unix epoch, product id).
    Published(i64, Uuid),
    /// By price: (from price in minor units, product id).
    Price(i64, Uuid),
}

/// The identity of a listing a cursor belongs to.
#[derive(Clone, Debug)]
pub struct ListingKey<'a> {
    pub market: &'a str,
    pub category: Uuid,
    pub sort: Sort,
    pub filters: &'a Filters,
}

impl ListingKey<'_> {
    /// FNV-1a over everything that defines the listing (but not the language: a shopper who
    /// switches language keeps their place).
    fn fingerprint(&self) -> u32 {
        let mut h: u32 = 0x811c_9dc5;
        let mut feed = |bytes: &[u8]| {
            for b in bytes {
                h ^= u32::from(*b);
                h = h.wrapping_mul(0x0100_0193);
            }
            h ^= 0xff;
            h = h.wrapping_mul(0x0100_0193);
        };
        feed(self.market.as_bytes());
        feed(self.category.as_bytes());
        feed(&[self.sort.tag()]);
        for (code, values) in &self.filters.0 {
            feed(code.as_bytes());
            for v in values {
                match v {
                    AttrValue::Text(s) | AttrValue::Enum(s) => feed(s.as_bytes()),
                    AttrValue::Boolean(b) => feed(&[u8::from(*b)]),
                    AttrValue::Number(n) => feed(&n.to_bits().to_be_bytes()),
                }
            }
        }
        h
    }
}

const CURSOR_VERSION: u8 = 1;

/// Encodes the cursor that starts the page after `after`.
pub fn encode_cursor(key: &ListingKey<'_>, after: After) -> String {
    let mut bytes = Vec::with_capacity(30);
    bytes.push(CURSOR_VERSION);
    bytes.push(key.sort.tag());
    bytes.extend_from_slice(&key.fingerprint().to_be_bytes());
    let (n, id) = match after {
        After::Published(n, id) | After::Price(n, id) => (n, id),
    };
    bytes.extend_from_slice(&n.to_be_bytes());
    bytes.extend_from_slice(id.as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes a cursor for the listing `key`; refuses malformed cursors and cursors of another
/// listing.
pub fn decode_cursor(key: &ListingKey<'_>, cursor: &str) -> Result<After, ListingError> {
    if cursor.len() > 64 {
        return Err(ListingError::InvalidCursor);
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| ListingError::InvalidCursor)?;
    let [version, sort, f0, f1, f2, f3, rest @ ..] = bytes.as_slice() else {
        return Err(ListingError::InvalidCursor);
    };
    if *version != CURSOR_VERSION
        || *sort != key.sort.tag()
        || u32::from_be_bytes([*f0, *f1, *f2, *f3]) != key.fingerprint()
    {
        return Err(ListingError::InvalidCursor);
    }
    let (n, id) = rest.split_at_checked(8).ok_or(ListingError::InvalidCursor)?;
    let n = i64::from_be_bytes(n.try_into().map_err(|_| ListingError::InvalidCursor)?);
    let id = Uuid::from_slice(id).map_err(|_| ListingError::InvalidCursor)?;
    Ok(match key.sort {
        Sort::Newest => After::Published(n, id),
        Sort::PriceAsc | Sort::PriceDesc => After::Price(n, id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(filters: &Filters, sort: Sort) -> ListingKey<'_> {
        ListingKey { market: "fr", category: Uuid::from_u128(7), sort, filters }
    }

    #[test]
    fn page_sizes() {
        let check =
            |raw: Option<&str>, expected: Result<u32, ListingError>| assert_eq!(page_size(raw), expected, "{raw:?}");
        check(None, Ok(DEFAULT_PAGE_SIZE));
        check(Some("1"), Ok(1));
        check(Some("100"), Ok(100));
        check(Some("101"), Err(ListingError::PageTooLarge));
        check(Some("99999999999999999999999"), Err(ListingError::PageTooLarge));
        check(Some("0"), Err(ListingError::InvalidLimit));
        check(Some("-3"), Err(ListingError::InvalidLimit));
        check(Some("ten"), Err(ListingError::InvalidLimit));
        check(Some(""), Err(ListingError::InvalidLimit));
    }

    #[test]
    fn cursors_belong_to_their_listing() {
        let none = Filters::default();
        let red = Filters(BTreeMap::from([("color".into(), vec![AttrValue::Enum("red".into())])]));
        let after = After::Published(1_700_000_000_000_000, Uuid::from_u128(42));
        let c = encode_cursor(&key(&none, Sort::Newest), after);
        assert_eq!(decode_cursor(&key(&none, Sort::Newest), &c), Ok(after));
        assert_eq!(decode_cursor(&key(&red, Sort::Newest), &c), Err(ListingError::InvalidCursor));
        assert_eq!(decode_cursor(&key(&none, Sort::PriceAsc), &c), Err(ListingError::InvalidCursor));
        for bad in ["", "!!!", "AAAA", &c[..c.len() - 2], &format!("{c}AA")] {
            assert_eq!(decode_cursor(&key(&none, Sort::Newest), bad), Err(ListingError::InvalidCursor), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn cursor_round_trips(n: i64, id: u128, price in any::<bool>()) {
            let none = Filters::default();
            let (sort, after) = if price {
                (Sort::PriceDesc, After::Price(n, Uuid::from_u128(id)))
            } else {
                (Sort::Newest, After::Published(n, Uuid::from_u128(id)))
            };
            let k = key(&none, sort);
            prop_assert_eq!(decode_cursor(&k, &encode_cursor(&k, after)), Ok(after));
        }

        #[test]
        fn garbage_cursors_never_panic(s in "\\PC{0,80}") {
            let none = Filters::default();
            let _ = decode_cursor(&key(&none, Sort::Newest), &s);
        }
    }
}
