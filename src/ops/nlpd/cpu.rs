//! The CPU's fused NLPD. Forward, per plane and image: the Laplacian pyramid (each
//! separable map a column pass of whole rows, then a row pass, `maps.rs`), each level's
//! pooled magnitudes (the filter's nonzero taps as shifted rows of a ring of five
//! zero-padded rows) and denominators, the level divided in place; then the root mean
//! squared difference of the normalised levels. The normalised levels and denominators
//! are kept for the adjoint. Adjoint, per plane, coarse to fine: each level's gradient
//! for both images (the normalisation's derivative, its pooling transposed: the same
//! rows with the taps flipped), then one step of the pyramid's adjoint through the
//! transposed maps (the first of the two adjoint calls computes both gradients, the
//! second takes its half). The loops run over whole rows in separate slices, so the
//! compiler vectorises them, compiled for AVX2 too and chosen at run time. The maps and
//! taps of an image size are built once and kept by the plan ([`Geometry`]).

use std::cell::RefCell;
use std::sync::{Arc, Mutex, OnceLock};

use dfdx::prelude::{Cpu, Tensor};

use super::maps::{axpy, Map};
use super::{NlpdPlan, EPSILON};
use crate::error::Result;
use crate::ops::pool::{self, Pooled};
use crate::ops::simd;
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

fn make<E: Float>([n, c, _, _]: [usize; 4], plan: &NlpdPlan) -> Box<dyn HostOp2<E>> {
    let geo = E::pick(&plan.host)
        .get_or_init(|| Arc::new(Geometry::new(plan)))
        .clone();
    Box::new(NlpdOp {
        planes: n * c,
        shape: (n, c, 1, 1),
        geo,
        saved: None,
        grads: RefCell::new(None),
    })
}

/// The plan's geometry in each element type, built on first use.
pub(crate) struct HostGeometry;
impl PerFloat for HostGeometry {
    type Of<E: Float> = OnceLock<Arc<Geometry<E>>>;
}

/// What the op needs for one image size: the levels, the maps and their transposes.
pub(crate) struct Geometry<E: Float> {
    /// The values of all levels of one plane.
    block: usize,
    /// The image width (the widest row any map reads).
    w: usize,
    levels: Vec<Level<E>>,
    /// Per level but the last: the blur-downsample and upsample-blur maps.
    maps: Vec<[Map<E>; 2]>,
    /// Their transposes.
    adjoints: Vec<[Map<E>; 2]>,
    /// The large buffers of ops on this size, given back when they are dropped, for
    /// the next call (fresh memory costs a page fault per page every call).
    spare: Mutex<Vec<Vec<E>>>,
}

impl<E: Float> Geometry<E> {
    fn new(plan: &NlpdPlan) -> Self {
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
        Geometry {
            block: off,
            w: plan.size.1,
            levels,
            maps: maps(&Map::of),
            adjoints: maps(&Map::adjoint_of),
            spare: Mutex::new(Vec::new()),
        }
    }

    /// A buffer of `n` values (zero), a spare one when one fits.
    fn take(&self, n: usize) -> Vec<E> {
        let mut spare = self.spare.lock().unwrap_or_else(|e| e.into_inner());
        let mut v = match spare.iter().position(|v| v.capacity() >= n) {
            Some(i) => spare.swap_remove(i),
            None => Vec::new(),
        };
        v.clear();
        v.resize(n, E::zero());
        v
    }

    /// Keeps `v` for [`Geometry::take`] (at most [`SPARE`] buffers of at most
    /// [`SPARE_LEN`] values).
    fn give(&self, v: Vec<E>) {
        let mut spare = self.spare.lock().unwrap_or_else(|e| e.into_inner());
        if v.capacity() <= SPARE_LEN && spare.len() < SPARE {
            spare.push(v);
        }
    }

    /// The scratch of the maps and the pooling: a row's map scratch, then a ring of
    /// five padded rows and an output row.
    fn scratch(&self) -> Pooled<E> {
        pool::take(Map::<E>::scratch(self.w) + 6 * (self.w + 4))
    }
}

/// How many buffers a [`Geometry`] keeps.
const SPARE: usize = 2;
/// The largest buffer a [`Geometry`] keeps (values).
const SPARE_LEN: usize = 1 << 21;

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

    /// The pooling `sum over taps (u, v, f) of f * x[row + u - 2][column + v - 2]` (zero
    /// outside) of the plane whose row `r` `fill(data, r, ..)` writes, each output row
    /// handed to `emit(data, row, ..)` once the rows it reads are filled. Rows are filled
    /// in order into a ring of five (`ring`: five padded rows, then an output row), so
    /// `emit` may overwrite rows of `data` up to its own.
    #[inline(always)]
    fn pool<D: ?Sized>(
        &self,
        taps: &[(usize, usize, E)],
        ring: &mut [E],
        data: &mut D,
        fill: impl Fn(&D, usize, &mut [E]),
        mut emit: impl FnMut(&mut D, usize, &[E]),
    ) {
        let (h, w, fw) = (self.h, self.w, self.w + 4);
        let (ring, acc) = ring.split_at_mut(5 * fw);
        let acc = &mut acc[..w];
        let mut filled = 0;
        for p in 0..h {
            while filled < h.min(p + 3) {
                let fr = &mut ring[(filled % 5) * fw..(filled % 5 + 1) * fw];
                fr[..2].fill(E::zero());
                fr[w + 2..].fill(E::zero());
                fill(data, filled, &mut fr[2..w + 2]);
                filled += 1;
            }
            acc.fill(E::zero());
            for &(u, v, f) in taps {
                let r = p + u;
                if r < 2 || r - 2 >= h {
                    continue;
                }
                let at = ((r - 2) % 5) * fw + v;
                axpy(acc, f, &ring[at..at + w]);
            }
            emit(data, p, acc);
        }
    }
}

/// Values per chunk of [`sum_sq_diff`].
const CHUNK: usize = 256;

/// `sum (ya - yb)²` in f64 (eight partial sums), the differences formed a chunk at a
/// time in `diff` ([`CHUNK`] values).
#[inline(always)]
fn sum_sq_diff<E: Float>(ya: &[E], yb: &[E], diff: &mut [E]) -> f64 {
    let mut acc = [0.0f64; 8];
    let n = ya.len();
    for at in (0..n).step_by(CHUNK) {
        let m = CHUNK.min(n - at);
        let (ya, yb, diff) = (&ya[at..at + m], &yb[at..at + m], &mut diff[..m]);
        for k in 0..m {
            diff[k] = ya[k] - yb[k];
        }
        let mut lanes = diff.chunks_exact(8);
        for c in &mut lanes {
            for (a, v) in acc.iter_mut().zip(c) {
                let v = v.as_f64();
                *a += v * v;
            }
        }
        for (a, v) in acc.iter_mut().zip(lanes.remainder()) {
            let v = v.as_f64();
            *a += v * v;
        }
    }
    acc.iter().sum()
}

#[inline(always)]
fn sign<E: Float>(v: E) -> E {
    if v > E::zero() {
        E::one()
    } else if v < E::zero() {
        -E::one()
    } else {
        E::zero()
    }
}

/// What the adjoint needs from the forward pass.
struct Saved<E: Float> {
    /// Four parts of `planes` blocks: both images' normalised levels, then both
    /// images' denominators.
    buf: Vec<E>,
    /// Per plane and level, the root mean squared difference.
    roots: Vec<f64>,
}

struct NlpdOp<E: Float> {
    planes: usize,
    shape: Shape4,
    geo: Arc<Geometry<E>>,
    saved: Option<Saved<E>>,
    /// Both gradients (one after the other), computed by the first adjoint call.
    grads: RefCell<Option<Vec<E>>>,
}

impl<E: Float> Drop for NlpdOp<E> {
    fn drop(&mut self) {
        if let Some(s) = self.saved.take() {
            self.geo.give(s.buf);
        }
        if let Some(g) = self.grads.get_mut().take() {
            self.geo.give(g);
        }
    }
}

impl<E: Float> Geometry<E> {
    /// One plane `x`'s normalised levels (into `y`, a block) and their denominators
    /// (into `den`).
    #[inline(always)]
    fn normalise(&self, x: &[E], y: &mut [E], den: &mut [E], scratch: &mut [E]) {
        let (tmp, ring) = scratch.split_at_mut(Map::<E>::scratch(self.w));
        let mut prev = Pooled::default();
        for (i, (l, [down, up])) in self.levels.iter().zip(&self.maps).enumerate() {
            let mut next = pool::take::<E>(down.ho * down.wo);
            let cur: &[E] = if i == 0 { x } else { &prev };
            down.apply::<false>(cur, &mut next, tmp);
            let li = &mut y[l.range()];
            up.apply::<false>(&next, li, tmp);
            for (d, c) in li.iter_mut().zip(cur) {
                *d = *c - *d;
            }
            prev = next;
        }
        let last = self.levels.last().expect("levels");
        let cur: &[E] = if self.levels.len() == 1 { x } else { &prev };
        y[last.range()].copy_from_slice(&cur[..last.len()]);
        for l in &self.levels {
            let w = l.w;
            let (yi, di) = (&mut y[l.range()], &mut den[l.range()]);
            l.pool(
                &l.taps,
                ring,
                yi,
                |y, r, dst| {
                    for (d, v) in dst.iter_mut().zip(&y[r * w..(r + 1) * w]) {
                        *d = v.abs();
                    }
                },
                |y, p, acc| {
                    let (yr, dr) = (&mut y[p * w..(p + 1) * w], &mut di[p * w..(p + 1) * w]);
                    for q in 0..w {
                        let d = l.sigma + acc[q];
                        dr[q] = d;
                        yr[q] /= d;
                    }
                },
            );
        }
    }
}

impl<E: Float> NlpdOp<E> {
    /// One plane's forward pass: both images' normalised levels and denominators into
    /// the slices given, the root per level into `roots`; returns the distance.
    #[inline(always)]
    fn plane(&self, x: [&[E]; 2], y: [&mut [E]; 2], den: [&mut [E]; 2], roots: &mut [f64]) -> f64 {
        let g = &*self.geo;
        let mut scratch = g.scratch();
        let [ya, yb] = y;
        let [da, db] = den;
        g.normalise(x[0], ya, da, &mut scratch);
        g.normalise(x[1], yb, db, &mut scratch);
        let mut total = 0.0;
        let mut diff = pool::take::<E>(CHUNK);
        for (l, r) in g.levels.iter().zip(roots.iter_mut()) {
            let s = sum_sq_diff(&ya[l.range()], &yb[l.range()], &mut diff);
            *r = (s / l.len() as f64 + EPSILON).sqrt();
            total += *r;
        }
        total / g.levels.len() as f64
    }

    /// [`NlpdOp::plane`] compiled for AVX2 when the CPU has it ([`simd::avx2`]).
    fn plane_dispatch(
        &self,
        x: [&[E]; 2],
        y: [&mut [E]; 2],
        den: [&mut [E]; 2],
        roots: &mut [f64],
    ) -> f64 {
        simd::avx2(
            #[inline(always)]
            || self.plane(x, y, den, roots),
        )
    }

    /// [`NlpdOp::gradients`] compiled for AVX2 when the CPU has it ([`simd::avx2`]).
    fn gradients_dispatch(&self, gy: &[E]) -> Vec<E> {
        simd::avx2(
            #[inline(always)]
            || self.gradients(gy),
        )
    }

    /// Both gradients for the outputs' gradient `gy`.
    #[inline(always)]
    fn gradients(&self, gy: &[E]) -> Vec<E> {
        let s = self
            .saved
            .as_ref()
            .expect("forward kept what the adjoint needs");
        let g = &*self.geo;
        let (bl, hw) = (g.block, g.levels[0].len());
        let n_levels = g.levels.len();
        let mut out = g.take(2 * self.planes * hw);
        let (g0, g1) = out.split_at_mut(self.planes * hw);
        let mut grads = [g0, g1];
        let mut scratch = g.scratch();
        let (tmp, ring) = scratch.split_at_mut(Map::<E>::scratch(g.w));
        // per image: the level's gradient (the finest level's in the gradient itself);
        // the gradient by the next coarser image and the step back to this level's
        let coarse = g.levels.get(1).map_or(hw, Level::len);
        let mut gl = [pool::take::<E>(coarse), pool::take::<E>(coarse)];
        let mut gx = [pool::take::<E>(coarse), pool::take::<E>(coarse)];
        let mut t = pool::take::<E>(coarse);
        for (pl, gp) in gy.iter().enumerate().take(self.planes) {
            let at = pl * bl..(pl + 1) * bl;
            let part = |k: usize| &s.buf[k * self.planes * bl..(k + 1) * self.planes * bl];
            let y = [&part(0)[at.clone()], &part(1)[at.clone()]];
            let den = [&part(2)[at.clone()], &part(3)[at]];
            let plane = pl * hw..(pl + 1) * hw;
            for (i, l) in g.levels.iter().enumerate().rev() {
                let n = l.len();
                let r = s.roots[pl * n_levels + i];
                let c = E::of_f64(gp.as_f64() / (n_levels as f64 * r * n as f64));
                let rg = l.range();
                // by the normalised level: g = ±c (ya - yb)
                let (ga, gb) = if i == 0 {
                    let [ga, gb] = &mut grads;
                    (&mut ga[plane.clone()], &mut gb[plane.clone()])
                } else {
                    let [ga, gb] = &mut gl;
                    (&mut ga[..n], &mut gb[..n])
                };
                let (ya, yb) = (&y[0][rg.clone()], &y[1][rg.clone()]);
                for k in 0..n {
                    let v = c * (ya[k] - yb[k]);
                    ga[k] = v;
                    gb[k] = -v;
                }
                for m in 0..2 {
                    let (yi, di) = (&y[m][rg.clone()], &den[m][rg.clone()]);
                    let w = l.w;
                    // by the level: g / d, plus through the denominator -g y / d pooled
                    // back (the flipped taps) times the level's sign
                    let gi = if i == 0 {
                        &mut grads[m][plane.clone()]
                    } else {
                        &mut gl[m][..n]
                    };
                    l.pool(
                        &l.flipped,
                        ring,
                        gi,
                        |g, r, dst| {
                            let rr = r * w..(r + 1) * w;
                            let (g, yr, dr) = (&g[rr.clone()], &yi[rr.clone()], &di[rr]);
                            for q in 0..w {
                                dst[q] = -g[q] * yr[q] / dr[q];
                            }
                        },
                        |g, p, acc| {
                            let rr = p * w..(p + 1) * w;
                            let (g, yr, dr) = (&mut g[rr.clone()], &yi[rr.clone()], &di[rr]);
                            for q in 0..w {
                                g[q] = g[q] / dr[q] + sign(yr[q]) * sign(dr[q]) * acc[q];
                            }
                        },
                    );
                    // the pyramid's adjoint: the coarsest level's gradient is the
                    // coarsest image's; a finer image's is its level's plus the
                    // downsampling's adjoint of (the coarser image's minus the
                    // upsampling's adjoint of the level's)
                    if i + 1 == n_levels {
                        // (a one-level pyramid's gradient is the level's, in place)
                        if i > 0 {
                            gx[m][..n].copy_from_slice(&gl[m][..n]);
                        }
                        continue;
                    }
                    let [down_t, up_t] = &g.adjoints[i];
                    let nc = up_t.ho * up_t.wo;
                    let t = &mut t[..nc];
                    let gi: &mut [E] = if i == 0 {
                        &mut grads[m][plane.clone()]
                    } else {
                        &mut gl[m][..n]
                    };
                    up_t.apply::<false>(gi, t, tmp);
                    for (t, x) in t.iter_mut().zip(&gx[m][..nc]) {
                        *t = *x - *t;
                    }
                    if i == 0 {
                        down_t.apply::<true>(t, gi, tmp);
                    } else {
                        let out = &mut gx[m][..n];
                        down_t.apply::<false>(t, out, tmp);
                        for (o, v) in out.iter_mut().zip(gi.iter()) {
                            *o += *v;
                        }
                    }
                }
            }
        }
        out
    }
}

impl<E: Float> HostOp2<E> for NlpdOp<E> {
    fn out_shape(&self) -> Shape4 {
        self.shape
    }

    fn forward(&mut self, a: Pooled<E>, b: &[E], grad: bool) -> Result<Pooled<E>> {
        check_finite(&a, "NLPD input")?;
        check_finite(b, "NLPD input")?;
        let g = self.geo.clone();
        let (hw, bl, n_levels) = (g.levels[0].len(), g.block, g.levels.len());
        let kept = if grad { self.planes } else { 1 };
        let mut buf = g.take(4 * kept * bl);
        let (y, den) = buf.split_at_mut(2 * kept * bl);
        let (ya, yb) = y.split_at_mut(kept * bl);
        let (da, db) = den.split_at_mut(kept * bl);
        let mut roots = vec![0.0; self.planes * n_levels];
        let mut out = pool::take::<E>(self.planes);
        for pl in 0..self.planes {
            let at = if grad { pl * bl..(pl + 1) * bl } else { 0..bl };
            let v = self.plane_dispatch(
                [&a[pl * hw..(pl + 1) * hw], &b[pl * hw..(pl + 1) * hw]],
                [&mut ya[at.clone()], &mut yb[at.clone()]],
                [&mut da[at.clone()], &mut db[at]],
                &mut roots[pl * n_levels..(pl + 1) * n_levels],
            );
            out[pl] = E::of_f64(v);
        }
        if grad {
            self.saved = Some(Saved { buf, roots });
        } else {
            g.give(buf);
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
        let n = grads.len() / 2;
        for (t, v) in into.iter_mut().zip(&grads[which * n..(which + 1) * n]) {
            *t += *v;
        }
    }
}
