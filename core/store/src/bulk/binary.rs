//! PostgreSQL's binary COPY format, written straight into the buffer that is sent (no
//! per-value boxing, no per-row allocation): a [`CopyBuf`] is a stream's header, then rows of
//! fields, then its trailer. A row is [`CopyBuf::row`] with its number of fields, followed by
//! exactly that many fields in the column order of the COPY statement
//! ([`super::CatalogTable`] documents each table's).

use std::fmt::Write as _;

use bytes::{BufMut, Bytes, BytesMut};
use uuid::Uuid;

/// Bytes buffered before a chunk is sent.
pub const CHUNK: usize = 512 * 1024;

/// A binary COPY stream being written: the header, then rows, then the trailer.
#[derive(Debug)]
pub struct CopyBuf {
    buf: BytesMut,
}

impl Default for CopyBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl CopyBuf {
    pub fn new() -> Self {
        let mut buf = BytesMut::with_capacity(CHUNK + 64 * 1024);
        buf.put_slice(b"PGCOPY\n\xff\r\n\0");
        buf.put_i32(0); // flags
        buf.put_i32(0); // header extension length
        Self { buf }
    }

    /// Bytes buffered, not yet taken.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Takes what is buffered, to send it.
    pub fn take(&mut self) -> Bytes {
        self.buf.split().freeze()
    }

    /// Ends the stream.
    pub fn finish(&mut self) {
        self.buf.put_i16(-1);
    }

    /// Starts a row of `fields` fields.
    pub fn row(&mut self, fields: i16) {
        self.buf.put_i16(fields);
    }

    pub fn uuid(&mut self, id: &Uuid) {
        self.buf.put_i32(16);
        self.buf.put_slice(id.as_bytes());
    }

    pub fn text(&mut self, s: &str) {
        self.buf.put_i32(s.len() as i32);
        self.buf.put_slice(s.as_bytes());
    }

    pub fn int4(&mut self, v: i32) {
        self.buf.put_i32(4);
        self.buf.put_i32(v);
    }

    pub fn int8(&mut self, v: i64) {
        self.buf.put_i32(8);
        self.buf.put_i64(v);
    }

    pub fn boolean(&mut self, v: bool) {
        self.buf.put_i32(1);
        self.buf.put_u8(u8::from(v));
    }

    /// A NULL field.
    pub fn null(&mut self) {
        self.buf.put_i32(-1);
    }

    /// A `timestamptz` in microseconds since 2000-01-01T00:00:00Z.
    pub fn timestamp(&mut self, micros: i64) {
        self.int8(micros);
    }

    /// A field whose bytes `f` writes; its length is filled in afterwards.
    fn with(&mut self, f: impl FnOnce(&mut BytesMut)) {
        let at = self.buf.len();
        self.buf.put_i32(0);
        f(&mut self.buf);
        let len = (self.buf.len() - at - 4) as i32;
        self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }

    /// A one-dimensional `text[]` field.
    pub fn text_array(&mut self, values: &[String]) {
        const TEXT_OID: i32 = 25;
        self.with(|buf| {
            buf.put_i32(i32::from(!values.is_empty())); // dimensions
            buf.put_i32(0); // no nulls
            buf.put_i32(TEXT_OID);
            if !values.is_empty() {
                buf.put_i32(values.len() as i32);
                buf.put_i32(1); // lower bound
                for v in values {
                    buf.put_i32(v.len() as i32);
                    buf.put_slice(v.as_bytes());
                }
            }
        });
    }

    /// A `jsonb` field (version byte 1, then the JSON text) written by `f`.
    pub fn jsonb(&mut self, f: impl FnOnce(&mut Json<'_>)) {
        self.with(|buf| {
            buf.put_u8(1);
            f(&mut Json { buf, first: true });
        });
    }
}

/// A JSON object being written. Keys and values are our own ASCII keys; strings are escaped
/// anyway.
pub struct Json<'b> {
    buf: &'b mut BytesMut,
    first: bool,
}

/// The fields of a JSON object, written in the order given; [`Json::end`] closes it.
impl Json<'_> {
    fn key(&mut self, key: &str) {
        self.buf.put_u8(if self.first { b'{' } else { b',' });
        self.first = false;
        string(self.buf, key);
        self.buf.put_u8(b':');
    }

    pub fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        string(self.buf, value);
    }

    pub fn number(&mut self, key: &str, value: u32) {
        self.key(key);
        // Writing to a BytesMut cannot fail.
        let _ = write!(self.buf, "{value}");
    }

    pub fn boolean(&mut self, key: &str, value: bool) {
        self.key(key);
        self.buf.put_slice(if value { b"true" } else { b"false" });
    }

    pub fn array<'s>(&mut self, key: &str, values: impl IntoIterator<Item = &'s str>) {
        self.key(key);
        self.buf.put_u8(b'[');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.buf.put_u8(b',');
            }
            string(self.buf, v);
        }
        self.buf.put_u8(b']');
    }

    pub fn bool_array(&mut self, key: &str, value: bool) {
        self.key(key);
        self.buf.put_slice(if value { b"[true]" } else { b"[false]" });
    }

    pub fn end(&mut self) {
        self.buf.put_slice(if self.first { b"{}" } else { b"}" });
    }
}

fn string(buf: &mut BytesMut, s: &str) {
    buf.put_u8(b'"');
    for b in s.bytes() {
        match b {
            b'"' | b'\\' => buf.put_slice(&[b'\\', b]),
            0..0x20 => {
                // Writing to a BytesMut cannot fail.
                let _ = write!(buf, "\\u{b:04x}");
            }
            _ => buf.put_u8(b),
        }
    }
    buf.put_u8(b'"');
}
