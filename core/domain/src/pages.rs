//! Cursors of the lists that are not catalog listings (a shopper's orders…): newest first, by
//! creation time then id, so that a page never repeats or skips an item when new ones arrive.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

const VERSION: u8 = 1;

/// Page sizes: 1 to 100, 20 when not given.
pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// Where the next page starts: after the item created at `micros` (since the Unix epoch) with
/// `id`, in newest-first order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct After {
    pub micros: i64,
    pub id: Uuid,
}

/// A bad cursor or page size (400 `invalid_cursor`, `invalid_query`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageError {
    InvalidCursor,
    InvalidLimit,
}

pub fn encode(after: After) -> String {
    let mut bytes = Vec::with_capacity(25);
    bytes.push(VERSION);
    bytes.extend_from_slice(&after.micros.to_be_bytes());
    bytes.extend_from_slice(after.id.as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn decode(cursor: &str) -> Result<After, PageError> {
    if cursor.len() > 64 {
        return Err(PageError::InvalidCursor);
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| PageError::InvalidCursor)?;
    let [version, rest @ ..] = bytes.as_slice() else { return Err(PageError::InvalidCursor) };
    if *version != VERSION || rest.len() != 24 {
        return Err(PageError::InvalidCursor);
    }
    let micros = i64::from_be_bytes(rest[..8].try_into().map_err(|_| PageError::InvalidCursor)?);
    let id = Uuid::from_slice(&rest[8..]).map_err(|_| PageError::InvalidCursor)?;
    Ok(After { micros, id })
}

/// The page size asked for (`None`: the default).
pub fn limit(asked: Option<&str>) -> Result<i64, PageError> {
    match asked {
        None => Ok(DEFAULT_LIMIT),
        Some(s) => s.parse::<i64>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or(PageError::InvalidLimit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let after = After { micros: 1_765_000_000_123_456, id: Uuid::new_v4() };
        assert_eq!(decode(&encode(after)), Ok(after));
        for bad in ["", "x", "AQ", &"A".repeat(80), &encode(after)[..10]] {
            assert_eq!(decode(bad), Err(PageError::InvalidCursor), "{bad}");
        }
        assert_eq!(limit(None), Ok(20));
        assert_eq!(limit(Some("100")), Ok(100));
        for bad in ["0", "101", "-1", "ten"] {
            assert_eq!(limit(Some(bad)), Err(PageError::InvalidLimit), "{bad}");
        }
    }
}
