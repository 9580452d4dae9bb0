//! What plenoptic's early-visual-system ("frontend") models share: the output
//! pretrained-size check and the randomly initialised gain scalars. (Their element-wise
//! steps are in `ops::gain`.)

use crate::device::Device;
use crate::error::{Error, Result};
use crate::tensor::{dims, Float, Image, Tape};
use crate::tools::seed::with_rng;

/// The kernel size the pretrained parameters were fit with.
pub(crate) const PRETRAINED_SIZE: (usize, usize) = (31, 31);

/// Refuses `pretrained` with any kernel size but (31, 31), as plenoptic.
pub(crate) fn check_pretrained(model: &str, kernel_size: (usize, usize)) -> Result<()> {
    if kernel_size != PRETRAINED_SIZE {
        return Err(Error::invalid(
            "kernel_size",
            format!(
                "the pretrained {model} has kernel_size (31, 31), got {kernel_size:?}; \
                 use kernel_size (31, 31) or pretrained(false)"
            ),
        ));
    }
    Ok(())
}

/// The amplitude ratio to use: pretrained models have 1.25 (and refuse another explicit
/// value); otherwise the explicit value or the default 1.25.
pub(crate) fn amplitude_ratio(model: &str, pretrained: bool, explicit: Option<f64>) -> Result<f64> {
    match (pretrained, explicit) {
        (true, Some(r)) if r != 1.25 => Err(Error::invalid(
            "amplitude_ratio",
            format!("the pretrained {model} has amplitude_ratio 1.25, got {r}"),
        )),
        (_, Some(r)) => Ok(r),
        (_, None) => Ok(1.25),
    }
}

/// A pretrained value as plenoptic stores it (a float32 tensor), widened to f64.
pub(crate) fn f32_value(v: f32) -> f64 {
    v as f64
}

/// `n` gain scalars drawn like plenoptic's `torch.rand(n) * 10`, from the crate's seeded
/// generator.
pub(crate) fn random_scalars(n: usize) -> Vec<f64> {
    use rand::Rng;
    with_rng(|r| (0..n).map(|_| r.gen::<f64>() * 10.0).collect())
}

/// Refuses images with more than one channel (plenoptic's frontend models filter one
/// grey channel).
pub(crate) fn check_one_channel<E: Float, D: Device<E>, T: Tape<E, D>>(
    model: &str,
    x: &Image<E, T, D>,
) -> Result<()> {
    let d = dims(x);
    if d[1] != 1 {
        return Err(Error::shape_mismatch(
            format!("{model} takes images with 1 channel"),
            [d[0], 1, d[2], d[3]],
            d,
        ));
    }
    Ok(())
}

/// Titles for a bank of filters: `name` for one channel, `name 0`, `name 1`, ... (or the
/// given suffixes) for several.
pub(crate) fn titles(name: &str, n: usize, suffixes: Option<&[&str]>) -> Vec<String> {
    match (n, suffixes) {
        (1, _) => vec![name.to_string()],
        (_, Some(s)) => s.iter().map(|s| format!("{name} {s}")).collect(),
        _ => (0..n).map(|i| format!("{name} {i}")).collect(),
    }
}
