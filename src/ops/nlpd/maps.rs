//! The fused NLPD's separable maps on the host: `Y = A X Bᵀ` per plane, a column pass
//! (each output row a sum of input rows: whole-row `axpy`s) and a row pass. The row pass
//! of the pyramid's maps repeats in the interior of a row (the blur-downsample: every
//! output reads five pixels two further on; the upsample-blur: even and odd outputs read
//! three and two pixels one further on), so there it runs as whole-row `axpy`s over the
//! input's phases (every second pixel) and the outputs' phases; the rows near the edges
//! (reflected padding) are gathered one by one.

use std::ops::Range;

use crate::ops::separable::Row;
use crate::tensor::Float;

/// `dst += t * src`.
#[inline(always)]
pub(super) fn axpy<E: Float>(dst: &mut [E], t: E, src: &[E]) {
    let n = dst.len();
    let src = &src[..n];
    for j in 0..n {
        dst[j] += t * src[j];
    }
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

    #[inline(always)]
    fn row(&self, p: usize) -> (&[usize], &[E]) {
        let r = self.start[p]..self.start[p + 1];
        (&self.idx[r.clone()], &self.wt[r])
    }
}

/// The transpose of `rows`, a matrix with `n` columns.
fn transposed(rows: &[Row], n: usize) -> Vec<Row> {
    let mut t: Vec<Row> = vec![Vec::new(); n];
    for (p, row) in rows.iter().enumerate() {
        for &(i, v) in row {
            t[i].push((p, v));
        }
    }
    t
}

/// A row as its first input index and the dense weights from there on.
fn dense(row: &Row) -> (usize, Vec<f64>) {
    let (Some(lo), Some(hi)) = (row.iter().map(|e| e.0).min(), row.iter().map(|e| e.0).max())
    else {
        return (0, Vec::new());
    };
    let mut w = vec![0.0; hi - lo + 1];
    for &(i, t) in row {
        w[i - lo] += t;
    }
    (lo, w)
}

/// The interior of a row pass: outputs `start + phase + period * i` (for `i < n`) read
/// inputs `first[phase] + stride * i + u` with weights `taps[phase][u]`.
struct Interior<E: Float> {
    start: usize,
    n: usize,
    period: usize,
    stride: usize,
    first: Vec<usize>,
    taps: Vec<Vec<E>>,
}

/// The row pass `y = B x` of one row: the interior as `axpy`s, the rest gathered.
struct RowPass<E: Float> {
    b: Sparse<E>,
    /// Outputs outside the interior.
    edges: Vec<usize>,
    interior: Option<Interior<E>>,
}

impl<E: Float> RowPass<E> {
    /// The row pass of `rows` over `n_in` inputs: the interior found around the middle
    /// output (rows that repeat with the period, shifted by the stride), if any.
    fn of(rows: &[Row], n_in: usize) -> Self {
        let n_out = rows.len();
        let (period, stride) = match n_out.cmp(&n_in) {
            std::cmp::Ordering::Greater => (2, 1),
            std::cmp::Ordering::Less => (1, 2),
            std::cmp::Ordering::Equal => (1, 1),
        };
        let d: Vec<_> = rows.iter().map(dense).collect();
        let groups = n_out / period;
        let g_ref = groups / 2;
        // group g matches when each phase's row is the reference's, shifted
        let matches = |g: usize| -> bool {
            (0..period).all(|ph| {
                let (q, r) = (g * period + ph, g_ref * period + ph);
                let shift = stride as isize * (g as isize - g_ref as isize);
                !d[r].1.is_empty() && d[q].1 == d[r].1 && d[q].0 as isize == d[r].0 as isize + shift
            })
        };
        let interior = (groups > 0 && matches(g_ref)).then(|| {
            let (mut lo, mut hi) = (g_ref, g_ref + 1);
            while lo > 0 && matches(lo - 1) {
                lo -= 1;
            }
            while hi < groups && matches(hi) {
                hi += 1;
            }
            let at = |ph: usize| lo * period + ph;
            Interior {
                start: lo * period,
                n: hi - lo,
                period,
                stride,
                first: (0..period).map(|ph| d[at(ph)].0).collect(),
                taps: (0..period)
                    .map(|ph| d[at(ph)].1.iter().map(|t| E::of_f64(*t)).collect())
                    .collect(),
            }
        });
        let inside: Range<usize> = interior
            .as_ref()
            .map_or(0..0, |i| i.start..i.start + i.n * i.period);
        RowPass {
            b: Sparse::of(rows),
            edges: (0..n_out).filter(|q| !inside.contains(q)).collect(),
            interior,
        }
    }

    /// `y = B x` (`y += B x` when `ADD`); `phases` holds at least `x.len() + 2`
    /// values, `acc` at least `y.len() + 2`.
    #[inline(always)]
    fn apply<const ADD: bool>(&self, x: &[E], y: &mut [E], phases: &mut [E], acc: &mut [E]) {
        for &q in &self.edges {
            let (bj, bt) = self.b.row(q);
            let mut s = E::zero();
            for (&j, &t) in bj.iter().zip(bt) {
                s += t * x[j];
            }
            if ADD {
                y[q] += s;
            } else {
                y[q] = s;
            }
        }
        let Some(it) = &self.interior else {
            return;
        };
        // the input's phases: phase s holds x[s], x[s + stride], ...
        let len = x.len().div_ceil(it.stride);
        if it.stride > 1 {
            for s in 0..it.stride {
                for (k, v) in phases[s * len..(s + 1) * len].iter_mut().enumerate() {
                    *v = x.get(k * it.stride + s).copied().unwrap_or(E::zero());
                }
            }
        }
        let src = if it.stride > 1 { &phases[..] } else { x };
        let n = it.n;
        // each output phase summed in its own part of `acc`, then stored interleaved
        for ph in 0..it.period {
            let out = &mut acc[ph * n..(ph + 1) * n];
            out.fill(E::zero());
            for (u, &t) in it.taps[ph].iter().enumerate() {
                let j = it.first[ph] + u;
                let at = (j % it.stride) * len + j / it.stride;
                axpy(out, t, &src[at..at + n]);
            }
        }
        let y = &mut y[it.start..it.start + it.period * n];
        match it.period {
            1 => store::<E, ADD>(y, &acc[..n]),
            2 => {
                let (even, odd) = acc[..2 * n].split_at(n);
                for ((pair, e), o) in y.chunks_exact_mut(2).zip(even).zip(odd) {
                    store::<E, ADD>(pair, &[*e, *o]);
                }
            }
            p => {
                for (i, pair) in y.chunks_exact_mut(p).enumerate() {
                    for (ph, v) in pair.iter_mut().enumerate() {
                        store::<E, ADD>(std::slice::from_mut(v), &[acc[ph * n + i]]);
                    }
                }
            }
        }
    }
}

/// `y = v`, or `y += v` when `ADD`.
#[inline(always)]
fn store<E: Float, const ADD: bool>(y: &mut [E], v: &[E]) {
    let v = &v[..y.len()];
    if ADD {
        for (y, v) in y.iter_mut().zip(v) {
            *y += *v;
        }
    } else {
        y.copy_from_slice(v);
    }
}

/// A separable map `Y = A X Bᵀ` of (h, w) planes to (ho, wo) planes.
pub(super) struct Map<E: Float> {
    w: usize,
    pub(super) ho: usize,
    pub(super) wo: usize,
    a: Sparse<E>,
    b: RowPass<E>,
}

impl<E: Float> Map<E> {
    pub(super) fn of(m: &crate::ops::SeparableMap) -> Self {
        let ((_, w), (ho, wo)) = (m.input_size(), m.output_size());
        Map {
            w,
            ho,
            wo,
            a: Sparse::of(m.rows()),
            b: RowPass::of(m.cols(), w),
        }
    }

    /// The transposed map, from `m`'s output size back to its input size.
    pub(super) fn adjoint_of(m: &crate::ops::SeparableMap) -> Self {
        let ((h, w), (_, wo)) = (m.input_size(), m.output_size());
        Map {
            w: wo,
            ho: h,
            wo: w,
            a: Sparse::of(&transposed(m.rows(), h)),
            b: RowPass::of(&transposed(m.cols(), w), wo),
        }
    }

    /// The scratch [`Map::apply`] needs for inputs at most `w` wide: `4 w + 8` values.
    pub(super) fn scratch(w: usize) -> usize {
        4 * w + 8
    }

    /// `y = A x Bᵀ` (`y += A x Bᵀ` when `ADD`); `tmp` holds [`Map::scratch`] values for
    /// the input's width.
    #[inline(always)]
    pub(super) fn apply<const ADD: bool>(&self, x: &[E], y: &mut [E], tmp: &mut [E]) {
        let (w, wo) = (self.w, self.wo);
        let (row, rest) = tmp.split_at_mut(w);
        let (phases, acc) = rest.split_at_mut(w + 2);
        for p in 0..self.ho {
            row.fill(E::zero());
            let (ai, at) = self.a.row(p);
            for (&i, &t) in ai.iter().zip(at) {
                axpy(row, t, &x[i * w..(i + 1) * w]);
            }
            self.b
                .apply::<ADD>(row, &mut y[p * wo..(p + 1) * wo], phases, acc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_util::rand_vec;
    use crate::simulate::LaplacianPyramid;

    /// `A x Bᵀ` from the rows, by definition.
    fn reference(m: &crate::ops::SeparableMap, x: &[f64], w: usize) -> Vec<f64> {
        let (_, wo) = m.output_size();
        let mut y = vec![0.0; m.rows().len() * wo];
        for (p, ra) in m.rows().iter().enumerate() {
            for (q, rb) in m.cols().iter().enumerate() {
                for &(i, a) in ra {
                    for &(j, b) in rb {
                        y[p * wo + q] += a * b * x[i * w + j];
                    }
                }
            }
        }
        y
    }

    /// Every map of the pyramid and its transpose equals its definition (overwriting and
    /// adding), and the row passes of sizes past a few pixels run mostly in the interior.
    #[test]
    fn maps_match_their_rows() {
        for (h, w) in [(64, 64), (37, 45), (9, 5)] {
            let maps = LaplacianPyramid::new(3, true).unwrap().maps(h, w).unwrap();
            for (down, up) in &maps {
                for m in [down, up] {
                    let ((hi, wi), (ho, wo)) = (m.input_size(), m.output_size());
                    let t = crate::ops::SeparableMap::new(
                        (ho, wo),
                        transposed(m.rows(), hi),
                        transposed(m.cols(), wi),
                    )
                    .unwrap();
                    for (fast, def) in [(Map::<f64>::of(m), m), (Map::adjoint_of(m), &t)] {
                        let (hx, wx) = def.input_size();
                        let x = rand_vec(hx * wx, 3);
                        let want = reference(def, &x, wx);
                        let mut tmp = vec![0.0; Map::<f64>::scratch(64)];
                        let mut y = vec![7.0; want.len()];
                        fast.apply::<false>(&x, &mut y, &mut tmp);
                        let err = y
                            .iter()
                            .zip(&want)
                            .fold(0.0f64, |e, (a, b)| e.max((a - b).abs()));
                        assert!(
                            err < 1e-14,
                            "{:?} -> {:?}: {err:e}",
                            (hx, wx),
                            def.output_size()
                        );
                        fast.apply::<true>(&x, &mut y, &mut tmp);
                        let err = y
                            .iter()
                            .zip(&want)
                            .fold(0.0f64, |e, (a, b)| e.max((a - 2.0 * b).abs()));
                        assert!(err < 1e-14, "adding: {err:e}");
                        let edges = fast.b.edges.len();
                        if wx >= 16 {
                            assert!(edges <= 8, "{wx} wide: {edges} outputs gathered");
                        }
                    }
                }
            }
        }
    }
}
