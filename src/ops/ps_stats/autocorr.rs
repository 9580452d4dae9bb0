//! Circular autocorrelations at the centred window's shifts, and their adjoint, by real
//! 2-D FFTs in f64 ([`crate::ops::fft`]'s cached plans); the forward keeps the spectrum
//! the adjoint needs.

use rustfft::num_complex::Complex;

use crate::ops::fft;

/// A complex f64 value.
pub(crate) type C64 = Complex<f64>;

/// The shifts of the centred `w x w` autocorrelation window: -(w/2) ..= (w+1)/2 - 1.
fn shifts(w: usize) -> impl Iterator<Item = isize> + Clone {
    let lo = -((w / 2) as isize);
    (0..w as isize).map(move |i| lo + i)
}

/// The real 2-D DFT of the row-major `h x wd` array `m`, in [`fft::Plan2`]'s layout.
pub(crate) fn spectrum(m: &[f64], h: usize, wd: usize) -> Vec<C64> {
    let p = fft::plan::<f64>(h, wd);
    let mut wk = p.work();
    let mut out = vec![C64::new(0.0, 0.0); p.spec_len()];
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
pub(crate) fn autocorr(spec: &[C64], h: usize, wd: usize, w: usize) -> Vec<f64> {
    let p = fft::plan::<f64>(h, wd);
    let mut wk = p.work();
    let mut s: Vec<C64> = spec.iter().map(|z| C64::new(z.norm_sqr(), 0.0)).collect();
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
                picked[a * w + b] = row[j] / n2;
            }
        },
        &mut wk.bufs,
    );
    p.give_back(wk);
    picked
}

/// Adds to `gm` the gradient of `sum_d gr[d] r[d]` (window shifts, `r` as [`autocorr`])
/// with respect to `m`: `mean`-scaled `sum_d gr[d] (m[p + d] + m[p - d])`, by FFT from
/// `spec`, the [`spectrum`] of `m`.
pub(crate) fn autocorr_adjoint(
    spec: &[C64],
    h: usize,
    wd: usize,
    w: usize,
    gr: &[f64],
    gm: &mut [f64],
) {
    let mut k = super::buffers::zeros(h * wd);
    let mut it = gr.iter();
    for d1 in shifts(w) {
        for d2 in shifts(w) {
            let g = *it.next().expect("window");
            for (a, b) in [(d1, d2), (-d1, -d2)] {
                let i = a.rem_euclid(h as isize) as usize;
                let j = b.rem_euclid(wd as isize) as usize;
                k[i * wd + j] += g;
            }
        }
    }
    let mut s = spectrum(&k, h, wd);
    s.iter_mut().zip(spec).for_each(|(a, b)| *a *= b);
    let p = fft::plan::<f64>(h, wd);
    let mut wk = p.work();
    let n2 = ((h * wd) as f64).powi(2);
    p.inverse_with(
        &mut s,
        h,
        |i, row| {
            for (g, v) in gm[i * wd..(i + 1) * wd].iter_mut().zip(row) {
                *g += v / n2;
            }
        },
        &mut wk.bufs,
    );
    p.give_back(wk);
}
