//! 2-D real FFTs with cached plans: rows by `realfft`, columns by `rustfft` on a transposed
//! buffer, so every transform runs on contiguous memory. Work buffers are pooled per plan,
//! so repeated transforms of one size allocate nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};

use crate::tensor::{ByFloat, Float, PerFloat};

/// Rows transformed together, so the transposed writes touch consecutive memory.
const BLOCK: usize = 8;

/// Plans for an `n x m` real 2-D transform. Spectra are stored transposed: `m/2+1` columns
/// of `n` complex values each, column `k` at `[k*n .. (k+1)*n]`.
pub(crate) struct Plan2<E: Float> {
    pub n: usize,
    pub m: usize,
    r2c: Arc<dyn RealToComplex<E>>,
    c2r: Arc<dyn ComplexToReal<E>>,
    fwd: Arc<dyn Fft<E>>,
    inv: Arc<dyn Fft<E>>,
    pool: Mutex<Vec<Work<E>>>,
}

/// Reusable buffers: those the transforms need ([`Bufs`]) and spectra for the caller.
pub(crate) struct Work<E: Float> {
    /// Buffers of the transforms themselves.
    pub bufs: Bufs<E>,
    /// Spectra the caller keeps between transforms (sized by [`Work::sized`]).
    pub specs: Vec<Complex<E>>,
    /// One more spectrum for the caller.
    pub acc: Vec<Complex<E>>,
}

/// Row buffers and scratch space of one transform.
pub(crate) struct Bufs<E: Float> {
    rows: Vec<E>,
    halves: Vec<Complex<E>>,
    scratch: Vec<Complex<E>>,
}

impl<E: Float> Work<E> {
    /// Makes `specs` hold `k` spectra of `len` values and `acc` one (contents unspecified).
    pub fn sized(&mut self, k: usize, len: usize) {
        let zero = Complex::new(E::zero(), E::zero());
        if self.acc.len() != len {
            self.acc.resize(len, zero);
        }
        if self.specs.len() != k * len {
            self.specs.resize(k * len, zero);
        }
    }
}

/// The smallest size >= `n` whose only prime factors are 2, 3 and 5 (fast FFT sizes).
pub(crate) fn fast_len(n: usize) -> usize {
    let mut k = n.max(1);
    loop {
        let mut r = k;
        for p in [2, 3, 5] {
            while r.is_multiple_of(p) {
                r /= p;
            }
        }
        if r == 1 {
            return k;
        }
        k += 1;
    }
}

/// The cached plans of one element type, by size.
type PlanCache<E> = Mutex<HashMap<(usize, usize), Arc<Plan2<E>>>>;

/// The plan builder of each element type.
struct PlanMaker;
impl PerFloat for PlanMaker {
    type Of<E: Float> = fn(usize, usize) -> Arc<Plan2<E>>;
}

static MAKERS: ByFloat<PlanMaker> = ByFloat {
    single: plan_f32,
    double: plan_f64,
};

/// The cached plan for an `n x m` transform in `E`.
pub(crate) fn plan<E: Float>(n: usize, m: usize) -> Arc<Plan2<E>> {
    (E::pick(&MAKERS))(n, m)
}

// Plans are made behind these two non-generic functions so that rustfft's algorithms are
// compiled once, in this crate. Were `plan` to build them itself, every crate calling a
// generic op would compile them again: each evcxr notebook cell is such a crate, and a
// cell that convolved took 6-30 s to compile instead of 1-3 s.
#[inline(never)]
fn plan_f32(n: usize, m: usize) -> Arc<Plan2<f32>> {
    static CACHE: OnceLock<PlanCache<f32>> = OnceLock::new();
    cached_plan(CACHE.get_or_init(Default::default), n, m)
}

#[inline(never)]
fn plan_f64(n: usize, m: usize) -> Arc<Plan2<f64>> {
    static CACHE: OnceLock<PlanCache<f64>> = OnceLock::new();
    cached_plan(CACHE.get_or_init(Default::default), n, m)
}

fn cached_plan<E: Float>(cache: &PlanCache<E>, n: usize, m: usize) -> Arc<Plan2<E>> {
    let key = (n, m);
    let mut guard = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = guard.get(&key) {
        return p.clone();
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
        pool: Mutex::new(Vec::new()),
    });
    guard.insert(key, p.clone());
    p
}

impl<E: Float> Plan2<E> {
    /// Number of stored complex values (`(m/2+1) * n`).
    pub fn spec_len(&self) -> usize {
        (self.m / 2 + 1) * self.n
    }

    /// Work buffers for this plan (from the pool, or new). Hand them back with
    /// [`Plan2::give_back`].
    pub fn work(&self) -> Work<E> {
        if let Some(w) = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return w;
        }
        let zero = Complex::new(E::zero(), E::zero());
        let mh = self.m / 2 + 1;
        let scratch = self
            .r2c
            .get_scratch_len()
            .max(self.c2r.get_scratch_len())
            .max(self.fwd.get_inplace_scratch_len())
            .max(self.inv.get_inplace_scratch_len());
        Work {
            bufs: Bufs {
                rows: vec![E::zero(); BLOCK * self.m],
                halves: vec![zero; BLOCK * mh],
                scratch: vec![zero; scratch],
            },
            specs: Vec::new(),
            acc: Vec::new(),
        }
    }

    /// Returns work buffers to the pool.
    pub fn give_back(&self, w: Work<E>) {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < 8 {
            pool.push(w);
        }
    }

    /// Forward transform of a frame of `rows x cols` (`rows <= n`, `cols <= m`), zero-padded
    /// to `n x m`, into `out` (length [`Plan2::spec_len`]). `fill(i, row)` writes row `i` of
    /// the frame into `row` (length `cols`).
    pub fn forward_with(
        &self,
        rows: usize,
        cols: usize,
        mut fill: impl FnMut(usize, &mut [E]),
        out: &mut [Complex<E>],
        bufs: &mut Bufs<E>,
    ) {
        let (n, m, mh) = (self.n, self.m, self.m / 2 + 1);
        debug_assert!(rows <= n && cols <= m && out.len() == mh * n);
        let zero = Complex::new(E::zero(), E::zero());
        let Bufs {
            rows: rbuf,
            halves,
            scratch,
        } = bufs;
        let mut i0 = 0;
        while i0 < rows {
            let b = BLOCK.min(rows - i0);
            for r in 0..b {
                let row = &mut rbuf[r * m..(r + 1) * m];
                fill(i0 + r, &mut row[..cols]);
                row[cols..].iter_mut().for_each(|v| *v = E::zero());
                self.r2c
                    .process_with_scratch(row, &mut halves[r * mh..(r + 1) * mh], scratch)
                    .expect("buffer sizes match the plan");
            }
            for k in 0..mh {
                let col = &mut out[k * n + i0..k * n + i0 + b];
                for (r, v) in col.iter_mut().enumerate() {
                    *v = halves[r * mh + k];
                }
            }
            i0 += b;
        }
        if rows < n {
            for k in 0..mh {
                out[k * n + rows..(k + 1) * n]
                    .iter_mut()
                    .for_each(|v| *v = zero);
            }
        }
        self.fwd.process_with_scratch(out, scratch);
    }

    /// Inverse transform, without the `1/(n m)` scaling: `spec` is overwritten, and
    /// `emit(i, row)` receives each of the first `rows` rows (length `m`).
    pub fn inverse_with(
        &self,
        spec: &mut [Complex<E>],
        rows: usize,
        mut emit: impl FnMut(usize, &[E]),
        bufs: &mut Bufs<E>,
    ) {
        let (n, m, mh) = (self.n, self.m, self.m / 2 + 1);
        debug_assert!(rows <= n && spec.len() == mh * n);
        let Bufs {
            rows: rbuf,
            halves,
            scratch,
        } = bufs;
        self.inv.process_with_scratch(spec, scratch);
        let mut i0 = 0;
        while i0 < rows {
            let b = BLOCK.min(rows - i0);
            for k in 0..mh {
                let col = &spec[k * n + i0..k * n + i0 + b];
                for (r, v) in col.iter().enumerate() {
                    halves[r * mh + k] = *v;
                }
            }
            for r in 0..b {
                let half = &mut halves[r * mh..(r + 1) * mh];
                // The spectrum of a real row has real DC (and Nyquist) terms; drop rounding noise.
                half[0].im = E::zero();
                if m % 2 == 0 {
                    half[mh - 1].im = E::zero();
                }
                let row = &mut rbuf[r * m..(r + 1) * m];
                self.c2r
                    .process_with_scratch(half, row, scratch)
                    .expect("buffer sizes match the plan");
                emit(i0 + r, row);
            }
            i0 += b;
        }
    }
}
