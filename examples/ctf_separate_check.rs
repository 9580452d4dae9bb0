//! Hand check of coarse-to-fine synthesis in "separate" mode against plenoptic 1.3.0:
//! the same run as `benches/ctf_separate_plenoptic.py` (reptile_skin's 64x64 crop,
//! PortillaSimoncelli with 3 scales and spatial_corr_width 7, l2_norm, plenoptic's
//! initial image, 40 iterations, scales changed every 3), compared with what that script
//! wrote: the schedule, and the largest relative difference of `losses`, `scales_loss`
//! and `gradient_norm` over the first iterations. Run by hand, not by the tests:
//!
//! ```text
//! /work/plenv/bin/python benches/ctf_separate_plenoptic.py /tmp/ctfsep
//! cargo run --release --example ctf_separate_check -- /tmp/ctfsep
//! ```

use std::path::Path;

use plenoptic as po;
use po::synthesize::{CtfMode, LossFunction, MetamerCTF};

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn f64s(b: &[u8]) -> Vec<f64> {
    b.chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect()
}

fn main() -> po::Result<()> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or("/tmp/ctfsep".into()));
    po::synthesize::show_progress(false);
    let img = po::image_from_vec(f32s(&read(&dir, "img.f32")), &[1, 1, 64, 64])?;
    let init = po::image_from_vec(f32s(&read(&dir, "init.f32")), &[1, 1, 64, 64])?;
    let ps = po::simulate::PortillaSimoncelli::builder((64, 64))
        .n_scales(3)
        .spatial_corr_width(7)
        .build()?;
    let mut met = MetamerCTF::builder(img, ps)
        .loss_function(LossFunction::L2Norm)
        .coarse_to_fine(CtfMode::Separate)
        .build()?;
    met.setup().initial_image(&init).run()?;
    met.synthesize(40)
        .store_progress(1)
        .change_scale_criterion(None)
        .ctf_iters_to_check(3)
        .run()?;
    let theirs = String::from_utf8_lossy(&read(&dir, "timing.txt")).to_string();
    let ours: String = met
        .scales_timing()
        .iter()
        .map(|(k, t)| {
            let t: Vec<String> = t.iter().map(|i| i.to_string()).collect();
            format!("{k} {}\n", t.join(" "))
        })
        .collect();
    println!("schedule, plenoptic:\n{theirs}schedule, ours:\n{ours}");
    println!("same schedule: {}", theirs == ours);
    for (what, got, file) in [
        ("losses", met.losses(), "losses.f64"),
        ("scales_loss", met.scales_loss(), "scales_loss.f64"),
        ("gradient_norm", met.gradient_norm(), "gradient_norm.f64"),
    ] {
        let want = f64s(&read(&dir, file));
        let rel: Vec<f64> = got
            .iter()
            .zip(&want)
            .map(|(g, w)| (g - w).abs() / w.abs())
            .collect();
        let upto = |n: usize| {
            rel[..n.min(rel.len())]
                .iter()
                .fold(0.0f64, |a, b| a.max(*b))
        };
        println!(
            "{what}: largest relative difference over iterations 0..10 {:.2e}, 0..20 {:.2e}, 0..40 {:.2e}",
            upto(10),
            upto(20),
            upto(40)
        );
        let show: Vec<String> = got
            .iter()
            .zip(&want)
            .take(8)
            .map(|(g, w)| format!("{g:.6} / {w:.6}"))
            .collect();
        println!("  first, ours / plenoptic: {}", show.join(", "));
    }
    Ok(())
}
