//! Complex 2-D FFTs in f64 on the host (rustfft, plans cached per thread), the transforms
//! of the spectral op and of the texture statistics.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// A complex f64 value.
pub(crate) type C64 = Complex<f64>;

/// The planner and the plans made so far, by (length, inverse).
type Plans = (FftPlanner<f64>, HashMap<(usize, bool), Arc<dyn Fft<f64>>>);

thread_local! {
    static PLANS: RefCell<Plans> = RefCell::new((FftPlanner::new(), HashMap::new()));
}

fn plan(n: usize, inverse: bool) -> Arc<dyn Fft<f64>> {
    PLANS.with(|p| {
        let mut p = p.borrow_mut();
        let (planner, cache) = &mut *p;
        cache
            .entry((n, inverse))
            .or_insert_with(|| {
                if inverse {
                    planner.plan_fft_inverse(n)
                } else {
                    planner.plan_fft_forward(n)
                }
            })
            .clone()
    })
}

/// In-place unnormalised 2-D DFT of the row-major `h x w` array `a` (`inverse`: the
/// conjugate transform, still unnormalised).
pub(crate) fn fft2(a: &mut [C64], h: usize, w: usize, inverse: bool) {
    debug_assert_eq!(a.len(), h * w);
    let rows = plan(w, inverse);
    let mut scratch = vec![C64::new(0.0, 0.0); rows.get_inplace_scratch_len().max(h)];
    rows.process_with_scratch(a, &mut scratch);
    if h > 1 {
        let cols = plan(h, inverse);
        let need = cols.get_inplace_scratch_len();
        if scratch.len() < need {
            scratch.resize(need, C64::new(0.0, 0.0));
        }
        let mut t = vec![C64::new(0.0, 0.0); h * w];
        for i in 0..h {
            for j in 0..w {
                t[j * h + i] = a[i * w + j];
            }
        }
        cols.process_with_scratch(&mut t, &mut scratch);
        for i in 0..h {
            for j in 0..w {
                a[i * w + j] = t[j * h + i];
            }
        }
    }
}

/// The unnormalised 2-D DFT of a real `h x w` array.
pub(crate) fn fft2_real(x: &[f64], h: usize, w: usize) -> Vec<C64> {
    let mut a: Vec<C64> = x.iter().map(|&v| C64::new(v, 0.0)).collect();
    fft2(&mut a, h, w, false);
    a
}
