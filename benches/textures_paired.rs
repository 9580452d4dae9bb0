//! Portilla-Simoncelli forward+backward on reptile_skin 256x256, the port against
//! plenoptic 1.3.0, paired finely: this process and a plenoptic process
//! (`benches/textures_plenoptic.py --serve`) take turns in short blocks (about a quarter
//! of a second each, which side goes first alternating), so that both meet the same
//! moments of a machine whose speed drifts from second to second. Every call is timed
//! alone, wall-clock, each side with its default threads (all cores). Prints each
//! block's medians and ratio, then each side's median over all its calls, their ratio,
//! and the blocks' ratios (range, median, how many at 20x or more).
//!
//! `benches/textures_side_by_side.sh` pairs whole runs (a criterion run, then a
//! plenoptic run, some 15 s apart). Run by hand, with a Python that has plenoptic 1.3.0
//! and torch:
//!
//! ```text
//! PYTHON=/path/to/venv/bin/python cargo bench --bench textures_paired -- 40
//! ```
//!
//! (the argument: how many blocks each side runs; default 40, at least 1).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

#[path = "../tests/common/mod.rs"]
mod common;

/// Calls per block: about a quarter of a second on each side.
const PORT_CALLS: usize = 48;
const PLENOPTIC_CALLS: usize = 2;

/// The median of `v`, which it leaves sorted.
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    // (`cargo bench` passes `--bench`; the first number is the blocks)
    let blocks: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(40)
        .max(1);
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/textures_plenoptic.py");
    let mut child = Command::new(&python)
        .args([script, "--serve"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {python} {script} --serve: {e}"));
    let mut to_plenoptic = child.stdin.take().expect("a piped stdin");
    let mut from_plenoptic = BufReader::new(child.stdout.take().expect("a piped stdout"));
    let mut ready = String::new();
    from_plenoptic
        .read_line(&mut ready)
        .expect("plenoptic's ready line");
    assert_eq!(ready.trim(), "ready", "plenoptic did not start");
    let mut line = String::new();
    let mut plenoptic = |n: usize| -> Vec<f64> {
        writeln!(to_plenoptic, "{n}").expect("writing to plenoptic");
        to_plenoptic.flush().expect("writing to plenoptic");
        line.clear();
        from_plenoptic
            .read_line(&mut line)
            .expect("reading plenoptic's times");
        let t: Vec<f64> = line
            .split_whitespace()
            .map(|t| t.parse().expect("a time in ms"))
            .collect();
        assert_eq!(t.len(), n, "plenoptic's times: {line:?}");
        t
    };

    let case = common::textures::PsCase::new();
    let port = |n: usize| -> Vec<f64> {
        (0..n)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(case.forward_backward());
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect()
    };
    // warm-up, both sides
    port(PORT_CALLS);
    plenoptic(3);

    let (mut all_port, mut all_plen, mut ratios) = (vec![], vec![], vec![]);
    for b in 0..blocks {
        let (mut a, mut p) = if b % 2 == 0 {
            let a = port(PORT_CALLS);
            (a, plenoptic(PLENOPTIC_CALLS))
        } else {
            let p = plenoptic(PLENOPTIC_CALLS);
            (port(PORT_CALLS), p)
        };
        all_port.extend_from_slice(&a);
        all_plen.extend_from_slice(&p);
        let (ma, mp) = (median(&mut a), median(&mut p));
        ratios.push(mp / ma);
        println!(
            "block {:2}: port {ma:.3} ms, plenoptic {mp:.1} ms: {:.1}x",
            b + 1,
            mp / ma
        );
    }
    drop(to_plenoptic);
    let _ = child.wait();
    let (mp, mpl) = (median(&mut all_port), median(&mut all_plen));
    let at_20 = ratios.iter().filter(|&&r| r >= 20.0).count();
    // (sorts the ratios: their range is then the first and the last)
    let rmed = median(&mut ratios);
    println!(
        "{blocks} blocks ({} port calls, {} plenoptic calls): port median {mp:.3} ms, \
         plenoptic median {mpl:.1} ms: {:.1}x; blocks' ratios {:.1}-{:.1}x, median {rmed:.1}x, \
         {at_20} of {blocks} at 20x or more",
        all_port.len(),
        all_plen.len(),
        mpl / mp,
        ratios[0],
        ratios[ratios.len() - 1],
    );
}
