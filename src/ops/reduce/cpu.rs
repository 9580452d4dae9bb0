//! The CPU's reductions, accumulated in f64.

use dfdx::prelude::{Cpu, Tensor};

use crate::error::Result;
use crate::ops::tape::{read, record1, record2, values};
use crate::tensor::{dims, Float, Shape4, Tape};

#[cfg(not(feature = "portable-cpu"))]
impl<E: Float> super::ReduceKernel<E> for Cpu {
    fn sum_squares<T: Tape<E>>(x: crate::Image<E, T>) -> crate::Result<crate::Image<E, T>> {
        Ok(sum_squares(x))
    }
    fn mse<T: Tape<E>>(
        a: crate::Image<E, T>,
        b: crate::Image<E, T>,
    ) -> crate::Result<crate::Image<E, T>> {
        mse(a, b)
    }
}

/// [`super::sum_squares`] on the CPU.
pub(crate) fn sum_squares<E: Float, T: Tape<E>>(
    x: Tensor<Shape4, E, Cpu, T>,
) -> Tensor<Shape4, E, Cpu, T> {
    let (x, xv) = values(x);
    // accumulate in f64: a long f32 sum would lose digits
    let s = E::of_f64(xv.iter().fold(0.0f64, |a, v| a + v.as_f64() * v.as_f64()));
    record1(x, vec![s].into(), (1, 1, 1, 1), move |g, gx| {
        let two = g[0] + g[0];
        for (a, v) in gx.iter_mut().zip(xv.iter()) {
            *a += *v * two;
        }
    })
}

/// [`super::mse`] on the CPU.
pub(crate) fn mse<E: Float, T: Tape<E>>(
    a: Tensor<Shape4, E, Cpu, T>,
    b: Tensor<Shape4, E, Cpu, T>,
) -> Result<Tensor<Shape4, E, Cpu, T>> {
    crate::ops::checks::same_shape("mse of", dims(&a), dims(&b))?;
    let (a, mut diff) = values(a);
    let (b, ()) = read(b, |bv| diff.iter_mut().zip(bv).for_each(|(x, y)| *x -= *y));
    let n = E::from_usize(diff.len()).expect("length fits");
    let s = E::of_f64(
        diff.iter()
            .fold(0.0f64, |acc, d| acc + d.as_f64() * d.as_f64())
            / n.as_f64(),
    );
    let diff = std::sync::Arc::new(diff);
    let diff_b = diff.clone();
    Ok(record2(
        a,
        b,
        vec![s].into(),
        (1, 1, 1, 1),
        move |g, ga| {
            let k = (g[0] + g[0]) / n;
            for (x, d) in ga.iter_mut().zip(diff.iter()) {
                *x += *d * k;
            }
        },
        move |g, gb| {
            let k = (g[0] + g[0]) / n;
            for (x, d) in gb.iter_mut().zip(diff_b.iter()) {
                *x -= *d * k;
            }
        },
    ))
}
