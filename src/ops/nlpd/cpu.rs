//! The CPU's fused NLPD. Forward, per plane and image: the Laplacian pyramid (each
//! separable map a column pass of whole rows, then a row pass), each level's pooled
//! magnitudes (the filter's nonzero taps as shifted rows of a zero-padded frame) and
//! denominators; then the root mean squared difference of the normalised levels. The
//! levels and denominators are kept for the adjoint. Adjoint, per plane and image: the
//! normalisation's derivative (the pooling transposed: the same rows with the taps
//! flipped), then the pyramid's, coarse to fine, through the transposed maps (the first
//! of the two adjoint calls computes both gradients, the second takes its half). The
//! loops run over whole rows in separate slices, so the compiler vectorises them,
//! compiled for AVX2 too and chosen at run time.

use std::cell::RefCell;

use dfdx::prelude::{Cpu, Tensor};

use super::{NlpdPlan, EPSILON};
use crate::error::Result;
use crate::ops::pool::{self, Pooled};
use crate::ops::separable::Row;
use crate::ops::tape::{run2, HostOp2};
use crate::tensor::{check_finite, dims, ByFloat, Float, PerFloat, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::NlpdKernel<E> for Cpu {
    fn nlpd<T: Tape<E>>(
        a: crate::Image<E, T>,
        b: crate::Image<E, T>,
        plan: &NlpdPlan,
    ) -> Result<super::Fused<E, T, Cpu>> {
        Ok(super::Fused::Done(nlpd(a, b, plan)?))
    }
}

/// [`super::nlpd`] on the CPU (the shapes checked by the caller).
pub(crate) fn nlpd<E: Float, T: Tape<E>>(
    a: Tensor<Shape4, E, Cpu, T>,
    b: Tensor<Shape4, E, Cpu, T>,
    plan: &NlpdPlan,
) -> Result<Tensor<Shape4, E, Cpu, T>> {
    let op = (E::pick(&MAKE))(dims(&a), plan);
    run2(a, b, op)
}

/// The op's constructor for each element type, compiled here (see [`HostOp2`]).
struct Maker;
impl PerFloat for Maker {
    type Of<E: Float> = fn([usize; 4], &NlpdPlan) -> Box<dyn HostOp2<E>>;
}

static MAKE: ByFloat<Maker> = ByFloat {
    single: make::<f32>,
    double: make::<f64>,
};

fn make<E: Float>([n, c, _, w]: [usize; 4], plan: &NlpdPlan) -> Box<dyn HostOp2<E>> {
    let mut levels = Vec::with_capacity(plan.levels());
    let (mut size, mut off) = (plan.size, 0);
    for i in 0..plan.levels() {
        let taps: Vec<_> = (0..25)
            .filter(|k| plan.filters[i][*k] != 0.0)
            .map(|k| (k / 5, k % 5, E::of_f64(plan.filters[i][k])))
            .collect();
        let flipped = taps.iter().map(|&(u, v, f)| (4 - u, 4 - v, f)).collect();
        levels.push(Level {
            h: size.0,
            w: size.1,
            off,
            taps,
            flipped,
            sigma: E::of_f64(plan.sigmas[i]),
        });
        off += size.0 * size.1;
        if let Some((down, _)) = plan.maps.get(i) {
            size = down.output_size();
        }
    }
    let maps = |f: &dyn Fn(&crate::ops::SeparableMap) -> Map<E>| -> Vec<[Map<E>; 2]> {
        plan.maps.iter().map(|(d, u)| [f(d), f(u)]).collect()
    };
    Box::new(NlpdOp {
        planes: n * c,
        shape: (n, c, 1, 1),
        block: off,
        w,
        levels,
        maps: maps(&Map::of),
        adjoints: maps(&Map::adjoint_of),
        saved: None,
        grads: RefCell::new(None),
    })
}

/// A sparse matrix in compressed rows, the weights in the element type.
struct Sparse<E: Float> {
    start: Vec<usize>,
    idx: Vec<usize>,
    wt: Vec<E>,
}

impl<E: Float> Sparse<E> {
    fn of(rows: &[Row]) -> Self {
        let mut start = vec![0];
        let (mut idx, mut wt) = (Vec::new(), Vec::new());
        for row in rows {
            for &(i, t) in row {
                idx.push(i);
                wt.push(E::of_f64(t));
            }
            start.push(idx.len());
        }
        Sparse { start, idx, wt }
    }

    /// The transpose of `rows`, a matrix with `n` columns.
    fn transposed(rows: &[Row], n: usize) -> Self {
        let mut t: Vec<Row> = vec![Vec::new(); n];
        for (p, row) in rows.iter().enumerate() {
            for &(i, v) in row {
                t[i].push((p, v));
            }
        }
        Self::of(&t)
    }

    #[inline(always)]
    fn row(&self, p: usize) -> (&[usize], &[E]) {
        let r = self.start[p]..self.start[p + 1];
        (&self.idx[r.clone()], &self.wt[r])
    }
}

/// A separable map `Y = A X Bᵀ` of (h, w) planes to (ho, wo) planes.
struct Map<E: Float> {
    w: usize,
    ho: usize,
    wo: usize,
    a: Sparse<E>,
    b: Sparse<E>,
}

impl<E: Float> Map<E> {
    fn of(m: &crate::ops::SeparableMap) -> Self {
        let ((_, w), (ho, wo)) = (m.input_size(), m.output_size());
        Map {
            w,
            ho,
            wo,
            a: Sparse::of(m.rows()),
            b: Sparse::of(m.cols()),
        }
    }

    /// The transposed map, from `m`'s output size back to its input size.
    fn adjoint_of(m: &crate::ops::SeparableMap) -> Self {
        let ((h, w), (_, wo)) = (m.input_size(), m.output_size());
        Map {
            w: wo,
            ho: h,
            wo: w,
            a: Sparse::transposed(m.rows(), h),
            b: Sparse::transposed(m.cols(), w),
        }
    }

    /// `y = A x Bᵀ`; `tmp` holds at least a row of `x`.
    #[inline(always)]
    fn apply(&self, x: &[E], y: &mut [E], tmp: &mut [E]) {
        let (w, wo) = (self.w, self.wo);
        let tmp = &mut tmp[..w];
        for p in 0..self.ho {
            tmp.fill(E::zero());
            let (ai, at) = self.a.row(p);
            for (&i, &t) in ai.iter().zip(at) {
                axpy(tmp, t, &x[i * w..(i + 1) * w]);
            }
            for (q, yq) in y[p * wo..(p + 1) * wo].iter_mut().enumerate() {
                let (bj, bt) = self.b.row(q);
                let mut s = E::zero();
                for (&j, &t) in bj.iter().zip(bt) {
                    s += t * tmp[j];
                }
                *yq = s;
            }
        }
    }
}

/// One pyramid level: its size, where it sits in a plane's block of levels, the
/// pooling filter's nonzero taps `(row, column, weight)` and flipped, and the sigma.
struct Level<E: Float> {
    h: usize,
    w: usize,
    off: usize,
    taps: Vec<(usize, usize, E)>,
    flipped: Vec<(usize, usize, E)>,
    sigma: E,
}

impl<E: Float> Level<E> {
    fn len(&self) -> usize {
        self.h * self.w
    }

    fn range(&self) -> std::ops::Range<usize> {
        self.off..self.off + self.len()
    }
}

/// What the adjoint needs from the forward pass.
struct Saved<E: Float> {
    /// Per image, `planes` blocks of the levels and of their denominators.
    lev: [Pooled<E>; 2],
    den: [Pooled<E>; 2],
    /// Per plane and level, the root mean squared difference.
    roots: Vec<f64>,
}

struct NlpdOp<E: Float> {
    planes: usize,
    shape: Shape4,
    /// The values of all levels of one plane.
    block: usize,
    /// The image width (the widest row any map reads).
    w: usize,
    levels: Vec<Level<E>>,
    /// Per level but the last: the blur-downsample and upsample-blur maps.
    maps: Vec<[Map<E>; 2]>,
    /// Their transposes.
    adjoints: Vec<[Map<E>; 2]>,
    saved: Option<Saved<E>>,
    /// Both gradients, computed by the first adjoint call.
    grads: RefCell<Option<[Pooled<E>; 2]>>,
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

/// `out = sum over taps (u, v, f) of f * frame[row + u - 2][column + v - 2]` for an
/// `h x w` output read from `frame` (the input with two zero columns each side, `h` rows
/// of `w + 4`; rows outside are zero).
#[inline(always)]
fn pool_taps<E: Float>(taps: &[(usize, usize, E)], frame: &[E], h: usize, w: usize, out: &mut [E]) {
    let fw = w + 4;
    out.fill(E::zero());
    for (p, row) in out.chunks_exact_mut(w).enumerate() {
        for &(u, v, f) in taps {
            let r = p + u;
            if r < 2 || r - 2 >= h {
                continue;
            }
            let at = (r - 2) * fw + v;
            axpy(row, f, &frame[at..at + w]);
        }
    }
}

/// `frame` = the `h x w` plane `x` (through `f`) with two zero columns each side.
#[inline(always)]
fn fill_frame<E: Float>(x: &[E], w: usize, frame: &mut [E], f: impl Fn(E) -> E) {
    let fw = w + 4;
    for (src, dst) in x.chunks_exact(w).zip(frame.chunks_exact_mut(fw)) {
        dst[..2].fill(E::zero());
        dst[w + 2..].fill(E::zero());
        for (d, s) in dst[2..w + 2].iter_mut().zip(src) {
            *d = f(*s);
        }
    }
}

fn sign<E: Float>(v: E) -> E {
    if v > E::zero() {
        E::one()
    } else if v < E::zero() {
        -E::one()
    } else {
        E::zero()
    }
}

impl<E: Float> NlpdOp<E> {
    /// One plane `x`'s levels (into `lev`, a block) and their denominators (into `den`).
    #[inline(always)]
    fn normalise(&self, x: &[E], lev: &mut [E], den: &mut [E]) {
        let mut tmp = pool::take::<E>(self.w);
        let mut cur = pool::take::<E>(x.len());
        cur.copy_from_slice(x);
        for (l, [down, up]) in self.levels.iter().zip(&self.maps) {
            let mut next = pool::take::<E>(down.ho * down.wo);
            down.apply(&cur, &mut next, &mut tmp);
            let li = &mut lev[l.range()];
            up.apply(&next, li, &mut tmp);
            for (d, c) in li.iter_mut().zip(cur.iter()) {
                *d = *c - *d;
            }
            cur = next;
        }
        let last = self.levels.last().expect("levels");
        lev[last.range()].copy_from_slice(&cur[..last.len()]);
        let mut frame = pool::take::<E>(self.levels[0].h * (self.w + 4));
        for l in &self.levels {
            let (li, di) = (&lev[l.range()], &mut den[l.range()]);
            fill_frame(li, l.w, &mut frame, |v| v.abs());
            pool_taps(&l.taps, &frame, l.h, l.w, di);
            for d in di.iter_mut() {
                *d = l.sigma + *d;
            }
        }
    }

    /// One plane's forward pass: both images' levels and denominators into the slices
    /// given, the root per level into `roots`; returns the distance.
    #[inline(always)]
    fn plane(
        &self,
        x: [&[E]; 2],
        lev: [&mut [E]; 2],
        den: [&mut [E]; 2],
        roots: &mut [f64],
    ) -> f64 {
        let [la, lb] = lev;
        let [da, db] = den;
        self.normalise(x[0], la, da);
        self.normalise(x[1], lb, db);
        let mut total = 0.0;
        for (l, r) in self.levels.iter().zip(roots.iter_mut()) {
            let rg = l.range();
            let mut s = 0.0f64;
            for (((a, da), b), db) in la[rg.clone()]
                .iter()
                .zip(&da[rg.clone()])
                .zip(&lb[rg.clone()])
                .zip(&db[rg])
            {
                let d = (*a / *da - *b / *db).as_f64();
                s += d * d;
            }
            *r = (s / l.len() as f64 + EPSILON).sqrt();
            total += *r;
        }
        total / self.levels.len() as f64
    }

    /// [`NlpdOp::plane`] compiled for AVX2 when the CPU has it (checked at run time),
    /// else for the baseline target; both give the same bits (no FMA contraction).
    fn plane_dispatch(
        &self,
        x: [&[E]; 2],
        lev: [&mut [E]; 2],
        den: [&mut [E]; 2],
        roots: &mut [f64],
    ) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above
            return unsafe { self.plane_avx2(x, lev, den, roots) };
        }
        self.plane(x, lev, den, roots)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn plane_avx2(
        &self,
        x: [&[E]; 2],
        lev: [&mut [E]; 2],
        den: [&mut [E]; 2],
        roots: &mut [f64],
    ) -> f64 {
        self.plane(x, lev, den, roots)
    }

    /// [`NlpdOp::gradients`], compiled as [`NlpdOp::plane_dispatch`].
    fn gradients_dispatch(&self, gy: &[E]) -> [Pooled<E>; 2] {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above
            return unsafe { self.gradients_avx2(gy) };
        }
        self.gradients(gy)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn gradients_avx2(&self, gy: &[E]) -> [Pooled<E>; 2] {
        self.gradients(gy)
    }

    /// Both gradients for the outputs' gradient `gy`.
    #[inline(always)]
    fn gradients(&self, gy: &[E]) -> [Pooled<E>; 2] {
        let s = self
            .saved
            .as_ref()
            .expect("forward kept what the adjoint needs");
        let (bl, hw) = (self.block, self.levels[0].len());
        let n_levels = self.levels.len();
        let mut grads = [
            pool::take::<E>(self.planes * hw),
            pool::take::<E>(self.planes * hw),
        ];
        let mut gl = [pool::take::<E>(bl), pool::take::<E>(bl)];
        let mut frame = pool::take::<E>(self.levels[0].h * (self.w + 4));
        let mut pooled = pool::take::<E>(hw);
        let mut tmp = pool::take::<E>(self.w);
        for pl in 0..self.planes {
            let at = pl * bl..(pl + 1) * bl;
            let lev = [&s.lev[0][at.clone()], &s.lev[1][at.clone()]];
            let den = [&s.den[0][at.clone()], &s.den[1][at]];
            for (i, l) in self.levels.iter().enumerate() {
                let r = s.roots[pl * n_levels + i];
                let c = E::of_f64(gy[pl].as_f64() / (n_levels as f64 * r * l.len() as f64));
                let rg = l.range();
                // the gradient by the normalised level, g = ±c (ya - yb)
                let (ga, gb) = gl.split_at_mut(1);
                let (ga, gb) = (&mut ga[0][rg.clone()], &mut gb[0][rg.clone()]);
                for k in 0..l.len() {
                    let (ya, yb) = (
                        lev[0][rg.start + k] / den[0][rg.start + k],
                        lev[1][rg.start + k] / den[1][rg.start + k],
                    );
                    ga[k] = c * (ya - yb);
                    gb[k] = -ga[k];
                }
                for m in 0..2 {
                    let (li, di, gi) = (
                        &lev[m][rg.clone()],
                        &den[m][rg.clone()],
                        &mut gl[m][rg.clone()],
                    );
                    // by the denominator: -g l / d², pooled back through the flipped taps
                    for (row, fr) in (0..l.h)
                        .map(|p| p * l.w)
                        .zip(frame.chunks_exact_mut(l.w + 4))
                    {
                        fr[..2].fill(E::zero());
                        fr[l.w + 2..].fill(E::zero());
                        for q in 0..l.w {
                            let k = row + q;
                            fr[q + 2] = -gi[k] * li[k] / (di[k] * di[k]);
                        }
                    }
                    let pooled = &mut pooled[..l.len()];
                    pool_taps(&l.flipped, &frame, l.h, l.w, pooled);
                    for k in 0..l.len() {
                        gi[k] = gi[k] / di[k] + sign(li[k]) * pooled[k];
                    }
                }
            }
            // the pyramid's adjoint, coarse to fine
            for m in 0..2 {
                let g = &gl[m];
                let last = &self.levels[n_levels - 1];
                let mut gx = pool::take::<E>(last.len());
                gx.copy_from_slice(&g[last.range()]);
                for (l, [down_t, up_t]) in self.levels.iter().zip(&self.adjoints).rev() {
                    let mut t = pool::take::<E>(up_t.ho * up_t.wo);
                    up_t.apply(&g[l.range()], &mut t, &mut tmp);
                    for (t, x) in t.iter_mut().zip(gx.iter()) {
                        *t = *x - *t;
                    }
                    let mut finer = pool::take::<E>(l.len());
                    down_t.apply(&t, &mut finer, &mut tmp);
                    for (f, gv) in finer.iter_mut().zip(&g[l.range()]) {
                        *f += *gv;
                    }
                    gx = finer;
                }
                grads[m][pl * hw..(pl + 1) * hw].copy_from_slice(&gx);
            }
        }
        grads
    }
}

impl<E: Float> HostOp2<E> for NlpdOp<E> {
    fn out_shape(&self) -> Shape4 {
        self.shape
    }

    fn forward(&mut self, a: Pooled<E>, b: &[E], grad: bool) -> Result<Pooled<E>> {
        check_finite(&a, "NLPD input")?;
        check_finite(b, "NLPD input")?;
        let (hw, bl, n_levels) = (self.levels[0].len(), self.block, self.levels.len());
        let kept = if grad { self.planes } else { 1 };
        let mut lev = [pool::take::<E>(kept * bl), pool::take::<E>(kept * bl)];
        let mut den = [pool::take::<E>(kept * bl), pool::take::<E>(kept * bl)];
        let mut roots = vec![0.0; self.planes * n_levels];
        let mut out = pool::take::<E>(self.planes);
        for pl in 0..self.planes {
            let at = if grad { pl * bl } else { 0 }..if grad { (pl + 1) * bl } else { bl };
            let [la, lb] = &mut lev;
            let [da, db] = &mut den;
            let v = self.plane_dispatch(
                [&a[pl * hw..(pl + 1) * hw], &b[pl * hw..(pl + 1) * hw]],
                [&mut la[at.clone()], &mut lb[at.clone()]],
                [&mut da[at.clone()], &mut db[at]],
                &mut roots[pl * n_levels..(pl + 1) * n_levels],
            );
            out[pl] = E::of_f64(v);
        }
        if grad {
            self.saved = Some(Saved { lev, den, roots });
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

impl<E: Float> NlpdOp<E> {
    /// Adds gradient `which` (0: a, 1: b), computing both on the first call.
    fn add_gradient(&self, which: usize, gy: &[E], into: &mut [E]) {
        let mut cache = self.grads.borrow_mut();
        let grads = cache.get_or_insert_with(|| self.gradients_dispatch(gy));
        for (t, v) in into.iter_mut().zip(grads[which].iter()) {
            *t += *v;
        }
    }
}
