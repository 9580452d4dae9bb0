//! NLPD's parameters from the plenoptic 1.3.0 wheel (`plenoptic/metric/DN_filts.npy`,
//! `DN_sigmas.npy`, fetched with their checksums by `kernel-setup/fetch-data.sh` into
//! the data folder), read with a small `.npy` reader (little-endian float64, C order).

use std::path::Path;
use std::sync::OnceLock;

use crate::data::data_dir;
use crate::error::{Error, Result};
use crate::tools::Filter;

/// The six 5x5 divisive-normalisation filters and six sigmas of NLPD (Laparra et al. 2016).
#[derive(Clone, Debug)]
pub(crate) struct DnParams {
    pub(crate) filters: Vec<Vec<f64>>,
    pub(crate) sigmas: Vec<f64>,
}

/// Reads a float64, C-order `.npy` file: its values and shape.
pub(crate) fn read_npy_f64(path: &Path) -> Result<(Vec<f64>, Vec<usize>)> {
    if !path.is_file() {
        return Err(Error::MissingData {
            path: path.to_path_buf(),
        });
    }
    let bad = |reason: &str| Error::DataRead {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("not a .npy file"));
    }
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err(bad("unknown .npy version")),
    };
    let header = bytes
        .get(start..start + hlen)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| bad("truncated header"))?;
    if !header.contains("'descr': '<f8'") || !header.contains("'fortran_order': False") {
        return Err(bad("expected little-endian float64 in C order"));
    }
    let shape_txt = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| bad("no shape in header"))?;
    let shape = shape_txt
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| bad("bad shape")))
        .collect::<Result<Vec<_>>>()?;
    let n: usize = shape.iter().product();
    let data = &bytes[start + hlen..];
    if data.len() != 8 * n {
        return Err(bad("data length does not match the shape"));
    }
    let v = data
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    Ok((v, shape))
}

/// Reads the parameters from `dir`.
pub(crate) fn load(dir: &Path) -> Result<DnParams> {
    let (f, fshape) = read_npy_f64(&dir.join("DN_filts.npy"))?;
    let (s, sshape) = read_npy_f64(&dir.join("DN_sigmas.npy"))?;
    if fshape != [6, 5, 5] || sshape != [6] {
        return Err(Error::shape_mismatch(
            "NLPD parameters (DN_filts, DN_sigmas)",
            [6, 5, 5, 6],
            [
                fshape.first().copied().unwrap_or(0),
                fshape.get(1).copied().unwrap_or(0),
                fshape.get(2).copied().unwrap_or(0),
                sshape.first().copied().unwrap_or(0),
            ],
        ));
    }
    Ok(DnParams {
        filters: f.chunks(25).map(<[f64]>::to_vec).collect(),
        sigmas: s,
    })
}

/// The parameters from the data folder, read once.
pub(crate) fn params() -> Result<&'static DnParams> {
    static P: OnceLock<DnParams> = OnceLock::new();
    if let Some(p) = P.get() {
        return Ok(p);
    }
    let p = load(&data_dir())?;
    Ok(P.get_or_init(|| p))
}

/// Level `i`'s filter repeated for `channels` channels (a grouped convolution).
pub(crate) fn filter(p: &DnParams, i: usize, channels: usize) -> Result<Filter> {
    Filter::new(p.filters[i].repeat(channels), [channels, 1, 5, 5])
}
