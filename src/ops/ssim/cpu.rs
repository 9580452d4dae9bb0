//! The CPU's fused SSIM. Forward, per plane and output row: the window's column pass
//! over the input rows it covers gives five moment rows (a, b, a², b², ab) at once, the
//! row pass gives the five local moments of the output row, and the map and its sums
//! follow pixel by pixel; the moments, map and weight are kept for the adjoint. Adjoint:
//! the map's partial derivatives by moment, the transposed row pass of each output row
//! (kept in a ring of the output rows an input row reaches), the transposed column pass
//! gathered per input row, combined with the images into both gradients at once (the
//! first of the two adjoint calls computes both, the second takes its half). Loops over
//! whole rows in separate slices, so the compiler vectorises them, compiled for AVX2 too
//! and chosen at run time.

use std::cell::RefCell;

use dfdx::prelude::{Cpu, Tensor};

use super::{Axis, SsimWindow, C1, C2};
use crate::error::Result;
use crate::ops::pool::{self, Pooled};
use crate::ops::simd;
use crate::ops::tape::{run2, HostOp2};
use crate::tensor::{dims, ByFloat, Float, PerFloat, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::SsimKernel<E> for Cpu {
    fn ssim_mean<T: Tape<E>>(
        a: crate::Image<E, T>,
        b: crate::Image<E, T>,
        window: &SsimWindow,
        weighted: bool,
    ) -> Result<super::Fused<E, T, Cpu>> {
        Ok(super::Fused::Done(ssim_mean(a, b, window, weighted)?))
    }
}

/// [`super::ssim_mean`] on the CPU (the shapes checked by the caller).
pub(crate) fn ssim_mean<E: Float, T: Tape<E>>(
    a: Tensor<Shape4, E, Cpu, T>,
    b: Tensor<Shape4, E, Cpu, T>,
    window: &SsimWindow,
    weighted: bool,
) -> Result<Tensor<Shape4, E, Cpu, T>> {
    let op = (E::pick(&MAKE))(dims(&a), window, weighted)?;
    run2(a, b, op)
}

/// The op's constructor for each element type, compiled here (see [`HostOp2`]).
struct Maker;
impl PerFloat for Maker {
    type Of<E: Float> = fn([usize; 4], &SsimWindow, bool) -> Result<Box<dyn HostOp2<E>>>;
}

static MAKE: ByFloat<Maker> = ByFloat {
    single: make::<f32>,
    double: make::<f64>,
};

fn make<E: Float>(
    [n, c, h, w]: [usize; 4],
    window: &SsimWindow,
    weighted: bool,
) -> Result<Box<dyn HostOp2<E>>> {
    let rows = window.axis(h)?;
    let cols = window.axis(w)?;
    // the column pass transposed: for each input row, the (output row, tap) pairs
    // reading it
    let mut gather = vec![Vec::new(); h];
    for p in 0..rows.out {
        for (u, t) in window.taps.iter().enumerate() {
            if let Some(r) = rows.src[p + u] {
                gather[r].push((p, E::of_f64(*t)));
            }
        }
    }
    // input row r needs the transposed row passes of output rows up to need[r]: kept in
    // a ring of `ring` rows, the most any input row reaches back
    let (mut need, mut ring, mut reach) = (Vec::with_capacity(h), 1, 0);
    for g in &gather {
        if let (Some(lo), Some(hi)) = (g.iter().map(|e| e.0).min(), g.iter().map(|e| e.0).max()) {
            reach = reach.max(hi + 1);
            ring = ring.max(reach - lo);
        }
        need.push(reach);
    }
    Ok(Box::new(SsimOp {
        planes: n * c,
        shape: (n, c, 1, 1),
        h,
        w,
        taps: window.taps.iter().map(|t| E::of_f64(*t)).collect(),
        cols: Frame::of(&cols, w),
        rows,
        gather,
        need,
        ring,
        weighted,
        saved: None,
        grads: RefCell::new(None),
    }))
}

/// What the adjoint needs from the forward pass.
struct Saved<E: Float> {
    a: Pooled<E>,
    b: Pooled<E>,
    /// [`SAVED`] blocks of `planes * ho * wo`: the five moments (mu_a, mu_b, E[a²],
    /// E[b²], E[ab]), the map and the weight of every output pixel.
    pixels: Pooled<E>,
    /// Per plane: the output, and the sum of the weights (weighted) or the pixel count.
    out: Vec<f64>,
    norm: Vec<f64>,
}

/// Values kept per output pixel: five moments, the map, the weight.
const SAVED: usize = 7;

struct SsimOp<E: Float> {
    planes: usize,
    shape: Shape4,
    h: usize,
    w: usize,
    taps: Vec<E>,
    rows: Axis,
    cols: Frame,
    gather: Vec<Vec<(usize, E)>>,
    /// Per input row, the number of output rows whose transposed row passes it needs.
    need: Vec<usize>,
    /// Output rows whose transposed row passes are kept at once.
    ring: usize,
    weighted: bool,
    saved: Option<Saved<E>>,
    /// Both gradients, computed by the first adjoint call.
    grads: RefCell<Option<[Pooled<E>; 2]>>,
}

/// A row's padded frame: the sources of the `before` entries left of the row and of
/// those right of it (`None`: zero); the row itself sits in between.
struct Frame {
    out: usize,
    left: Vec<Option<usize>>,
    right: Vec<Option<usize>>,
}

impl Frame {
    fn of(axis: &Axis, n: usize) -> Self {
        let before = axis.before;
        let left = axis.src[..before].to_vec();
        let right = axis.src[before + n..].to_vec();
        Frame {
            out: axis.out,
            left,
            right,
        }
    }

    fn len(&self, n: usize) -> usize {
        self.left.len() + n + self.right.len()
    }

    /// `frame` = the row, padded.
    #[inline(always)]
    fn fill<E: Float>(&self, row: &[E], frame: &mut [E]) {
        let (l, n) = (self.left.len(), row.len());
        frame[l..l + n].copy_from_slice(row);
        for (f, s) in frame[..l].iter_mut().zip(&self.left) {
            *f = s.map_or(E::zero(), |s| row[s]);
        }
        for (f, s) in frame[l + n..].iter_mut().zip(&self.right) {
            *f = s.map_or(E::zero(), |s| row[s]);
        }
    }

    /// `row` = the frame folded back onto the row (the transpose of [`Frame::fill`]).
    #[inline(always)]
    fn fold<E: Float>(&self, frame: &[E], row: &mut [E]) {
        let (l, n) = (self.left.len(), row.len());
        row.copy_from_slice(&frame[l..l + n]);
        for (f, s) in frame[..l].iter().zip(&self.left) {
            if let Some(s) = s {
                row[*s] += *f;
            }
        }
        for (f, s) in frame[l + n..].iter().zip(&self.right) {
            if let Some(s) = s {
                row[*s] += *f;
            }
        }
    }
}

/// The map and the weight's argument `(1 + σa²/C2)(1 + σb²/C2)` of one row of moments
/// (`m`: five rows of `n`).
#[inline(always)]
fn map_row<E: Float>(m: &[E], map: &mut [E], arg: &mut [E]) {
    let n = map.len();
    let (m1, m2, e11, e22, e12) = (
        &m[..n],
        &m[n..2 * n],
        &m[2 * n..3 * n],
        &m[3 * n..4 * n],
        &m[4 * n..5 * n],
    );
    let arg = &mut arg[..n];
    let (c1, c2, two, one) = (E::of_f64(C1), E::of_f64(C2), E::of_f64(2.0), E::one());
    for q in 0..n {
        let (x, y) = (m1[q], m2[q]);
        let (s1, s2, s12) = (e11[q] - x * x, e22[q] - y * y, e12[q] - x * y);
        let lum = (two * x * y + c1) / (x * x + y * y + c1);
        let cs = (two * s12 + c2) / (s1 + s2 + c2);
        map[q] = lum * cs;
        arg[q] = (one + s1 / c2) * (one + s2 / c2);
    }
}

/// The derivatives by the five moments (written into `d`, five rows of `n`) of one row
/// of output pixels, for derivatives `gs` by the map and `gw` by the weight: `gs = ks`,
/// `gw = 0` unweighted; `gs = ks * weight`, `gw = ks * (map - r)` weighted.
#[inline(always)]
fn adjoint_row<E: Float>(px: [&[E]; SAVED], ks: E, r: E, weighted: bool, d: &mut [E]) {
    let [m1, m2, e11, e22, e12, map, wt] = px;
    let n = m1.len();
    let (m2, e11, e22, e12, map, wt) = (
        &m2[..n],
        &e11[..n],
        &e22[..n],
        &e12[..n],
        &map[..n],
        &wt[..n],
    );
    let (d0, rest) = d.split_at_mut(n);
    let (d1, rest) = rest.split_at_mut(n);
    let (d2, rest) = rest.split_at_mut(n);
    let (d3, d4) = rest.split_at_mut(n);
    let d4 = &mut d4[..n];
    let (c1, c2, two) = (E::of_f64(C1), E::of_f64(C2), E::of_f64(2.0));
    for q in 0..n {
        let (gs, gw) = if weighted {
            (ks * wt[q], ks * (map[q] - r))
        } else {
            (ks, E::zero())
        };
        let (x, y) = (m1[q], m2[q]);
        let (s1, s2, s12) = (e11[q] - x * x, e22[q] - y * y, e12[q] - x * y);
        let dl = x * x + y * y + c1;
        let lum = (two * x * y + c1) / dl;
        let dc = s1 + s2 + c2;
        let cs = (two * s12 + c2) / dc;
        let (g_lum, g_cs) = (gs * cs, gs * lum);
        let g_s12 = g_cs * two / dc;
        let g_dc = -g_cs * cs / dc;
        let g_s1 = g_dc + gw / (c2 + s1);
        let g_s2 = g_dc + gw / (c2 + s2);
        d0[q] = g_lum * two * (y - lum * x) / dl - two * x * g_s1 - y * g_s12;
        d1[q] = g_lum * two * (x - lum * y) / dl - two * y * g_s2 - x * g_s12;
        d2[q] = g_s1;
        d3[q] = g_s2;
        d4[q] = g_s12;
    }
}

/// `m += t * (a, b, a², b², ab)` over one row (`m`: five rows of `a.len()`).
#[inline(always)]
fn column_tap<E: Float>(t: E, a: &[E], b: &[E], m: &mut [E]) {
    let n = a.len();
    let (m1, rest) = m.split_at_mut(n);
    let (m2, rest) = rest.split_at_mut(n);
    let (m11, rest) = rest.split_at_mut(n);
    let (m22, m12) = rest.split_at_mut(n);
    let (b, m12) = (&b[..n], &mut m12[..n]);
    for j in 0..n {
        let (ta, tb) = (t * a[j], t * b[j]);
        m1[j] += ta;
        m2[j] += tb;
        m11[j] += ta * a[j];
        m22[j] += tb * b[j];
        m12[j] += ta * b[j];
    }
}

/// `out[q] = sum over u of taps[u] * frame[q + u]`.
#[inline(always)]
fn row_pass<E: Float>(taps: &[E], frame: &[E], out: &mut [E]) {
    let n = out.len();
    out.fill(E::zero());
    for (u, &t) in taps.iter().enumerate() {
        axpy(out, t, &frame[u..u + n]);
    }
}

/// The transpose of [`row_pass`]: `frame = Tᵀ g`.
#[inline(always)]
fn row_pass_t<E: Float>(taps: &[E], g: &[E], frame: &mut [E]) {
    let n = g.len();
    frame.fill(E::zero());
    for (u, &t) in taps.iter().enumerate() {
        axpy(&mut frame[u..u + n], t, g);
    }
}

/// `dst += t * src`.
#[inline(always)]
fn axpy<E: Float>(dst: &mut [E], t: E, src: &[E]) {
    let n = dst.len();
    let src = &src[..n];
    for j in 0..n {
        dst[j] += t * src[j];
    }
}

impl<E: Float> SsimOp<E> {
    fn out_size(&self) -> (usize, usize) {
        (self.rows.out, self.cols.out)
    }

    /// [`SsimOp::plane`] compiled for AVX2 when the CPU has it ([`simd::avx2`]).
    fn plane_dispatch(&self, a: &[E], b: &[E], keep: Option<(&mut [E], usize)>) -> (f64, f64) {
        simd::avx2(
            #[inline(always)]
            || self.plane(a, b, keep),
        )
    }

    /// [`SsimOp::gradients`] compiled for AVX2 when the CPU has it ([`simd::avx2`]).
    fn gradients_dispatch(&self, gy: &[E]) -> [Pooled<E>; 2] {
        simd::avx2(
            #[inline(always)]
            || self.gradients(gy),
        )
    }

    /// One plane's forward pass: its output and the weight sum (or pixel count); the
    /// moments, map and weight written into `keep` ([`SAVED`] blocks of `ho * wo`,
    /// `stride` apart) when given.
    #[inline(always)]
    fn plane(&self, a: &[E], b: &[E], mut keep: Option<(&mut [E], usize)>) -> (f64, f64) {
        let (w, (ho, wo)) = (self.w, self.out_size());
        let mut col = pool::take::<E>(5 * w);
        let mut mom = pool::take::<E>(5 * wo);
        let (mut map, mut arg) = (pool::take::<E>(wo), pool::take::<E>(wo));
        let mut frame = pool::take::<E>(self.cols.len(w));
        let (mut num, mut den) = (0.0f64, 0.0f64);
        for p in 0..ho {
            col.fill(E::zero());
            for (u, &t) in self.taps.iter().enumerate() {
                if let Some(r) = self.rows.src[p + u] {
                    column_tap(t, &a[r * w..(r + 1) * w], &b[r * w..(r + 1) * w], &mut col);
                }
            }
            for k in 0..5 {
                self.cols.fill(&col[k * w..(k + 1) * w], &mut frame);
                row_pass(&self.taps, &frame, &mut mom[k * wo..(k + 1) * wo]);
            }
            map_row(&mom, &mut map, &mut arg);
            if self.weighted {
                for (s, u) in map.iter().zip(arg.iter_mut()) {
                    *u = u.ln();
                    num += (*s * *u).as_f64();
                    den += u.as_f64();
                }
            } else {
                for s in map.iter() {
                    num += s.as_f64();
                }
            }
            if let Some((keep, stride)) = keep.as_mut() {
                let at = |k: usize| k * *stride + p * wo..k * *stride + (p + 1) * wo;
                for k in 0..5 {
                    keep[at(k)].copy_from_slice(&mom[k * wo..(k + 1) * wo]);
                }
                keep[at(5)].copy_from_slice(&map);
                keep[at(6)].copy_from_slice(&arg);
            }
        }
        if !self.weighted {
            den = (ho * wo) as f64;
        }
        (num / den, den)
    }

    /// Both gradients for the outputs' gradient `gy`.
    #[inline(always)]
    fn gradients(&self, gy: &[E]) -> [Pooled<E>; 2] {
        let s = self
            .saved
            .as_ref()
            .expect("forward kept what the adjoint needs");
        let (h, w, (ho, wo)) = (self.h, self.w, self.out_size());
        let (hw, block) = (h * w, self.planes * ho * wo);
        let mut ga = pool::take::<E>(self.planes * hw);
        let mut gb = pool::take::<E>(self.planes * hw);
        let ring = self.ring;
        // the transposed row passes of output row p, in slot p % ring: five rows of w
        let mut fields = pool::take::<E>(ring * 5 * w);
        let mut part = pool::take::<E>(5 * wo);
        let mut frame = pool::take::<E>(self.cols.len(w));
        let mut g = pool::take::<E>(5 * w);
        for pl in 0..self.planes {
            let (out, norm) = (s.out[pl], s.norm[pl]);
            let ks = E::of_f64(gy[pl].as_f64() / norm);
            let (a, b) = (&s.a[pl * hw..(pl + 1) * hw], &s.b[pl * hw..(pl + 1) * hw]);
            let (ga, gb) = (
                &mut ga[pl * hw..(pl + 1) * hw],
                &mut gb[pl * hw..(pl + 1) * hw],
            );
            let mut next = 0;
            for r in 0..h {
                while next < self.need[r] {
                    let p = next;
                    let at = pl * ho * wo + p * wo;
                    let px = [0, 1, 2, 3, 4, 5, 6]
                        .map(|k| &s.pixels[k * block + at..k * block + at + wo]);
                    adjoint_row(px, ks, E::of_f64(out), self.weighted, &mut part);
                    let slot = &mut fields[(p % ring) * 5 * w..(p % ring + 1) * 5 * w];
                    for k in 0..5 {
                        row_pass_t(&self.taps, &part[k * wo..(k + 1) * wo], &mut frame);
                        self.cols.fold(&frame, &mut slot[k * w..(k + 1) * w]);
                    }
                    next += 1;
                }
                g.fill(E::zero());
                for &(p, t) in &self.gather[r] {
                    let slot = &fields[(p % ring) * 5 * w..(p % ring + 1) * 5 * w];
                    for k in 0..5 {
                        axpy(&mut g[k * w..(k + 1) * w], t, &slot[k * w..(k + 1) * w]);
                    }
                }
                combine(
                    &g,
                    &a[r * w..(r + 1) * w],
                    &b[r * w..(r + 1) * w],
                    &mut ga[r * w..(r + 1) * w],
                    &mut gb[r * w..(r + 1) * w],
                );
            }
        }
        [ga, gb]
    }
}

/// One row of both gradients from the transposed fields `g` (five rows: by mu_a, mu_b,
/// E[a²], E[b²], E[ab]): `ga = g0 + 2 a g2 + b g4`, `gb = g1 + 2 b g3 + a g4`.
#[inline(always)]
fn combine<E: Float>(g: &[E], a: &[E], b: &[E], ga: &mut [E], gb: &mut [E]) {
    let n = a.len();
    let (g0, g1, g2, g3, g4) = (
        &g[..n],
        &g[n..2 * n],
        &g[2 * n..3 * n],
        &g[3 * n..4 * n],
        &g[4 * n..5 * n],
    );
    let (b, ga, gb) = (&b[..n], &mut ga[..n], &mut gb[..n]);
    let two = E::of_f64(2.0);
    for j in 0..n {
        ga[j] = g0[j] + two * a[j] * g2[j] + b[j] * g4[j];
        gb[j] = g1[j] + two * b[j] * g3[j] + a[j] * g4[j];
    }
}

impl<E: Float> HostOp2<E> for SsimOp<E> {
    fn out_shape(&self) -> Shape4 {
        self.shape
    }

    fn forward(&mut self, a: Pooled<E>, b: &[E], grad: bool) -> Result<Pooled<E>> {
        let (hw, (ho, wo)) = (self.h * self.w, self.out_size());
        let block = self.planes * ho * wo;
        let mut pixels = if grad {
            pool::take::<E>(SAVED * block)
        } else {
            Pooled::default()
        };
        let mut out = pool::take::<E>(self.planes);
        let (mut outs, mut norms) = (Vec::new(), Vec::new());
        for pl in 0..self.planes {
            let (ap, bp) = (&a[pl * hw..(pl + 1) * hw], &b[pl * hw..(pl + 1) * hw]);
            let keep = if grad {
                Some((&mut pixels[pl * ho * wo..], block))
            } else {
                None
            };
            let (v, norm) = self.plane_dispatch(ap, bp, keep);
            out[pl] = E::of_f64(v);
            outs.push(v);
            norms.push(norm);
        }
        if grad {
            let mut bv = pool::take::<E>(b.len());
            bv.copy_from_slice(b);
            self.saved = Some(Saved {
                a,
                b: bv,
                pixels,
                out: outs,
                norm: norms,
            });
        }
        Ok(out)
    }

    fn adjoint_a(&self, gy: &[E], ga: &mut [E]) {
        self.add_gradient(0, gy, ga);
    }

    fn adjoint_b(&self, gy: &[E], gb: &mut [E]) {
        self.add_gradient(1, gy, gb);
    }
}

impl<E: Float> SsimOp<E> {
    /// Adds gradient `which` (0: a, 1: b), computing both on the first call.
    fn add_gradient(&self, which: usize, gy: &[E], into: &mut [E]) {
        let mut cache = self.grads.borrow_mut();
        let grads = cache.get_or_insert_with(|| self.gradients_dispatch(gy));
        for (t, v) in into.iter_mut().zip(grads[which].iter()) {
            *t += *v;
        }
    }
}
