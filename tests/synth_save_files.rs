//! Save files you can trust: every damage to a saved metamer or eigendistortion (a flipped
//! byte anywhere, a cut at any length, appended bytes), a file of another format version
//! and a file of another kind of synthesis are refused with a typed [`LoadError`] that
//! names the problem: never a panic, never a silent load of wrong numbers.

mod common;

use std::path::{Path, PathBuf};

use plenoptic as po;
use po::synthesize::{Eigendistortion, Metamer, Method};
use po::{Error, LoadError};

use common::quiet;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plenoptic-save-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn model() -> po::simulate::Gaussian {
    po::simulate::Gaussian::builder((5, 5))
        .std(1.0)
        .pad_mode(po::PadMode::Circular)
        .build()
        .unwrap()
}

fn image() -> po::Image<f32> {
    po::tools::set_seed(3);
    po::data::white_noise::<f32>(&[1, 1, 8, 8]).unwrap()
}

/// A small metamer, set up, synthesized with stored progress, saved: every kind of record
/// (f32 arrays, f64 and u64 values, text) is in the file.
fn saved_metamer() -> (PathBuf, Vec<u8>) {
    quiet();
    let mut met = Metamer::new(image(), model()).unwrap();
    met.setup().lr(0.05).run().unwrap();
    met.synthesize(3).store_progress(2).run().unwrap();
    let path = tmp("metamer.plen");
    met.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

fn saved_eigendistortion() -> (PathBuf, Vec<u8>) {
    quiet();
    let mut eig = Eigendistortion::new(image(), model()).unwrap();
    eig.synthesize().method(Method::Lobpcg).k(2).run().unwrap();
    let path = tmp("eigendistortion.plen");
    eig.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

fn reason(e: Error) -> LoadError {
    match e {
        Error::Load { reason, .. } => reason,
        e => panic!("expected Error::Load, got {e}"),
    }
}

/// Loads every variant of `bytes` that `damage` makes with `load`, requiring a typed load
/// error each time; returns how many variants were refused.
fn all_refused(
    path: &Path,
    variants: impl Iterator<Item = (String, Vec<u8>)>,
    load: impl Fn(&Path) -> po::Result<()>,
) -> usize {
    let mut n = 0;
    for (what, b) in variants {
        std::fs::write(path, &b).unwrap();
        match load(path) {
            Ok(()) => panic!("{what}: loaded silently"),
            Err(Error::Load { reason, .. }) => assert!(!reason.to_string().is_empty()),
            Err(e) => panic!("{what}: not a load error: {e}"),
        }
        n += 1;
    }
    n
}

fn flips(bytes: &[u8]) -> impl Iterator<Item = (String, Vec<u8>)> + '_ {
    (0..bytes.len()).map(move |i| {
        let mut b = bytes.to_vec();
        b[i] ^= if i % 2 == 0 { 0xFF } else { 0x01 };
        (format!("byte {i} flipped"), b)
    })
}

fn cuts(bytes: &[u8]) -> impl Iterator<Item = (String, Vec<u8>)> + '_ {
    (0..bytes.len()).map(move |n| (format!("cut at {n}"), bytes[..n].to_vec()))
}

fn appended(bytes: &[u8]) -> impl Iterator<Item = (String, Vec<u8>)> + '_ {
    [vec![0u8], vec![0xAB; 7], bytes.to_vec()]
        .into_iter()
        .map(move |tail| {
            let mut b = bytes.to_vec();
            b.extend_from_slice(&tail);
            (format!("{} bytes appended", tail.len()), b)
        })
}

#[test]
fn damaged_metamer_files_are_refused() {
    let (path, bytes) = saved_metamer();
    let load = |p: &Path| Metamer::load(p, model()).map(|_| ());
    // the intact file loads
    load(&path).unwrap();
    let bad = tmp("metamer-damaged.plen");
    assert_eq!(all_refused(&bad, flips(&bytes), load), bytes.len());
    assert_eq!(all_refused(&bad, cuts(&bytes), load), bytes.len());
    assert_eq!(all_refused(&bad, appended(&bytes), load), 3);
}

#[test]
fn damaged_eigendistortion_files_are_refused() {
    let (path, bytes) = saved_eigendistortion();
    let load = |p: &Path| Eigendistortion::load(p, model()).map(|_| ());
    load(&path).unwrap();
    let bad = tmp("eigendistortion-damaged.plen");
    assert_eq!(all_refused(&bad, flips(&bytes), load), bytes.len());
    assert_eq!(all_refused(&bad, cuts(&bytes), load), bytes.len());
    assert_eq!(all_refused(&bad, appended(&bytes), load), 3);
}

/// The typed reasons name what is wrong: the damaged record, the lengths, the header.
#[test]
fn reasons_name_the_damage() {
    let (_, bytes) = saved_eigendistortion();
    let path = tmp("eig-reasons.plen");
    let load = |b: &[u8]| {
        std::fs::write(&path, b).unwrap();
        reason(Eigendistortion::load(&path, model()).unwrap_err())
    };
    // a flipped byte in the middle of the eigendistortions' values
    let mut b = bytes.clone();
    let at = find(&bytes, b"eigendistortions") + 100;
    b[at] ^= 0x10;
    let r = load(&b);
    assert!(
        matches!(&r, LoadError::Corrupt { record } if record.contains("`eigendistortions`")),
        "{r:?}"
    );
    assert!(r.to_string().contains("damaged"), "{r}");
    // in the header
    let mut b = bytes.clone();
    b[40] ^= 1;
    assert_eq!(
        load(&b),
        LoadError::Corrupt {
            record: "the header".into()
        }
    );
    // the magic
    let mut b = bytes.clone();
    b[0] = b'p';
    assert_eq!(load(&b), LoadError::NotArchive);
    // cut, extended
    let n = bytes.len() as u64;
    assert_eq!(
        load(&bytes[..bytes.len() - 3]),
        LoadError::Truncated {
            found: n - 3,
            expected: Some(n)
        }
    );
    assert_eq!(
        load(&bytes[..30]),
        LoadError::Truncated {
            found: 30,
            expected: None
        }
    );
    let mut b = bytes.clone();
    b.extend_from_slice(b"more");
    assert_eq!(load(&b), LoadError::TrailingBytes { extra: 4 });
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

#[test]
fn other_format_versions_are_named() {
    let (path, mut bytes) = saved_metamer();
    for found in [1u32, 3, 0x0100_0002] {
        bytes[16..20].copy_from_slice(&found.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let err = Metamer::load(&path, model()).unwrap_err();
        let msg = err.to_string();
        assert_eq!(
            reason(err),
            LoadError::Version { found, expected: 2 },
            "{msg}"
        );
        assert!(
            msg.contains(&format!("version {found}")) && msg.contains("version 2"),
            "{msg}"
        );
    }
}

#[test]
fn other_kinds_are_named() {
    let (met_path, _) = saved_metamer();
    let err = Eigendistortion::load(&met_path, model()).unwrap_err();
    let msg = err.to_string();
    assert_eq!(
        reason(err),
        LoadError::Kind {
            found: "Metamer".into(),
            expected: "Eigendistortion".into()
        }
    );
    assert!(
        msg.contains("holds a saved Metamer, which cannot be loaded as Eigendistortion"),
        "{msg}"
    );
    let (eig_path, _) = saved_eigendistortion();
    let err = Metamer::load(&eig_path, model()).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, Error::Load { .. })
            && msg.contains("Eigendistortion")
            && msg.contains("Metamer"),
        "{msg}"
    );
}
