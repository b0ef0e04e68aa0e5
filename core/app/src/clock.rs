//! The time as the core reads and writes it.

/// Microseconds since the Unix epoch.
pub fn now_micros() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000) as i64
}
