//! Linear image maps as sums of separable terms, applied with dfdx matmuls: the machinery
//! of the portable convolution, padding and roll kernels.
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

use dfdx::prelude::{
    Axes3, Axes4, Axis, BroadcastTo, PermuteTo, ReshapeTo, SumTo, Tape, Tensor, TryAdd, TryMatMul,
};
use dfdx::tensor_ops::Device;

use super::backend::{backend, upload};
use crate::error::Result;
use crate::tensor::dims;
use crate::tensor::{Float, Shape4};

/// One row of a sparse matrix: `(column, weight)` pairs.
pub(crate) type Row = Vec<(usize, f64)>;

/// A separable term: output channel `output` receives `A X_input B^T`, with the rows of `A`
/// (`ho` of them, over the `h` input rows) and of `B` (`wo`, over the `w` input columns).
pub(crate) struct Term {
    pub(crate) input: usize,
    pub(crate) output: usize,
    pub(crate) a: Vec<Row>,
    pub(crate) b: Vec<Row>,
}

/// A linear map from `(n, cin, h, w)` images to `(n, cout, ho, wo)` images.
pub(crate) struct Linear {
    pub(crate) cin: usize,
    pub(crate) cout: usize,
    pub(crate) ho: usize,
    pub(crate) wo: usize,
    pub(crate) terms: Vec<Term>,
    /// added to every image of the batch, `cout * ho * wo` values
    pub(crate) bias: Option<Vec<f64>>,
}

impl Linear {
    /// Applies the map to `x` (shape `(n, cin, h, w)`).
    pub(crate) fn apply<E: Float, D: Device<E>, T: Tape<E, D>>(
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
            .map_err(backend("linear map"))?;
        let p = xt.try_matmul(at).map_err(backend("linear map"))?; // (n, w, c * ho)
        let y = if c == 1 {
            let bt = upload::<E, D, _>(&dev, &bt, (w, wo))?;
            p.try_permute::<(usize, usize, usize), Axes3<0, 2, 1>>()
                .and_then(|p| p.try_matmul(bt))
                .and_then(|y| y.try_reshape_like(&(n, 1, ho, wo)))
                .map_err(backend("linear map"))?
        } else {
            let bt = upload::<E, D, _>(&dev, &bt.repeat(n), (n, c, w, wo))?;
            let y = p
                .try_reshape_like(&(n, w, c, ho))
                .and_then(|p| p.try_permute::<Shape4, Axes4<0, 2, 3, 1>>())
                .and_then(|p| p.try_matmul(bt))
                .map_err(backend("linear map"))?; // (n, c, ho, wo)
            if r == 1 {
                y
            } else {
                y.try_reshape_like(&(n, cout, r, ho, wo))
                    .and_then(|y| y.try_sum::<Shape4, Axis<2>>())
                    .map_err(backend("linear map"))?
            }
        };
        match &self.bias {
            None => Ok(y),
            Some(bias) => {
                let b = upload::<E, D, _>(&dev, bias, (cout, ho, wo))?
                    .try_broadcast_like::<Shape4, Axis<0>>(&(n, cout, ho, wo))
                    .map_err(backend("linear map"))?;
                y.try_add(b).map_err(backend("linear map"))
            }
        }
    }
}

/// The rows of a map that reads output index `p` from the input indices `src(p)`.
pub(crate) fn gather_rows(n_out: usize, src: impl Fn(usize) -> Option<usize>) -> Vec<Row> {
    (0..n_out)
        .map(|p| src(p).map(|s| vec![(s, 1.0)]).unwrap_or_default())
        .collect()
}

/// The rows of a correlation with `taps`: output `p` reads frame indices `p + u`, which
/// come from input index `src(p + u)` (none: padding constant, left to the bias).
pub(crate) fn band_rows(
    n_out: usize,
    taps: &[f64],
    src: &impl Fn(usize) -> Option<usize>,
) -> Vec<Row> {
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
