//! 2-D convolution (torch's `conv2d`: cross-correlation, kernel not flipped, no padding) by
//! FFT, with several output channels and grouped input channels.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dfdx::prelude::Tensor;
use realfft::num_complex::Complex;

use super::fft::{fast_len, plan, Plan2};
use super::record1;
use crate::error::{Error, Result};
use crate::tensor::{check_finite, dims, image_from_vec, Dev, Float, Image, Shape4, Tape};

type SpecCache = Mutex<HashMap<(TypeId, usize, usize), Arc<dyn Any + Send + Sync>>>;

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
        f.debug_struct("Filter").field("shape", &self.shape).finish()
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
            return Err(Error::ShapeMismatch(format!(
                "{} filter weights cannot have shape {shape:?}",
                weights.len()
            )));
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
                return Err(Error::ShapeMismatch(format!(
                    "cannot stack filters of shapes {:?} and {:?}",
                    first.shape, f.shape
                )));
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

    /// FFTs of every kernel, zero-padded to the plan's size (cached).
    fn spectra<E: Float>(&self, p: &Plan2<E>) -> Arc<Vec<Vec<Complex<E>>>> {
        let key = (TypeId::of::<E>(), p.n, p.m);
        let mut cache = self.spectra.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = cache.get(&key) {
            if let Ok(s) = s.clone().downcast::<Vec<Vec<Complex<E>>>>() {
                return s;
            }
        }
        let [o, c, kh, kw] = self.shape;
        let spec: Vec<Vec<Complex<E>>> = (0..o * c)
            .map(|i| {
                let k: Vec<E> = self.weights[i * kh * kw..(i + 1) * kh * kw]
                    .iter()
                    .map(|&w| E::of_f64(w))
                    .collect();
                p.forward(&k, kh, kw)
            })
            .collect();
        let spec = Arc::new(spec);
        cache.insert(key, spec.clone());
        spec
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
/// # Errors
/// [`Error::KernelTooLarge`] when a kernel does not fit in the image,
/// [`Error::ShapeMismatch`] when the channels cannot be grouped.
pub fn conv2d<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Dev, T>,
    filt: &Filter,
) -> Result<Tensor<Shape4, E, Dev, T>> {
    let [batch, cin, h, w] = dims(&x);
    let [cout, cg, kh, kw] = filt.shape;
    if kh > h || kw > w {
        return Err(Error::KernelTooLarge {
            kernel: (kh, kw),
            image: (h, w),
        });
    }
    if cin % cg != 0 || cout % (cin / cg) != 0 {
        return Err(Error::ShapeMismatch(format!(
            "a filter of shape {:?} cannot be applied to {cin} input channels \
             (in_channels must be a multiple of {cg}, and out_channels of the groups)",
            filt.shape
        )));
    }
    let groups = cin / cg;
    let g = Geometry {
        batch,
        cin,
        cout,
        cg,
        og: cout / groups,
        h,
        w,
        ho: h - kh + 1,
        wo: w - kw + 1,
    };
    let p = plan::<E>(fast_len(h), fast_len(w));
    let spec = filt.spectra(&p);
    let out = forward(&x.as_vec(), &g, &p, &spec);
    let shape = (batch, cout, g.ho, g.wo);
    Ok(record1(x, out, shape, move |gy| adjoint(gy, &g, &p, &spec)))
}

fn forward<E: Float>(x: &[E], g: &Geometry, p: &Plan2<E>, spec: &[Vec<Complex<E>>]) -> Vec<E> {
    let (plane, oplane) = (g.h * g.w, g.ho * g.wo);
    let mut out = vec![E::zero(); g.batch * g.cout * oplane];
    for b in 0..g.batch {
        let xs: Vec<Vec<Complex<E>>> = (0..g.cin)
            .map(|c| {
                let off = (b * g.cin + c) * plane;
                p.forward(&x[off..off + plane], g.h, g.w)
            })
            .collect();
        for o in 0..g.cout {
            let grp = o / g.og;
            let mut acc = vec![Complex::new(E::zero(), E::zero()); p.spec_len()];
            for j in 0..g.cg {
                let k = &spec[o * g.cg + j];
                for ((a, xv), kv) in acc.iter_mut().zip(&xs[grp * g.cg + j]).zip(k) {
                    *a = *a + *xv * kv.conj();
                }
            }
            let y = p.inverse(acc, g.ho, g.wo);
            let off = (b * g.cout + o) * oplane;
            out[off..off + oplane].copy_from_slice(&y);
        }
    }
    out
}

fn adjoint<E: Float>(gy: &[E], g: &Geometry, p: &Plan2<E>, spec: &[Vec<Complex<E>>]) -> Vec<E> {
    let (plane, oplane) = (g.h * g.w, g.ho * g.wo);
    let mut gx = vec![E::zero(); g.batch * g.cin * plane];
    for b in 0..g.batch {
        let gs: Vec<Vec<Complex<E>>> = (0..g.cout)
            .map(|o| {
                let off = (b * g.cout + o) * oplane;
                p.forward(&gy[off..off + oplane], g.ho, g.wo)
            })
            .collect();
        for c in 0..g.cin {
            let (grp, j) = (c / g.cg, c % g.cg);
            let mut acc = vec![Complex::new(E::zero(), E::zero()); p.spec_len()];
            for o in grp * g.og..(grp + 1) * g.og {
                let k = &spec[o * g.cg + j];
                for ((a, gv), kv) in acc.iter_mut().zip(&gs[o]).zip(k) {
                    *a = *a + *gv * *kv;
                }
            }
            let v = p.inverse(acc, g.h, g.w);
            let off = (b * g.cin + c) * plane;
            gx[off..off + plane].copy_from_slice(&v);
        }
    }
    gx
}

