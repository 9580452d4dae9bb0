//! The spectral plan of the Portilla-Simoncelli model: every linear step of plenoptic's
//! forward as one band of [`crate::ops::spectral_analysis`] (the complex pyramid bands,
//! each coarser band expanded one scale up, the residual highpass, and the low-pass
//! images reconstructed at each scale), in the order [`crate::ops::ps_statistics`] reads.
//! The highpass and the finest reconstructed image (both real) are one complex band, and
//! each coarser scale's bands are every other value of the same bands expanded.

use crate::ops::{SpectralBand, SpectralPlan};
use crate::simulate::steerable_pyramid::masks::Masks;
use crate::simulate::{PyrKey, SteerablePyramidFreq};

type Mask = Vec<(f64, f64)>;

/// `mask` (an `h x w` grid, shifted layout) placed at `off` in a zero `gh x gw` grid.
fn embed(mask: &Mask, h: usize, w: usize, gh: usize, gw: usize, off: (usize, usize)) -> Mask {
    let mut out = vec![(0.0, 0.0); gh * gw];
    for i in 0..h {
        for j in 0..w {
            out[(off.0 + i) * gw + off.1 + j] = mask[i * w + j];
        }
    }
    out
}

fn mul(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

/// The mask whose band is the real part of `mask`'s band: `(m(k) + conj(m(-k))) / 2` on
/// the `h x w` shifted grid (exact when the mask vanishes on the grid's Nyquist row and
/// column, as the low-pass cascade makes it).
fn real_part(mask: &Mask, h: usize, w: usize) -> Mask {
    let mut out = vec![(0.0, 0.0); h * w];
    for u in 0..h {
        for v in 0..w {
            let a = mask[u * w + v];
            let b = mask[((h - u) % h) * w + (w - v) % w];
            out[u * w + v] = (0.5 * (a.0 + b.0), 0.5 * (a.1 - b.1));
        }
    }
    out
}

/// The plan for `pyr` (complex, downsampled, `n` scales of `no` orientations).
pub(crate) fn plan(pyr: &SteerablePyramidFreq) -> SpectralPlan {
    let m: &Masks = pyr.masks();
    let (n, no) = (pyr.num_scales(), pyr.num_orientations());
    let big = pyr.image_shape();
    let mut bands = Vec::new();
    let fwd = |s: usize, o: usize| pyr.band_mask(PyrKey::Band(s, o), false);
    let rec = |s: usize, o: usize| pyr.band_mask(PyrKey::Band(s, o), true);
    for s in 0..n {
        for o in 0..no {
            let (h, w, v, _) = fwd(s, o);
            bands.push(if s == 0 {
                SpectralBand::centred(big, h, w, &v, true)
            } else {
                // every other row and column of the same band expanded one scale up (its
                // mask embedded in the finer grid, zero around it): no transform of its own
                SpectralBand::decimated(n * no + (s - 1) * no + o, h, w, true)
            });
        }
    }
    for s in 0..n.saturating_sub(1) {
        let (gh, gw) = m.dims[s];
        for o in 0..no {
            let (h, w, v, _) = fwd(s + 1, o);
            let e = embed(&v, h, w, gh, gw, m.offset(s, s + 1));
            bands.push(SpectralBand::centred(big, gh, gw, &e, true));
        }
    }
    let (hh, hw, hp, _) = pyr.band_mask(PyrKey::ResidualHighpass, false);
    // reconstructed low-pass images: the mean-free residual lowpass plus scales n-1 .. k,
    // at scale k's grid
    let (lh, lw, lf, _) = pyr.band_mask(PyrKey::ResidualLowpass, false);
    let (_, _, lr, _) = pyr.band_mask(PyrKey::ResidualLowpass, true);
    let mut low: Mask = lf.iter().zip(&lr).map(|(a, b)| mul(*a, *b)).collect();
    low[(lh / 2) * lw + lw / 2] = (0.0, 0.0);
    let mut recons = Vec::new();
    let mut acc = low;
    let (mut ah, mut aw) = (lh, lw);
    for k in (0..=n).rev() {
        if k < n {
            let (gh, gw) = m.dims[k];
            let mut next = embed(&acc, ah, aw, gh, gw, m.offset(k, k + 1));
            for o in 0..no {
                let (_, _, f, _) = fwd(k, o);
                let (_, _, r, _) = rec(k, o);
                for ((t, a), b) in next.iter_mut().zip(&f).zip(&r) {
                    let p = mul(*a, *b);
                    t.0 += p.0;
                    t.1 += p.1;
                }
            }
            acc = next;
            (ah, aw) = (gh, gw);
        }
        recons.push((ah, aw, real_part(&acc, ah, aw)));
    }
    // the highpass residual and the finest reconstructed image (both real, both on the
    // image's grid) as one complex band: the real part of its mask's band is the
    // highpass, the imaginary part the image (one transform instead of two)
    let (rh, rw, r0) = recons.pop().expect("the finest reconstructed image");
    assert!(
        (rh, rw) == (hh, hw),
        "the highpass and the finest image share a grid"
    );
    let pair: Mask = real_part(&hp, hh, hw)
        .iter()
        .zip(&r0)
        .map(|(a, b)| (a.0 - b.1, a.1 + b.0))
        .collect();
    bands.push(SpectralBand::centred(big, hh, hw, &pair, true));
    bands.extend(
        recons
            .iter()
            .rev()
            .map(|(h, w, m)| SpectralBand::centred(big, *h, *w, m, false)),
    );
    SpectralPlan::new(big.0, big.1, bands)
}
