//! The file format of saved syntheses: a small self-describing archive of named arrays,
//! every record and the header guarded by a CRC-32, so that a damaged, cut or extended
//! file is refused with a [`LoadError`] that names the damaged part instead of loading
//! wrong numbers.
//!
//! Format version 2. Header (68 bytes; every integer little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 16 | magic `b"PLENOPTIC-RS\0ARC"` |
//! | 4 | format version, `u32` (2) |
//! | 32 | kind of synthesis, UTF-8 padded with zero bytes (`Metamer`, `Eigendistortion`) |
//! | 4 | number of records, `u32` |
//! | 8 | length of the whole file in bytes, `u64` |
//! | 4 | CRC-32 of the 64 bytes above |
//!
//! Then the records, one after another, each:
//!
//! | bytes | content |
//! |---|---|
//! | 8 | length `b` of the record's body, `u64` |
//! | b | body: name (`u16` length, UTF-8 text), element type (`u8`: 1 = f32, 2 = f64, 3 = u64, 4 = UTF-8 text), number of dimensions `d` (`u8`), each dimension (`u64`), the elements row-major (4, 8, 8 or 1 bytes each) |
//! | 4 | CRC-32 of the length and the body |
//!
//! The file ends with the last record. Readers check, in order: the magic, the version,
//! the header's checksum, the kind, the file's length, then each record's checksum; they
//! ignore records they do not know, so later versions can add records.

mod checks;
mod crc;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, LoadError, Result};
pub use checks::LoadTolerance;
pub(crate) use checks::{check_close, check_model_name, short_type_name};
use crc::crc32;

const MAGIC: &[u8; 16] = b"PLENOPTIC-RS\0ARC";
/// The format version this crate reads and writes.
pub(crate) const VERSION: u32 = 2;
/// Bytes of the kind field.
const KIND_LEN: usize = 32;
/// Bytes of the header, its checksum included.
const HEADER_LEN: usize = 16 + 4 + KIND_LEN + 4 + 8 + 4;

/// The elements of one record.
#[derive(Debug, Clone)]
pub(crate) enum Data {
    F32(Vec<f32>),
    F64(Vec<f64>),
    U64(Vec<u64>),
    Text(String),
}

impl Data {
    fn tag(&self) -> u8 {
        match self {
            Data::F32(_) => 1,
            Data::F64(_) => 2,
            Data::U64(_) => 3,
            Data::Text(_) => 4,
        }
    }
    fn type_name(&self) -> &'static str {
        match self {
            Data::F32(_) => "f32",
            Data::F64(_) => "f64",
            Data::U64(_) => "u64",
            Data::Text(_) => "text",
        }
    }
}

/// A named array.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub dims: Vec<usize>,
    pub data: Data,
}

/// An archive being written or read.
#[derive(Debug, Default)]
pub(crate) struct Archive {
    pub kind: String,
    order: Vec<String>,
    records: HashMap<String, Record>,
}

impl Archive {
    pub fn new(kind: &str) -> Self {
        Archive {
            kind: kind.to_string(),
            ..Default::default()
        }
    }

    fn insert(&mut self, name: &str, dims: Vec<usize>, data: Data) {
        if self
            .records
            .insert(name.to_string(), Record { dims, data })
            .is_none()
        {
            self.order.push(name.to_string());
        }
    }

    pub fn put_f32(&mut self, name: &str, dims: &[usize], v: Vec<f32>) {
        self.insert(name, dims.to_vec(), Data::F32(v));
    }
    pub fn put_f64(&mut self, name: &str, v: Vec<f64>) {
        self.insert(name, vec![v.len()], Data::F64(v));
    }
    /// An f64 array with its dimensions.
    pub fn put_f64_dims(&mut self, name: &str, dims: &[usize], v: Vec<f64>) {
        self.insert(name, dims.to_vec(), Data::F64(v));
    }
    pub fn put_u64(&mut self, name: &str, v: Vec<u64>) {
        self.insert(name, vec![v.len()], Data::U64(v));
    }
    pub fn put_text(&mut self, name: &str, s: &str) {
        self.insert(name, vec![s.len()], Data::Text(s.to_string()));
    }

    /// The archive's bytes, in format version [`VERSION`].
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut body = Vec::new();
        for name in &self.order {
            let r = &self.records[name];
            let start = body.len();
            body.extend_from_slice(&0u64.to_le_bytes()); // the length, filled in below
            put_str(&mut body, name);
            body.push(r.data.tag());
            body.push(r.dims.len() as u8);
            for d in &r.dims {
                body.extend_from_slice(&(*d as u64).to_le_bytes());
            }
            match &r.data {
                Data::F32(v) => v
                    .iter()
                    .for_each(|x| body.extend_from_slice(&x.to_le_bytes())),
                Data::F64(v) => v
                    .iter()
                    .for_each(|x| body.extend_from_slice(&x.to_le_bytes())),
                Data::U64(v) => v
                    .iter()
                    .for_each(|x| body.extend_from_slice(&x.to_le_bytes())),
                Data::Text(s) => body.extend_from_slice(s.as_bytes()),
            }
            let len = (body.len() - start - 8) as u64;
            body[start..start + 8].copy_from_slice(&len.to_le_bytes());
            let crc = crc32(&body[start..]);
            body.extend_from_slice(&crc.to_le_bytes());
        }
        let mut b = Vec::with_capacity(HEADER_LEN + body.len());
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&VERSION.to_le_bytes());
        let mut kind = [0u8; KIND_LEN];
        let k = self.kind.as_bytes();
        kind[..k.len().min(KIND_LEN)].copy_from_slice(&k[..k.len().min(KIND_LEN)]);
        b.extend_from_slice(&kind);
        b.extend_from_slice(&(self.order.len() as u32).to_le_bytes());
        b.extend_from_slice(&((HEADER_LEN + body.len()) as u64).to_le_bytes());
        let crc = crc32(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b.extend_from_slice(&body);
        b
    }

    /// Writes the archive to `path`.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written.
    pub fn write(&self, path: &Path) -> Result<()> {
        debug_assert!(self.kind.len() <= KIND_LEN, "kind names fit in 32 bytes");
        std::fs::write(path, self.to_bytes()).map_err(|e| Error::io(path, e))
    }

    /// Reads an archive of kind `kind` (e.g. `Metamer`, `Eigendistortion`) from `path`.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::Load`] when it is not a
    /// plenoptic archive of this format version, is damaged, cut or extended, or holds
    /// another kind ([`LoadError::Kind`]).
    pub fn read_kind(path: &Path, kind: &str) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Archive::parse(&bytes, Some(kind)).map_err(|reason| load_error(path, reason))
    }

    /// Parses and checks an archive's bytes; `kind`: the kind it must hold.
    pub(crate) fn parse(b: &[u8], kind: Option<&str>) -> Result<Self, LoadError> {
        let len = b.len();
        let n = len.min(MAGIC.len());
        if b[..n] != MAGIC[..n] {
            return Err(LoadError::NotArchive);
        }
        let cut = LoadError::Truncated {
            found: len as u64,
            expected: None,
        };
        if len < 20 {
            return Err(cut);
        }
        let version = u32::from_le_bytes(le(&b[16..20]));
        if version != VERSION {
            return Err(LoadError::Version {
                found: version,
                expected: VERSION,
            });
        }
        if len < HEADER_LEN {
            return Err(cut);
        }
        let header_damaged = || LoadError::Corrupt {
            record: "the header".into(),
        };
        if crc32(&b[..HEADER_LEN - 4]) != u32::from_le_bytes(le(&b[HEADER_LEN - 4..HEADER_LEN])) {
            return Err(header_damaged());
        }
        let k = &b[20..20 + KIND_LEN];
        let k = &k[..k.iter().position(|c| *c == 0).unwrap_or(KIND_LEN)];
        let found_kind = std::str::from_utf8(k).map_err(|_| header_damaged())?;
        if let Some(want) = kind.filter(|w| *w != found_kind) {
            return Err(LoadError::Kind {
                found: found_kind.to_string(),
                expected: want.to_string(),
            });
        }
        let count = u32::from_le_bytes(le(&b[52..56])) as usize;
        let file_len = u64::from_le_bytes(le(&b[56..64]));
        if (len as u64) < file_len {
            return Err(LoadError::Truncated {
                found: len as u64,
                expected: Some(file_len),
            });
        }
        if (len as u64) > file_len {
            return Err(LoadError::TrailingBytes {
                extra: len as u64 - file_len,
            });
        }
        let mut a = Archive::new(found_kind);
        let mut pos = HEADER_LEN;
        for i in 0..count {
            let (name, dims, data, next) = parse_record(b, pos, i, count)?;
            a.insert(&name, dims, data);
            pos = next;
        }
        if pos != len {
            return Err(LoadError::Corrupt {
                record: "the list of records".into(),
            });
        }
        Ok(a)
    }

    pub fn has(&self, name: &str) -> bool {
        self.records.contains_key(name)
    }

    fn get(&self, path: &Path, name: &str) -> Result<&Record> {
        self.records.get(name).ok_or_else(|| {
            load_error(
                path,
                LoadError::Missing {
                    record: name.to_string(),
                },
            )
        })
    }

    /// [`LoadError::Mismatch`] of the dtype: record `name` holds `found`, not `want`.
    fn wrong_type(path: &Path, name: &str, r: &Record, want: &str) -> Error {
        load_error(
            path,
            LoadError::Mismatch {
                what: format!("`{name}`"),
                detail: format!("dtype: saved {}, initialized {want}", r.data.type_name()),
            },
        )
    }

    /// An f32 array and its dimensions.
    pub fn f32s(&self, path: &Path, name: &str) -> Result<(Vec<usize>, Vec<f32>)> {
        match self.get(path, name)? {
            Record {
                dims,
                data: Data::F32(v),
            } => Ok((dims.clone(), v.clone())),
            r => Err(Self::wrong_type(path, name, r, "f32")),
        }
    }

    /// An f64 array.
    pub fn f64s(&self, path: &Path, name: &str) -> Result<Vec<f64>> {
        self.f64s_dims(path, name).map(|(_, v)| v)
    }

    /// An f64 array and its dimensions.
    pub fn f64s_dims(&self, path: &Path, name: &str) -> Result<(Vec<usize>, Vec<f64>)> {
        match self.get(path, name)? {
            Record {
                dims,
                data: Data::F64(v),
            } => Ok((dims.clone(), v.clone())),
            r => Err(Self::wrong_type(path, name, r, "f64")),
        }
    }

    /// A u64 array.
    pub fn u64s(&self, path: &Path, name: &str) -> Result<Vec<u64>> {
        match self.get(path, name)? {
            Record {
                data: Data::U64(v), ..
            } => Ok(v.clone()),
            r => Err(Self::wrong_type(path, name, r, "u64")),
        }
    }

    /// Exactly `n` f64 values.
    pub fn f64_n(&self, path: &Path, name: &str, n: usize) -> Result<Vec<f64>> {
        let v = self.f64s(path, name)?;
        if v.len() != n {
            return Err(invalid(
                path,
                name,
                format!("it should hold {n} values, holds {}", v.len()),
            ));
        }
        Ok(v)
    }

    /// Exactly one u64 value.
    pub fn u64_1(&self, path: &Path, name: &str) -> Result<u64> {
        match self.u64s(path, name)?[..] {
            [v] => Ok(v),
            ref v => Err(invalid(
                path,
                name,
                format!("it should hold one value, holds {}", v.len()),
            )),
        }
    }

    /// A text record.
    pub fn text(&self, path: &Path, name: &str) -> Result<String> {
        match self.get(path, name)? {
            Record {
                data: Data::Text(s),
                ..
            } => Ok(s.clone()),
            r => Err(Self::wrong_type(path, name, r, "text")),
        }
    }
}

/// Parses record `i` (of `count`) at `pos`: its name, dimensions, elements, and where the
/// next record starts.
fn parse_record(
    b: &[u8],
    pos: usize,
    i: usize,
    count: usize,
) -> Result<(String, Vec<usize>, Data, usize), LoadError> {
    let damaged = |name: Option<&[u8]>| {
        let name = name
            .map(|n| format!(" (`{}`)", String::from_utf8_lossy(&n[..n.len().min(40)])))
            .unwrap_or_default();
        LoadError::Corrupt {
            record: format!("record {} of {count}{name}", i + 1),
        }
    };
    let body_len = b
        .get(pos..pos + 8)
        .map(|s| u64::from_le_bytes(le(s)))
        .ok_or_else(|| damaged(None))?;
    let body_start = pos + 8;
    let end = usize::try_from(body_len)
        .ok()
        .and_then(|l| body_start.checked_add(l))
        .filter(|e| e.checked_add(4).is_some_and(|e4| e4 <= b.len()))
        .ok_or_else(|| damaged(None))?;
    let body = &b[body_start..end];
    // the name as read, to say which record is damaged
    let name_bytes = body.get(..2).map(|l| {
        let n = u16::from_le_bytes(le(l)) as usize;
        &body[2..(2 + n).min(body.len())]
    });
    if crc32(&b[pos..end]) != u32::from_le_bytes(le(&b[end..end + 4])) {
        return Err(damaged(name_bytes));
    }
    let mut r = Reader { b: body, pos: 0 };
    let parsed = (|| -> Option<(String, Vec<usize>, u8, &[u8])> {
        let n = u16::from_le_bytes(le(r.take(2)?)) as usize;
        let name = String::from_utf8(r.take(n)?.to_vec()).ok()?;
        let tag = r.take(1)?[0];
        let nd = r.take(1)?[0] as usize;
        let dims = (0..nd)
            .map(|_| r.take(8).map(|d| u64::from_le_bytes(le(d)) as usize))
            .collect::<Option<Vec<usize>>>()?;
        Some((name, dims, tag, r.rest()))
    })();
    let (name, dims, tag, payload) = parsed.ok_or_else(|| damaged(name_bytes))?;
    let count_el = dims.iter().try_fold(1usize, |acc, d| acc.checked_mul(*d));
    let size = match tag {
        1 => 4,
        2 | 3 => 8,
        4 => 1,
        t => {
            return Err(LoadError::Invalid {
                record: name,
                detail: format!("unknown element type {t}"),
            })
        }
    };
    if count_el.and_then(|c| c.checked_mul(size)) != Some(payload.len()) {
        return Err(damaged(name_bytes));
    }
    let data = match tag {
        1 => Data::F32(
            payload
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(le(c)))
                .collect(),
        ),
        2 => Data::F64(
            payload
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(le(c)))
                .collect(),
        ),
        3 => Data::U64(
            payload
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(le(c)))
                .collect(),
        ),
        _ => Data::Text(
            String::from_utf8(payload.to_vec()).map_err(|_| LoadError::Invalid {
                record: name.clone(),
                detail: "the text is not UTF-8".into(),
            })?,
        ),
    };
    Ok((name, dims, data, end + 4))
}

/// A fixed-size array from a slice of exactly its length.
fn le<const N: usize>(s: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(s);
    a
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    b.extend_from_slice(&(s.len() as u16).to_le_bytes());
    b.extend_from_slice(s.as_bytes());
}

/// [`Error::Load`] for `path` with a typed reason.
pub(crate) fn load_error(path: &Path, reason: LoadError) -> Error {
    Error::Load {
        path: path.to_path_buf(),
        reason,
    }
}

/// [`LoadError::Invalid`] for record `name`.
pub(crate) fn invalid(path: &Path, name: &str, detail: String) -> Error {
    load_error(
        path,
        LoadError::Invalid {
            record: name.to_string(),
            detail,
        },
    )
}

/// A cursor over a record's body.
struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.b.len())?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Some(s)
    }
    fn rest(&mut self) -> &'a [u8] {
        let s = &self.b[self.pos..];
        self.pos = self.b.len();
        s
    }
}
