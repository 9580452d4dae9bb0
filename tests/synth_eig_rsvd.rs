//! Eigendistortion's randomized SVD (plenoptic's `method='randomized_svd'`): replayed
//! from plenoptic's saved random draws against its eigenvalues and error estimate
//! (`../shared/reference-textures`, README section 5), and with the crate's own draws.

mod common;

use std::path::PathBuf;

use plenoptic as po;
use po::synthesize::autodiff::{jacobian_vector_product, vector_jacobian_product};
use po::synthesize::{Eigendistortion, Method, RsvdDraws};

use common::{crop32, lgc};

fn npy_f64(name: &str) -> Vec<f64> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference-textures")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path:?}: {e}"));
    let arr = npyz::NpyFile::new(&bytes[..]).expect("valid npy");
    arr.into_vec::<f32>()
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect()
}

/// plenoptic's eigenvalues with seed 0 (`eig_rsvd_lg_crop32_eigenvalues.npy`).
fn reference_values() -> Vec<f64> {
    npy_f64("eig_rsvd_lg_crop32_eigenvalues.npy")
}

/// `|F v - lambda v| / lambda` for the eigendistortion at batch position `i`.
fn relative_residual(eig: &Eigendistortion<po::simulate::LuminanceGainControl>, i: usize) -> f64 {
    let x: po::Image<f64> = po::cast(eig.image());
    let v: po::Image<f64> =
        po::cast(&po::select_batch(eig.eigendistortions().unwrap(), i..i + 1).unwrap());
    let jv = jacobian_vector_product(eig.model(), &x, &v).unwrap();
    let fv = vector_jacobian_product(eig.model(), &x, &jv)
        .unwrap()
        .as_vec();
    let lambda = eig.eigenvalues().unwrap()[i];
    let r: f64 = fv
        .iter()
        .zip(v.as_vec())
        .map(|(a, b)| (a - lambda * b).powi(2))
        .sum::<f64>()
        .sqrt();
    r / lambda
}

/// plenoptic's `Eigendistortion(crop32, lg).synthesize(method='randomized_svd', k=4)`
/// (p = 5, q = 2) replayed from its saved draws: the same eigenvalues (plenoptic computes
/// `F v` in float32, the crate in float64) and error estimate (0.005696).
#[test]
fn randomized_svd_replays_plenoptic() {
    let draws = RsvdDraws {
        start: npy_f64("eig_rsvd_lg_crop32_P_raw.npy"),
        omega: npy_f64("eig_rsvd_lg_crop32_omega_raw.npy"),
    };
    let mut eig = Eigendistortion::new(crop32(), lgc()).unwrap();
    eig.synthesize()
        .method(Method::RandomizedSvd)
        .k(4)
        .draws(draws)
        .progress(false)
        .run()
        .unwrap();
    let want = reference_values();
    let got = eig.eigenvalues().unwrap();
    assert_eq!(eig.eigenindex().unwrap(), &[0, 1, 2, 3]);
    assert_eq!(po::dims(eig.eigendistortions().unwrap()), [4, 1, 32, 32]);
    for (g, w) in got.iter().zip(&want) {
        eprintln!(
            "eigenvalue {g:.8e} (plenoptic {w:.8e}, rel {:.2e})",
            ((g - w) / w).abs()
        );
        assert!(((g - w) / w).abs() < 1e-4, "{g} vs {w}");
    }
    let e = eig.approximation_error().unwrap().unwrap();
    eprintln!("error estimate {e:.6} (plenoptic 0.005696)");
    assert!((e - 0.005696002393960953).abs() / 0.005696 < 1e-3);
}

/// With the crate's own draws: eigenvalues within plenoptic's spread over seeds (up to
/// 7.7 %, README section 5) of its seed-0 values, unit eigendistortions, and oversampling
/// and power steps that improve the top eigenvector; bad `k` is a typed error.
#[test]
fn randomized_svd_with_own_draws() {
    po::tools::set_seed(1);
    let mut eig = Eigendistortion::new(crop32(), lgc()).unwrap();
    eig.synthesize()
        .method(Method::RandomizedSvd)
        .k(4)
        .progress(false)
        .run()
        .unwrap();
    let want = reference_values();
    for (g, w) in eig.eigenvalues().unwrap().iter().zip(&want) {
        assert!(((g - w) / w).abs() < 0.1, "{g} vs {w}");
    }
    for i in 0..4 {
        let v = po::select_batch(eig.eigendistortions().unwrap(), i..i + 1)
            .unwrap()
            .as_vec();
        let n: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((n - 1.0).abs() < 1e-5);
    }
    let r_default = relative_residual(&eig, 0);
    // more oversampling and power steps: a better top eigenvector
    eig.synthesize()
        .method(Method::RandomizedSvd)
        .k(1)
        .oversampling(20)
        .power_steps(6)
        .progress(false)
        .run()
        .unwrap();
    let r_more = relative_residual(&eig, 0);
    eprintln!("top residual: default {r_default:.3e}, p = 20, q = 6: {r_more:.3e}");
    assert!(r_more < r_default);
    for (k, p) in [(0, 5), (1020, 5)] {
        let r = eig
            .synthesize()
            .method(Method::RandomizedSvd)
            .k(k)
            .oversampling(p)
            .progress(false)
            .run();
        assert!(
            matches!(r, Err(po::Error::InvalidArgument { .. })),
            "k = {k}"
        );
    }
    let bad = RsvdDraws {
        start: vec![0.0; 10],
        omega: vec![0.0; 1024],
    };
    let r = eig
        .synthesize()
        .method(Method::RandomizedSvd)
        .draws(bad)
        .progress(false)
        .run();
    assert!(matches!(r, Err(po::Error::InvalidArgument { .. })));
}
