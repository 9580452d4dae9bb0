//! The Portilla-Simoncelli statistics of one image plane from its spectral bands, on the
//! host (plenoptic 1.3.0's `PortillaSimoncelli.forward` after the pyramid, in its
//! order). The intermediates (moduli, phase-doubled bands, autocorrelations) are
//! computed in the bands' element type, as plenoptic does (the bands' centred moduli are
//! kept; the expanded bands' centred moduli and phase-doubled parts are made again, block
//! by block, where they are read: [`expanded_block`]); the sums over them
//! (means, variances, moments, correlations) add up in lanes of the element type over a
//! few values each ([`FLUSH`] chunks), then in f64. The adjoint is in [`super::adjoint`].

use std::mem::MaybeUninit;

use super::autocorr::autocorr;
use super::blocked::{self, BLOCK};
use super::buffers::{self, Buf, Kept};
use super::PsLayout;
use crate::ops::par;
use crate::ops::simd::avx2;
use crate::tensor::Float;

/// Where each input of the statistics lies in a plane's bands.
pub(super) struct Offsets {
    /// (scale, orientation) -> complex band (real part, then imaginary part).
    pub band: Vec<Vec<usize>>,
    /// (scale, orientation) -> the next coarser band, expanded to this scale (complex).
    pub expanded: Vec<Vec<usize>>,
    pub highpass: usize,
    /// Reconstructed low-pass images, fine to coarse (scale k on grid k).
    pub recon: Vec<usize>,
}

impl PsLayout {
    pub(super) fn n_at(&self, s: usize) -> usize {
        self.dims[s].0 * self.dims[s].1
    }

    pub(super) fn offsets(&self) -> Offsets {
        let (ns, no) = (self.n_scales, self.n_orientations);
        let mut o = 0;
        let mut take = |n: usize| {
            let s = o;
            o += n;
            s
        };
        let band = (0..ns)
            .map(|s| (0..no).map(|_| take(2 * self.n_at(s))).collect())
            .collect();
        let expanded = (0..ns.saturating_sub(1))
            .map(|s| (0..no).map(|_| take(2 * self.n_at(s))).collect())
            .collect();
        let highpass = take(self.n_at(0));
        let recon = (0..=ns).map(|k| take(self.n_at(k))).collect();
        Offsets {
            band,
            expanded,
            highpass,
            recon,
        }
    }

    /// Raw (unmasked) statistics per plane: plenoptic's 1947 for 4 scales, 4 orientations,
    /// width 9.
    pub(crate) fn raw_len(&self) -> usize {
        let (ns, no, w) = (self.n_scales, self.n_orientations, self.width);
        6 + w * w * no * ns
            + 3 * (ns + 1)
            + w * w * (ns + 1)
            + no * no * ns
            + no * ns
            + no * no * (ns - 1)
            + 2 * no * no * (ns - 1)
            + 1
    }
}

/// Start of each statistic group in the raw vector.
pub(super) struct Groups {
    pub acm: usize,
    pub skew: usize,
    pub kurt: usize,
    pub acr: usize,
    pub std: usize,
    pub cross_ori: usize,
    pub mag_std: usize,
    pub csm: usize,
    pub csr: usize,
    pub hp: usize,
}

pub(super) fn groups(l: &PsLayout) -> Groups {
    let (ns, no, w) = (l.n_scales, l.n_orientations, l.width);
    let acm = 6;
    let skew = acm + w * w * no * ns;
    let kurt = skew + ns + 1;
    let acr = kurt + ns + 1;
    let std = acr + w * w * (ns + 1);
    let cross_ori = std + ns + 1;
    let mag_std = cross_ori + no * no * ns;
    let csm = mag_std + no * ns;
    let csr = csm + no * no * (ns - 1);
    let hp = csr + 2 * no * no * (ns - 1);
    Groups {
        acm,
        skew,
        kurt,
        acr,
        std,
        cross_ori,
        mag_std,
        csm,
        csr,
        hp,
    }
}

/// Partial sums of the statistics' reductions (so they vectorise and the additions do not
/// wait on each other).
const K: usize = 16;

/// `sum v` in f64, in [`K`] interleaved partial sums (in the element type, added into
/// f64 lanes every [`FLUSH`] chunks) added in halves, then the values past the last
/// whole chunk.
#[inline(always)]
pub(super) fn lane_sum<S: Float>(v: &[S]) -> f64 {
    let c = v.chunks_exact(K);
    let tail: f64 = c.remainder().iter().map(|x| x.as_f64()).sum();
    let mut acc = [[0.0; K]];
    let mut part = [[S::zero(); K]];
    for (j, x) in c.enumerate() {
        for k in 0..K {
            part[0][k] += x[k];
        }
        if j % FLUSH == FLUSH - 1 {
            flush(&mut acc, &mut part);
        }
    }
    flush(&mut acc, &mut part);
    halving_sum(acc[0]) + tail
}

#[inline(always)]
pub(super) fn mean<S: Float>(v: &[S]) -> f64 {
    lane_sum(v) / v.len() as f64
}

/// The sum of `acc`'s lanes, added in halves (lane `k` with lane `k + w/2`) down to one.
#[inline(always)]
pub(super) fn halving_sum<const K: usize>(mut acc: [f64; K]) -> f64 {
    let mut w = K;
    while w > 1 {
        w /= 2;
        for k in 0..w {
            acc[k] += acc[k + w];
        }
    }
    acc[0]
}

/// `sum v * v` of values of any element type, in f64, with [`K`] partial sums (as
/// [`lane_sum`]).
#[inline(always)]
pub(super) fn sum_sq<E: Float>(v: &[E]) -> f64 {
    let c = v.chunks_exact(K);
    let tail: f64 = c.remainder().iter().map(|x| x.as_f64() * x.as_f64()).sum();
    let mut acc = [[0.0; K]];
    let mut part = [[E::zero(); K]];
    for (j, x) in c.enumerate() {
        for k in 0..K {
            part[0][k] += x[k] * x[k];
        }
        if j % FLUSH == FLUSH - 1 {
            flush(&mut acc, &mut part);
        }
    }
    flush(&mut acc, &mut part);
    halving_sum(acc[0]) + tail
}

/// Chunks of [`K`] values whose terms the lane sums of [`map_sums`], [`centre`] and
/// [`moments234`] add up in the element type before adding them into f64 lanes: a few
/// values per lane, so that f32 sums lose nothing that matters, and no conversion to f64
/// per value.
const FLUSH: usize = 32;

/// Adds `part`'s lanes into `acc`'s (in f64), and zeroes `part`.
#[inline(always)]
fn flush<S: Float, const Q: usize>(acc: &mut [[f64; K]; Q], part: &mut [[S; K]; Q]) {
    for (a, p) in acc.iter_mut().zip(part.iter_mut()) {
        for (a, p) in a.iter_mut().zip(p.iter_mut()) {
            *a += p.as_f64();
            *p = S::zero();
        }
    }
}

/// `O` new buffers of `n` values each, and `Q` sums in f64 over the values, in one pass
/// by chunks of [`K`]: `f(out, acc, i, len)` writes the values at `i..i + len` into
/// `out[o][..len]` and adds each value's terms into `acc[q][k]` (lane `k` for the
/// chunk's `k`-th value; in the element type, added into f64 lanes every [`FLUSH`]
/// chunks). The lanes are then added in halves, then the terms past the last whole
/// chunk in order. The buffers are filled chunk by chunk ([`buffers::filled`]: never
/// zeroed first).
#[inline(always)]
fn map_sums<const O: usize, const Q: usize, S: Kept>(
    n: usize,
    f: impl Fn(&mut [[S; K]; O], &mut [[S; K]; Q], usize, usize),
) -> ([Buf<S>; O], [f64; Q]) {
    let mut acc = [[0.0; K]; Q];
    let mut part = [[S::zero(); K]; Q];
    let mut tail = [[S::zero(); K]; Q];
    let body = n / K * K;
    let out = buffers::filled(O, n, |mut dst| {
        let mut v = [[S::zero(); K]; O];
        for i in (0..body).step_by(K) {
            f(&mut v, &mut part, i, K);
            if (i / K) % FLUSH == FLUSH - 1 {
                flush(&mut acc, &mut part);
            }
            for (d, v) in dst.iter_mut().zip(&v) {
                for (d, x) in d[i..i + K].iter_mut().zip(v) {
                    d.write(*x);
                }
            }
        }
        f(&mut v, &mut tail, body, n - body);
        for (d, v) in dst.iter_mut().zip(&v) {
            for (d, x) in d[body..].iter_mut().zip(v) {
                d.write(*x);
            }
        }
        dst.into_iter()
            // SAFETY: every value was written above (whole chunks, then the rest)
            .map(|d| unsafe { &mut *(d as *mut [MaybeUninit<S>] as *mut [S]) })
            .collect()
    });
    let out: [Buf<S>; O] = match out.try_into() {
        Ok(out) => out,
        Err(_) => unreachable!("filled makes O buffers"),
    };
    flush(&mut acc, &mut part);
    let rest = n - body;
    let sums = std::array::from_fn(|q| {
        halving_sum(acc[q]) + tail[q][..rest].iter().map(|t| t.as_f64()).sum::<f64>()
    });
    (out, sums)
}

/// |a + ib|.
#[inline(always)]
pub(super) fn abs<E: Float>(a: E, b: E) -> E {
    (a * a + b * b).sqrt()
}

/// `v - m` in place, and the sums of its values and of their squares in f64 (in lanes as
/// [`map_sums`]).
#[inline(always)]
fn centre<E: Float>(v: &mut [E], m: f64) -> [f64; 2] {
    let m = E::of_f64(m);
    let mut c = v.chunks_exact_mut(K);
    let mut acc = [[0.0; K]; 2];
    let mut part = [[E::zero(); K]; 2];
    for (j, x) in (&mut c).enumerate() {
        for k in 0..K {
            x[k] -= m;
            part[0][k] += x[k];
            part[1][k] += x[k] * x[k];
        }
        if j % FLUSH == FLUSH - 1 {
            flush(&mut acc, &mut part);
        }
    }
    flush(&mut acc, &mut part);
    let mut sums = acc.map(halving_sum);
    for x in c.into_remainder() {
        *x -= m;
        sums[0] += x.as_f64();
        sums[1] += x.as_f64() * x.as_f64();
    }
    sums
}

/// The centred modulus `|z| - m` of a complex band (real part, then imaginary part, `n`
/// each; `m` the mean modulus), the sums of its values and of their squares, and the
/// sums of the real part's values and of their squares. Two passes: the moduli with
/// their sum, then centred in place.
#[inline(always)]
fn centred<E: Kept>(c: &[E], n: usize) -> (Buf<E>, [f64; 2], [f64; 2]) {
    let (re, im) = c.split_at(n);
    let ([mut r], [sr, sre, sre2]) = map_sums(n, |o, acc, i, len| {
        let (re, im) = (&re[i..i + len], &im[i..i + len]);
        for k in 0..len {
            let (a, b) = (re[k], im[k]);
            let r = abs(a, b);
            o[0][k] = r;
            acc[0][k] += r;
            acc[1][k] += a;
            acc[2][k] += a * a;
        }
    });
    let sums = centre(&mut r, sr / n as f64);
    (r, sums, [sre, sre2])
}

/// For a complex band `a + ib` (real part, then imaginary part, `n` each) of modulus `r`:
/// the sums of `r`, of the phase-doubled parts `u = (a^2 - b^2) / r` and `t = 2ab / r`
/// and of their squares: `[r, u, u^2, t, t^2]`. (The values are made again where they
/// are read, by [`expanded_block`].)
#[inline(always)]
fn doubled_sums<E: Kept>(c: &[E], n: usize) -> [f64; 5] {
    let (re, im) = c.split_at(n);
    let ([], sums) = map_sums::<0, 5, E>(n, |_, acc, i, len| {
        let (re, im) = (&re[i..i + len], &im[i..i + len]);
        for k in 0..len {
            let (r, u, t) = doubled_at(re[k], im[k]);
            acc[0][k] += r;
            acc[1][k] += u;
            acc[2][k] += u * u;
            acc[3][k] += t;
            acc[4][k] += t * t;
        }
    });
    sums
}

/// The modulus `r` of `a + ib` and its phase-doubled parts `(a^2 - b^2) / r`, `2ab / r`.
#[inline(always)]
pub(super) fn doubled_at<E: Float>(a: E, b: E) -> (E, E, E) {
    let r = abs(a, b);
    let inv = E::one() / r;
    (r, (a * a - b * b) * inv, E::of_f64(2.0) * a * b * inv)
}

/// `1 / r`, or zero where `r` is zero (a modulus).
#[inline(always)]
pub(super) fn inverse<E: Float>(r: E) -> E {
    if r > E::zero() {
        E::one() / r
    } else {
        E::zero()
    }
}

/// A block of the values made from the expanded bands, as the correlations and their
/// adjoint read them: per orientation `o`, the centred modulus (`made[o]`), the
/// phase-doubled parts (`made[no + o]`, `made[2 no + o]`) and, when `made` has `4 no`
/// vectors, the inverse modulus ([`inverse`], `made[3 no + o]`). `band(o)`: the block's
/// values of expanded band `o` (real part, imaginary part); `centre[o]`: its mean modulus.
#[inline(always)]
pub(super) fn expanded_block<'a, E: Float>(
    centre: &[f64],
    band: impl Fn(usize) -> (&'a [E], &'a [E]),
    made: &mut [&mut [E]],
) {
    let no = centre.len();
    assert!(
        made.len() == 3 * no || made.len() == 4 * no,
        "the made values' vectors"
    );
    let (e, rest) = made.split_at_mut(no);
    let (u, rest) = rest.split_at_mut(no);
    let (t, inv) = rest.split_at_mut(no);
    for o in 0..no {
        let (re, im) = band(o);
        let n = re.len();
        let (im, m) = (&im[..n], E::of_f64(centre[o]));
        let (e, u, t) = (&mut e[o][..n], &mut u[o][..n], &mut t[o][..n]);
        if let Some(inv) = inv.get_mut(o) {
            let inv = &mut inv[..n];
            for k in 0..n {
                let (r, a, b) = doubled_at(re[k], im[k]);
                (e[k], u[k], t[k], inv[k]) = (r - m, a, b, inverse(r));
            }
        } else {
            for k in 0..n {
                let (r, a, b) = doubled_at(re[k], im[k]);
                (e[k], u[k], t[k]) = (r - m, a, b);
            }
        }
    }
}

/// Intermediates of one plane's statistics.
pub(super) struct Planes<E: Kept> {
    /// (scale, orientation): centred modulus, its variance.
    pub mag: Vec<Vec<Buf<E>>>,
    pub mag_var: Vec<Vec<f64>>,
    /// Expanded bands: the mean modulus (made again where they are read: the centred
    /// modulus and the phase-doubled parts, [`expanded_block`]), the centred modulus' variance.
    pub emag_centre: Vec<Vec<f64>>,
    pub emag_var: Vec<Vec<f64>>,
    /// Per scale: the phase-doubled real parts' then imaginary parts' variances (2 *
    /// n_orientations).
    pub dbl_var: Vec<Vec<f64>>,
    /// (scale, orientation): the variance of the band's real part (the cross-scale
    /// correlations read the real part in the bands).
    pub re_var: Vec<Vec<f64>>,
    /// The means of the values kept (as the variances: centred moduli, expanded ones,
    /// phase-doubled parts, real parts): the adjoint's means of sums of them.
    pub mag_mean: Vec<Vec<f64>>,
    pub emag_mean: Vec<Vec<f64>>,
    pub dbl_mean: Vec<Vec<f64>>,
    pub re_mean: Vec<Vec<f64>>,
    /// The variances of the reconstructed low-pass images (read in the bands), and
    /// their `mean(r^3)` and `mean(r^4)`.
    pub recon_var: Vec<f64>,
    pub recon_m34: Vec<(f64, f64)>,
}

/// What the forward of one plane keeps for its adjoint.
pub(crate) struct Saved<E: Kept> {
    /// The image in f64.
    pub(super) x: Buf<f64>,
    /// The raw statistics.
    pub(super) raw: Vec<f64>,
    /// The image's central moments.
    pub(super) pix_moments: PixelMoments,
    pub(super) p: Planes<E>,
    /// (scale, orientation): the centred modulus' autocorrelation.
    pub(super) ac_mag: Vec<Vec<Vec<f64>>>,
    /// Per reconstructed image: its autocorrelation.
    pub(super) ac_rec: Vec<Vec<f64>>,
}

/// A piece of the forward's first pass: one band's intermediates and (for the bands and
/// the reconstructed images) its autocorrelation.
#[derive(Clone, Copy)]
pub(crate) enum Job {
    /// (scale, orientation) of a band.
    Band(usize, usize),
    /// (scale, orientation) of an expanded band.
    Expanded(usize, usize),
    /// A reconstructed image.
    Recon(usize),
}

/// What a [`Job`] computes.
pub(crate) enum Done<E: Kept> {
    /// Centred modulus and its (mean, variance); the real part's (mean, variance); the
    /// centred modulus' autocorrelation.
    Band(Buf<E>, [f64; 2], [f64; 2], Vec<f64>),
    /// The sums of the modulus and of the phase-doubled parts and their squares.
    Expanded([f64; 5]),
    /// The image's variance and autocorrelation, `mean(r^3)` and `mean(r^4)`.
    Recon(f64, Vec<f64>, f64, f64),
}

/// Runs one [`Job`] on its band's values `c`.
#[inline(always)]
fn run_job<E: Kept>(l: &PsLayout, c: &[E], job: Job) -> Done<E> {
    let w = l.width;
    match job {
        Job::Band(s, _) => {
            let n = l.n_at(s);
            let (mag, sums, re_sums) = centred(c, n);
            let (h, wd) = l.dims[s];
            let ac = autocorr(&mag, h, wd, w);
            let nf = n as f64;
            Done::Band(mag, sums.map(|v| v / nf), re_sums.map(|v| v / nf), ac)
        }
        Job::Expanded(s, _) => {
            let n = l.n_at(s);
            Done::Expanded(doubled_sums(c, n))
        }
        Job::Recon(k) => {
            let (h, wd) = l.dims[k];
            let n = h * wd;
            let r = &c[..n];
            let [sq, m3, m4] = moments234(r);
            let ac = autocorr(r, h, wd, w);
            let nf = n as f64;
            let (m3, m4) = (m3 / nf, m4 / nf);
            Done::Recon(sq / nf, ac, m3, m4)
        }
    }
}

/// The forward's first pass on band `i` of the layout's plan (its values `c`), run by
/// [`crate::ops::SpectralPlan::analyze_then`] right after the band is computed, on the
/// thread that computed it: its intermediates and autocorrelation (the highpass has
/// none: its band's job is the finest reconstructed image, its imaginary part).
pub(crate) fn band_job<E: Kept>(l: &PsLayout, i: usize, c: &[E]) -> (Job, Done<E>) {
    let (ns, no) = (l.n_scales, l.n_orientations);
    let (nb, ne) = (ns * no, ns.saturating_sub(1) * no);
    let (job, c) = if i < nb {
        (Job::Band(i / no, i % no), c)
    } else if i < nb + ne {
        (Job::Expanded((i - nb) / no, (i - nb) % no), c)
    } else if i == nb + ne {
        // the highpass (no job) and, as its imaginary part, the finest reconstructed image
        (Job::Recon(0), &c[l.n_at(0)..])
    } else {
        (Job::Recon(i - nb - ne), c)
    };
    (
        job,
        avx2(
            #[inline(always)]
            || run_job(l, c, job),
        ),
    )
}

/// The forward's first pass gathered: from every band's [`band_job`], the
/// intermediates (with the reconstructed images' third and fourth moments), the centred
/// moduli's autocorrelations, the reconstructed images' autocorrelations.
#[allow(clippy::type_complexity)]
fn planes<E: Kept>(
    l: &PsLayout,
    done: Vec<(Job, Done<E>)>,
) -> (Planes<E>, Vec<Vec<Vec<f64>>>, Vec<Vec<f64>>) {
    let (ns, no) = (l.n_scales, l.n_orientations);
    let mut p = Planes {
        mag: (0..ns).map(|_| vec![]).collect(),
        mag_var: vec![vec![0.0; no]; ns],
        emag_centre: vec![vec![0.0; no]; ns.saturating_sub(1)],
        emag_var: vec![vec![0.0; no]; ns.saturating_sub(1)],
        dbl_var: vec![vec![0.0; 2 * no]; ns.saturating_sub(1)],
        re_var: vec![vec![0.0; no]; ns],
        mag_mean: vec![vec![0.0; no]; ns],
        emag_mean: vec![vec![0.0; no]; ns.saturating_sub(1)],
        dbl_mean: vec![vec![0.0; 2 * no]; ns.saturating_sub(1)],
        re_mean: vec![vec![0.0; no]; ns],
        recon_var: vec![0.0; ns + 1],
        recon_m34: vec![(0.0, 0.0); ns + 1],
    };
    let mut ac_mag: Vec<Vec<Vec<f64>>> = (0..ns).map(|_| vec![]).collect();
    let mut rec: Vec<Option<Vec<f64>>> = (0..=ns).map(|_| None).collect();
    for (j, d) in done {
        match (j, d) {
            (Job::Band(s, o), Done::Band(mag, [m, v], [rm, rv], ac)) => {
                p.mag[s].push(mag);
                (p.mag_mean[s][o], p.mag_var[s][o]) = (m, v);
                (p.re_mean[s][o], p.re_var[s][o]) = (rm, rv);
                ac_mag[s].push(ac);
            }
            (Job::Expanded(s, o), Done::Expanded(sums)) => {
                let [r, u, u2, t, t2] = sums.map(|v| v / l.n_at(s) as f64);
                // (the centred moduli are `|z| - m` in the element type: their mean is
                // about zero; their variance comes with the correlations)
                p.emag_centre[s][o] = r;
                p.emag_mean[s][o] = r - E::of_f64(r).as_f64();
                (p.dbl_mean[s][o], p.dbl_var[s][o]) = (u, u2);
                (p.dbl_mean[s][no + o], p.dbl_var[s][no + o]) = (t, t2);
            }
            (Job::Recon(k), Done::Recon(v, ac, m3, m4)) => {
                p.recon_var[k] = v;
                p.recon_m34[k] = (m3, m4);
                rec[k] = Some(ac);
            }
            _ => unreachable!("each job's own result"),
        }
    }
    let rec = rec
        .into_iter()
        .map(|r| r.expect("one per reconstructed image"))
        .collect();
    (p, ac_mag, rec)
}

/// What the pixel statistics' gradient needs besides the statistics: the central
/// moments `mean(d^2)`, `mean(d^3)`, `mean(d^4)` (`d` a pixel minus the mean).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct PixelMoments {
    pub(super) m2: f64,
    pub(super) m3: f64,
    pub(super) m4: f64,
}

/// Pixel statistics of `x`: mean, unbiased variance, skew, kurtosis, min, max, and the
/// central moments. One pass for the mean, one for the rest.
#[inline(always)]
pub(super) fn pixel_stats(x: &[f64]) -> ([f64; 6], PixelMoments) {
    let n = x.len() as f64;
    let m = mean(x);
    // (in K lanes, as lane_sum: the additions do not wait on each other)
    let c = x.chunks_exact(K);
    let rest = c.remainder();
    let mut acc = [[0.0; K]; 3];
    let (mut lo, mut hi) = ([f64::INFINITY; K], [f64::NEG_INFINITY; K]);
    for v in c {
        for k in 0..K {
            let d = v[k] - m;
            let d2 = d * d;
            acc[0][k] += d2;
            acc[1][k] += d2 * d;
            acc[2][k] += d2 * d2;
            lo[k] = f64::min(lo[k], v[k]);
            hi[k] = f64::max(hi[k], v[k]);
        }
    }
    let [mut s2, mut s3, mut s4] = acc.map(halving_sum);
    let mut min = lo.into_iter().fold(f64::INFINITY, f64::min);
    let mut max = hi.into_iter().fold(f64::NEG_INFINITY, f64::max);
    for &v in rest {
        let d = v - m;
        s2 += d * d;
        s3 += d * d * d;
        s4 += d * d * d * d;
        min = f64::min(min, v);
        max = f64::max(max, v);
    }
    let var = s2 / (n - 1.0);
    let (m3, m4) = (s3 / n, s4 / n);
    (
        [m, var, m3 / var.powf(1.5), m4 / (var * var), min, max],
        PixelMoments { m2: s2 / n, m3, m4 },
    )
}

/// `sum r^2`, `sum r^3` and `sum r^4` in f64, each in [`K`] lanes (as [`map_sums`]: the
/// terms in the element type, added into f64 lanes every [`FLUSH`] chunks).
#[inline(always)]
fn moments234<S: Float>(r: &[S]) -> [f64; 3] {
    let c = r.chunks_exact(K);
    let mut tail = [0.0; 3];
    for x in c.remainder() {
        let a = x.as_f64();
        let a2 = a * a;
        tail[0] += a2;
        tail[1] += a2 * a;
        tail[2] += a2 * a2;
    }
    let mut acc = [[0.0; K]; 3];
    let mut part = [[S::zero(); K]; 3];
    for (j, x) in c.enumerate() {
        for k in 0..K {
            let a = x[k];
            let a2 = a * a;
            part[0][k] += a2;
            part[1][k] += a2 * a;
            part[2][k] += a2 * a2;
        }
        if j % FLUSH == FLUSH - 1 {
            flush(&mut acc, &mut part);
        }
    }
    flush(&mut acc, &mut part);
    std::array::from_fn(|q| halving_sum(acc[q]) + tail[q])
}

/// Values per piece of a scale's correlations ([`forward`]): a multiple of the dot
/// products' blocks.
const CORR_PIECE: usize = 8192;

/// The pairs of a scale's correlations, `(a, b)` indices into the vectors `a` = the
/// moduli (then, with `cross`, the real parts and the expanded moduli) and `b` = the
/// moduli (then, with `cross`, the expanded moduli and the phase-doubled parts): per
/// orientation `o`, its modulus against the moduli of orientations `0..=o` (then, with
/// `cross`, against each expanded modulus); then, with `cross`, each real part against
/// each phase-doubled part, and last each expanded modulus against itself (its
/// variance).
fn corr_pairs(no: usize, cross: bool) -> Vec<(usize, usize)> {
    let mut pairs = vec![];
    for o in 0..no {
        pairs.extend((0..=o).map(|o2| (o, o2)));
        if cross {
            pairs.extend((0..no).map(|o2| (o, no + o2)));
        }
    }
    if cross {
        for o1 in 0..no {
            pairs.extend((0..2 * no).map(|q| (no + o1, 2 * no + q)));
        }
        pairs.extend((0..no).map(|o| (2 * no + o, no + o)));
    }
    pairs
}

/// A piece of [`forward`]'s second pass.
#[derive(Clone)]
enum Piece {
    /// A range of the values of a scale's correlations.
    Corr(usize, std::ops::Range<usize>),
    /// The image in f64 and its pixel statistics.
    Pixels,
    /// The highpass residual's energy.
    Highpass,
}

/// What a [`Piece`] computes.
enum PieceSums {
    Corr(Vec<f64>),
    Pixels(Buf<f64>, [f64; 6], PixelMoments),
    Highpass(f64),
}

/// The raw statistics (every entry, plenoptic's order) of one plane: image `x`, bands `y`.
/// The raw statistics and what the adjoint needs. The bands' intermediates, then the
/// correlations between them (with the pixel statistics and the highpass energy), are
/// computed in independent pieces shared out over threads, each piece whole on one thread
/// (the same bits on any number of threads). `done`: every band's [`band_job`], in the
/// plan's order.
pub(crate) fn forward<E: Kept>(
    l: &PsLayout,
    x: &[E],
    y: &[E],
    done: Vec<(Job, Done<E>)>,
) -> (Vec<f64>, Saved<E>) {
    let (ns, no, w) = (l.n_scales, l.n_orientations, l.width);
    let off = l.offsets();
    let g = groups(l);
    let (mut p, ac_mag, rec) = planes(l, done);
    let mut out = vec![0.0; l.raw_len()];
    // the correlations, per scale: the moduli's cross-orientation ones (each pair once)
    // and, but at the coarsest scale, the cross-scale ones (each finer orientation's
    // modulus and real part against the coarser scale's expanded moduli and
    // phase-doubled parts). All of a scale's pairs are summed together piece by piece of
    // the values, so each vector is read once; the pieces are shared out over threads and
    // their sums added in order.
    // (last, the image's pixel statistics and the highpass' energy, quick passes that
    // fill in at the end)
    let pairs: Vec<Vec<(usize, usize)>> = (0..ns).map(|s| corr_pairs(no, s + 1 < ns)).collect();
    let mut jobs: Vec<Piece> = vec![];
    for s in 0..ns {
        let n = l.n_at(s);
        jobs.extend(
            (0..n)
                .step_by(CORR_PIECE)
                .map(|i| Piece::Corr(s, i..(i + CORR_PIECE).min(n))),
        );
    }
    jobs.extend([Piece::Pixels, Piece::Highpass]);
    let size = |j: &Piece| match j {
        Piece::Corr(s, r) => pairs[*s].len() * r.len(),
        Piece::Pixels => 2 * x.len(),
        Piece::Highpass => x.len() / 2,
    };
    // (the image in f64 is a kept buffer, taken on whichever thread makes it)
    let lent = buffers::lend::<f64>();
    let pieces = par::map(jobs.clone(), size, |j| {
        let (s, r) = match j {
            Piece::Corr(s, r) => (s, r),
            Piece::Pixels => {
                let x = lent.run(|| {
                    avx2(
                        #[inline(always)]
                        || buffers::mapped(x, |v| v.as_f64()),
                    )
                });
                let (pix, moments) = avx2(
                    #[inline(always)]
                    || pixel_stats(&x),
                );
                return PieceSums::Pixels(x, pix, moments);
            }
            Piece::Highpass => {
                let hp = &y[off.highpass..off.highpass + l.n_at(0)];
                return PieceSums::Highpass(avx2(
                    #[inline(always)]
                    || sum_sq(hp),
                ));
            }
        };
        let n = l.n_at(s);
        let cross = s + 1 < ns;
        PieceSums::Corr(avx2(
            #[inline(always)]
            || {
                let mut d = blocked::Dots::new(&pairs[s]);
                // the expanded bands' centred moduli, then phase-doubled parts (real,
                // then imaginary), made again block by block
                let mut made = vec![E::zero(); if cross { 3 * no * BLOCK } else { 0 }];
                for i0 in r.clone().step_by(BLOCK) {
                    let i1 = (i0 + BLOCK).min(r.end);
                    let len = i1 - i0;
                    if cross {
                        let mut ch: Vec<&mut [E]> = made.chunks_mut(BLOCK).collect();
                        let band = |o: usize| {
                            let at = off.expanded[s][o];
                            (&y[at + i0..at + i1], &y[at + n + i0..at + n + i1])
                        };
                        expanded_block(&p.emag_centre[s], band, &mut ch);
                    }
                    let mut a: Vec<&[E]> = p.mag[s].iter().map(|v| &v[i0..i1]).collect();
                    let mut b = a.clone();
                    if cross {
                        // the real parts, read in the bands
                        a.extend((0..no).map(|o| &y[off.band[s][o] + i0..off.band[s][o] + i1]));
                        let made: Vec<&[E]> = made.chunks(BLOCK).map(|v| &v[..len]).collect();
                        a.extend(&made[..no]);
                        b.extend(made);
                    }
                    d.add(&a, &b);
                }
                d.sums()
            },
        ))
    });
    drop(lent);
    let mut sums: Vec<Vec<f64>> = pairs.iter().map(|p| vec![0.0; p.len()]).collect();
    let (mut image, mut hp_energy) = (None, 0.0);
    for (j, d) in jobs.into_iter().zip(pieces) {
        match (j, d) {
            (Piece::Corr(s, _), PieceSums::Corr(d)) => {
                for (t, v) in sums[s].iter_mut().zip(d) {
                    *t += v;
                }
            }
            (Piece::Pixels, PieceSums::Pixels(x, pix, moments)) => image = Some((x, pix, moments)),
            (Piece::Highpass, PieceSums::Highpass(e)) => hp_energy = e,
            _ => unreachable!("each piece's own sums"),
        }
    }
    let (x, pix, pix_moments) = image.expect("the pixel statistics");
    out[..6].copy_from_slice(&pix);
    for (s, d) in sums.iter().enumerate() {
        if s + 1 < ns {
            let n = l.n_at(s) as f64;
            for (v, d) in p.emag_var[s].iter_mut().zip(&d[d.len() - no..]) {
                *v = d / n;
            }
        }
    }
    for (s, d) in sums.into_iter().enumerate() {
        let n = l.n_at(s) as f64;
        for (&(i, j), d) in pairs[s].iter().zip(d) {
            match (i < no, j / no) {
                // an expanded modulus' variance (above)
                _ if i >= 2 * no => {}
                // two moduli (each pair once)
                (true, 0) => {
                    let c = d / n / (p.mag_var[s][i] * p.mag_var[s][j]).sqrt();
                    out[g.cross_ori + (i * no + j) * ns + s] = c;
                    out[g.cross_ori + (j * no + i) * ns + s] = c;
                }
                // a modulus and an expanded modulus
                (true, _) => {
                    let j = j - no;
                    let c = d / n / (p.mag_var[s][i] * p.emag_var[s][j]).sqrt();
                    out[g.csm + (i * no + j) * (ns - 1) + s] = c;
                }
                // a real part and a phase-doubled part
                (false, _) => {
                    let (i, q) = (i - no, j - 2 * no);
                    let c = d / n / (p.re_var[s][i] * p.dbl_var[s][q]).sqrt();
                    out[g.csr + (i * 2 * no + q) * (ns - 1) + s] = c;
                }
            }
        }
    }
    // the autocorrelations of the centred moduli, then of the reconstructed images
    for s in 0..ns {
        for o in 0..no {
            let ac = &ac_mag[s][o];
            let v = p.mag_var[s][o];
            for (a, r) in ac.iter().enumerate() {
                out[g.acm + (a * no + o) * ns + s] =
                    if a == (w / 2) * (w + 1) { 1.0 } else { r / v };
            }
            out[g.mag_std + o * ns + s] = v.sqrt();
        }
    }
    let mut ac_rec = vec![];
    for (k, ac) in rec.into_iter().enumerate() {
        let (v, (m3, m4)) = (p.recon_var[k], p.recon_m34[k]);
        for (a, c) in ac.iter().enumerate() {
            out[g.acr + a * (ns + 1) + k] = if a == (w / 2) * (w + 1) { 1.0 } else { c / v };
        }
        out[g.std + k] = v.sqrt();
        let unstable = v / pix[1] < l.resolution;
        out[g.skew + k] = if unstable { 0.0 } else { m3 / v.powf(1.5) };
        out[g.kurt + k] = if unstable { 3.0 } else { m4 / (v * v) };
        ac_rec.push(ac);
    }
    out[g.hp] = hp_energy / l.n_at(0) as f64;
    let saved = Saved {
        x,
        raw: out.clone(),
        pix_moments,
        p,
        ac_mag,
        ac_rec,
    };
    (out, saved)
}
