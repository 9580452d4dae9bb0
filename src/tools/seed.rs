//! One seeded random number generator for the whole crate.

use std::sync::{Mutex, OnceLock};

use rand::rngs::StdRng;
use rand::SeedableRng;

fn rng() -> &'static Mutex<StdRng> {
    static RNG: OnceLock<Mutex<StdRng>> = OnceLock::new();
    RNG.get_or_init(|| Mutex::new(StdRng::seed_from_u64(0)))
}

/// Seeds the generator behind noise images and default initial images, so a notebook
/// gives the same pictures on every run (plenoptic's `set_seed`).
///
/// ```
/// use plenoptic as po;
/// po::tools::set_seed(1);
/// let a = po::data::white_noise(&[1, 1, 4, 4])?;
/// po::tools::set_seed(1);
/// let b = po::data::white_noise(&[1, 1, 4, 4])?;
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
