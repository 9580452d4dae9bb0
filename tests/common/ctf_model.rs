//! A small multi-scale model for coarse-to-fine synthesis tests: a bank of circular
//! Gaussian blurs (scale i has std 2^i), one output channel each, coarsest last; a subset
//! of scales is a contiguous range of channels.

use plenoptic as po;
use po::simulate::{CoarseToFine, Scale};
use po::tools::conv::{conv2d, same_padding, PadMode};

/// Blurs at `n` scales.
#[derive(Clone)]
pub struct Blurs {
    filt: po::tools::Filter,
    n: usize,
}

impl Blurs {
    pub fn new(n: usize) -> Self {
        let stds: Vec<f64> = (0..n).map(|i| (1u32 << i) as f64 * 0.75).collect();
        Blurs {
            filt: po::tools::circular_gaussian2d((9, 9), &stds).unwrap(),
            n,
        }
    }
}

impl po::Model for Blurs {
    fn forward<E: po::Float, D: po::Device<E>, T: po::Tape<E, D>>(
        &self,
        x: po::Image<E, T, D>,
    ) -> po::Result<po::Image<E, T, D>> {
        self.forward_scales(x, &[])
    }
}

impl CoarseToFine for Blurs {
    fn scales(&self) -> Vec<Scale> {
        (0..self.n).rev().map(Scale::Index).collect()
    }

    fn forward_scales<E: po::Float, D: po::Device<E>, T: po::Tape<E, D>>(
        &self,
        x: po::Image<E, T, D>,
        scales: &[Scale],
    ) -> po::Result<po::Image<E, T, D>> {
        let y = conv2d(same_padding(x, (9, 9), PadMode::Circular)?, &self.filt)?;
        if scales.is_empty() {
            return Ok(y);
        }
        let mut idx = Vec::new();
        for s in scales {
            match s {
                Scale::Index(i) if *i < self.n => idx.push(*i),
                s => return Err(po::Error::invalid("scales", format!("no scale {s}"))),
            }
        }
        idx.sort();
        let (lo, hi) = (idx[0], idx[idx.len() - 1]);
        if hi - lo + 1 != idx.len() {
            return Err(po::Error::invalid("scales", "not a contiguous range"));
        }
        po::ops::select_channels(y, lo..hi + 1)
    }
}
