//! data: the standard images, image files, white and pink noise.

mod common;

use std::path::PathBuf;

use plenoptic as po;
use po::Error;
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("plenoptic-core-data-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn einstein_and_curie_are_256x256_grey_bytes() {
    for img in [po::data::einstein().unwrap(), po::data::curie().unwrap()] {
        assert_eq!(po::dims(&img), [1, 1, 256, 256]);
        let v = img.as_vec();
        assert!(v.iter().all(|x| (0.0..=1.0).contains(x)));
        assert!(v
            .iter()
            .all(|x| ((x * 255.0).round() - x * 255.0).abs() < 1e-4));
        let distinct = v
            .iter()
            .map(|x| (x * 255.0).round() as u8)
            .collect::<std::collections::BTreeSet<_>>();
        assert!(distinct.len() > 100);
    }
}

#[test]
fn load_image_reads_pgm_and_png() {
    let d = temp_dir("load");
    let pgm = d.join("tiny.pgm");
    let mut bytes = b"P5\n3 2\n255\n".to_vec();
    bytes.extend_from_slice(&[0, 51, 102, 153, 204, 255]);
    std::fs::write(&pgm, bytes).unwrap();
    let img = po::data::load_image::<f64>(&pgm, false).unwrap();
    assert_eq!(po::dims(&img), [1, 1, 2, 3]);
    assert_eq!(img.as_vec(), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);

    let png = d.join("colour.png");
    let rgb = image::RgbImage::from_fn(2, 1, |x, _| {
        if x == 0 {
            image::Rgb([255, 0, 0])
        } else {
            image::Rgb([0, 0, 255])
        }
    });
    rgb.save(&png).unwrap();
    let c = po::data::load_image::<f32>(&png, true).unwrap();
    assert_eq!(po::dims(&c), [1, 3, 1, 2]);
    assert_eq!(c.as_vec(), vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    let g = po::data::load_image::<f32>(&png, false).unwrap();
    assert_eq!(po::dims(&g), [1, 1, 1, 2]);
    let gv = g.as_vec();
    assert!(gv[0] > gv[1] && gv[1] > 0.0, "{gv:?}"); // luma weights red above blue
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn unreadable_image_files_are_typed_errors() {
    let d = temp_dir("bad");
    let bad = d.join("garbage.png");
    std::fs::write(&bad, b"this is not an image").unwrap();
    let e = po::data::load_image::<f32>(&bad, false).unwrap_err();
    match &e {
        Error::ImageRead { path, .. } => assert_eq!(path, &bad),
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string()
            .starts_with(&format!("could not read image {}", bad.display())),
        "{e}"
    );
    let missing = d.join("missing.pgm");
    let e = po::data::load_image::<f32>(&missing, false).unwrap_err();
    assert!(matches!(e, Error::ImageRead { .. }), "{e}");
    assert!(e.to_string().contains("missing.pgm"), "{e}");
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn white_noise_is_uniform_and_seeded() {
    let _seed = common::reference::seed_lock();
    po::tools::set_seed(3);
    let a = po::data::white_noise::<f64>(&[2, 1, 64, 64])
        .unwrap()
        .as_vec();
    po::tools::set_seed(3);
    let b = po::data::white_noise::<f64>(&[2, 1, 64, 64])
        .unwrap()
        .as_vec();
    assert_eq!(a, b);
    assert!(a.iter().all(|v| (0.0..1.0).contains(v)));
    let mean = a.iter().sum::<f64>() / a.len() as f64;
    assert!((mean - 0.5).abs() < 0.01, "{mean}");
}

fn sample_std(v: &[f64]) -> f64 {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

#[test]
fn pink_noise_planes_have_unit_std() {
    let _seed = common::reference::seed_lock();
    po::tools::set_seed(1);
    let x = po::data::pink_noise::<f64>(&[2, 2, 32, 48], 1.0).unwrap();
    assert_eq!(po::dims(&x), [2, 2, 32, 48]);
    let v = x.as_vec();
    let planes: Vec<&[f64]> = v.chunks(32 * 48).collect();
    for p in &planes {
        assert!((sample_std(p) - 1.0).abs() < 1e-12);
    }
    // planes are independent draws
    assert!(common::max_abs_diff(planes[0], planes[1]) > 0.1);
    // odd sizes too
    let y = po::data::pink_noise::<f32>(&[1, 1, 15, 9], 1.3)
        .unwrap()
        .as_vec();
    let y: Vec<f64> = y.into_iter().map(f64::from).collect();
    assert!((sample_std(&y) - 1.0).abs() < 1e-6);
}

#[test]
fn pink_noise_is_seeded() {
    let _seed = common::reference::seed_lock();
    po::tools::set_seed(7);
    let a = po::data::pink_noise::<f64>(&[1, 1, 16, 16], 1.0)
        .unwrap()
        .as_vec();
    po::tools::set_seed(7);
    let b = po::data::pink_noise::<f64>(&[1, 1, 16, 16], 1.0)
        .unwrap()
        .as_vec();
    po::tools::set_seed(7);
    let c = po::data::pink_noise::<f32>(&[1, 1, 16, 16], 1.0)
        .unwrap()
        .as_vec();
    po::tools::set_seed(8);
    let d = po::data::pink_noise::<f64>(&[1, 1, 16, 16], 1.0)
        .unwrap()
        .as_vec();
    assert_eq!(a, b);
    let c: Vec<f64> = c.into_iter().map(f64::from).collect();
    assert!(common::max_abs_diff(&a, &c) < 1e-5);
    assert!(common::max_abs_diff(&a, &d) > 0.1);
}

/// Power spectrum of an n x n image, as |FFT|^2 in row-major order.
fn power(v: &[f64], n: usize) -> Vec<f64> {
    let fft = FftPlanner::<f64>::new().plan_fft_forward(n);
    let mut a: Vec<Complex<f64>> = v.iter().map(|x| Complex::new(*x, 0.0)).collect();
    for row in a.chunks_mut(n) {
        fft.process(row);
    }
    let mut t = vec![Complex::new(0.0, 0.0); n * n];
    for i in 0..n {
        for j in 0..n {
            t[j * n + i] = a[i * n + j];
        }
    }
    for col in t.chunks_mut(n) {
        fft.process(col);
    }
    t.iter().map(|c| c.norm_sqr()).collect()
}

/// Least-squares slope of log(mean power) against log(radius) over octave bands.
fn spectral_slope(v: &[f64], n: usize) -> f64 {
    let p = power(v, n);
    let f = |k: usize| {
        if k <= n / 2 {
            k as f64
        } else {
            k as f64 - n as f64
        }
    };
    let mut pts = vec![];
    let mut lo = 4.0;
    while lo < n as f64 / 2.0 {
        let (mut s, mut r, mut c) = (0.0, 0.0, 0.0);
        for i in 0..n {
            for j in 0..n {
                let rad = (f(i).powi(2) + f(j).powi(2)).sqrt();
                if rad >= lo && rad < 2.0 * lo {
                    s += p[j * n + i];
                    r += rad.ln();
                    c += 1.0;
                }
            }
        }
        pts.push((r / c, (s / c).ln()));
        lo *= 2.0;
    }
    let m = pts.len() as f64;
    let (mx, my) = (
        pts.iter().map(|p| p.0).sum::<f64>() / m,
        pts.iter().map(|p| p.1).sum::<f64>() / m,
    );
    let num: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let den: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    num / den
}

#[test]
fn pink_noise_spectrum_falls_as_f_to_the_minus_5_minus_2d() {
    let _seed = common::reference::seed_lock();
    po::tools::set_seed(2);
    for fract_dim in [1.0, 1.5] {
        let x = po::data::pink_noise::<f64>(&[1, 1, 128, 128], fract_dim)
            .unwrap()
            .as_vec();
        let slope = spectral_slope(&x, 128);
        let want = -(5.0 - 2.0 * fract_dim);
        eprintln!("fract_dim {fract_dim}: slope {slope}");
        assert!(
            (slope - want).abs() < 0.1,
            "fract_dim {fract_dim}: slope {slope}, want {want}"
        );
    }
    // white noise is flat
    let w = po::data::white_noise::<f64>(&[1, 1, 128, 128])
        .unwrap()
        .as_vec();
    assert!(spectral_slope(&w, 128).abs() < 0.1);
}

#[test]
fn noise_refuses_bad_shapes() {
    let e = po::data::pink_noise::<f32>(&[1, 1, 1, 1], 1.0).unwrap_err();
    assert!(
        matches!(e, Error::InvalidArgument { name: "shape", .. }),
        "{e}"
    );
    assert!(e.to_string().contains("at least 2 pixels"), "{e}");
    let e = po::data::pink_noise::<f32>(&[1, 8, 8], 1.0).unwrap_err();
    assert!(matches!(e, Error::Rank { .. }), "{e}");
    let e = po::data::pink_noise::<f32>(&[1, 1, 8, 8], f64::NAN).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidArgument {
                name: "fract_dim",
                ..
            }
        ),
        "{e}"
    );
    let e = po::data::white_noise::<f32>(&[1, 0, 8, 8]).unwrap_err();
    assert!(matches!(e, Error::Empty { .. }), "{e}");
    assert!(e.to_string().contains("empty"), "{e}");
}
