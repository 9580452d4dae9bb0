//! The file format of saved syntheses: a small self-describing archive of named arrays.
//!
//! Layout (every integer little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 16 | magic `b"PLENOPTIC-RS\0ARC"` |
//! | 4 | format version, `u32` (currently 1) |
//! | 2 + n | kind of synthesis: `u16` length, then UTF-8 text (e.g. `Metamer`) |
//! | 4 | number of records, `u32` |
//! | ... | the records, one after another |
//!
//! Each record:
//!
//! | bytes | content |
//! |---|---|
//! | 2 + n | name: `u16` length, then UTF-8 text |
//! | 1 | element type: 1 = f32, 2 = f64, 3 = u64, 4 = UTF-8 text (bytes) |
//! | 1 | number of dimensions `d` |
//! | 8 d | each dimension, `u64` |
//! | ... | the elements, row-major (C order), 4, 8, 8 or 1 bytes each |
//!
//! Readers ignore records they do not know, so later versions can add records.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

const MAGIC: &[u8; 16] = b"PLENOPTIC-RS\0ARC";
const VERSION: u32 = 1;

/// The elements of one record.
#[derive(Debug, Clone)]
pub(crate) enum Data {
    F32(Vec<f32>),
    F64(Vec<f64>),
    U64(Vec<u64>),
    Text(String),
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
    pub fn put_u64(&mut self, name: &str, v: Vec<u64>) {
        self.insert(name, vec![v.len()], Data::U64(v));
    }
    pub fn put_text(&mut self, name: &str, s: &str) {
        self.insert(name, vec![s.len()], Data::Text(s.to_string()));
    }

    /// Writes the archive to `path`.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut b = Vec::new();
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&VERSION.to_le_bytes());
        put_str(&mut b, &self.kind);
        b.extend_from_slice(&(self.order.len() as u32).to_le_bytes());
        for name in &self.order {
            let r = &self.records[name];
            put_str(&mut b, name);
            let tag: u8 = match r.data {
                Data::F32(_) => 1,
                Data::F64(_) => 2,
                Data::U64(_) => 3,
                Data::Text(_) => 4,
            };
            b.push(tag);
            b.push(r.dims.len() as u8);
            for d in &r.dims {
                b.extend_from_slice(&(*d as u64).to_le_bytes());
            }
            match &r.data {
                Data::F32(v) => v.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes())),
                Data::F64(v) => v.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes())),
                Data::U64(v) => v.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes())),
                Data::Text(s) => b.extend_from_slice(s.as_bytes()),
            }
        }
        std::fs::write(path, b).map_err(|e| Error::io(path, e))
    }

    /// Reads an archive from `path`.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::Load`] when it is not a
    /// plenoptic archive or is truncated.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let mut r = Reader {
            b: &bytes,
            pos: 0,
            path: path.to_path_buf(),
        };
        if r.take(16)? != MAGIC {
            return Err(load_err(
                path,
                "not a file saved by plenoptic (wrong magic bytes)",
            ));
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(load_err(
                path,
                format!("file format version {version}; this plenoptic reads version {VERSION}"),
            ));
        }
        let kind = r.string()?;
        let n = r.u32()? as usize;
        let mut a = Archive::new(&kind);
        for _ in 0..n {
            let name = r.string()?;
            let tag = r.take(1)?[0];
            let nd = r.take(1)?[0] as usize;
            let mut dims = Vec::with_capacity(nd);
            for _ in 0..nd {
                dims.push(r.u64()? as usize);
            }
            let count = dims
                .iter()
                .try_fold(1usize, |acc, d| acc.checked_mul(*d))
                .ok_or_else(|| load_err(path, format!("record {name} is impossibly large")))?;
            let data = match tag {
                1 => Data::F32(
                    r.take(count.saturating_mul(4))?
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                        .collect(),
                ),
                2 => Data::F64(
                    r.take(count.saturating_mul(8))?
                        .chunks_exact(8)
                        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                        .collect(),
                ),
                3 => Data::U64(
                    r.take(count.saturating_mul(8))?
                        .chunks_exact(8)
                        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
                        .collect(),
                ),
                4 => Data::Text(
                    String::from_utf8(r.take(count)?.to_vec())
                        .map_err(|_| load_err(path, format!("record {name} is not UTF-8")))?,
                ),
                t => {
                    return Err(load_err(
                        path,
                        format!("record {name} has unknown element type {t}"),
                    ))
                }
            };
            a.insert(&name, dims, data);
        }
        Ok(a)
    }

    pub fn has(&self, name: &str) -> bool {
        self.records.contains_key(name)
    }

    fn get(&self, path: &Path, name: &str) -> Result<&Record> {
        self.records
            .get(name)
            .ok_or_else(|| load_err(path, format!("the file has no `{name}` record")))
    }

    /// An f32 array and its dimensions.
    pub fn f32s(&self, path: &Path, name: &str) -> Result<(Vec<usize>, Vec<f32>)> {
        match self.get(path, name)? {
            Record {
                dims,
                data: Data::F32(v),
            } => Ok((dims.clone(), v.clone())),
            _ => Err(load_err(
                path,
                format!("record `{name}` is not an f32 array"),
            )),
        }
    }

    /// An f64 array.
    pub fn f64s(&self, path: &Path, name: &str) -> Result<Vec<f64>> {
        match &self.get(path, name)?.data {
            Data::F64(v) => Ok(v.clone()),
            _ => Err(load_err(
                path,
                format!("record `{name}` is not an f64 array"),
            )),
        }
    }

    /// A u64 array.
    pub fn u64s(&self, path: &Path, name: &str) -> Result<Vec<u64>> {
        match &self.get(path, name)?.data {
            Data::U64(v) => Ok(v.clone()),
            _ => Err(load_err(
                path,
                format!("record `{name}` is not a u64 array"),
            )),
        }
    }

    /// Exactly `n` f64 values.
    pub fn f64_n(&self, path: &Path, name: &str, n: usize) -> Result<Vec<f64>> {
        let v = self.f64s(path, name)?;
        if v.len() != n {
            return Err(load_err(
                path,
                format!("record `{name}` should hold {n} values, holds {}", v.len()),
            ));
        }
        Ok(v)
    }

    /// Exactly one u64 value.
    pub fn u64_1(&self, path: &Path, name: &str) -> Result<u64> {
        match self.u64s(path, name)?[..] {
            [v] => Ok(v),
            _ => Err(load_err(
                path,
                format!("record `{name}` should hold one value"),
            )),
        }
    }

    /// A text record.
    pub fn text(&self, path: &Path, name: &str) -> Result<String> {
        match &self.get(path, name)?.data {
            Data::Text(s) => Ok(s.clone()),
            _ => Err(load_err(path, format!("record `{name}` is not text"))),
        }
    }
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    b.extend_from_slice(&(s.len() as u16).to_le_bytes());
    b.extend_from_slice(s.as_bytes());
}

/// Shorthand for [`Error::Load`].
pub(crate) fn load_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::Load {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    path: PathBuf,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.b.len());
        match end {
            Some(end) => {
                let s = &self.b[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(load_err(&self.path, "the file is truncated")),
        }
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn string(&mut self) -> Result<String> {
        let n = u16::from_le_bytes(self.take(2)?.try_into().expect("2 bytes")) as usize;
        String::from_utf8(self.take(n)?.to_vec())
            .map_err(|_| load_err(&self.path, "a name is not UTF-8"))
    }
}
