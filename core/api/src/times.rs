//! Time as the API writes and reads it: RFC 3339 (`2026-12-07T18:51:09Z`).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `t` in RFC 3339.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// An RFC 3339 timestamp, if `s` is one.
pub fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}
