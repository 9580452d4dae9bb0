//! tools: rescale, l2_norm, mse, make_disk, circular_gaussian2d and validate_model.

mod common;

use common::reference::rand_image;
use plenoptic as po;
use po::tools::{self, Filter};
use po::{Device, Error, Float, Image, Model, Result, Tape};

#[test]
fn rescale_maps_min_and_max_to_the_range() {
    let x = rand_image(1, [2, 1, 6, 7], -3.0, 5.0);
    let y = tools::rescale(&x, 0.0, 1.0).unwrap();
    let v = y.as_vec();
    let (lo, hi) = v
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
    assert!(lo.abs() < 1e-15 && (hi - 1.0).abs() < 1e-15);
    // affine: the order of values and their ratios of differences are kept
    let xv = x.as_vec();
    let (xlo, xhi) = xv
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
    for (a, b) in xv.iter().zip(&v) {
        assert!(((a - xlo) / (xhi - xlo) - b).abs() < 1e-12);
    }
    let z = tools::rescale(&x, 2.0, -2.0).unwrap().as_vec();
    for (b, c) in v.iter().zip(&z) {
        assert!((2.0 - 4.0 * b - c).abs() < 1e-12);
    }
    let x32 = po::image_from_vec(vec![1.0f32, 3.0, 2.0], &[1, 1, 1, 3]).unwrap();
    assert_eq!(
        tools::rescale(&x32, -1.0, 1.0).unwrap().as_vec(),
        vec![-1.0, 1.0, 0.0]
    );
}

#[test]
fn rescale_refuses_constant_and_non_finite_images() {
    let c = po::image_from_vec(vec![0.5f32; 4], &[1, 1, 2, 2]).unwrap();
    let e = tools::rescale(&c, 0.0, 1.0).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "x", .. }), "{e}");
    assert!(e.to_string().contains("constant"), "{e}");
    let n = po::image_from_vec(vec![0.5f32, f32::NAN], &[1, 1, 1, 2]).unwrap();
    let e = tools::rescale(&n, 0.0, 1.0).unwrap_err();
    assert!(matches!(e, Error::NonFinite { count: 1, .. }), "{e}");
}

#[test]
fn l2_norm_and_mse_as_plenoptic() {
    let a = rand_image(2, [2, 3, 4, 5], 0.0, 1.0);
    let b = rand_image(3, [2, 3, 4, 5], 0.0, 1.0);
    let d: Vec<f64> = a
        .as_vec()
        .iter()
        .zip(b.as_vec())
        .map(|(x, y)| x - y)
        .collect();
    let ss: f64 = d.iter().map(|v| v * v).sum();
    assert!((tools::l2_norm(&a, &b).unwrap() - ss.sqrt()).abs() < 1e-12);
    assert!((tools::mse(&a, &b).unwrap() - ss / 120.0).abs() < 1e-14);
    assert_eq!(tools::mse(&a, &a).unwrap(), 0.0);
    // agrees with the differentiable op
    let op = po::ops::mse(a.clone(), b.clone()).unwrap().as_vec()[0];
    assert!((op - tools::mse(&a, &b).unwrap()).abs() < 1e-15);
    let c = rand_image(3, [2, 3, 5, 4], 0.0, 1.0);
    for e in [
        tools::l2_norm(&a, &c).unwrap_err(),
        tools::mse(&a, &c).unwrap_err(),
    ] {
        assert!(
            matches!(&e, Error::ShapeMismatch { expected, got, .. }
                if expected == &[2, 3, 4, 5] && got == &[2, 3, 5, 4]),
            "{e}"
        );
    }
}

#[test]
fn make_disk_as_plenoptic() {
    let d = tools::make_disk::<f64>((9, 9), None, None).unwrap();
    assert_eq!(po::dims(&d), [1, 1, 9, 9]);
    let v = d.as_vec();
    // outer radius 4, inner 2, centre (4, 4)
    let at = |i: usize, j: usize| v[i * 9 + j];
    assert_eq!(at(4, 4), 1.0);
    assert_eq!(at(4, 5), 1.0); // r = 1 < 2
    assert_eq!(at(0, 0), 0.0); // r = 5.66 > 4
    assert!((at(4, 7) - 0.5).abs() < 1e-12); // r = 3: half-way down the cosine
    assert_eq!(at(4, 8), 0.0); // r = 4 = outer: cos(pi) edge
    let e = tools::make_disk::<f64>((7, 11), Some(3.0), Some(2.0))
        .unwrap()
        .as_vec();
    let centre = (3.0, 5.0);
    for i in 0..7 {
        for j in 0..11 {
            let rr = ((i as f64 - centre.0).powi(2) + (j as f64 - centre.1).powi(2)).sqrt();
            let x = e[i * 11 + j];
            if rr > 3.0 {
                assert_eq!(x, 0.0);
            } else if rr < 2.0 {
                assert_eq!(x, 1.0);
            } else {
                let want = (1.0 + (std::f64::consts::PI * (rr - 2.0)).cos()) / 2.0;
                assert!((x - want).abs() < 1e-12);
            }
        }
    }
    let e = tools::make_disk::<f32>((4, 4), Some(1.0), Some(2.0)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidArgument {
                name: "inner_radius",
                ..
            }
        ),
        "{e}"
    );
    let e = tools::make_disk::<f32>((0, 4), None, None).unwrap_err();
    assert!(matches!(e, Error::Empty { .. }), "{e}");
}

#[test]
fn circular_gaussian_refuses_bad_stds_and_sizes() {
    for s in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = tools::circular_gaussian2d((5, 5), &[1.0, s]).unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument { name: "std", .. }),
            "{e}"
        );
        assert!(e.to_string().contains("must be positive"), "{e}");
    }
    let e = tools::circular_gaussian2d((0, 5), &[1.0]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidArgument {
                name: "kernel_size",
                ..
            }
        ),
        "{e}"
    );
    let g = tools::circular_gaussian2d((4, 6), &[1.0, 2.0]).unwrap();
    assert_eq!(g.shape(), [2, 1, 4, 6]);
    for k in g.weights().chunks(24) {
        assert!((k.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // even sizes centre between pixels: symmetric about (1.5, 2.5)
        assert!((k[0] - k[3 * 6 + 5]).abs() < 1e-15 && (k[5] - k[3 * 6]).abs() < 1e-15);
    }
}

struct NanModel;
impl Model for NanModel {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        po::ops::map(x, |v, _| (v / E::zero(), E::one()))
    }
}

struct Noisy;
impl Model for Noisy {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        let [b, c, h, w] = po::dims(&x);
        let n = po::to_device(&po::data::white_noise::<E>(&[b, c, h, w])?, x.device());
        po::ops::map2(x, n.retaped::<T>(), |a, b, _| (a + b, E::one(), E::one()))
    }
}

/// Rebuilds its output from plain values: the input's tape is lost.
struct Detached;
impl Model for Detached {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        let v: Vec<E> = x.as_vec().into_iter().map(|v| v * v).collect();
        Ok(po::image_on(x.device(), v, &po::dims(&x))?.retaped::<T>())
    }
}

/// Computes something else in f64.
struct Precision;
impl Model for Precision {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        let k = E::of_f64(if std::mem::size_of::<E>() == 8 {
            2.0
        } else {
            1.0
        });
        po::ops::map(x, move |v, _| (v * k, k))
    }
}

/// Refuses images smaller than its kernel.
struct Big(Filter);
impl Model for Big {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        po::ops::conv2d(x, &self.0)
    }
}

fn invalid_model(e: Error) -> String {
    match e {
        Error::InvalidModel(m) => m,
        other => panic!("expected InvalidModel, got {other:?}"),
    }
}

#[test]
fn validate_model_accepts_a_notebook_model_and_names_each_failure() {
    let _seed = common::reference::seed_lock();
    let g = Big(tools::circular_gaussian2d((3, 3), &[1.0]).unwrap());
    tools::validate_model(&g, None).unwrap();
    tools::validate_model(&g, Some(&[2, 1, 8, 9])).unwrap();

    let m = invalid_model(tools::validate_model(&NanModel, None).unwrap_err());
    assert!(m.contains("non-finite values"), "{m}");
    let m = invalid_model(tools::validate_model(&Noisy, None).unwrap_err());
    assert!(m.contains("not deterministic"), "{m}");
    let m = invalid_model(tools::validate_model(&Detached, None).unwrap_err());
    assert!(m.contains("not differentiable"), "{m}");
    let m = invalid_model(tools::validate_model(&Precision, None).unwrap_err());
    assert!(m.contains("f32 and f64 outputs disagree"), "{m}");
    let big = Big(Filter::new(vec![1.0; 400], [1, 1, 20, 20]).unwrap());
    let m = invalid_model(tools::validate_model(&big, None).unwrap_err());
    assert!(
        m.contains("fails on a f32 image of shape [1, 1, 16, 16]") && m.contains("larger"),
        "{m}"
    );
    let e = tools::validate_model(&g, Some(&[1, 16, 16])).unwrap_err();
    assert!(matches!(e, Error::Rank { .. }), "{e}");
}

#[test]
fn validate_model_leaves_the_seeded_generator_alone() {
    let _seed = common::reference::seed_lock();
    let g = Big(tools::circular_gaussian2d((3, 3), &[1.0]).unwrap());
    tools::set_seed(4);
    let a = po::data::white_noise::<f32>(&[1, 1, 2, 2]).unwrap();
    tools::set_seed(4);
    tools::validate_model(&g, None).unwrap();
    let b = po::data::white_noise::<f32>(&[1, 1, 2, 2]).unwrap();
    assert_eq!(a.as_vec(), b.as_vec());
}
