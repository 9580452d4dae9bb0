//! The CPU's separable map: the row matrix as row-axpys over whole image rows, then the
//! column matrix the same way on the transposed intermediate (loops the compiler
//! vectorises); the adjoint applies the transposed matrices and adds.

use dfdx::prelude::{Cpu, Tensor};

use super::SeparableMap;
use crate::ops::pool::{self, Pooled};
use crate::ops::separable::Row;
use crate::ops::tape::{read, record1};
use crate::tensor::{dims, ByFloat, Float, PerFloat, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::SeparableMapKernel<E> for Cpu {
    fn separable_map<T: Tape<E>>(
        x: crate::Image<E, T>,
        map: &SeparableMap,
    ) -> crate::Result<crate::Image<E, T>> {
        Ok(separable_map(x, map))
    }
}

/// Sparse rows with weights of type `E`.
type RowsE<E> = Vec<Vec<(usize, E)>>;

fn to_e<E: Float>(rows: &[Row]) -> RowsE<E> {
    rows.iter()
        .map(|r| r.iter().map(|&(i, v)| (i, E::of_f64(v))).collect())
        .collect()
}

/// The transpose of a sparse matrix with `rows.len()` rows over `n` columns.
fn transpose<E: Float>(rows: &RowsE<E>, n: usize) -> RowsE<E> {
    let mut t = vec![Vec::new(); n];
    for (p, row) in rows.iter().enumerate() {
        for &(i, v) in row {
            t[i].push((p, v));
        }
    }
    t
}

/// `dst[i] += a * src[i]`, separate slices so the loop vectorises.
#[inline(always)]
fn axpy<E: Float>(dst: &mut [E], a: E, src: &[E]) {
    let n = dst.len();
    let src = &src[..n];
    for i in 0..n {
        dst[i] += a * src[i];
    }
}

/// `dst = sum over row of v * src[i]` (the first term assigned, so `dst` needs no zeroing).
#[inline(always)]
fn combine<E: Float>(dst: &mut [E], row: &[(usize, E)], src: &[E], stride: usize) {
    let n = dst.len();
    match row.split_first() {
        None => dst.fill(E::zero()),
        Some((&(i, v), rest)) => {
            let first = &src[i * stride..i * stride + n];
            for k in 0..n {
                dst[k] = v * first[k];
            }
            for &(i, v) in rest {
                axpy(dst, v, &src[i * stride..(i + 1) * stride]);
            }
        }
    }
}

/// `v` with length `n`, its contents left as they are where they exist (every element is
/// written before it is read).
fn sized<E: Float>(v: &mut Vec<E>, n: usize) {
    if v.len() != n {
        v.resize(n, E::zero());
    }
}

/// `out (+)= A X Bᵀ` for one plane `x` of size (h, w); `a` has `ho` rows, `b` `wo` rows.
#[allow(clippy::too_many_arguments)]
fn apply_plane<E: Float>(
    x: &[E],
    w: usize,
    a: &RowsE<E>,
    b: &RowsE<E>,
    z: &mut Vec<E>,
    zt: &mut Vec<E>,
    out: &mut [E],
    add: bool,
) {
    let (ho, wo) = (a.len(), b.len());
    sized(z, ho * w);
    for (p, row) in a.iter().enumerate() {
        combine(&mut z[p * w..(p + 1) * w], row, x, w);
    }
    // zt: (w, ho), the transpose of z
    sized(zt, w * ho);
    for p in 0..ho {
        for j in 0..w {
            zt[j * ho + p] = z[p * w + j];
        }
    }
    // z now holds yt: (wo, ho)
    sized(z, wo * ho);
    for (q, row) in b.iter().enumerate() {
        combine(&mut z[q * ho..(q + 1) * ho], row, zt, ho);
    }
    for p in 0..ho {
        for q in 0..wo {
            let v = z[q * ho + p];
            if add {
                out[p * wo + q] += v;
            } else {
                out[p * wo + q] = v;
            }
        }
    }
}

/// The planes' loops of one element type, reached through [`KERNELS`] so that they are
/// compiled here, optimised, even when the op is called from a crate built with little
/// optimisation (an evcxr notebook cell).
#[allow(clippy::type_complexity)]
struct Kernels<E: Float> {
    forward: fn(&[E], [usize; 4], (usize, usize), &RowsE<E>, &RowsE<E>) -> Pooled<E>,
    adjoint: fn(&[E], &mut [E], [usize; 4], (usize, usize), &RowsE<E>, &RowsE<E>),
}

struct KernelsOf;
impl PerFloat for KernelsOf {
    type Of<E: Float> = Kernels<E>;
}

static KERNELS: ByFloat<KernelsOf> = ByFloat {
    single: Kernels {
        forward: forward_planes::<f32>,
        adjoint: adjoint_planes::<f32>,
    },
    double: Kernels {
        forward: forward_planes::<f64>,
        adjoint: adjoint_planes::<f64>,
    },
};

/// `A X Bᵀ` for every plane of `xv` (shape `[b, c, h, w]`), into planes of size `(ho, wo)`.
fn forward_planes<E: Float>(
    xv: &[E],
    [b, c, h, w]: [usize; 4],
    (ho, wo): (usize, usize),
    ra: &RowsE<E>,
    rb: &RowsE<E>,
) -> Pooled<E> {
    let mut out = pool::take(b * c * ho * wo);
    let (mut z, mut zt) = (pool::take((ho * w).max(wo * ho)), pool::take(w * ho));
    for p in 0..b * c {
        apply_plane(
            &xv[p * h * w..(p + 1) * h * w],
            w,
            ra,
            rb,
            &mut z,
            &mut zt,
            &mut out[p * ho * wo..(p + 1) * ho * wo],
            false,
        );
    }
    out
}

/// The adjoint of [`forward_planes`]: adds `Aᵀ G B` of every plane of `gy` into `gx`.
fn adjoint_planes<E: Float>(
    gy: &[E],
    gx: &mut [E],
    [b, c, h, w]: [usize; 4],
    (ho, wo): (usize, usize),
    ra: &RowsE<E>,
    rb: &RowsE<E>,
) {
    let (at, bt) = (transpose(ra, h), transpose(rb, w));
    let (mut z, mut zt) = (pool::take((h * wo).max(w * h)), pool::take(wo * h));
    for p in 0..b * c {
        apply_plane(
            &gy[p * ho * wo..(p + 1) * ho * wo],
            wo,
            &at,
            &bt,
            &mut z,
            &mut zt,
            &mut gx[p * h * w..(p + 1) * h * w],
            true,
        );
    }
}

/// [`super::separable_map`] on the CPU (the input's size checked by the caller).
pub(crate) fn separable_map<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
    map: &SeparableMap,
) -> Tensor<Shape4, E, Cpu, T> {
    let shape = dims(&x);
    let [b, c, _, _] = shape;
    let size = map.output_size();
    let (ra, rb) = (to_e::<E>(map.rows()), to_e::<E>(map.cols()));
    let k = E::pick(&KERNELS);
    let (forward, adjoint) = (k.forward, k.adjoint);
    let (x, out) = read(x, |xv| forward(xv, shape, size, &ra, &rb));
    record1(x, out, (b, c, size.0, size.1), move |gy, gx| {
        adjoint(gy, gx, shape, size, &ra, &rb)
    })
}
