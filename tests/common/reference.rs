//! Helpers for the core tests: independent (direct, spatial) reference implementations,
//! seeded random data, and gradient / adjoint checks through the `Model` trait.

use dfdx::prelude::*;
use plenoptic as po;
use po::{Image, Model, PadMode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub type Taped = OwnedTape<f64, Cpu>;

/// Uniform values in [lo, hi) from a local generator.
pub fn rand_vec(seed: u64, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    let mut r = StdRng::seed_from_u64(seed);
    (0..n).map(|_| r.gen_range(lo..hi)).collect()
}

/// A random f64 image in [lo, hi).
pub fn rand_image(seed: u64, shape: [usize; 4], lo: f64, hi: f64) -> Image<f64> {
    let n = shape.iter().product();
    po::image_from_vec(rand_vec(seed, n, lo, hi), &shape).unwrap()
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Source index of padded index `i` (shifted by `before`) along a dimension of size `n`,
/// written from the definitions of torch's modes (None: constant fill).
pub fn pad_index(i: isize, n: isize, mode: PadMode) -> Option<usize> {
    Some(match mode {
        PadMode::Circular => i.rem_euclid(n) as usize,
        PadMode::Replicate => i.clamp(0, n - 1) as usize,
        PadMode::Constant(_) => {
            if i < 0 || i >= n {
                return None;
            }
            i as usize
        }
        PadMode::Reflect => {
            let mut j = i;
            while j < 0 || j >= n {
                if j < 0 {
                    j = -j;
                }
                if j >= n {
                    j = 2 * (n - 1) - j;
                }
            }
            j as usize
        }
    })
}

/// Pads every plane of a (b, c, h, w) buffer by [top, bottom, left, right].
pub fn pad_ref(
    x: &[f64],
    shape: [usize; 4],
    pads: [usize; 4],
    mode: PadMode,
) -> (Vec<f64>, [usize; 4]) {
    let [b, c, h, w] = shape;
    let [t, bo, l, r] = pads;
    let (ph, pw) = (h + t + bo, w + l + r);
    let fill = if let PadMode::Constant(v) = mode {
        v
    } else {
        0.0
    };
    let mut out = Vec::with_capacity(b * c * ph * pw);
    for p in 0..b * c {
        for i in 0..ph {
            for j in 0..pw {
                let si = pad_index(i as isize - t as isize, h as isize, mode);
                let sj = pad_index(j as isize - l as isize, w as isize, mode);
                out.push(match (si, sj) {
                    (Some(a), Some(bb)) => x[p * h * w + a * w + bb],
                    _ => fill,
                });
            }
        }
    }
    (out, [b, c, ph, pw])
}

/// Direct valid cross-correlation (torch's conv2d with groups = cin / filt[1]).
pub fn conv_ref(
    x: &[f64],
    shape: [usize; 4],
    wts: &[f64],
    fshape: [usize; 4],
) -> (Vec<f64>, [usize; 4]) {
    let [b, cin, h, w] = shape;
    let [cout, cg, kh, kw] = fshape;
    let groups = cin / cg;
    let og = cout / groups;
    let (ho, wo) = (h - kh + 1, w - kw + 1);
    let mut out = vec![0.0; b * cout * ho * wo];
    for bi in 0..b {
        for o in 0..cout {
            let grp = o / og;
            for j in 0..cg {
                let ci = grp * cg + j;
                let xs = &x[(bi * cin + ci) * h * w..][..h * w];
                let k = &wts[(o * cg + j) * kh * kw..][..kh * kw];
                for i in 0..ho {
                    for jj in 0..wo {
                        let mut s = 0.0;
                        for u in 0..kh {
                            for v in 0..kw {
                                s += k[u * kw + v] * xs[(i + u) * w + jj + v];
                            }
                        }
                        out[((bi * cout + o) * ho + i) * wo + jj] += s;
                    }
                }
            }
        }
    }
    (out, [b, cout, ho, wo])
}

/// same_padding + direct conv.
pub fn conv_same_ref(
    x: &[f64],
    shape: [usize; 4],
    filt: &po::tools::Filter,
    mode: PadMode,
) -> Vec<f64> {
    let [_, _, kh, kw] = filt.shape();
    let pads = [
        (kh - 1) / 2,
        kh - 1 - (kh - 1) / 2,
        (kw - 1) / 2,
        kw - 1 - (kw - 1) / 2,
    ];
    let (p, ps) = pad_ref(x, shape, pads, mode);
    conv_ref(&p, ps, filt.weights(), filt.shape()).0
}

pub fn softplus(v: f64) -> f64 {
    if v > 20.0 {
        v
    } else {
        v.exp().ln_1p()
    }
}

/// Relative error of the tape gradient against a central difference, for the functional
/// `L(x) = <w, model(x)>` (random `w`) along a direction `v`: a random vector plus half its
/// length along the gradient, so `<grad, v>` cannot nearly cancel out (where the finite
/// difference's rounding noise would swamp it).
pub fn grad_check<M: Model>(model: &M, x: &Image<f64>, seed: u64) -> f64 {
    let out = model.apply(x).expect("model runs");
    let wv = rand_vec(seed, out.as_vec().len(), -1.0, 1.0);
    let wt = po::image_from_vec(wv.clone(), &po::dims(&out)).unwrap();
    let n = x.as_vec().len();
    // analytic
    let y = model
        .forward(x.leaky_trace())
        .expect("model runs with a tape");
    let loss = (y * wt).sum::<(), _>();
    let grads = loss.backward();
    let g = grads.get(x).as_vec();
    let norm = |a: &[f64]| dot(a, a).sqrt();
    assert!(norm(&g) > 1e-8, "gradient is (nearly) zero: {}", norm(&g));
    let r = rand_vec(seed + 1, n, -1.0, 1.0);
    let k = 0.5 * norm(&r) / norm(&g);
    let v: Vec<f64> = r.iter().zip(&g).map(|(a, b)| a + k * b).collect();
    let analytic = dot(&g, &v);
    // numeric
    let xv = x.as_vec();
    let eval = |s: f64| {
        let xs: Vec<f64> = xv.iter().zip(&v).map(|(a, b)| a + s * b).collect();
        let xi = po::image_from_vec(xs, &po::dims(x)).unwrap();
        dot(&model.apply(&xi).unwrap().as_vec(), &wv)
    };
    let h = 1e-5;
    let numeric = (eval(h) - eval(-h)) / (2.0 * h);
    (analytic - numeric).abs() / analytic.abs().max(numeric.abs())
}

/// `<A x, y>` and `<x, A^T y>` for a linear model `A`, with the adjoint from the tape.
pub fn adjoint_pair<M: Model>(model: &M, x: &Image<f64>, seed: u64) -> (f64, f64) {
    let ax = model.apply(x).unwrap();
    let yv = rand_vec(seed, ax.as_vec().len(), -1.0, 1.0);
    let y = po::image_from_vec(yv.clone(), &po::dims(&ax)).unwrap();
    let out = model.forward(x.leaky_trace()).unwrap();
    let grads = (out * y).sum::<(), _>().backward();
    let aty = grads.get(x).as_vec();
    (dot(&ax.as_vec(), &yv), dot(&x.as_vec(), &aty))
}

/// Every padding mode, constant with a non-zero fill (affine, so no adjoint check).
pub fn all_modes() -> [PadMode; 4] {
    [
        PadMode::Circular,
        PadMode::Reflect,
        PadMode::Replicate,
        PadMode::Constant(0.3),
    ]
}

/// Every padding mode, constant with a zero fill (linear).
pub fn linear_modes() -> [PadMode; 4] {
    [
        PadMode::Circular,
        PadMode::Reflect,
        PadMode::Replicate,
        PadMode::Constant(0.0),
    ]
}

/// Serialises the tests of one binary that seed and then draw from the crate's global
/// generator (tests run in parallel threads).
pub fn seed_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
