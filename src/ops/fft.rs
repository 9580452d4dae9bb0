//! 2-D real FFTs with cached plans: rows by `realfft`, columns by `rustfft` on a transposed
//! buffer, so every transform runs on contiguous memory.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};

use crate::tensor::Float;

/// Plans for an `n x m` real 2-D transform. Spectra are stored transposed: `m/2+1` columns
/// of `n` complex values each, column `k` at `[k*n .. (k+1)*n]`.
pub(crate) struct Plan2<E: Float> {
    pub n: usize,
    pub m: usize,
    r2c: Arc<dyn RealToComplex<E>>,
    c2r: Arc<dyn ComplexToReal<E>>,
    fwd: Arc<dyn Fft<E>>,
    inv: Arc<dyn Fft<E>>,
}

/// The smallest size >= `n` whose only prime factors are 2, 3 and 5 (fast FFT sizes).
pub(crate) fn fast_len(n: usize) -> usize {
    let mut k = n.max(1);
    loop {
        let mut r = k;
        for p in [2, 3, 5] {
            while r % p == 0 {
                r /= p;
            }
        }
        if r == 1 {
            return k;
        }
        k += 1;
    }
}

type PlanCache = Mutex<HashMap<(TypeId, usize, usize), Arc<dyn Any + Send + Sync>>>;

/// The cached plan for an `n x m` transform in `E`.
pub(crate) fn plan<E: Float>(n: usize, m: usize) -> Arc<Plan2<E>> {
    static CACHE: OnceLock<PlanCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (TypeId::of::<E>(), n, m);
    let mut guard = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = guard.get(&key) {
        if let Ok(p) = p.clone().downcast::<Plan2<E>>() {
            return p;
        }
    }
    let mut rp = RealFftPlanner::<E>::new();
    let mut cp = FftPlanner::<E>::new();
    let p = Arc::new(Plan2 {
        n,
        m,
        r2c: rp.plan_fft_forward(m),
        c2r: rp.plan_fft_inverse(m),
        fwd: cp.plan_fft_forward(n),
        inv: cp.plan_fft_inverse(n),
    });
    guard.insert(key, p.clone());
    p
}

impl<E: Float> Plan2<E> {
    /// Number of stored complex values (`(m/2+1) * n`).
    pub fn spec_len(&self) -> usize {
        (self.m / 2 + 1) * self.n
    }

    /// Forward transform of an `h x w` plane (`h <= n`, `w <= m`), zero-padded to `n x m`.
    pub fn forward(&self, x: &[E], h: usize, w: usize) -> Vec<Complex<E>> {
        let (n, m, mh) = (self.n, self.m, self.m / 2 + 1);
        let zero = Complex::new(E::zero(), E::zero());
        let mut spec = vec![zero; mh * n];
        let mut row = vec![E::zero(); m];
        let mut row_out = vec![zero; mh];
        let mut scratch = vec![zero; self.r2c.get_scratch_len()];
        for i in 0..h {
            row[..w].copy_from_slice(&x[i * w..(i + 1) * w]);
            row[w..].iter_mut().for_each(|v| *v = E::zero());
            self.r2c
                .process_with_scratch(&mut row, &mut row_out, &mut scratch)
                .expect("buffer sizes match the plan");
            for (k, v) in row_out.iter().enumerate() {
                spec[k * n + i] = *v;
            }
        }
        let mut scratch = vec![zero; self.fwd.get_inplace_scratch_len()];
        self.fwd.process_with_scratch(&mut spec, &mut scratch);
        spec
    }

    /// Inverse transform (scaled by `1/(n m)`), returning the top-left `h x w` corner.
    pub fn inverse(&self, mut spec: Vec<Complex<E>>, h: usize, w: usize) -> Vec<E> {
        let (n, m, mh) = (self.n, self.m, self.m / 2 + 1);
        let zero = Complex::new(E::zero(), E::zero());
        let mut scratch = vec![zero; self.inv.get_inplace_scratch_len()];
        self.inv.process_with_scratch(&mut spec, &mut scratch);
        let scale = E::one() / E::from_usize(n * m).expect("size fits");
        let mut out = vec![E::zero(); h * w];
        let mut row_in = vec![zero; mh];
        let mut row = vec![E::zero(); m];
        let mut scratch = vec![zero; self.c2r.get_scratch_len()];
        for i in 0..h {
            for (k, v) in row_in.iter_mut().enumerate() {
                *v = spec[k * n + i];
            }
            // The spectrum of a real row has real DC (and Nyquist) terms; drop rounding noise.
            row_in[0].im = E::zero();
            if m % 2 == 0 {
                row_in[mh - 1].im = E::zero();
            }
            self.c2r
                .process_with_scratch(&mut row_in, &mut row, &mut scratch)
                .expect("buffer sizes match the plan");
            for (o, v) in out[i * w..(i + 1) * w].iter_mut().zip(&row[..w]) {
                *o = *v * scale;
            }
        }
        out
    }
}
