//! The CPU's convolution: FFTs of the input read through a *frame* (the image, or the
//! image padded on the fly), multiplied by the cached spectra of the kernels.

use std::sync::Arc;

use dfdx::prelude::{Cpu, Tensor};
use realfft::num_complex::Complex;

use super::{Filter, Spectra};
use crate::error::{Error, Result};
use crate::ops::checks::{groups, pads_fit, same_pads};
use crate::ops::fft::{fast_len, plan, Plan2};
use crate::ops::par;
use crate::ops::pool::{self, Pooled};
use crate::ops::tape::{run1, HostOp1};
use crate::ops::PadMode;
use crate::tensor::{check_finite, check_shape4, dims, ByFloat, Float, PerFloat, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::ConvKernel<E> for Cpu {
    fn conv2d<T: Tape<E>>(
        x: crate::Image<E, T>,
        filt: &super::Filter,
    ) -> crate::Result<crate::Image<E, T>> {
        conv2d(x, filt)
    }
    fn conv2d_same<T: Tape<E>>(
        x: crate::Image<E, T>,
        filt: &super::Filter,
        mode: crate::ops::PadMode,
    ) -> crate::Result<crate::Image<E, T>> {
        conv2d_same(x, filt, mode)
    }
}

impl Filter {
    /// FFTs of every kernel for plan `p`, scaled by `1 / (n m)` (so inverse transforms need
    /// no scaling), with kernel element (u, v) placed at ((u - shift.0) mod n,
    /// (v - shift.1) mod m), wrapping around (and adding up) where the kernel is larger.
    /// Cached per element type, size and shift.
    fn spectra<E: Float>(&self, p: &Plan2<E>, shift: (usize, usize)) -> Spectra<E> {
        let key = (p.n, p.m, shift.0, shift.1);
        let mut cache = E::pick(&self.spectra)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(s) = cache.get(&key) {
            return s.clone();
        }
        let [o, c, kh, kw] = self.shape;
        let (n, m) = (p.n, p.m);
        let scale = 1.0 / (n * m) as f64;
        let mut work = p.work();
        let spec: Vec<Vec<Complex<E>>> = (0..o * c)
            .map(|i| {
                let mut plane = vec![0.0f64; n * m];
                let k = &self.weights[i * kh * kw..(i + 1) * kh * kw];
                for u in 0..kh {
                    let r = (u + n - shift.0 % n) % n;
                    for v in 0..kw {
                        let s = (v + m - shift.1 % m) % m;
                        plane[r * m + s] += k[u * kw + v] * scale;
                    }
                }
                let mut out = vec![Complex::new(E::zero(), E::zero()); p.spec_len()];
                p.forward_with(
                    n,
                    m,
                    |r, row| {
                        for (d, s) in row.iter_mut().zip(&plane[r * m..(r + 1) * m]) {
                            *d = E::of_f64(*s);
                        }
                    },
                    &mut out,
                    &mut work.bufs,
                );
                out
            })
            .collect();
        p.give_back(work);
        let spec = Arc::new(spec);
        cache.insert(key, spec.clone());
        spec
    }
}

/// How the transform frame is read from an input plane: frame row `i` is input row
/// `rows[i]` (`None`: the constant `fill`), likewise for columns; frame columns
/// `left..left + w` are always input columns `0..w`.
struct Frame {
    rows: Vec<Option<usize>>,
    cols: Vec<Option<usize>>,
    left: usize,
    fill: f64,
}

impl Frame {
    /// The image itself.
    fn identity(h: usize, w: usize) -> Self {
        Frame {
            rows: (0..h).map(Some).collect(),
            cols: (0..w).map(Some).collect(),
            left: 0,
            fill: 0.0,
        }
    }

    /// The image padded by `[top, bottom, left, right]` in `mode`.
    fn padded(h: usize, w: usize, pads: [usize; 4], mode: PadMode) -> Self {
        let [top, bottom, left, right] = pads;
        Frame {
            rows: (0..h + top + bottom)
                .map(|i| mode.source(i, top, h))
                .collect(),
            cols: (0..w + left + right)
                .map(|j| mode.source(j, left, w))
                .collect(),
            left,
            fill: match mode {
                PadMode::Constant(v) => v,
                _ => 0.0,
            },
        }
    }

    /// Writes frame row `i` of the plane `src` (width `w`) into `row`.
    fn load<E: Float>(&self, src: &[E], w: usize, i: usize, row: &mut [E]) {
        let fill = E::of_f64(self.fill);
        let Some(r) = self.rows[i] else {
            row.iter_mut().for_each(|v| *v = fill);
            return;
        };
        let s = &src[r * w..(r + 1) * w];
        row[self.left..self.left + w].copy_from_slice(s);
        for j in (0..self.left).chain(self.left + w..self.cols.len()) {
            row[j] = self.cols[j].map_or(fill, |c| s[c]);
        }
    }

    /// Adds frame row `i` (`row`, at least as long as the frame) into the plane `dst`
    /// (width `w`): the adjoint of [`Frame::load`].
    fn add<E: Float>(&self, dst: &mut [E], w: usize, i: usize, row: &[E]) {
        let Some(r) = self.rows[i] else { return };
        let d = &mut dst[r * w..(r + 1) * w];
        for (a, b) in d.iter_mut().zip(&row[self.left..self.left + w]) {
            *a += *b;
        }
        for j in (0..self.left).chain(self.left + w..self.cols.len()) {
            if let Some(c) = self.cols[j] {
                d[c] += row[j];
            }
        }
    }
}

/// Geometry of one convolution call.
#[derive(Clone, Copy)]
struct Geometry {
    batch: usize,
    cin: usize,
    cout: usize,
    /// input channels per group (= the filter's second dimension)
    cg: usize,
    /// output channels per group
    og: usize,
    h: usize,
    w: usize,
    ho: usize,
    wo: usize,
}

/// The convolution's constructor for each element type (compiled here, see
/// [`crate::ops::tape::HostOp1`]): the filter, the input's shape, and the padding mode for
/// [`super::conv2d_same`] (`None` for the valid [`super::conv2d`]).
struct Maker;
impl PerFloat for Maker {
    type Of<E: Float> =
        for<'a> fn(&'a Filter, [usize; 4], Option<PadMode>) -> Result<Box<dyn HostOp1<E>>>;
}

static MAKE: ByFloat<Maker> = ByFloat {
    single: make::<f32>,
    double: make::<f64>,
};

/// [`super::conv2d`] by FFT.
pub(crate) fn conv2d<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    filt: &Filter,
) -> Result<Tensor<Shape4, E, Cpu, T>> {
    let op = (E::pick(&MAKE))(filt, dims(&x), None)?;
    run1(x, op)
}

/// [`super::conv2d_same`] by FFT, the padding read on the fly.
pub(crate) fn conv2d_same<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    filt: &Filter,
    mode: PadMode,
) -> Result<Tensor<Shape4, E, Cpu, T>> {
    let op = (E::pick(&MAKE))(filt, dims(&x), Some(mode))?;
    run1(x, op)
}

/// The convolution of an input of shape `[batch, cin, h, w]` with `filt`, valid or (with
/// `mode`) same-size with the padding read on the fly.
fn make<E: Float>(
    filt: &Filter,
    [batch, cin, h, w]: [usize; 4],
    mode: Option<PadMode>,
) -> Result<Box<dyn HostOp1<E>>> {
    check_shape4(&[batch, cin, h, w], "convolution input")?;
    let [cout, cg, kh, kw] = filt.shape;
    let Some(mode) = mode else {
        if kh > h || kw > w {
            return Err(Error::KernelTooLarge {
                kernel: (kh, kw),
                image: (h, w),
            });
        }
        let og = groups(filt, cin)?;
        let g = Geometry {
            batch,
            cin,
            cout,
            cg,
            og,
            h,
            w,
            ho: h - kh + 1,
            wo: w - kw + 1,
        };
        let p = plan::<E>(fast_len(h), fast_len(w));
        let spec = filt.spectra(&p, (0, 0));
        return Ok(Box::new(Conv {
            g,
            frame: Frame::identity(h, w),
            p,
            spec,
        }));
    };
    let pads = same_pads((kh, kw));
    pads_fit(mode, pads, h, w)?;
    let og = groups(filt, cin)?;
    let g = Geometry {
        batch,
        cin,
        cout,
        cg,
        og,
        h,
        w,
        ho: h,
        wo: w,
    };
    if mode == PadMode::Circular && fast_len(h) == h && fast_len(w) == w {
        let p = plan::<E>(h, w);
        let spec = filt.spectra(&p, (pads[0], pads[2]));
        return Ok(Box::new(Conv {
            g,
            frame: Frame::identity(h, w),
            p,
            spec,
        }));
    }
    let p = plan::<E>(fast_len(h + kh - 1), fast_len(w + kw - 1));
    let spec = filt.spectra(&p, (0, 0));
    Ok(Box::new(Conv {
        g,
        frame: Frame::padded(h, w, pads, mode),
        p,
        spec,
    }))
}

/// A convolution of one input shape: the input read through `frame`, the plan and the
/// kernels' spectra.
struct Conv<E: Float> {
    g: Geometry,
    frame: Frame,
    p: Arc<Plan2<E>>,
    spec: Spectra<E>,
}

impl<E: Float> HostOp1<E> for Conv<E> {
    fn out_shape(&self) -> Shape4 {
        (self.g.batch, self.g.cout, self.g.ho, self.g.wo)
    }
    fn forward(&mut self, x: Pooled<E>, _grad: bool) -> Result<Pooled<E>> {
        check_finite(&x, "convolution input")?;
        Ok(forward(&x, &self.g, &self.frame, &self.p, &self.spec))
    }
    fn adjoint(&mut self, gy: &[E], gx: &mut [E]) {
        adjoint(gy, gx, &self.g, &self.frame, &self.p, &self.spec)
    }
}

fn forward<E: Float>(
    x: &[E],
    g: &Geometry,
    frame: &Frame,
    p: &Plan2<E>,
    spec: &[Vec<Complex<E>>],
) -> Pooled<E> {
    let (plane, oplane) = (g.h * g.w, g.ho * g.wo);
    let mut out = pool::take(g.batch * g.cout * oplane);
    // batch items on separate threads; one item's channels on separate threads
    let split = par::worth(g.batch, g.cout * oplane);
    par::pieces(&mut out, g.cout * oplane, |b, dst| {
        let src = &x[b * g.cin * plane..][..g.cin * plane];
        forward_item(src, dst, g, frame, p, spec, !split);
    });
    out
}

/// [`forward`] of one batch item: the input's `cin` planes `x` into the `cout` planes
/// `out`, channels on several threads when `par`.
fn forward_item<E: Float>(
    x: &[E],
    out: &mut [E],
    g: &Geometry,
    frame: &Frame,
    p: &Plan2<E>,
    spec: &[Vec<Complex<E>>],
    par: bool,
) {
    let (plane, oplane, sl) = (g.h * g.w, g.ho * g.wo, p.spec_len());
    let (fh, fw) = (frame.rows.len(), frame.cols.len());
    let mut work = p.work();
    work.sized(g.cin, sl);
    let transform = |c: usize, dst: &mut [Complex<E>]| {
        let mut w = p.work();
        let src = &x[c * plane..][..plane];
        p.forward_with(
            fh,
            fw,
            |i, row| frame.load(src, g.w, i, row),
            dst,
            &mut w.bufs,
        );
        p.give_back(w);
    };
    each(&mut work.specs[..g.cin * sl], sl, par, transform);
    let specs = &work.specs;
    let output = |o: usize, dst: &mut [E]| {
        let mut w = p.work();
        sized_acc(&mut w, sl);
        let grp = o / g.og;
        for j in 0..g.cg {
            let k = &spec[o * g.cg + j];
            let xs = &specs[(grp * g.cg + j) * sl..][..sl];
            if j == 0 {
                for ((a, xv), kv) in w.acc.iter_mut().zip(xs).zip(k) {
                    *a = *xv * kv.conj();
                }
            } else {
                for ((a, xv), kv) in w.acc.iter_mut().zip(xs).zip(k) {
                    *a = *a + *xv * kv.conj();
                }
            }
        }
        p.inverse_with(
            &mut w.acc,
            g.ho,
            |i, row| dst[i * g.wo..(i + 1) * g.wo].copy_from_slice(&row[..g.wo]),
            &mut w.bufs,
        );
        p.give_back(w);
    };
    each(out, oplane, par, output);
    p.give_back(work);
}

/// Makes `w.acc` hold one spectrum of `len` values (its other buffers untouched).
fn sized_acc<E: Float>(w: &mut crate::ops::fft::Work<E>, len: usize) {
    w.acc.resize(len, Complex::new(E::zero(), E::zero()));
}

/// `f(i, piece)` for the `size`-element pieces of `data`: on several threads when `par`
/// (and [`par::worth`] it), else in order.
fn each<T: Send>(data: &mut [T], size: usize, par: bool, f: impl Fn(usize, &mut [T]) + Sync) {
    if par {
        par::pieces(data, size, f);
    } else {
        data.chunks_mut(size).enumerate().for_each(|(i, d)| f(i, d));
    }
}

/// Adds the adjoint of the convolution applied to `gy` into `gx`.
fn adjoint<E: Float>(
    gy: &[E],
    gx: &mut [E],
    g: &Geometry,
    frame: &Frame,
    p: &Plan2<E>,
    spec: &[Vec<Complex<E>>],
) {
    let (plane, oplane) = (g.h * g.w, g.ho * g.wo);
    let split = par::worth(g.batch, g.cin * plane);
    par::pieces(gx, g.cin * plane, |b, dst| {
        let src = &gy[b * g.cout * oplane..][..g.cout * oplane];
        adjoint_item(src, dst, g, frame, p, spec, !split);
    });
}

/// [`adjoint`] of one batch item: the `cout` planes `gy` added into the `cin` planes `gx`,
/// channels on several threads when `par`.
fn adjoint_item<E: Float>(
    gy: &[E],
    gx: &mut [E],
    g: &Geometry,
    frame: &Frame,
    p: &Plan2<E>,
    spec: &[Vec<Complex<E>>],
    par: bool,
) {
    let (plane, oplane, sl) = (g.h * g.w, g.ho * g.wo, p.spec_len());
    let fh = frame.rows.len();
    let mut work = p.work();
    work.sized(g.cout, sl);
    let transform = |o: usize, dst: &mut [Complex<E>]| {
        let mut w = p.work();
        let src = &gy[o * oplane..][..oplane];
        p.forward_with(
            g.ho,
            g.wo,
            |i, row| row.copy_from_slice(&src[i * g.wo..(i + 1) * g.wo]),
            dst,
            &mut w.bufs,
        );
        p.give_back(w);
    };
    each(&mut work.specs[..g.cout * sl], sl, par, transform);
    let specs = &work.specs;
    let input = |c: usize, dst: &mut [E]| {
        let mut w = p.work();
        sized_acc(&mut w, sl);
        let (grp, j) = (c / g.cg, c % g.cg);
        for (t, o) in (grp * g.og..(grp + 1) * g.og).enumerate() {
            let k = &spec[o * g.cg + j];
            let gs = &specs[o * sl..(o + 1) * sl];
            if t == 0 {
                for ((a, gv), kv) in w.acc.iter_mut().zip(gs).zip(k) {
                    *a = *gv * *kv;
                }
            } else {
                for ((a, gv), kv) in w.acc.iter_mut().zip(gs).zip(k) {
                    *a = *a + *gv * *kv;
                }
            }
        }
        p.inverse_with(
            &mut w.acc,
            fh,
            |i, row| frame.add(dst, g.w, i, row),
            &mut w.bufs,
        );
        p.give_back(w);
    };
    each(gx, plane, par, input);
    p.give_back(work);
}
