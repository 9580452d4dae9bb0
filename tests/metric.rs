//! `po::metric` and `po::simulate::LaplacianPyramid` against plenoptic 1.3.0
//! (`../shared/reference-textures`, README sections 3 and 4), finite-difference gradients
//! in f64, and the tests of plenoptic's `tests/test_metric.py` (see `docs/metric-tests.md`
//! for the ones that do not apply).

mod common;

use std::path::PathBuf;

use common::reference::{grad_check, rand_image};
use dfdx::prelude::{SumTo, Trace};
use dfdx::tensor_ops::Backward;
use plenoptic as po;
use po::metric::{Metric, ModelMetric, MsSsim, Mse, Nlpd, Ssim};
use po::simulate::LaplacianPyramid;
use po::{Device, Float, Image, Model, PadMode, Result, Tape};

fn textures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference-textures")
}

/// A 2-D reference array (float32 or float64 file) as a (1, 1, h, w) image of type `E`.
fn reference<E: Float>(name: &str) -> Image<E> {
    let path = textures_dir().join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path:?}: {e}"));
    let arr = npyz::NpyFile::new(&bytes[..]).expect("valid npy");
    let shape: Vec<usize> = arr.shape().iter().map(|&s| s as usize).collect();
    let v: Vec<f64> = if name.ends_with("_f64.npy") {
        arr.into_vec::<f64>().unwrap()
    } else {
        arr.into_vec::<f32>()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect()
    };
    let (h, w) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    po::image_from_vec(v.into_iter().map(E::of_f64).collect(), &[1, 1, h, w]).unwrap()
}

fn einstein<E: Float>() -> Image<E> {
    po::cast(&po::data::einstein().unwrap())
}

fn curie<E: Float>() -> Image<E> {
    po::cast(&po::data::curie().unwrap())
}

fn value<E: Float, M: Metric>(m: &M, a: &Image<E>, b: &Image<E>) -> f64
where
    po::device::Cpu: Device<E>,
{
    let v = m.forward(a.clone(), b.clone()).unwrap().as_vec();
    assert_eq!(v.len(), 1);
    v[0].as_f64()
}

fn rel(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        a.abs()
    } else {
        ((a - b) / b).abs()
    }
}

/// Largest difference relative to the largest magnitude of the reference.
fn rel_max<E: Float>(a: &Image<E>, b: &Image<E>) -> f64 {
    let (a, b) = (a.as_vec(), b.as_vec());
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.as_f64().abs()));
    a.iter()
        .zip(&b)
        .fold(0.0f64, |m, (p, q)| m.max((p.as_f64() - q.as_f64()).abs()))
        / scale
}

type Case = (
    &'static str,
    Box<dyn Fn(&Image<f64>, &Image<f64>) -> f64>,
    Box<dyn Fn(&Image<f32>, &Image<f32>) -> f64>,
);

fn case<M: Metric + Clone + 'static>(name: &'static str, m: M) -> Case {
    let m2 = m.clone();
    (
        name,
        Box::new(move |a, b| value(&m, a, b)),
        Box::new(move |a, b| value(&m2, a, b)),
    )
}

fn cases() -> Vec<Case> {
    let r = Some(PadMode::Reflect);
    vec![
        case("ssim", Ssim::default()),
        case(
            "ssim_weighted",
            Ssim {
                weighted: true,
                pad: None,
            },
        ),
        case(
            "ssim_reflect",
            Ssim {
                weighted: false,
                pad: r,
            },
        ),
        case(
            "ssim_weighted_reflect",
            Ssim {
                weighted: true,
                pad: r,
            },
        ),
        case("ms_ssim", MsSsim::default()),
        case("nlpd", Nlpd),
        case("mse", Mse),
    ]
}

/// README section 4: every metric of einstein against the noisy einstein and against
/// curie. f64 within 1e-8 relative of plenoptic's float64 run (it is 1e-10 to 2e-9); f32 within 1e-5 relative of
/// that float64 value, and of plenoptic's float32 value within 1e-5 plus plenoptic's own
/// float32 rounding (its float32 SSIM is up to 1e-4 relative from its float64 one against
/// curie: the float32 cancellation in `σ² = E[x²] - μ²`). MS-SSIM against curie is 0.
#[test]
fn metrics_on_256_match_plenoptic() {
    let results: serde_like::Value = serde_like::load(&textures_dir().join("results.json"));
    let (e32, e64) = (einstein::<f32>(), einstein::<f64>());
    let noisy32 = reference::<f32>("metrics_noisy_einstein.npy");
    let noisy64 = reference::<f64>("metrics_noisy_einstein.npy");
    let (c32, c64) = (curie::<f32>(), curie::<f64>());
    for (other, b32, b64) in [
        ("einstein_vs_noisy", &noisy32, &noisy64),
        ("einstein_vs_curie", &c32, &c64),
    ] {
        for (name, f64_fn, f32_fn) in cases() {
            let want32 = results.get(&["metrics", other, name]);
            let want64 = results.get(&["metrics", other, &format!("{name}_f64")]);
            let (got32, got64) = (f32_fn(&e32, b32), f64_fn(&e64, b64));
            eprintln!(
                "{other} {name}: f32 {got32:.9} (plenoptic {want32:.9}, rel {:.2e}), f64 {got64:.12} (plenoptic {want64:.12}, rel {:.2e})",
                rel(got32, want32),
                rel(got64, want64)
            );
            let own = rel(want32, want64);
            assert!(rel(got32, want64) < 1e-5, "{other} {name} f32 against f64");
            assert!(rel(got32, want32) < 1e-5 + own, "{other} {name} f32");
            assert!(rel(got64, want64) < 1e-8, "{other} {name} f64");
        }
    }
}

/// A tiny reader of the flat numbers of `results.json` (no JSON crate in the tree).
mod serde_like {
    use std::path::Path;

    pub struct Value(String);

    pub fn load(path: &Path) -> Value {
        Value(std::fs::read_to_string(path).expect("results.json"))
    }

    impl Value {
        /// The number at `keys` (nested objects), found by walking the keys in order.
        pub fn get(&self, keys: &[&str]) -> f64 {
            let mut s = &self.0[..];
            for k in keys {
                let pat = format!("\"{k}\":");
                let i = s
                    .find(&pat)
                    .unwrap_or_else(|| panic!("key {k} in results.json"));
                s = &s[i + pat.len()..];
            }
            let t = s.trim_start();
            let end = t.find([',', '}', '\n']).unwrap();
            t[..end]
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("number at {keys:?}"))
        }
    }
}

/// `ssim_map` against plenoptic's: f64 to 1e-7 of the float64 map (plenoptic's window
/// is float32, the crate's a separable one scaled to its sum: 1.8e-8 here); f32 within the
/// float32 cancellation the README measures (plenoptic's f32 map is itself up to 1.6e-4 /
/// 6.5e-4 from the f64 one).
#[test]
fn ssim_map_matches_plenoptic() {
    let (e32, e64) = (einstein::<f32>(), einstein::<f64>());
    for (name, b32, b64, f32_tol) in [
        (
            "noisy",
            reference::<f32>("metrics_noisy_einstein.npy"),
            reference::<f64>("metrics_noisy_einstein.npy"),
            4e-4,
        ),
        ("curie", curie::<f32>(), curie::<f64>(), 1.5e-3),
    ] {
        let m64 = po::metric::ssim_map_of(e64.clone(), b64).unwrap();
        let m32 = po::metric::ssim_map(&e32, &b32).unwrap();
        assert_eq!(po::dims(&m32), [1, 1, 246, 246]);
        let r64 = reference::<f64>(&format!("metrics_ssim_map_einstein_{name}_f64.npy"));
        let r32 = reference::<f32>(&format!("metrics_ssim_map_einstein_{name}.npy"));
        let (d64, d32) = (rel_max(&m64, &r64), rel_max(&m32, &r32));
        eprintln!("ssim_map {name}: f64 rel {d64:.2e}, f32 rel {d32:.2e}");
        assert!(d64 < 1e-7, "ssim_map {name} f64: {d64}");
        assert!(d32 < f32_tol, "ssim_map {name} f32: {d32}");
    }
}

/// The six levels of `normalized_laplacian_pyramid(einstein)` (256 down to 8 pixels).
#[test]
fn normalized_laplacian_pyramid_matches_plenoptic() {
    let levels64 = po::metric::normalized_laplacian_pyramid_of(einstein::<f64>()).unwrap();
    let levels32 = po::metric::normalized_laplacian_pyramid(&einstein::<f32>()).unwrap();
    assert_eq!(levels32.len(), 6);
    for (i, (l64, l32)) in levels64.iter().zip(&levels32).enumerate() {
        let r = reference::<f32>(&format!("metrics_nlpd_einstein_level{i}.npy"));
        assert_eq!(po::dims(l32), po::dims(&r));
        let (d32, d64) = (rel_max(l32, &r), rel_max(&po::cast::<f64, f32, _>(l64), &r));
        eprintln!("nlp level {i}: f32 rel {d32:.2e}, f64 (vs the f32 file) rel {d64:.2e}");
        assert!(d32 < 1e-5 && d64 < 1e-5, "level {i}: {d32} {d64}");
    }
}

/// The metric of `x` against a fixed image, as a model of `x` (so the gradient checker
/// and the tape see one input); `first` puts `x` first.
struct Against<M> {
    metric: M,
    other: Image<f64>,
    first: bool,
}

impl<M: Metric> Model for Against<M> {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        let o: Image<E> = po::cast(&self.other);
        let o = po::to_device(&o, x.device()).retaped::<T>();
        if self.first {
            self.metric.forward(x, o)
        } else {
            self.metric.forward(o, x)
        }
    }
}

/// The gradient of `metric(a, b)` with respect to `a` (`first`) or `b`.
fn metric_grad<E: Float, M: Metric>(m: &M, a: &Image<E>, b: &Image<E>, first: bool) -> Image<E>
where
    po::device::Cpu: Device<E> + dfdx::tensor_ops::Device<E>,
{
    let (y, x) = if first {
        (m.forward(a.leaky_trace(), b.retaped()).unwrap(), a)
    } else {
        (m.forward(a.retaped(), b.leaky_trace()).unwrap(), b)
    };
    let grads = y.sum::<(), _>().backward();
    let g = grads.get(x).as_vec();
    po::image_from_vec(g, &po::dims(x)).unwrap()
}

/// README section 3: gradients on the 64x64 crops against plenoptic's, with respect to
/// both images, f64 against its float64 run and f32 against its float32 run.
#[test]
fn metric_gradients_match_plenoptic() {
    let a64 = reference::<f64>("einstein_crop64_r96c96.npy");
    let b64 = reference::<f64>("grad_metric_crop64_b.npy");
    let a32 = reference::<f32>("einstein_crop64_r96c96.npy");
    let b32 = reference::<f32>("grad_metric_crop64_b.npy");
    let r = Some(PadMode::Reflect);
    type Grads<'a> = Box<dyn Fn(bool) -> (Image<f64>, Image<f32>) + 'a>;
    let metrics: Vec<(&str, Grads)> = vec![
        (
            "ssim",
            Box::new(|first| {
                (
                    metric_grad(&Ssim::default(), &a64, &b64, first),
                    metric_grad(&Ssim::default(), &a32, &b32, first),
                )
            }),
        ),
        (
            "ssim_weighted_reflect",
            Box::new(|first| {
                let m = Ssim {
                    weighted: true,
                    pad: r,
                };
                (
                    metric_grad(&m, &a64, &b64, first),
                    metric_grad(&m, &a32, &b32, first),
                )
            }),
        ),
        (
            "nlpd",
            Box::new(|first| {
                (
                    metric_grad(&Nlpd, &a64, &b64, first),
                    metric_grad(&Nlpd, &a32, &b32, first),
                )
            }),
        ),
    ];
    for (name, f) in metrics {
        for (first, which) in [(true, "img1"), (false, "img2")] {
            let (g64, g32) = f(first);
            let r64 = reference::<f64>(&format!("grad_{name}_crop64_wrt_{which}_f64.npy"));
            let r32 = reference::<f32>(&format!("grad_{name}_crop64_wrt_{which}.npy"));
            let (d64, d32) = (rel_max(&g64, &r64), rel_max(&g32, &r32));
            eprintln!("grad {name} wrt {which}: f64 rel {d64:.2e}, f32 rel {d32:.2e}");
            assert!(d64 < 1e-8, "{name} {which} f64: {d64}");
            assert!(d32 < 1e-3, "{name} {which} f32: {d32}");
        }
    }
}

/// Finite differences in f64 (relative error < 1e-6) for every metric, with respect to
/// either image, on batch 2 / channel 1 images (ms-ssim on 48x48 so its five scales fit).
#[test]
fn metric_gradients_by_finite_differences() {
    let check = |name: &str, m: &dyn Fn(Image<f64>, bool) -> f64| {
        for first in [true, false] {
            let err = m(rand_image(5, [2, 1, 24, 26], 0.1, 0.9), first);
            eprintln!("finite differences {name} (first: {first}): {err:.2e}");
            assert!(err < 1e-6, "{name} first={first}: {err}");
        }
    };
    let other = rand_image(6, [2, 1, 24, 26], 0.1, 0.9);
    macro_rules! fd {
        ($name:expr, $m:expr, $other:expr, $x:expr) => {{
            let o = $other;
            check($name, &|x, first| {
                grad_check(
                    &Against {
                        metric: $m,
                        other: o.clone(),
                        first,
                    },
                    &$x(x),
                    9,
                )
            });
        }};
    }
    let id = |x| x;
    fd!("ssim", Ssim::default(), other.clone(), id);
    fd!(
        "ssim weighted reflect",
        Ssim {
            weighted: true,
            pad: Some(PadMode::Reflect)
        },
        other.clone(),
        id
    );
    fd!(
        "ssim weighted circular",
        Ssim {
            weighted: true,
            pad: Some(PadMode::Circular)
        },
        other.clone(),
        id
    );
    fd!("mse", Mse, other.clone(), id);
    fd!(
        "nlpd",
        Nlpd,
        rand_image(6, [2, 1, 64, 64], 0.1, 0.9),
        |_| rand_image(5, [2, 1, 64, 64], 0.1, 0.9)
    );
    fd!(
        "ms_ssim",
        MsSsim::default(),
        rand_image(6, [1, 1, 48, 48], 0.3, 0.7),
        |_| {
            // close images, so every scale's mean is positive
            let base = rand_image(6, [1, 1, 48, 48], 0.3, 0.7).as_vec();
            let noise = rand_image(7, [1, 1, 48, 48], -0.05, 0.05).as_vec();
            po::image_from_vec(
                base.iter().zip(&noise).map(|(a, b)| a + b).collect(),
                &[1, 1, 48, 48],
            )
            .unwrap()
        }
    );
    let gauss = po::simulate::Gaussian::builder((5, 5))
        .std(1.5)
        .build()
        .unwrap();
    fd!(
        "model_metric",
        ModelMetric(gauss.clone()),
        other.clone(),
        id
    );
}

/// The Laplacian pyramid as one output (the sum of squares of every level), for the
/// gradient check.
struct PyramidEnergy(LaplacianPyramid);

impl Model for PyramidEnergy {
    fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> Result<Image<E, T, D>> {
        let mut total: Option<Image<E, T, D>> = None;
        for l in self.0.forward(x)? {
            let s = po::ops::sum_squares(l)?;
            total = Some(match total {
                None => s,
                Some(t) => po::ops::map2(t, s, |a, b, _| (a + b, E::one(), E::one()))?,
            });
        }
        Ok(total.unwrap())
    }
}

/// LaplacianPyramid: sizes (odd and even), exact reconstruction (plenoptic's
/// `recon_pyr`), gradients by finite differences, and errors.
#[test]
fn laplacian_pyramid_reconstructs_and_differentiates() {
    for scale_filter in [false, true] {
        let lp = LaplacianPyramid::new(4, scale_filter).unwrap();
        let x = rand_image(3, [2, 1, 27, 32], 0.0, 1.0);
        let levels = lp.forward(x.clone()).unwrap();
        let sizes: Vec<[usize; 4]> = levels.iter().map(po::dims).collect();
        assert_eq!(
            sizes,
            vec![[2, 1, 27, 32], [2, 1, 14, 16], [2, 1, 7, 8], [2, 1, 4, 4]]
        );
        let back = lp.recon_pyr(levels).unwrap();
        let err = rel_max(&back, &x);
        assert!(err < 1e-12, "reconstruction error {err}");
        let g = grad_check(&PyramidEnergy(lp), &x, 4);
        assert!(g < 1e-6, "laplacian pyramid gradient: {g}");
    }
    assert!(LaplacianPyramid::new(0, true).is_err());
    let lp = LaplacianPyramid::new(5, true).unwrap();
    let small = rand_image(3, [1, 1, 6, 6], 0.0, 1.0);
    assert!(matches!(
        lp.forward(small),
        Err(po::Error::PaddingTooLarge { .. })
    ));
}

// ---- plenoptic tests/test_metric.py ----

/// `test_ssim_grad`, `test_msssim_grad`, `test_nlpd_grad`, `test_model_metric_grad`
/// (OnOff): the metric of einstein and curie is differentiable with respect to curie
/// (a finite, non-zero gradient, except MS-SSIM, which is 0 with a zero gradient there).
#[test]
fn metrics_have_gradients() {
    let (e, c) = (einstein::<f32>(), curie::<f32>());
    let nonzero = |g: &Image<f32>| {
        let v = g.as_vec();
        assert!(v.iter().all(|x| x.is_finite()));
        v.iter().map(|x| x.abs()).fold(0.0f32, f32::max)
    };
    for weighted in [true, false] {
        assert!(
            nonzero(&metric_grad(
                &Ssim {
                    weighted,
                    pad: None
                },
                &e,
                &c,
                false
            )) > 0.0
        );
    }
    assert!(nonzero(&metric_grad(&Nlpd, &e, &c, false)) > 0.0);
    // MS-SSIM(einstein, curie) is 0 (a negative scale mean): plenoptic's gradient is 0 too
    assert_eq!(
        nonzero(&metric_grad(&MsSsim::default(), &e, &c, false)),
        0.0
    );
    let noisy = reference::<f32>("metrics_noisy_einstein.npy");
    assert!(nonzero(&metric_grad(&MsSsim::default(), &e, &noisy, false)) > 0.0);
    let onoff = po::simulate::OnOff::builder((31, 31))
        .pretrained(true)
        .build()
        .unwrap();
    assert!(nonzero(&metric_grad(&ModelMetric(onoff), &e, &c, false)) > 0.0);
}

/// `test_batch_handling`: sizes (batch, channel) of the two images broadcast (each the
/// same or 1) to the larger, otherwise a shape error; for ssim, ms-ssim and nlpd. (The
/// cases with fewer than four dimensions cannot be written: images are 4-D by type.) On
/// 64x64 crops instead of 256x256, to keep the 108 cases fast.
#[test]
fn batch_handling() {
    let e = reference::<f32>("einstein_crop64_r96c96.npy");
    let c = reference::<f32>("grad_metric_crop64_b.npy");
    let rep = |img: &Image<f32>, (n, ch): (usize, usize)| {
        let v = img.as_vec();
        po::image_from_vec(v.repeat(n * ch), &[n, ch, 64, 64]).unwrap()
    };
    let sizes_a = [(1, 1), (6, 3), (6, 1), (6, 4)];
    let sizes_b = [(1, 1), (6, 3), (3, 1), (1, 4)];
    type F<'a> = &'a dyn Fn(&Image<f32>, &Image<f32>) -> Result<Image<f32>>;
    let funcs: [(&str, F); 3] = [
        ("ssim", &|a, b| po::metric::ssim(a, b)),
        ("ms-ssim", &|a, b| po::metric::ms_ssim(a, b)),
        ("nlpd", &|a, b| po::metric::nlpd(a, b)),
    ];
    for (name, f) in funcs {
        for sa in sizes_a {
            for sb in sizes_b {
                let fits = |x: usize, y: usize| x == y || x == 1 || y == 1;
                let (got, shown) = po::warnings::catch(|| f(&rep(&e, sa), &rep(&c, sb)));
                if fits(sa.0, sb.0) && fits(sa.1, sb.1) {
                    // plenoptic warns when the channels (of either image) are more than one
                    let per_channel = shown
                        .iter()
                        .any(|w| w.contains("computed separately for each channel"));
                    assert_eq!(per_channel, sa.1.max(sb.1) > 1, "{name} {sa:?} {sb:?}");
                    let d = po::dims(&got.unwrap());
                    assert_eq!(
                        d,
                        [sa.0.max(sb.0), sa.1.max(sb.1), 1, 1],
                        "{name} {sa:?} {sb:?}"
                    );
                } else {
                    assert!(
                        matches!(got, Err(po::Error::ShapeMismatch { .. })),
                        "{name} {sa:?} {sb:?}"
                    );
                }
            }
        }
    }
    // broadcast copies give the same values as the unbroadcast pair
    let one = po::metric::ssim(&e, &c).unwrap().as_vec()[0];
    let many = po::metric::ssim(&rep(&e, (2, 3)), &c).unwrap().as_vec();
    assert!(many.iter().all(|v| (v - one).abs() < 1e-6));
}

/// plenoptic's warnings (`UserWarning`s of `perceptual_distance.py`): images outside
/// [0, 1] (each metric names itself), images smaller than SSIM's window, MS-SSIM scales
/// smaller than it; none for grayscale images in range at 256x256.
#[test]
fn warnings_as_plenoptic() {
    let e = einstein::<f32>();
    let c = curie::<f32>();
    let out = po::image_from_vec(
        e.as_vec().iter().map(|v| v * 1.5 - 0.2).collect(),
        &[1, 1, 256, 256],
    )
    .unwrap();
    let range =
        |what: &str| format!("Image range falls outside [0, 1]. {what} output may not make sense.");
    let small = "SSIM uses 11x11 convolutional kernel, but the height and/or the width of the \
        input image is smaller than 11, so the kernel size is set to be the minimum of these \
        two numbers.";
    let shown = |f: &dyn Fn() -> Result<Image<f32>>| {
        let (r, w) = po::warnings::catch(f);
        r.unwrap();
        w
    };
    assert!(shown(&|| po::metric::ssim(&e, &c)).is_empty());
    assert!(shown(&|| po::metric::ms_ssim(&e, &c)).is_empty());
    assert!(shown(&|| po::metric::nlpd(&e, &c)).is_empty());
    assert_eq!(shown(&|| po::metric::ssim(&e, &out)), [range("SSIM")]);
    assert_eq!(shown(&|| po::metric::ssim_map(&out, &c)), [range("SSIM")]);
    assert_eq!(shown(&|| po::metric::nlpd(&out, &c)), [range("NLPD")]);
    // MS-SSIM checks each of its scales (as plenoptic's `_ssim_parts` calls): the 2x2
    // averages bring the coarsest back inside [0, 1]
    let w = shown(&|| po::metric::ms_ssim(&out, &c));
    assert!(
        !w.is_empty() && w.len() < 6 && w.iter().all(|m| *m == range("MS-SSIM")),
        "{w:?}"
    );
    let tiny = |x: &Image<f32>| {
        po::image_from_vec(x.as_vec()[..10 * 10].to_vec(), &[1, 1, 10, 10]).unwrap()
    };
    assert_eq!(shown(&|| po::metric::ssim(&tiny(&e), &tiny(&c))), [small]);
    assert_eq!(
        shown(&|| po::metric::ssim_map(&tiny(&e), &tiny(&c))),
        [small]
    );
    let weighted = Ssim {
        weighted: true,
        pad: Some(PadMode::Reflect),
    };
    assert_eq!(shown(&|| weighted.forward(tiny(&e), tiny(&c))), [small]);
    // 5 scales of 64x64: the coarsest is 4x4
    let crop = reference::<f32>("einstein_crop64_r96c96.npy");
    let w = shown(&|| po::metric::ms_ssim(&crop, &crop));
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("for some scales of the input image"), "{w:?}");
    // printed once per message outside `catch` (stderr is not captured here: no panic)
    po::metric::ssim(&e, &out).unwrap();
    po::metric::ssim(&e, &out).unwrap();
}

/// `test_ssim_dtype`, `test_msssim_dtype`: float64 images work (and agree with f32).
/// (`test_*_dtype_exception`: two images of different element types do not compile.)
#[test]
fn float64_images() {
    let (e, c) = (einstein::<f64>(), curie::<f64>());
    let s = value(&Ssim::default(), &e, &c);
    assert!(
        rel(
            s,
            value(&Ssim::default(), &einstein::<f32>(), &curie::<f32>())
        ) < 1e-4
    );
    assert_eq!(value(&MsSsim::default(), &e, &c), 0.0);
}

/// Bad input: images of different heights or widths, a metric's options, and the
/// differentiable path's errors are typed.
#[test]
fn bad_input_is_a_typed_error() {
    let a = rand_image(1, [1, 1, 32, 32], 0.0, 1.0);
    let b = rand_image(2, [1, 1, 32, 30], 0.0, 1.0);
    for r in [
        Ssim::default().forward(a.clone(), b.clone()),
        MsSsim::default().forward(a.clone(), b.clone()),
        Nlpd.forward(a.clone(), b.clone()),
        Mse.forward(a.clone(), b.clone()),
    ] {
        assert!(matches!(r, Err(po::Error::ShapeMismatch { .. })));
    }
    let empty = MsSsim {
        power_factors: vec![],
    }
    .forward(a.clone(), a.clone());
    assert!(matches!(empty, Err(po::Error::InvalidArgument { .. })));
    // nlpd needs six levels (reflect padding of 2 needs 3 pixels at the fifth)
    let tiny = rand_image(3, [1, 1, 4, 4], 0.0, 1.0);
    assert!(matches!(
        Nlpd.forward(tiny.clone(), tiny),
        Err(po::Error::PaddingTooLarge { .. })
    ));
    // representations of different shapes
    let g = po::simulate::Gaussian::builder((5, 5))
        .std(1.5)
        .build()
        .unwrap();
    let r = ModelMetric(g).forward(a, b);
    assert!(matches!(r, Err(po::Error::ShapeMismatch { .. })));
}
