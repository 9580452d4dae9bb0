//! One seeded random number generator for the whole crate.

use std::sync::{Mutex, OnceLock};

use rand::rngs::StdRng;
use rand::SeedableRng;

/// The generator, one per process (shared by every notebook cell: see `crate::shared`).
fn rng() -> &'static Mutex<StdRng> {
    static RNG: OnceLock<&'static Mutex<StdRng>> = OnceLock::new();
    crate::shared::shared(&RNG, "rng", || Mutex::new(StdRng::seed_from_u64(0)))
}

/// Seeds the generator behind noise images and default initial images, so a notebook
/// gives the same pictures on every run (plenoptic's `set_seed`).
///
/// ```
/// use plenoptic as po;
/// po::tools::set_seed(1);
/// let a = po::data::white_noise::<f32>(&[1, 1, 4, 4])?;
/// po::tools::set_seed(1);
/// let b = po::data::white_noise::<f32>(&[1, 1, 4, 4])?;
/// assert_eq!(a.as_vec(), b.as_vec());
/// # Ok::<(), po::Error>(())
/// ```
pub fn set_seed(seed: u64) {
    *rng().lock().unwrap_or_else(|e| e.into_inner()) = StdRng::seed_from_u64(seed);
}

/// Runs `f` with the crate's generator.
pub fn with_rng<R>(f: impl FnOnce(&mut StdRng) -> R) -> R {
    f(&mut rng().lock().unwrap_or_else(|e| e.into_inner()))
}

/// `n` standard normal draws from the crate's generator (Box-Muller, two per pair of
/// uniforms).
pub(crate) fn standard_normal(n: usize) -> Vec<f64> {
    use rand::Rng;
    with_rng(|r| {
        let mut out = Vec::with_capacity(n + 1);
        while out.len() < n {
            // u1 in (0, 1] so the logarithm is finite
            let u1 = 1.0 - r.gen::<f64>();
            let u2 = r.gen::<f64>();
            let rad = (-2.0 * u1.ln()).sqrt();
            let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
            out.push(rad * c);
            out.push(rad * s);
        }
        out.truncate(n);
        out
    })
}
