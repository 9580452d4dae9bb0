//! [`SpectralPlan`]: the bands of the spectral op, and the host transforms that apply it
//! and its adjoint (in the op's element type, one image plane at a time).
//!
//! Spectra are kept transposed (entry (row, column) at `[column * rows + row]`): a 2-D
//! transform ([`Fft2::fft2_t`]) returns its result transposed, and the DFT of a
//! transposed array is the transposed DFT, so going image -> spectrum -> band costs one
//! transpose per transform and the bands come out row-major.

use std::mem::MaybeUninit;
use std::sync::{Arc, Mutex};

use rustfft::num_complex::Complex;

use super::fft2::{Fft2, C64};
use crate::ops::par;
use crate::ops::simd::avx2;
use crate::tensor::{ByFloat, Float, PerFloat};

/// One output band of a [`SpectralPlan`]: the centred `h x w` crop of the image's
/// `fftshift`ed 2-D DFT, times a complex mask, brought back to space at the crop's size
/// (`ifft2(ifftshift(mask * crop))`, torch's "backward" norm). Its real part, and with
/// `imag` its imaginary part, are outputs.
#[derive(Clone, Debug)]
pub struct SpectralBand {
    pub(crate) h: usize,
    pub(crate) w: usize,
    /// For each column of the band's unshifted spectrum, the image spectrum's column.
    cols: Vec<usize>,
    /// Runs of consecutive rows: `(j, r, len)` maps the band's rows `j..j + len` to the
    /// image spectrum's rows `r..r + len`.
    row_runs: Vec<(usize, usize, usize)>,
    /// The ranges of the band's columns where the mask is not all zero.
    live: Vec<std::ops::Range<usize>>,
    /// The mask in the band's unshifted layout, transposed (`[l * h + j]` for row `j`,
    /// column `l`).
    mask: Vec<C64>,
    /// Where each column's mask is not zero: [`Span`]s, those of column `l` at
    /// `spans[col_spans[l]..col_spans[l + 1]]`. A steerable pyramid band's mask is
    /// zero but for one run of rows (circularly) per column, often less than half of it.
    spans: Vec<Span>,
    col_spans: Vec<usize>,
    /// The mask's values in the spans, one span after another.
    packed: Vec<C64>,
    /// The same in f32.
    packed32: Vec<Complex<f32>>,
    pub(crate) imag: bool,
    /// For a band that is every other row and column of another band (its index in the
    /// plan): that index ([`SpectralBand::decimated`]).
    pub(crate) decimates: Option<usize>,
}

/// Rows `j..j + len` of a column of a band (that are the image spectrum's rows `r..r +
/// len`), whose mask values are the packed ones from `at`: the rows where a column's
/// mask is not zero lie in its spans.
#[derive(Clone, Copy, Debug)]
struct Span {
    j: usize,
    r: usize,
    len: usize,
    at: usize,
}

/// A band's packed mask in the element type `E`.
struct MaskOf;
impl PerFloat for MaskOf {
    type Of<E: Float> = fn(&SpectralBand) -> &[Complex<E>];
}
static MASK: ByFloat<MaskOf> = ByFloat {
    single: |b| &b.packed32,
    double: |b| &b.packed,
};

impl SpectralBand {
    /// The band of an `big_h x big_w` image for the mask `mask_shifted` (`h x w`,
    /// row-major, in `fftshift`ed layout, centred like plenoptic's crops: its row 0 is
    /// the image's shifted row `big_h/2 - h/2`), given as `(re, im)` pairs.
    pub(crate) fn centred(
        big: (usize, usize),
        h: usize,
        w: usize,
        mask_shifted: &[(f64, f64)],
        imag: bool,
    ) -> Self {
        let (bh, bw) = big;
        debug_assert!(h <= bh && w <= bw && mask_shifted.len() == h * w);
        let map = |n: usize, big_n: usize| -> Vec<usize> {
            let r0 = big_n / 2 - n / 2;
            (0..n)
                .map(|j| {
                    let u = (j + n / 2) % n;
                    (r0 + u + big_n - big_n / 2) % big_n
                })
                .collect()
        };
        let mut mask = vec![C64::new(0.0, 0.0); h * w];
        for j in 0..h {
            let u = (j + h / 2) % h;
            for l in 0..w {
                let v = (l + w / 2) % w;
                let (re, im) = mask_shifted[u * w + v];
                mask[l * h + j] = C64::new(re, im);
            }
        }
        let rows = map(h, bh);
        let mut b = SpectralBand {
            h,
            w,
            row_runs: runs(&rows),
            cols: map(w, bw),
            live: Vec::new(),
            mask,
            spans: Vec::new(),
            col_spans: Vec::new(),
            packed: Vec::new(),
            packed32: Vec::new(),
            imag,
            decimates: None,
        };
        b.derive();
        b
    }

    /// The rows of the mask's column `l` outside which it is zero: the shortest
    /// circular run `(start, len)` (`len` 0 for a zero column).
    fn column_run(&self, l: usize) -> (usize, usize) {
        let h = self.h;
        let col = &self.mask[l * h..(l + 1) * h];
        let nonzero: Vec<usize> = (0..h)
            .filter(|&j| col[j].re != 0.0 || col[j].im != 0.0)
            .collect();
        let Some(&last) = nonzero.last() else {
            return (0, 0);
        };
        // the run starts after the longest circular gap between nonzero rows
        let (mut start, mut gap) = (nonzero[0], nonzero[0] + h - last - 1);
        for p in nonzero.windows(2) {
            if p[1] - p[0] - 1 > gap {
                (start, gap) = (p[1], p[1] - p[0] - 1);
            }
        }
        (start, h - gap)
    }

    /// The live columns, spans and packed masks, from the mask.
    fn derive(&mut self) {
        let h = self.h;
        let (mut live, mut spans, mut col_spans) =
            (Vec::<std::ops::Range<usize>>::new(), Vec::new(), vec![0]);
        let mut packed = Vec::new();
        for l in 0..self.w {
            let (start, len) = self.column_run(l);
            if len > 0 {
                match live.last_mut() {
                    Some(r) if r.end == l => r.end = l + 1,
                    _ => live.push(l..l + 1),
                }
            }
            // the run as at most two ranges of rows, each cut by the runs of rows
            let end = start + len;
            for (a, b) in [(start, end.min(h)), (0, end.saturating_sub(h))] {
                for &(j, r, n) in &self.row_runs {
                    let (lo, hi) = (a.max(j), b.min(j + n));
                    if lo < hi {
                        spans.push(Span {
                            j: lo,
                            r: r + lo - j,
                            len: hi - lo,
                            at: packed.len(),
                        });
                        packed.extend_from_slice(&self.mask[l * h + lo..l * h + hi]);
                    }
                }
            }
            // (in order down the column, so that the gaps between them are easy to find)
            let first = *col_spans.last().expect("a start");
            spans[first..].sort_by_key(|p: &Span| p.j);
            col_spans.push(spans.len());
        }
        self.live = live;
        self.spans = spans;
        self.col_spans = col_spans;
        self.packed32 = packed
            .iter()
            .map(|m| Complex::new(m.re as f32, m.im as f32))
            .collect();
        self.packed = packed;
    }

    /// The spans of column `l`, in order down the column (increasing `j`).
    fn spans(&self, l: usize) -> &[Span] {
        &self.spans[self.col_spans[l]..self.col_spans[l + 1]]
    }

    /// The band of `h x w` whose values are every other row and column (from the first)
    /// of the plan's band `of` (of `2h x 2w`, with `imag` as this one), scaled as the
    /// plan scales a band of this size: the band [`Self::centred`] makes of `of`'s mask
    /// cropped to `h x w`, when that mask is zero outside the crop (the same frequencies,
    /// sampled half as densely), without a transform of its own.
    pub(crate) fn decimated(of: usize, h: usize, w: usize, imag: bool) -> Self {
        SpectralBand {
            h,
            w,
            cols: Vec::new(),
            row_runs: Vec::new(),
            live: Vec::new(),
            mask: Vec::new(),
            spans: Vec::new(),
            col_spans: Vec::new(),
            packed: Vec::new(),
            packed32: Vec::new(),
            imag,
            decimates: Some(of),
        }
    }

    /// Values this band contributes to the op's output (1 or 2 planes of `h x w`).
    pub(crate) fn len(&self) -> usize {
        self.h * self.w * if self.imag { 2 } else { 1 }
    }

    /// The same band with its mask scaled by `s` (all zero: a band left out).
    pub(crate) fn scaled(&self, s: f64) -> Self {
        assert!(
            self.decimates.is_none(),
            "a decimated band has no mask to scale"
        );
        let mut b = self.clone();
        b.mask.iter_mut().for_each(|m| *m *= s);
        b.derive();
        b
    }
}

/// The runs of consecutive values of `rows`: `(j, rows[j], len)`.
fn runs(rows: &[usize]) -> Vec<(usize, usize, usize)> {
    let mut out: Vec<(usize, usize, usize)> = Vec::new();
    for (j, &r) in rows.iter().enumerate() {
        match out.last_mut() {
            Some((_, r0, len)) if *r0 + *len == r => *len += 1,
            _ => out.push((j, r, 1)),
        }
    }
    out
}

/// `z[j] = a[j] * m[j]` (with `conj`, `a[j] * conj(m[j])`).
#[inline(always)]
fn mul_into<E: Float>(z: &mut [Complex<E>], a: &[Complex<E>], m: &[Complex<E>], conj: bool) {
    if conj {
        for ((z, a), m) in z.iter_mut().zip(a).zip(m) {
            *z = Complex::new(a.re * m.re + a.im * m.im, a.im * m.re - a.re * m.im);
        }
    } else {
        for ((z, a), m) in z.iter_mut().zip(a).zip(m) {
            *z = Complex::new(a.re * m.re - a.im * m.im, a.re * m.im + a.im * m.re);
        }
    }
}

/// `c[j] += t[j] * m[j] * s` (with `conj`, `t[j] * conj(m[j]) * s`).
#[inline(always)]
fn mul_add<E: Float>(c: &mut [Complex<E>], t: &[Complex<E>], m: &[Complex<E>], s: E, conj: bool) {
    let sgn = if conj { -E::one() } else { E::one() };
    for ((c, t), m) in c.iter_mut().zip(t).zip(m) {
        let mi = m.im * sgn;
        let re = t.re * m.re - t.im * mi;
        let im = t.re * mi + t.im * m.re;
        *c = Complex::new(c.re + re * s, c.im + im * s);
    }
}

/// [`mul_into`] and [`mul_add`] per element type: in f32, AVX2 and FMA intrinsics where
/// the CPU has them.
struct MulOf;
impl PerFloat for MulOf {
    type Of<E: Float> = (
        fn(&mut [Complex<E>], &[Complex<E>], &[Complex<E>], bool),
        fn(&mut [Complex<E>], &[Complex<E>], &[Complex<E>], E, bool),
    );
}
static MUL: ByFloat<MulOf> = ByFloat {
    single: (mul_into_f32, mul_add_f32),
    double: (
        |z, a, m, conj| {
            avx2(
                #[inline(always)]
                || mul_into(z, a, m, conj),
            )
        },
        |c, t, m, s, conj| {
            avx2(
                #[inline(always)]
                || mul_add(c, t, m, s, conj),
            )
        },
    ),
};

fn mul_into_f32(z: &mut [Complex<f32>], a: &[Complex<f32>], m: &[Complex<f32>], conj: bool) {
    #[cfg(target_arch = "x86_64")]
    if crate::ops::simd::has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above)
        return unsafe { fma::mul_into(z, a, m, conj) };
    }
    avx2(
        #[inline(always)]
        || mul_into(z, a, m, conj),
    )
}

fn mul_add_f32(c: &mut [Complex<f32>], t: &[Complex<f32>], m: &[Complex<f32>], s: f32, conj: bool) {
    #[cfg(target_arch = "x86_64")]
    if crate::ops::simd::has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above)
        return unsafe { fma::mul_add(c, t, m, s, conj) };
    }
    avx2(
        #[inline(always)]
        || mul_add(c, t, m, s, conj),
    )
}

/// [`mul_into`] and [`mul_add`] in f32 by AVX2 and FMA intrinsics, 4 complex values at a
/// time: `a * m` as `a * re(m)` plus or minus `swap(a) * im(m)` (one fused
/// multiply-add-subtract).
#[cfg(target_arch = "x86_64")]
mod fma {
    use std::arch::x86_64::*;

    use rustfft::num_complex::Complex;

    /// `a * m` (with `conj`, `a * conj(m)`) of 4 complex values (re, im interleaved).
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn product(a: __m256, m: __m256, conj: bool) -> __m256 {
        let (re, mut im) = (_mm256_moveldup_ps(m), _mm256_movehdup_ps(m));
        if conj {
            im = _mm256_xor_ps(im, _mm256_set1_ps(-0.0));
        }
        let swapped = _mm256_permute_ps(a, 0b1011_0001);
        _mm256_fmaddsub_ps(a, re, _mm256_mul_ps(swapped, im))
    }

    /// [`super::mul_into`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn mul_into(
        z: &mut [Complex<f32>],
        a: &[Complex<f32>],
        m: &[Complex<f32>],
        conj: bool,
    ) {
        let n = z.len();
        assert!(a.len() == n && m.len() == n, "values of one length");
        let (pz, pa, pm) = (
            z.as_mut_ptr() as *mut f32,
            a.as_ptr() as *const f32,
            m.as_ptr() as *const f32,
        );
        let mut k = 0;
        // SAFETY: 4 complex values (8 floats) from k < n - 3 of slices of n values
        while k + 4 <= n {
            let p = product(
                _mm256_loadu_ps(pa.add(2 * k)),
                _mm256_loadu_ps(pm.add(2 * k)),
                conj,
            );
            _mm256_storeu_ps(pz.add(2 * k), p);
            k += 4;
        }
        super::mul_into(&mut z[k..], &a[k..], &m[k..], conj);
    }

    /// [`super::mul_add`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn mul_add(
        c: &mut [Complex<f32>],
        t: &[Complex<f32>],
        m: &[Complex<f32>],
        s: f32,
        conj: bool,
    ) {
        let n = c.len();
        assert!(t.len() == n && m.len() == n, "values of one length");
        let (pc, pt, pm) = (
            c.as_mut_ptr() as *mut f32,
            t.as_ptr() as *const f32,
            m.as_ptr() as *const f32,
        );
        let sv = _mm256_set1_ps(s);
        let mut k = 0;
        // SAFETY: 4 complex values (8 floats) from k < n - 3 of slices of n values
        while k + 4 <= n {
            let p = product(
                _mm256_loadu_ps(pt.add(2 * k)),
                _mm256_loadu_ps(pm.add(2 * k)),
                conj,
            );
            let v = _mm256_fmadd_ps(p, sv, _mm256_loadu_ps(pc.add(2 * k)));
            _mm256_storeu_ps(pc.add(2 * k), v);
            k += 4;
        }
        super::mul_add(&mut c[k..], &t[k..], &m[k..], s, conj);
    }
}

/// Puts the values `t` (scaled by `s`) at `k..k + t.len()` of a band's real plane (the
/// first `n` values of `out`) and, if `out` has one, of its imaginary plane (the next
/// `n`): a row of the band (`t` a row's values), or of a band decimating it (every
/// other value of the row).
#[inline(always)]
fn put_rows<'t, E: Float>(
    out: &mut Dest<'_, E>,
    n: usize,
    k: usize,
    t: impl ExactSizeIterator<Item = &'t Complex<E>>,
    s: E,
) {
    let k = k..k + t.len();
    match out {
        Dest::Set(o) => {
            let (re, im) = o.split_at_mut(n);
            if im.is_empty() {
                for (a, v) in re[k].iter_mut().zip(t) {
                    a.write(v.re * s);
                }
            } else {
                for ((a, b), v) in re[k.clone()].iter_mut().zip(&mut im[k]).zip(t) {
                    a.write(v.re * s);
                    b.write(v.im * s);
                }
            }
        }
        Dest::Add(o) => {
            let (re, im) = o.split_at_mut(n);
            if im.is_empty() {
                for (a, v) in re[k].iter_mut().zip(t) {
                    *a += v.re * s;
                }
            } else {
                for ((a, b), v) in re[k.clone()].iter_mut().zip(&mut im[k]).zip(t) {
                    *a += v.re * s;
                    *b += v.im * s;
                }
            }
        }
    }
}

/// Buffers of one transform in `E`: the 2-D FFTs, the image spectrum (with
/// [`SpectralPlan::spectrum_of_bands`], its first group's sum, and the second group's
/// in `spec2` when `two`).
pub(crate) struct Work<E: Float> {
    fft: Fft2<E>,
    spec: Vec<Complex<E>>,
    spec2: Vec<Complex<E>>,
    two: bool,
}

impl<E: Float> Default for Work<E> {
    fn default() -> Self {
        Work {
            fft: Fft2::default(),
            spec: Vec::new(),
            spec2: Vec::new(),
            two: false,
        }
    }
}

/// Work buffers kept between calls, per element type (a clone starts empty).
#[derive(Default)]
struct Pools {
    single: Mutex<Vec<Work<f32>>>,
    double: Mutex<Vec<Work<f64>>>,
}

impl Clone for Pools {
    fn clone(&self) -> Self {
        Pools::default()
    }
}

impl std::fmt::Debug for Pools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pools")
    }
}

struct PoolOf;
impl PerFloat for PoolOf {
    type Of<E: Float> = fn(&Pools) -> &Mutex<Vec<Work<E>>>;
}
static POOL: ByFloat<PoolOf> = ByFloat {
    single: |p| &p.single,
    double: |p| &p.double,
};

/// The bands the spectral op computes from an `h x w` image: its output per image plane
/// is every band's real part (and imaginary part, for bands with `imag`) in order.
#[derive(Clone, Debug)]
pub struct SpectralPlan {
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) bands: Vec<SpectralBand>,
    /// Output the bands as channels, (batch, channel * planes, h, w), when every band has
    /// the image's size (instead of (batch, channel, 1, len)).
    pub(crate) stacked: bool,
    pools: Arc<Pools>,
}

fn zero<E: Float>() -> Complex<E> {
    Complex::new(E::zero(), E::zero())
}

fn sized<E: Float>(v: &mut Vec<Complex<E>>, n: usize) -> &mut [Complex<E>] {
    if v.len() < n {
        v.resize(n, zero());
    }
    &mut v[..n]
}

/// A band that decimates the one [`SpectralPlan::to_band`] computes: its index, where
/// its values go, its scale, width and number of values per plane.
struct Decimated<'a, E> {
    index: usize,
    out: Dest<'a, E>,
    scale: E,
    w: usize,
    n: usize,
}

/// A computed band of [`SpectralPlan::to_bands`]: its index, the band, its output and
/// the bands that decimate it.
type Job<'a, E> = (usize, &'a SpectralBand, Dest<'a, E>, Vec<Decimated<'a, E>>);

/// Where [`SpectralPlan::to_bands`] puts the bands' values.
enum Dest<'a, E> {
    /// Written over: memory not yet holding values.
    Set(&'a mut [MaybeUninit<E>]),
    /// Added into.
    Add(&'a mut [E]),
}

impl<'a, E> Dest<'a, E> {
    fn len(&self) -> usize {
        match self {
            Dest::Set(o) => o.len(),
            Dest::Add(o) => o.len(),
        }
    }

    fn split_at(self, n: usize) -> (Self, Self) {
        match self {
            Dest::Set(o) => {
                let (a, b) = o.split_at_mut(n);
                (Dest::Set(a), Dest::Set(b))
            }
            Dest::Add(o) => {
                let (a, b) = o.split_at_mut(n);
                (Dest::Add(a), Dest::Add(b))
            }
        }
    }
}

impl SpectralPlan {
    /// A plan for `h x w` images.
    pub(crate) fn new(h: usize, w: usize, bands: Vec<SpectralBand>) -> Self {
        for b in &bands {
            if let Some(j) = b.decimates {
                let of = &bands[j];
                assert!(
                    of.decimates.is_none()
                        && (of.h, of.w) == (2 * b.h, 2 * b.w)
                        && of.imag == b.imag,
                    "a decimated band: half the size of a computed band, complex if that one is"
                );
            }
        }
        SpectralPlan {
            h,
            w,
            bands,
            stacked: false,
            pools: Arc::default(),
        }
    }

    /// Output values per image plane.
    pub fn len(&self) -> usize {
        self.bands.iter().map(SpectralBand::len).sum()
    }

    /// Whether the plan has no bands.
    pub fn is_empty(&self) -> bool {
        self.bands.is_empty()
    }

    /// The op's output shape for `b x c` image planes.
    pub(crate) fn out_shape(&self, b: usize, c: usize) -> (usize, usize, usize, usize) {
        if self.stacked {
            (b, c * self.len() / (self.h * self.w), self.h, self.w)
        } else {
            (b, c, 1, self.len())
        }
    }

    /// The bands (index, band) that decimate band `i` ([`SpectralBand::decimated`]).
    fn decimating(&self, i: usize) -> impl Iterator<Item = (usize, &SpectralBand)> {
        self.bands
            .iter()
            .enumerate()
            .filter(move |(_, d)| d.decimates == Some(i))
    }

    /// Offset of each band's output in a plane's output.
    pub(crate) fn offsets(&self) -> Vec<usize> {
        let mut o = 0;
        self.bands
            .iter()
            .map(|b| {
                let s = o;
                o += b.len();
                s
            })
            .collect()
    }

    /// Work buffers in `E` (kept by the plan between calls).
    pub(crate) fn work<E: Float>(&self) -> Work<E> {
        let pool = (E::pick(&POOL))(&self.pools);
        let w = pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        w.unwrap_or_default()
    }

    /// Gives work buffers back to the plan.
    pub(crate) fn give_back<E: Float>(&self, w: Work<E>) {
        let pool = (E::pick(&POOL))(&self.pools);
        let mut pool = pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < 4 {
            pool.push(w);
        }
    }

    /// The transposed DFT of the real plane `x` into `wk.spec`.
    fn spectrum_of<E: Float>(&self, x: &[E], wk: &mut Work<E>) {
        let (h, w) = (self.h, self.w);
        let a = sized(&mut wk.spec, h * w);
        wk.fft.fft2_real_t(a, x, (h, w));
        // the result's buffer becomes the spectrum (no copy)
        wk.fft.take_result(&mut wk.spec);
    }

    /// From the transposed image spectrum in `wk.spec`, each band's
    /// `scale(band) * inverse_dft(mask' * crop(spec))` (mask' the mask, conjugated with
    /// `conj`), as real (and imaginary) planes put in `out` (`self.len()` values: every
    /// one written, or added into); then `then(i, values)` on each band `i` right after
    /// it is put, on the thread that put it, its results in the bands' order. The bands
    /// are independent: shared out over threads ([`par::map`]), each computed whole by one.
    fn to_bands<E: Float, R: Send>(
        &self,
        wk: &mut Work<E>,
        conj: bool,
        scale: impl Fn(&SpectralBand) -> f64 + Sync,
        out: Dest<'_, E>,
        then: impl Fn(usize, &[E]) -> R + Sync,
    ) -> Vec<R> {
        let spec = &wk.spec[..self.h * self.w];
        // each computed band's output, with the outputs of the bands that decimate it
        let mut outs: Vec<Option<Dest<'_, E>>> = Vec::with_capacity(self.bands.len());
        let mut rest = out;
        for b in &self.bands {
            let (o, r) = rest.split_at(b.len());
            outs.push(Some(o));
            rest = r;
        }
        assert_eq!(rest.len(), 0, "the bands fill the output");
        let mut jobs = Vec::with_capacity(self.bands.len());
        for (i, b) in self.bands.iter().enumerate() {
            if b.decimates.is_some() {
                continue;
            }
            let o = outs[i].take().expect("each band's output once");
            let kids: Vec<Decimated<'_, E>> = self
                .decimating(i)
                .map(|(k, d)| Decimated {
                    index: k,
                    out: outs[k].take().expect("each band's output once"),
                    scale: E::of_f64(scale(d)),
                    w: d.w,
                    n: d.h * d.w,
                })
                .collect();
            jobs.push((i, b, o, kids));
        }
        let run = |(i, b, o, kids): Job<'_, E>, fft: &mut Fft2<E>| {
            let (v, vk) = self.to_band(b, spec, fft, conj, scale(b), (o, kids));
            let mut r = vec![(i, then(i, v))];
            r.extend(vk.into_iter().map(|(k, v)| (k, then(k, v))));
            r
        };
        let done: Vec<Vec<(usize, R)>> = if !par::worth(jobs.len(), self.len() / jobs.len().max(1))
        {
            jobs.into_iter().map(|j| run(j, &mut wk.fft)).collect()
        } else {
            par::map(
                jobs,
                |(_, b, _, kids)| b.len() + kids.iter().map(|k| k.out.len()).sum::<usize>(),
                |j| {
                    let mut w = self.work::<E>();
                    let r = run(j, &mut w.fft);
                    self.give_back(w);
                    r
                },
            )
        };
        // the results in the bands' order
        let mut done: Vec<(usize, R)> = done.into_iter().flatten().collect();
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, r)| r).collect()
    }

    /// One band of [`Self::to_bands`] from the transposed image spectrum `spec`, put in
    /// `out` (its `b.len()` values), and every other value of its even rows put in each
    /// band that decimates it (`kids`), with the transforms' buffers `fft`; returns
    /// `out`'s values and each decimating band's (with its index).
    fn to_band<'o, E: Float>(
        &self,
        b: &SpectralBand,
        spec: &[Complex<E>],
        fft: &mut Fft2<E>,
        conj: bool,
        scale: f64,
        (out, kids): (Dest<'o, E>, Vec<Decimated<'o, E>>),
    ) -> (&'o [E], Vec<(usize, &'o [E])>) {
        let hh = self.h;
        let (bh, bw) = (b.h, b.w);
        let n = bh * bw;
        let m = (E::pick(&MASK))(b);
        let muls = E::pick(&MUL);
        let s = E::of_f64(scale);
        assert!(out.len() == b.len(), "a band's values");
        let mut out = out;
        let mut kids = kids;
        for k in &kids {
            assert!(
                k.out.len() == k.n * (1 + usize::from(b.imag)),
                "a decimated band's values"
            );
        }
        // the band's rows put so far: each comes once, in order
        let mut put = 0;
        // the band's spectrum, transposed (bw x bh), a row (a column of the band's
        // spectrum) at a time, the mask's zero columns left zero; its inverse DFT,
        // transposed (the band, row-major), a strip of the band's rows at a time
        let all = 0..bh;
        avx2(
            #[inline(always)]
            || {
                fft.fft2_t_fused(
                    bw,
                    bh,
                    true,
                    &b.live,
                    |l, zl| {
                        let c = b.cols[l];
                        let col = &spec[c * hh..(c + 1) * hh];
                        // (zero outside the spans, which come in order down the column)
                        let mut at = 0;
                        for p in b.spans(l) {
                            zl[at..p.j].fill(zero());
                            let (z, m) = (&mut zl[p.j..p.j + p.len], &m[p.at..p.at + p.len]);
                            muls.0(z, &col[p.r..p.r + p.len], m, conj);
                            at = p.j + p.len;
                        }
                        zl[at..].fill(zero());
                    },
                    std::slice::from_ref(&all),
                    |r, t| {
                        assert!(r == put && t.len() == bw, "the band's rows in order");
                        put_rows(&mut out, n, r * bw, t.iter(), s);
                        if r % 2 == 0 {
                            for k in &mut kids {
                                let t = t.iter().step_by(2);
                                put_rows(&mut k.out, k.n, (r / 2) * k.w, t, k.scale);
                            }
                        }
                        put += 1;
                    },
                )
            },
        );
        assert_eq!(put, bh, "the strips cover the band");
        let values = |o: Dest<'o, E>| match o {
            Dest::Add(o) => &*o,
            // SAFETY: every value of `o` was written: each of the band's `bh` rows of
            // `bw` values was put once (asserted above) in its real plane and, with
            // `imag`, in its imaginary plane (`o`'s other `n`); each decimating band's
            // `bh / 2` rows of `bw / 2` values (every other value of the band's even
            // rows) likewise
            Dest::Set(o) => unsafe { &*(o as *const [MaybeUninit<E>] as *const [E]) },
        };
        let kids = kids.into_iter().map(|k| (k.index, values(k.out))).collect();
        (values(out), kids)
    }

    /// The transposed image spectrum `sum over bands of pad(mask' * scale(band) *
    /// dft(band))` into `wk.spec`, the bands read from `y` (real and imaginary planes).
    /// The bands are summed in two groups of about equal work, fixed by the plan
    /// ([`Self::halves`]), each in the bands' order: the two groups run on two threads
    /// when worth it ([`par::join`]), with the same result on one. The second group's
    /// sum is left in `wk.spec2`, for [`Self::image_of_spectrum`] to add to the first's.
    fn spectrum_of_bands<E: Float>(
        &self,
        y: &[E],
        wk: &mut Work<E>,
        conj: bool,
        scale: impl Fn(&SpectralBand) -> f64 + Sync,
    ) {
        let n = self.h * self.w;
        let (first, second) = self.halves();
        let mut offs = self.offsets();
        offs.push(self.len());
        let group =
            |bands: std::ops::Range<usize>, wk: &mut Work<E>, spec: &mut Vec<Complex<E>>| {
                let spec = sized(spec, n);
                spec.iter_mut().for_each(|v| *v = zero());
                for i in bands {
                    let b = &self.bands[i];
                    if b.decimates.is_some() {
                        // (added with the band it decimates)
                        continue;
                    }
                    let yb = &y[offs[i]..offs[i + 1]];
                    // the bands that decimate this one: each value's weight against this
                    // band's, and the values
                    let kids: Vec<(E, &[E], &SpectralBand)> = self
                        .decimating(i)
                        .map(|(k, d)| (E::of_f64(scale(d) / scale(b)), &y[offs[k]..offs[k + 1]], d))
                        .collect();
                    self.add_band(b, yb, &kids, &mut wk.fft, spec, conj, scale(b));
                }
            };
        let mut spec = std::mem::take(&mut wk.spec);
        wk.two = !second.is_empty();
        if !wk.two {
            group(first, wk, &mut spec);
            wk.spec = spec;
            return;
        }
        let mut w2 = self.work::<E>();
        let mut spec2 = std::mem::take(&mut wk.spec2);
        par::join(
            self.len(),
            || group(first, wk, &mut spec),
            || group(second, &mut w2, &mut spec2),
        );
        // (the second group's sum is added to the first's by the inverse transform)
        wk.spec = spec;
        wk.spec2 = spec2;
        self.give_back(w2);
    }

    /// The bands `0..k` and `k..` of [`Self::spectrum_of_bands`]'s two groups: `k` splits
    /// the transforms' sizes (elements; a band's time is about proportional to its size)
    /// closest to half.
    fn halves(&self) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        // (a decimated band is added with the band it decimates: no transform of its own)
        let size = |b: &SpectralBand| if b.decimates.is_some() { 0 } else { b.h * b.w };
        let total: usize = self.bands.iter().map(size).sum();
        let mut acc = 0;
        let (mut k, mut gap) = (0, total);
        for (i, b) in self.bands.iter().enumerate() {
            acc += size(b);
            let g = (2 * acc).abs_diff(total);
            if g < gap {
                (k, gap) = (i + 1, g);
            }
        }
        (0..k, k..self.bands.len())
    }

    /// Adds `pad(mask' * scale * dft(band))` of one band (its values `y`, real then
    /// imaginary plane, plus those of the bands that decimate it, `kids`: `(weight,
    /// values, band)`, each value added at its place in the band, times its weight) into
    /// the transposed spectrum `spec`, with the transforms' buffers `fft`.
    #[allow(clippy::too_many_arguments)]
    fn add_band<E: Float>(
        &self,
        b: &SpectralBand,
        y: &[E],
        kids: &[(E, &[E], &SpectralBand)],
        fft: &mut Fft2<E>,
        spec: &mut [Complex<E>],
        conj: bool,
        scale: f64,
    ) {
        let hh = self.h;
        let (bh, bw) = (b.h, b.w);
        let n = bh * bw;
        let s = E::of_f64(scale);
        let m = (E::pick(&MASK))(b);
        let mul_add_k = E::pick(&MUL).1;
        let (re, im) = y.split_at(n);
        // the band as complex values, a row at a time; its DFT, transposed (bw x bh), by
        // strips of the spectrum's columns, only where the mask is not zero
        let all = 0..bh;
        avx2(
            #[inline(always)]
            || {
                fft.fft2_t_fused(
                    bh,
                    bw,
                    false,
                    std::slice::from_ref(&all),
                    |r, zr| {
                        let k = r * bw..(r + 1) * bw;
                        if b.imag {
                            for ((zv, &a), &b) in zr.iter_mut().zip(&re[k.clone()]).zip(&im[k]) {
                                *zv = Complex::new(a, b);
                            }
                        } else {
                            for (zv, &a) in zr.iter_mut().zip(&re[k]) {
                                *zv = Complex::new(a, E::zero());
                            }
                        }
                        if r % 2 == 0 {
                            for &(c, v, d) in kids {
                                let (dn, j) = (d.h * d.w, (r / 2) * d.w);
                                let zr = zr.iter_mut().step_by(2);
                                if d.imag {
                                    let (dre, dim) = (&v[j..j + d.w], &v[dn + j..dn + j + d.w]);
                                    for ((zv, &a), &b) in zr.zip(dre).zip(dim) {
                                        *zv = Complex::new(zv.re + c * a, zv.im + c * b);
                                    }
                                } else {
                                    for (zv, &a) in zr.zip(&v[j..j + d.w]) {
                                        zv.re += c * a;
                                    }
                                }
                            }
                        }
                    },
                    &b.live,
                    |l, tl| {
                        let c = b.cols[l];
                        let col = &mut spec[c * hh..(c + 1) * hh];
                        for p in b.spans(l) {
                            let (t, m) = (&tl[p.j..p.j + p.len], &m[p.at..p.at + p.len]);
                            mul_add_k(&mut col[p.r..p.r + p.len], t, m, s, conj);
                        }
                    },
                )
            },
        );
    }

    /// The inverse DFT of the transposed spectrum [`Self::spectrum_of_bands`] left in
    /// `wk` (its two groups' sums added first), row-major: `f(k0, out_piece, values)`
    /// for each piece of the pixels (from pixel `k0`) and that range of `out` (one value
    /// per pixel), on several threads.
    fn image_of_spectrum<E: Float>(
        &self,
        wk: &mut Work<E>,
        out: &mut [E],
        f: impl Fn(usize, &mut [E], &[Complex<E>]) + Sync,
    ) {
        let (h, w) = (self.h, self.w);
        let Work {
            fft,
            spec,
            spec2,
            two,
        } = wk;
        let second = &spec2[..if *two { h * w } else { 0 }];
        // (the second group's sum added to the first's, a piece at a time)
        let add = |r0: usize, piece: &mut [Complex<E>]| {
            if !second.is_empty() {
                for (a, b) in piece.iter_mut().zip(&second[r0 * h..]) {
                    *a = Complex::new(a.re + b.re, a.im + b.im);
                }
            }
        };
        fft.fft2_t_then(&mut spec[..h * w], (w, h), true, add, out, f);
    }

    /// The op: the bands of one `h x w` image plane `x` written into `out` (`len()`
    /// values).
    pub(crate) fn analyze<E: Float>(&self, x: &[E], out: &mut [E], wk: &mut Work<E>) {
        // SAFETY: the same memory, seen as memory to write: only values are written to it
        let out = unsafe { &mut *(out as *mut [E] as *mut [MaybeUninit<E>]) };
        self.analyze_then(x, out, wk, |_, _| ());
    }

    /// [`Self::analyze`] into memory not yet holding values (every one is written:
    /// returned as values), running `then(i, values)` on each band `i` right after it is
    /// written (while it is in cache), on the thread that wrote it; its results in the
    /// bands' order.
    pub(crate) fn analyze_then<'o, E: Float, R: Send>(
        &self,
        x: &[E],
        out: &'o mut [MaybeUninit<E>],
        wk: &mut Work<E>,
        then: impl Fn(usize, &[E]) -> R + Sync,
    ) -> (&'o mut [E], Vec<R>) {
        self.spectrum_of(x, wk);
        let scale = |b: &SpectralBand| 1.0 / (b.h * b.w) as f64;
        let r = self.to_bands(wk, false, scale, Dest::Set(&mut *out), then);
        // SAFETY: `to_bands` wrote every value of `out` (the bands fill it, and each
        // band's values are all written)
        (
            unsafe { &mut *(out as *mut [MaybeUninit<E>] as *mut [E]) },
            r,
        )
    }

    /// The adjoint of [`Self::analyze`]: the image-plane gradient for the bands'
    /// gradient `g`, added into `gx`, then `also` added (another part of the image's
    /// gradient: empty, or one value per pixel).
    pub(crate) fn analyze_adjoint<E: Float>(
        &self,
        g: &[E],
        gx: &mut [E],
        wk: &mut Work<E>,
        also: &[E],
    ) {
        self.spectrum_of_bands(g, wk, true, |b| 1.0 / (b.h * b.w) as f64);
        if also.is_empty() {
            self.image_of_spectrum(wk, gx, |_, g, v| {
                for (g, v) in g.iter_mut().zip(v) {
                    *g += v.re;
                }
            });
        } else {
            assert_eq!(also.len(), gx.len(), "one value per pixel");
            // (each pixel's two parts added in turn)
            self.image_of_spectrum(wk, gx, |k0, g, v| {
                for ((g, v), a) in g.iter_mut().zip(v).zip(&also[k0..]) {
                    *g += v.re;
                    *g += *a;
                }
            });
        }
    }

    /// The synthesis (reconstruction): the real part of the inverse DFT of
    /// `sum over bands of pad(mask * dft(band))`, from bands `y` into the plane `out`.
    pub(crate) fn synthesize<E: Float>(&self, y: &[E], out: &mut [E], wk: &mut Work<E>) {
        self.spectrum_of_bands(y, wk, false, |_| 1.0);
        let n = E::of_f64(1.0 / (self.h * self.w) as f64);
        self.image_of_spectrum(wk, out, |_, o, v| {
            for (o, v) in o.iter_mut().zip(v) {
                *o = v.re * n;
            }
        });
    }

    /// The adjoint of [`Self::synthesize`]: the bands' gradient for the image-plane
    /// gradient `g`, added into `gy`.
    pub(crate) fn synthesize_adjoint<E: Float>(&self, g: &[E], gy: &mut [E], wk: &mut Work<E>) {
        self.spectrum_of(g, wk);
        let n = 1.0 / (self.h * self.w) as f64;
        self.to_bands(wk, true, |_| n, Dest::Add(gy), |_, _| ());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_util::rel_err;

    /// A plan of a 32x32 image's band (a mask zero outside its central 16x16) and that
    /// band at 16x16: decimated, or computed from the cropped mask.
    fn plans(imag: bool) -> (SpectralPlan, SpectralPlan) {
        let (big, n, c) = ((32, 32), 16, 8);
        let small: Vec<(f64, f64)> = (0..n * n)
            .map(|i| {
                (
                    (i as f64 * 0.37).sin(),
                    if imag { (i as f64 * 0.11).cos() } else { 0.0 },
                )
            })
            .collect();
        // (real bands: a mask whose band is real, m(k) = conj(m(-k)) on the shifted grid)
        let small: Vec<(f64, f64)> = if imag {
            small
        } else {
            (0..n * n)
                .map(|i| {
                    let (u, v) = (i / n, i % n);
                    let j = ((n - u) % n) * n + (n - v) % n;
                    (0.5 * (small[i].0 + small[j].0), 0.0)
                })
                .collect()
        };
        let mut embedded = vec![(0.0, 0.0); 32 * 32];
        for u in 1..n {
            for v in 1..n {
                embedded[(c + u) * 32 + c + v] = small[u * n + v];
            }
        }
        // (the small mask's Nyquist row and column left out of both)
        let mut cropped = small.clone();
        for u in 0..n {
            cropped[u * n] = (0.0, 0.0);
            cropped[u] = (0.0, 0.0);
        }
        let full = SpectralBand::centred(big, 32, 32, &embedded, imag);
        let a = SpectralPlan::new(
            32,
            32,
            vec![full.clone(), SpectralBand::decimated(0, n, n, imag)],
        );
        let b = SpectralPlan::new(
            32,
            32,
            vec![full, SpectralBand::centred(big, n, n, &cropped, imag)],
        );
        (a, b)
    }

    /// A decimated band gives the values, and its gradient the image gradient, of the band
    /// computed from the cropped mask (analysis, synthesis and their adjoints).
    #[test]
    fn a_decimated_band_is_the_band_of_the_cropped_mask() {
        for imag in [true, false] {
            let (a, b) = plans(imag);
            let x: Vec<f64> = (0..32 * 32)
                .map(|i| ((i * 7919 % 251) as f64).sin())
                .collect();
            let y: Vec<f64> = (0..a.len()).map(|i| ((i * 31 % 97) as f64).cos()).collect();
            let run = |p: &SpectralPlan| {
                let mut wk = p.work::<f64>();
                let mut bands = vec![0.0; p.len()];
                p.analyze(&x, &mut bands, &mut wk);
                let mut gx = vec![0.0; 32 * 32];
                p.analyze_adjoint(&y, &mut gx, &mut wk, &[]);
                let mut img = vec![0.0; 32 * 32];
                p.synthesize(&y, &mut img, &mut wk);
                let mut gy = vec![0.0; p.len()];
                p.synthesize_adjoint(&x, &mut gy, &mut wk);
                [bands, gx, img, gy]
            };
            let (ra, rb) = (run(&a), run(&b));
            for (k, what) in ["analysis", "its adjoint", "synthesis", "its adjoint"]
                .iter()
                .enumerate()
            {
                let e = rel_err(&ra[k], &rb[k]);
                assert!(e <= 1e-12, "{what}, imag {imag}: {e:e}");
            }
        }
    }

    /// A band whose mask's columns are zero, or not zero only in runs that wrap around
    /// the unshifted column, or here and there, or everywhere (so that the spans it
    /// multiplies in have every shape), against the band's definition by direct sums,
    /// and the adjoint against the definition's: `<analyze(x), y> = <x, adjoint(y)>`.
    #[test]
    fn a_band_is_its_definition_whatever_the_masks_zeros() {
        let ((bh, bw), (h, w)): ((usize, usize), (usize, usize)) = ((20, 18), (12, 10));
        let mask: Vec<(f64, f64)> = (0..h * w)
            .map(|i| {
                let (u, v) = (i / w, i % w);
                let on = match v % 5 {
                    0 => false,
                    // around the shifted centre row: the unshifted column's two ends
                    1 => u.abs_diff(h / 2) <= 2,
                    2 => (u * 7 + v) % 3 != 0,
                    3 => u == 1 || u == h - 2,
                    _ => true,
                };
                let x = i as f64;
                if on {
                    ((0.37 * x).sin(), (0.11 * x).cos())
                } else {
                    (0.0, 0.0)
                }
            })
            .collect();
        let band = SpectralBand::centred((bh, bw), h, w, &mask, true);
        let plan = SpectralPlan::new(bh, bw, vec![band]);
        let x: Vec<f64> = (0..bh * bw)
            .map(|i| ((i * 7919 % 251) as f64).sin())
            .collect();
        let tau = 2.0 * std::f64::consts::PI;
        // the image's DFT at a shifted frequency (row u, column v of the crop)
        let spec = |u: usize, v: usize| {
            let (ku, kv) = (u as f64 - (h / 2) as f64, v as f64 - (w / 2) as f64);
            let mut s = C64::new(0.0, 0.0);
            for (p, q) in (0..bh).flat_map(|p| (0..bw).map(move |q| (p, q))) {
                let ph = -tau * (ku * p as f64 / bh as f64 + kv * q as f64 / bw as f64);
                s += x[p * bw + q] * C64::new(ph.cos(), ph.sin());
            }
            s
        };
        let masked: Vec<C64> = (0..h * w)
            .map(|i| spec(i / w, i % w) * C64::new(mask[i].0, mask[i].1))
            .collect();
        let mut want = vec![0.0; 2 * h * w];
        for (p, q) in (0..h).flat_map(|p| (0..w).map(move |q| (p, q))) {
            let mut s = C64::new(0.0, 0.0);
            for (i, m) in masked.iter().enumerate() {
                let (ku, kv) = (
                    (i / w) as f64 - (h / 2) as f64,
                    (i % w) as f64 - (w / 2) as f64,
                );
                let ph = tau * (ku * p as f64 / h as f64 + kv * q as f64 / w as f64);
                s += m * C64::new(ph.cos(), ph.sin());
            }
            // (the inverse transform's scale, as torch's: one over the band's size)
            let s = s / (h * w) as f64;
            (want[p * w + q], want[h * w + p * w + q]) = (s.re, s.im);
        }
        let mut wk = plan.work::<f64>();
        let mut got = vec![0.0; plan.len()];
        plan.analyze(&x, &mut got, &mut wk);
        let e = rel_err(&got, &want);
        assert!(e < 1e-12, "analysis: {e:e}");
        let y: Vec<f64> = (0..plan.len())
            .map(|i| ((i * 31 % 97) as f64).cos())
            .collect();
        let mut gx = vec![0.0; bh * bw];
        plan.analyze_adjoint(&y, &mut gx, &mut wk, &[]);
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f64>();
        let (l, r) = (dot(&got, &y), dot(&x, &gx));
        assert!(
            (l - r).abs() < 1e-12 * l.abs().max(1.0),
            "adjoint: {l} against {r}"
        );
        // again with the buffers the adjoint left its values in: the zeros outside the
        // spans are written, not left over
        let mut again = vec![0.0; plan.len()];
        plan.analyze(&x, &mut again, &mut wk);
        assert!(again == got, "analysis with used buffers");
    }

    /// The f32 products (intrinsics where the CPU has AVX2 and FMA) against the plain
    /// ones in f64, with and without the conjugate, on lengths that leave partial chunks.
    #[test]
    fn f32_products_match_f64() {
        let (into32, add32) = *f32::pick(&MUL);
        for n in [1, 3, 4, 9, 64, 67] {
            let v = |k: usize| -> Vec<C64> {
                (0..n)
                    .map(|i| {
                        let x = (i * 31 + k * 7) as f64;
                        C64::new((0.37 * x).sin(), (0.11 * x).cos())
                    })
                    .collect()
            };
            let (a, m, c) = (v(1), v(2), v(3));
            let to32 = |v: &[C64]| -> Vec<Complex<f32>> {
                v.iter()
                    .map(|z| Complex::new(z.re as f32, z.im as f32))
                    .collect()
            };
            let (a32, m32) = (to32(&a), to32(&m));
            for conj in [false, true] {
                let mut z = vec![C64::new(0.0, 0.0); n];
                mul_into(&mut z, &a, &m, conj);
                let mut z32 = vec![Complex::new(0.0f32, 0.0); n];
                into32(&mut z32, &a32, &m32, conj);
                let mut w = c.clone();
                mul_add(&mut w, &a, &m, 0.75, conj);
                let mut w32 = to32(&c);
                add32(&mut w32, &a32, &m32, 0.75, conj);
                for (got, want) in [(&z32, &z), (&w32, &w)] {
                    for (g, w) in got.iter().zip(want.iter()) {
                        let e = (g.re as f64 - w.re).abs() + (g.im as f64 - w.im).abs();
                        assert!(e < 1e-6, "n {n}, conj {conj}: {g} against {w}");
                    }
                }
            }
        }
    }
}
