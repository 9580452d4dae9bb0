//! Linear image maps as sums of separable terms, applied with dfdx matmuls.
//!
//! Every map here sends input channel `i` of an image through terms `A X_i B^T`, with `A`
//! (`ho x h`) acting on the rows and `B` (`wo x w`) on the columns, and adds the terms of
//! each output channel (plus, for constant padding, a constant bias image). Padding is
//! folded into `A` and `B`: a padded row reads an input row through
//! [`PadMode::source`]. With `X` viewed as `(n, cin*h, w)`:
//!
//! 1. `P = X^T A_all^T`: the transposed view of `X` `(n, w, cin*h)` times the stacked,
//!    block-placed `A` of every term `(cin*h, C*ho)` gives `(n, w, C*ho)` (one matmul
//!    for every term and input channel);
//! 2. `Y = P_c^T B_c^T` for each term `c`: with one term, dfdx's broadcast matmul
//!    `(n, ho, w) x (w, wo)`; with several, a batched matmul of the view
//!    `(n, C, ho, w)` with the stacked `B^T` `(n, C, w, wo)`;
//! 3. terms of one output channel are added by a sum over a reshaped axis.

use std::ops::Range;

use dfdx::prelude::{
    Axes2, Axes3, Axes4, Axis, BroadcastTo, PermuteTo, ReshapeTo, SumTo, Tape, Tensor, TryAdd,
    TryMatMul, TryMul,
};
use dfdx::tensor_ops::Device;

use super::svd::rank_terms;
use super::{backend, nonfinite_count, upload};
use crate::error::{Error, Result};
use crate::ops::checks::{channel_range, groups, pads_fit, same_pads};
use crate::ops::{Filter, PadMode};
use crate::tensor::dims;
use crate::tensor::{check_shape4, Float, Shape4};

/// One row of a sparse matrix: `(column, weight)` pairs.
type Row = Vec<(usize, f64)>;

/// A separable term: output channel `output` receives `A X_input B^T`, with the rows of `A`
/// (`ho` of them, over the `h` input rows) and of `B` (`wo`, over the `w` input columns).
struct Term {
    input: usize,
    output: usize,
    a: Vec<Row>,
    b: Vec<Row>,
}

/// A linear map from `(n, cin, h, w)` images to `(n, cout, ho, wo)` images.
struct Linear {
    cin: usize,
    cout: usize,
    ho: usize,
    wo: usize,
    terms: Vec<Term>,
    /// added to every image of the batch, `cout * ho * wo` values
    bias: Option<Vec<f64>>,
}

impl Linear {
    /// Applies the map to `x` (shape `(n, cin, h, w)`).
    fn apply<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Tensor<Shape4, E, D, T>,
    ) -> Result<Tensor<Shape4, E, D, T>> {
        let [n, cin, h, w] = dims(&x);
        debug_assert_eq!(cin, self.cin);
        let (cout, ho, wo) = (self.cout, self.ho, self.wo);
        let dev = x.device().clone();
        // slot `o * r + k` holds the k-th term of output channel o (zero when it has fewer)
        let mut per_out = vec![Vec::new(); cout];
        for t in &self.terms {
            per_out[t.output].push(t);
        }
        let r = per_out.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let c = cout * r;
        let mut at = vec![0.0f64; cin * h * c * ho];
        let mut bt = vec![0.0f64; c * w * wo];
        for (o, list) in per_out.iter().enumerate() {
            for (k, t) in list.iter().enumerate() {
                let slot = o * r + k;
                for (p, row) in t.a.iter().enumerate() {
                    for &(col, wt) in row {
                        at[(t.input * h + col) * (c * ho) + slot * ho + p] += wt;
                    }
                }
                for (q, row) in t.b.iter().enumerate() {
                    for &(col, wt) in row {
                        bt[(slot * w + col) * wo + q] += wt;
                    }
                }
            }
        }
        let at = upload::<E, D, _>(&dev, &at, (cin * h, c * ho))?;
        let xt = x
            .try_reshape_like(&(n, cin * h, w))
            .and_then(|x| x.try_permute::<(usize, usize, usize), Axes3<0, 2, 1>>())
            .map_err(backend)?;
        let p = xt.try_matmul(at).map_err(backend)?; // (n, w, c * ho)
        let y = if c == 1 {
            let bt = upload::<E, D, _>(&dev, &bt, (w, wo))?;
            p.try_permute::<(usize, usize, usize), Axes3<0, 2, 1>>()
                .and_then(|p| p.try_matmul(bt))
                .and_then(|y| y.try_reshape_like(&(n, 1, ho, wo)))
                .map_err(backend)?
        } else {
            let bt = upload::<E, D, _>(&dev, &bt.repeat(n), (n, c, w, wo))?;
            let y = p
                .try_reshape_like(&(n, w, c, ho))
                .and_then(|p| p.try_permute::<Shape4, Axes4<0, 2, 3, 1>>())
                .and_then(|p| p.try_matmul(bt))
                .map_err(backend)?; // (n, c, ho, wo)
            if r == 1 {
                y
            } else {
                y.try_reshape_like(&(n, cout, r, ho, wo))
                    .and_then(|y| y.try_sum::<Shape4, Axis<2>>())
                    .map_err(backend)?
            }
        };
        match &self.bias {
            None => Ok(y),
            Some(bias) => {
                let b = upload::<E, D, _>(&dev, bias, (cout, ho, wo))?
                    .try_broadcast_like::<Shape4, Axis<0>>(&(n, cout, ho, wo))
                    .map_err(backend)?;
                y.try_add(b).map_err(backend)
            }
        }
    }
}

/// The rows of a map that reads output index `p` from the input indices `src(p)`.
fn gather_rows(n_out: usize, src: impl Fn(usize) -> Option<usize>) -> Vec<Row> {
    (0..n_out)
        .map(|p| src(p).map(|s| vec![(s, 1.0)]).unwrap_or_default())
        .collect()
}

/// The rows of a correlation with `taps`: output `p` reads frame indices `p + u`, which
/// come from input index `src(p + u)` (none: padding constant, left to the bias).
fn band_rows(n_out: usize, taps: &[f64], src: &impl Fn(usize) -> Option<usize>) -> Vec<Row> {
    (0..n_out)
        .map(|p| {
            let mut row: Row = Vec::with_capacity(taps.len());
            for (u, &t) in taps.iter().enumerate() {
                if let Some(s) = src(p + u) {
                    match row.iter_mut().find(|e| e.0 == s) {
                        Some(e) => e.1 += t,
                        None => row.push((s, t)),
                    }
                }
            }
            row
        })
        .collect()
}

/// The correlation of `cin` channels with `filt` (output channels per group `og`), whose
/// frame row `i` is input row `rows(i)` and frame column `j` input column `cols(j)` (none:
/// the constant `fill`), with `ho x wo` outputs.
#[allow(clippy::too_many_arguments)]
fn conv_map(
    filt: &Filter,
    cin: usize,
    og: usize,
    (ho, wo): (usize, usize),
    rows: impl Fn(usize) -> Option<usize>,
    cols: impl Fn(usize) -> Option<usize>,
    fill: f64,
) -> Linear {
    let [cout, cg, kh, kw] = filt.shape();
    let wts = filt.weights();
    let mut terms = Vec::new();
    for o in 0..cout {
        let grp = o / og;
        for j in 0..cg {
            let k = &wts[(o * cg + j) * kh * kw..][..kh * kw];
            for (u, v) in rank_terms(k, kh, kw) {
                terms.push(Term {
                    input: grp * cg + j,
                    output: o,
                    a: band_rows(ho, &u, &rows),
                    b: band_rows(wo, &v, &cols),
                });
            }
        }
    }
    let bias = (fill != 0.0).then(|| {
        // fill * sum of the kernel weights that fall on padding: everything minus the
        // weights on rows and columns that are both inside (a separable indicator)
        let mut bias = Vec::with_capacity(cout * ho * wo);
        for o in 0..cout {
            let mut ks = vec![0.0f64; kh * kw];
            for j in 0..cg {
                let k = &wts[(o * cg + j) * kh * kw..][..kh * kw];
                ks.iter_mut().zip(k).for_each(|(a, b)| *a += b);
            }
            let total: f64 = ks.iter().sum();
            for p in 0..ho {
                let mut m = vec![0.0f64; kw];
                for u in (0..kh).filter(|u| rows(p + u).is_some()) {
                    m.iter_mut()
                        .zip(&ks[u * kw..(u + 1) * kw])
                        .for_each(|(a, b)| *a += b);
                }
                for q in 0..wo {
                    let inside: f64 = (0..kw)
                        .filter(|v| cols(q + v).is_some())
                        .map(|v| m[v])
                        .sum();
                    bias.push(fill * (total - inside));
                }
            }
        }
        bias
    });
    Linear {
        cin,
        cout,
        ho,
        wo,
        terms,
        bias,
    }
}

/// Returns [`Error::NonFinite`] when `x` holds NaN or infinite values (checked on the
/// device, one scalar read back).
fn check_finite_input<E: Float, D: Device<E>, T>(x: &Tensor<Shape4, E, D, T>) -> Result<()> {
    let count = nonfinite_count(x)?;
    if count > 0 {
        return Err(Error::NonFinite {
            what: "convolution input".into(),
            count,
        });
    }
    Ok(())
}

/// Valid 2-D cross-correlation, as [`crate::ops::conv2d`] (torch's `F.conv2d` with
/// `groups = in_channels / filt.shape()[1]`), on any dfdx device. Output
/// `(batch, out_channels, h - kh + 1, w - kw + 1)`. Differentiable with respect to `x`.
///
/// # Errors
/// As [`crate::ops::conv2d`]: [`Error::Empty`], [`Error::KernelTooLarge`],
/// [`Error::ShapeMismatch`] (channels that cannot be grouped), [`Error::NonFinite`]; and
/// [`Error::Backend`] when the device fails.
pub fn conv2d<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    filt: &Filter,
) -> Result<Tensor<Shape4, E, D, T>> {
    let [batch, cin, h, w] = dims(&x);
    check_shape4(&[batch, cin, h, w], "convolution input")?;
    let [_, _, kh, kw] = filt.shape();
    if kh > h || kw > w {
        return Err(Error::KernelTooLarge {
            kernel: (kh, kw),
            image: (h, w),
        });
    }
    let og = groups(filt, cin)?;
    check_finite_input(&x)?;
    let map = conv_map(filt, cin, og, (h - kh + 1, w - kw + 1), Some, Some, 0.0);
    map.apply(x)
}

/// plenoptic's `same_padding` followed by [`conv2d`], as [`crate::ops::conv2d_same`]: pads
/// `[(kh-1)/2, kh-1-(kh-1)/2, (kw-1)/2, kw-1-(kw-1)/2]` in `mode` (folded into the
/// matrices; a constant fill `v != 0` adds its exact contribution as a bias image), so the
/// output has the input's height and width. Differentiable with respect to `x`.
///
/// # Errors
/// As [`crate::ops::conv2d_same`]: [`Error::Empty`], [`Error::PaddingTooLarge`],
/// [`Error::ShapeMismatch`], [`Error::NonFinite`]; and [`Error::Backend`].
pub fn conv2d_same<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    filt: &Filter,
    mode: PadMode,
) -> Result<Tensor<Shape4, E, D, T>> {
    let [batch, cin, h, w] = dims(&x);
    check_shape4(&[batch, cin, h, w], "convolution input")?;
    let [_, _, kh, kw] = filt.shape();
    let pads = same_pads((kh, kw));
    pads_fit(mode, pads, h, w)?;
    let og = groups(filt, cin)?;
    check_finite_input(&x)?;
    let fill = match mode {
        PadMode::Constant(v) => v,
        _ => 0.0,
    };
    let map = conv_map(
        filt,
        cin,
        og,
        (h, w),
        |i| mode.source(i, pads[0], h),
        |j| mode.source(j, pads[2], w),
        fill,
    );
    map.apply(x)
}

/// Pads the last two dimensions by `[top, bottom, left, right]` in `mode`, as
/// [`crate::ops::pad`], with 0/1 matrices (plus a bias image for a constant fill `!= 0`).
///
/// # Errors
/// [`Error::PaddingTooLarge`] as [`crate::ops::pad`]; [`Error::Backend`].
pub fn pad<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    pads: [usize; 4],
    mode: PadMode,
) -> Result<Tensor<Shape4, E, D, T>> {
    let [b, c, h, w] = dims(&x);
    let [top, bottom, left, right] = pads;
    pads_fit(mode, pads, h, w)?;
    let (ph, pw) = (h + top + bottom, w + left + right);
    let rows = |i| mode.source(i, top, h);
    let cols = |j| mode.source(j, left, w);
    let bias = match mode {
        PadMode::Constant(v) if v != 0.0 => Some(
            (0..ph * pw)
                .map(|k| {
                    let inside = rows(k / pw).is_some() && cols(k % pw).is_some();
                    if inside {
                        0.0
                    } else {
                        v
                    }
                })
                .collect(),
        ),
        _ => None,
    };
    let map = Linear {
        cin: 1,
        cout: 1,
        ho: ph,
        wo: pw,
        terms: vec![Term {
            input: 0,
            output: 0,
            a: gather_rows(ph, rows),
            b: gather_rows(pw, cols),
        }],
        bias,
    };
    let x = x.try_reshape_like(&(b * c, 1, h, w)).map_err(backend)?;
    map.apply(x)?
        .try_reshape_like(&(b, c, ph, pw))
        .map_err(backend)
}

/// Rolls the image by `shift = (rows, cols)` with wrap-around, as [`crate::ops::roll`]
/// (torch's `x.roll((rows, cols), (-2, -1))`), with permutation matrices.
///
/// # Errors
/// [`Error::Backend`] only.
pub fn roll<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    shift: (isize, isize),
) -> Result<Tensor<Shape4, E, D, T>> {
    let [b, c, h, w] = dims(&x);
    let map = Linear {
        cin: 1,
        cout: 1,
        ho: h,
        wo: w,
        terms: vec![Term {
            input: 0,
            output: 0,
            a: gather_rows(h, |i| {
                Some((i as isize - shift.0).rem_euclid(h as isize) as usize)
            }),
            b: gather_rows(w, |j| {
                Some((j as isize - shift.1).rem_euclid(w as isize) as usize)
            }),
        }],
        bias: None,
    };
    let x = x.try_reshape_like(&(b * c, 1, h, w)).map_err(backend)?;
    map.apply(x)?
        .try_reshape_like(&(b, c, h, w))
        .map_err(backend)
}

/// The channels `range` of `x`, as [`crate::ops::select_channels`]: the channel axis is
/// multiplied by a one-hot `(c, k)` matrix (the gradient flows back into those channels).
///
/// # Errors
/// [`Error::InvalidArgument`] for an empty range or one past the last channel;
/// [`Error::Backend`].
pub fn select_channels<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    range: Range<usize>,
) -> Result<Tensor<Shape4, E, D, T>> {
    let [b, c, h, w] = dims(&x);
    channel_range(&range, c)?;
    let k = range.end - range.start;
    let mut sel = vec![0.0f64; c * k];
    for (j, ch) in range.enumerate() {
        sel[ch * k + j] = 1.0;
    }
    let sel = upload::<E, D, _>(&x.device().clone(), &sel, (c, k))?;
    // (b, c, hw) viewed as (b, hw, c), times (c, k): (b, hw, k); back to (b, k, hw)
    x.try_reshape_like(&(b, c, h * w))
        .and_then(|x| x.try_permute::<(usize, usize, usize), Axes3<0, 2, 1>>())
        .and_then(|x| x.try_matmul(sel))
        .and_then(|y| y.try_permute::<(usize, usize, usize), Axes3<0, 2, 1>>())
        .and_then(|y| y.try_reshape_like(&(b, k, h, w)))
        .map_err(backend)
}

/// Multiplies every (height, width) plane of `x` by `mask` (row-major, `h * w` values), as
/// [`crate::ops::mask`], by a broadcast element-wise product.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `mask` does not have `h * w` values; [`Error::Backend`].
pub fn mask<E: Float, D: Device<E>, T: Tape<E, D>>(
    x: Tensor<Shape4, E, D, T>,
    mask: &[f64],
) -> Result<Tensor<Shape4, E, D, T>> {
    let [b, c, h, w] = dims(&x);
    crate::ops::checks::mask_fits(mask, h, w)?;
    let m = upload::<E, D, _>(&x.device().clone(), mask, (h, w))?
        .try_broadcast_like::<Shape4, Axes2<0, 1>>(&(b, c, h, w))
        .map_err(backend)?;
    x.try_mul(m).map_err(backend)
}
