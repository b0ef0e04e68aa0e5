//! Pages of the lists that are not catalog listings (a shopper's orders, the audit log, partner
//! events…) as the store reads them: newest first by (time, id), after the cursor's item
//! ([`core_domain::pages`]).

use core_domain::pages::After;
use time::OffsetDateTime;
use uuid::Uuid;

/// Where a row sits in a list: when it was made, and its id.
pub type Key = (OffsetDateTime, Uuid);

/// The row a cursor points after (none for a time out of range: an empty page).
pub fn key(after: After) -> Option<Key> {
    Some((OffsetDateTime::from_unix_timestamp_nanos(i128::from(after.micros) * 1000).ok()?, after.id))
}

/// Cuts `rows`, read with a limit of `limit + 1`, to `limit`, and says where the next page
/// starts when there is one.
pub fn cut<T>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> Key) -> (Vec<T>, Option<After>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next = rows.last().filter(|_| more).map(|row| {
        let (at, id) = key(row);
        After { micros: (at.unix_timestamp_nanos() / 1000) as i64, id }
    });
    (rows, next)
}
