//! Circular autocorrelations at the centred window's shifts, and their adjoint, by real
//! 2-D FFTs in the element type ([`crate::ops::fft`]'s cached plans); the forward keeps
//! the spectrum the adjoint needs.

use rustfft::num_complex::Complex;

use super::buffers::{self, Buf, Kept};
use crate::ops::fft;

/// The shifts of the centred `w x w` autocorrelation window: -(w/2) ..= (w+1)/2 - 1.
fn shifts(w: usize) -> impl Iterator<Item = isize> + Clone {
    let lo = -((w / 2) as isize);
    (0..w as isize).map(move |i| lo + i)
}

/// The real 2-D DFT of the row-major `h x wd` array `m`, in [`fft::Plan2`]'s layout.
pub(crate) fn spectrum<S: Kept>(m: &[S], h: usize, wd: usize) -> Vec<Complex<S>> {
    let p = fft::plan::<S>(h, wd);
    let mut wk = p.work();
    let mut out = vec![Complex::new(S::zero(), S::zero()); p.spec_len()];
    p.forward_with(
        h,
        wd,
        |i, row| row.copy_from_slice(&m[i * wd..(i + 1) * wd]),
        &mut out,
        &mut wk.bufs,
    );
    p.give_back(wk);
    out
}

/// The circular autocorrelation `r[d] = mean_p m[p] m[p + d]` at the window's shifts,
/// row-major `w x w`, from `spec`, the [`spectrum`] of `m` (`h x wd`).
pub(crate) fn autocorr<S: Kept>(spec: &[Complex<S>], h: usize, wd: usize, w: usize) -> Vec<f64> {
    let p = fft::plan::<S>(h, wd);
    let mut wk = p.work();
    let mut s: Vec<Complex<S>> = spec
        .iter()
        .map(|z| Complex::new(z.norm_sqr(), S::zero()))
        .collect();
    let n2 = ((h * wd) as f64).powi(2);
    // rows of the inverse at the window's row shifts
    let rows: Vec<usize> = shifts(w)
        .map(|d| d.rem_euclid(h as isize) as usize)
        .collect();
    let mut picked = vec![0.0; w * w];
    p.inverse_rows(
        &mut s,
        &rows,
        |a, row| {
            for (b, d2) in shifts(w).enumerate() {
                let j = d2.rem_euclid(wd as isize) as usize;
                picked[a * w + b] = row[j].as_f64() / n2;
            }
        },
        &mut wk.bufs,
    );
    p.give_back(wk);
    picked
}

/// The gradient of `sum_d gr[d] r[d]` (window shifts, `r` as [`autocorr`]) with respect
/// to `m`: `mean`-scaled `sum_d gr[d] (m[p + d] + m[p - d])`, by FFT from `spec`, the
/// [`spectrum`] of `m` (`h x wd`, row-major).
pub(crate) fn autocorr_adjoint<S: Kept>(
    spec: &[Complex<S>],
    h: usize,
    wd: usize,
    w: usize,
    gr: &[f64],
) -> Buf<S> {
    if gr.iter().all(|g| *g == 0.0) {
        return buffers::zeros(h * wd);
    }
    // the kernel: zero but for the rows of the window's shifts and their opposites
    let mut rows: Vec<(usize, Vec<S>)> = vec![];
    let mut it = gr.iter();
    for d1 in shifts(w) {
        for d2 in shifts(w) {
            let g = *it.next().expect("window");
            for (a, b) in [(d1, d2), (-d1, -d2)] {
                let i = a.rem_euclid(h as isize) as usize;
                let j = b.rem_euclid(wd as isize) as usize;
                let r = match rows.iter().position(|(k, _)| *k == i) {
                    Some(r) => r,
                    None => {
                        rows.push((i, vec![S::zero(); wd]));
                        rows.len() - 1
                    }
                };
                rows[r].1[j] += S::of_f64(g);
            }
        }
    }
    let p = fft::plan::<S>(h, wd);
    let mut wk = p.work();
    let mut s = vec![Complex::new(S::zero(), S::zero()); p.spec_len()];
    let refs: Vec<(usize, &[S])> = rows.iter().map(|(i, r)| (*i, &r[..])).collect();
    p.forward_rows(&refs, &mut s, &mut wk.bufs);
    s.iter_mut().zip(spec).for_each(|(a, b)| *a = *a * *b);
    let n2 = ((h * wd) as f64).powi(2);
    let mut gm = buffers::with_capacity(h * wd);
    p.inverse_with(
        &mut s,
        h,
        |_, row| gm.extend(row.iter().map(|v| S::of_f64(v.as_f64() / n2))),
        &mut wk.bufs,
    );
    p.give_back(wk);
    gm
}
