//! 2-D convolution by FFT: torch's `conv2d` (cross-correlation, kernel not flipped, no
//! padding) with several output channels and grouped input channels, and the same
//! convolution after plenoptic's `same_padding`, fused into one op.
//!
//! Both read the input through a *frame*: the image, or the image padded on the fly
//! (rows and columns mapped back to the input), so no padded copy is made. With circular
//! padding on an image whose sides are fast FFT sizes, the convolution is a circular one of
//! the image itself (the kernel wraps around), which needs no padding at all.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dfdx::prelude::Tensor;
use realfft::num_complex::Complex;

use super::checks::{groups, pads_fit, same_pads};
use super::fft::{fast_len, plan, Plan2};
use super::{read, record1, PadMode};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::tensor::{
    check_finite, check_shape4, dims, image_from_vec, Dev, Float, Image, Shape4, Tape,
};

/// Cached kernel spectra, keyed by element type, transform size and kernel shift.
type SpecCache = Mutex<HashMap<SpecKey, Arc<dyn Any + Send + Sync>>>;
type SpecKey = (TypeId, usize, usize, usize, usize);
type Spectra<E> = Arc<Vec<Vec<Complex<E>>>>;

/// A bank of convolution filters, shaped like torch's conv weight:
/// (out_channels, in_channels_per_group, height, width). Stored in f64; the FFTs of the
/// filters are computed once per element type and transform size, then reused.
#[derive(Clone)]
pub struct Filter {
    shape: [usize; 4],
    weights: Arc<Vec<f64>>,
    spectra: Arc<SpecCache>,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("shape", &self.shape)
            .finish()
    }
}

impl Filter {
    /// A filter bank from row-major weights of shape
    /// `[out_channels, in_channels_per_group, height, width]`.
    ///
    /// ```
    /// let box3 = plenoptic::tools::Filter::new(vec![1.0 / 9.0; 9], [1, 1, 3, 3]).unwrap();
    /// assert_eq!(box3.kernel_size(), (3, 3));
    /// ```
    ///
    /// # Errors
    /// Empty shape, a buffer of the wrong length, or non-finite weights.
    pub fn new(weights: Vec<f64>, shape: [usize; 4]) -> Result<Self> {
        crate::tensor::check_shape4(&shape, "filter")?;
        if weights.len() != shape.iter().product::<usize>() {
            return Err(Error::shape_mismatch(
                "number of filter weights for the filter's shape",
                [shape.iter().product::<usize>()],
                [weights.len()],
            ));
        }
        check_finite(&weights, "filter")?;
        Ok(Filter {
            shape,
            weights: Arc::new(weights),
            spectra: Default::default(),
        })
    }

    /// `[out_channels, in_channels_per_group, height, width]`.
    pub fn shape(&self) -> [usize; 4] {
        self.shape
    }

    /// (height, width) of each kernel.
    pub fn kernel_size(&self) -> (usize, usize) {
        (self.shape[2], self.shape[3])
    }

    /// Number of output channels.
    pub fn out_channels(&self) -> usize {
        self.shape[0]
    }

    /// The weights, row-major.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The filters as an image of shape (out_channels, in_channels_per_group, height,
    /// width), e.g. to display them.
    pub fn to_image<E: Float>(&self) -> Image<E> {
        let v = self.weights.iter().map(|&w| E::of_f64(w)).collect();
        image_from_vec(v, &self.shape).expect("filter shape is valid")
    }

    /// Stacks filter banks along the output channels (all must share the other dimensions).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when kernel sizes or input channels differ.
    pub fn concat(filters: &[&Filter]) -> Result<Filter> {
        let first = filters.first().ok_or_else(|| Error::Empty {
            what: "list of filters".into(),
            shape: vec![0],
        })?;
        let mut w = Vec::new();
        let mut out = 0;
        for f in filters {
            if f.shape[1..] != first.shape[1..] {
                return Err(Error::shape_mismatch(
                    "stacked filters (in channels, height, width)",
                    &first.shape[1..],
                    &f.shape[1..],
                ));
            }
            out += f.shape[0];
            w.extend_from_slice(&f.weights);
        }
        Filter::new(w, [out, first.shape[1], first.shape[2], first.shape[3]])
    }

    /// Multiplies every weight by `s`.
    pub fn scaled(&self, s: f64) -> Filter {
        Filter::new(self.weights.iter().map(|w| w * s).collect(), self.shape)
            .expect("scaling keeps the shape")
    }

    /// FFTs of every kernel for plan `p`, scaled by `1 / (n m)` (so inverse transforms need
    /// no scaling), with kernel element (u, v) placed at ((u - shift.0) mod n,
    /// (v - shift.1) mod m), wrapping around (and adding up) where the kernel is larger.
    /// Cached per element type, size and shift.
    fn spectra<E: Float>(&self, p: &Plan2<E>, shift: (usize, usize)) -> Spectra<E> {
        let key = (TypeId::of::<E>(), p.n, p.m, shift.0, shift.1);
        let mut cache = self.spectra.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = cache.get(&key) {
            if let Ok(s) = s.clone().downcast::<Vec<Vec<Complex<E>>>>() {
                return s;
            }
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

/// Valid 2-D cross-correlation of `x` (batch, in_channels, h, w) with `filt`, like torch's
/// `F.conv2d(x, filt, groups=g)` with `g = in_channels / filt.shape()[1]` (so a filter with
/// one input channel per output channel applied to a 2-channel image is a grouped
/// convolution, as plenoptic's `OnOff` model uses). Output: (batch, out_channels,
/// h - kh + 1, w - kw + 1). Differentiable with respect to `x`.
///
/// ```
/// use plenoptic as po;
/// let x = po::image_from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[1, 1, 1, 4])?;
/// let f = po::tools::Filter::new(vec![1.0, -1.0], [1, 1, 1, 2])?;
/// let y = po::ops::conv2d(x, &f)?;
/// assert_eq!(po::dims(&y), [1, 1, 1, 3]);
/// assert!(y.as_vec().iter().all(|v| (v + 1.0).abs() < 1e-12));
/// # Ok::<(), po::Error>(())
/// ```
///
/// # Errors
/// [`Error::KernelTooLarge`] when a kernel does not fit in the image,
/// [`Error::ShapeMismatch`] when the channels cannot be grouped, [`Error::NonFinite`] when
/// the input holds NaN or infinite values (an FFT would spread them over the whole output).
pub fn conv2d<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    filt: &Filter,
) -> Result<Image<E, T, D>> {
    D::conv2d(x, filt)
}

/// The CPU implementation of [`conv2d`].
pub(crate) fn conv2d_cpu<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
    filt: &Filter,
) -> Result<Tensor<Shape4, E, Dev, T>> {
    let [batch, cin, h, w] = dims(&x);
    check_shape4(&[batch, cin, h, w], "convolution input")?;
    let [cout, cg, kh, kw] = filt.shape;
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
    run(x, g, Frame::identity(h, w), p, spec)
}

/// plenoptic's `same_padding` followed by [`conv2d`], in one op: the output has the
/// input's height and width. The padding is read on the fly instead of being copied, and
/// circular padding of an image whose sides are fast FFT sizes (products of 2, 3 and 5)
/// becomes a circular convolution of the image itself. Equal to
/// `conv2d(same_padding(x, filt.kernel_size(), mode)?, filt)` up to rounding.
///
/// ```
/// use plenoptic as po;
/// use po::tools::conv::{conv2d, conv2d_same, same_padding, PadMode};
/// let x = po::data::white_noise::<f64>(&[1, 1, 16, 16])?;
/// let f = po::tools::circular_gaussian2d((5, 5), &[1.0])?;
/// let a = conv2d_same(x.clone(), &f, PadMode::Circular)?;
/// let b = conv2d(same_padding(x, (5, 5), PadMode::Circular)?, &f)?;
/// let d = a.as_vec().iter().zip(b.as_vec()).fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
/// assert!(d < 1e-12);
/// # Ok::<(), po::Error>(())
/// ```
///
/// # Errors
/// [`Error::PaddingTooLarge`] when the mode cannot pad that much (reflect needs
/// `kernel - 1 < 2 * size` roughly: each side's pad smaller than the size),
/// [`Error::ShapeMismatch`] when the channels cannot be grouped, [`Error::NonFinite`] for
/// NaN or infinite input.
pub fn conv2d_same<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Image<E, T, D>,
    filt: &Filter,
    mode: PadMode,
) -> Result<Image<E, T, D>> {
    D::conv2d_same(x, filt, mode)
}

/// The CPU implementation of [`conv2d_same`].
pub(crate) fn conv2d_same_cpu<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
    filt: &Filter,
    mode: PadMode,
) -> Result<Tensor<Shape4, E, Dev, T>> {
    let [batch, cin, h, w] = dims(&x);
    check_shape4(&[batch, cin, h, w], "convolution input")?;
    let [cout, cg, kh, kw] = filt.shape;
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
        return run(x, g, Frame::identity(h, w), p, spec);
    }
    let p = plan::<E>(fast_len(h + kh - 1), fast_len(w + kw - 1));
    let spec = filt.spectra(&p, (0, 0));
    run(x, g, Frame::padded(h, w, pads, mode), p, spec)
}

/// Records the convolution of `x` read through `frame`.
fn run<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
    g: Geometry,
    frame: Frame,
    p: Arc<Plan2<E>>,
    spec: Spectra<E>,
) -> Result<Tensor<Shape4, E, Dev, T>> {
    let (x, out) = read(x, |xv| {
        check_finite(xv, "convolution input")?;
        Ok::<_, Error>(forward(xv, &g, &frame, &p, &spec))
    });
    let shape = (g.batch, g.cout, g.ho, g.wo);
    Ok(record1(x, out?, shape, move |gy, gx| {
        adjoint(gy, gx, &g, &frame, &p, &spec)
    }))
}

fn forward<E: Float>(
    x: &[E],
    g: &Geometry,
    frame: &Frame,
    p: &Plan2<E>,
    spec: &[Vec<Complex<E>>],
) -> Vec<E> {
    let (plane, oplane, sl) = (g.h * g.w, g.ho * g.wo, p.spec_len());
    let (fh, fw) = (frame.rows.len(), frame.cols.len());
    let mut out = vec![E::zero(); g.batch * g.cout * oplane];
    let mut work = p.work();
    work.sized(g.cin, sl);
    for b in 0..g.batch {
        for c in 0..g.cin {
            let src = &x[(b * g.cin + c) * plane..][..plane];
            p.forward_with(
                fh,
                fw,
                |i, row| frame.load(src, g.w, i, row),
                &mut work.specs[c * sl..(c + 1) * sl],
                &mut work.bufs,
            );
        }
        for o in 0..g.cout {
            let grp = o / g.og;
            let acc = &mut work.acc;
            for j in 0..g.cg {
                let k = &spec[o * g.cg + j];
                let xs = &work.specs[(grp * g.cg + j) * sl..][..sl];
                if j == 0 {
                    for ((a, xv), kv) in acc.iter_mut().zip(xs).zip(k) {
                        *a = *xv * kv.conj();
                    }
                } else {
                    for ((a, xv), kv) in acc.iter_mut().zip(xs).zip(k) {
                        *a = *a + *xv * kv.conj();
                    }
                }
            }
            let dst = &mut out[(b * g.cout + o) * oplane..][..oplane];
            p.inverse_with(
                acc,
                g.ho,
                |i, row| dst[i * g.wo..(i + 1) * g.wo].copy_from_slice(&row[..g.wo]),
                &mut work.bufs,
            );
        }
    }
    p.give_back(work);
    out
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
    let (plane, oplane, sl) = (g.h * g.w, g.ho * g.wo, p.spec_len());
    let fh = frame.rows.len();
    let mut work = p.work();
    work.sized(g.cout, sl);
    for b in 0..g.batch {
        for o in 0..g.cout {
            let src = &gy[(b * g.cout + o) * oplane..][..oplane];
            p.forward_with(
                g.ho,
                g.wo,
                |i, row| row.copy_from_slice(&src[i * g.wo..(i + 1) * g.wo]),
                &mut work.specs[o * sl..(o + 1) * sl],
                &mut work.bufs,
            );
        }
        for c in 0..g.cin {
            let (grp, j) = (c / g.cg, c % g.cg);
            let acc = &mut work.acc;
            for (t, o) in (grp * g.og..(grp + 1) * g.og).enumerate() {
                let k = &spec[o * g.cg + j];
                let gs = &work.specs[o * sl..(o + 1) * sl];
                if t == 0 {
                    for ((a, gv), kv) in acc.iter_mut().zip(gs).zip(k) {
                        *a = *gv * *kv;
                    }
                } else {
                    for ((a, gv), kv) in acc.iter_mut().zip(gs).zip(k) {
                        *a = *a + *gv * *kv;
                    }
                }
            }
            let dst = &mut gx[(b * g.cin + c) * plane..][..plane];
            p.inverse_with(
                acc,
                fh,
                |i, row| frame.add(dst, g.w, i, row),
                &mut work.bufs,
            );
        }
    }
    p.give_back(work);
}
