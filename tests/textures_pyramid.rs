//! SteerablePyramidFreq against plenoptic 1.3.0's bands and reconstructions
//! (`../shared/reference-textures`, README section 1), in f32 and f64.

mod common;

use common::textures::{npy, npy64};
use plenoptic as po;
use po::simulate::{PyrKey, Scale, SteerablePyramidFreq};

struct Case {
    name: &'static str,
    crop: bool,
    height: Option<usize>,
    order: usize,
    twidth: f64,
    complex: bool,
    downsample: bool,
}

const fn case(name: &'static str, crop: bool, height: Option<usize>, order: usize) -> Case {
    Case {
        name,
        crop,
        height,
        order,
        twidth: 1.0,
        complex: false,
        downsample: true,
    }
}

fn image<E: po::Float>(crop: bool) -> po::Image<E> {
    let v: Vec<f64> = if crop {
        npy64("einstein_crop64_r96c96.npy").0
    } else {
        po::data::einstein()
            .unwrap()
            .as_vec()
            .into_iter()
            .map(f64::from)
            .collect()
    };
    let s = if crop { 64 } else { 256 };
    po::image_from_vec(v.into_iter().map(E::of_f64).collect(), &[1, 1, s, s]).unwrap()
}

fn pyramid(c: &Case) -> SteerablePyramidFreq {
    let n = if c.crop { 64 } else { 256 };
    let mut b = SteerablePyramidFreq::builder((n, n))
        .order(c.order)
        .twidth(c.twidth)
        .is_complex(c.complex)
        .downsample(c.downsample);
    if let Some(h) = c.height {
        b = b.height(h);
    }
    b.build().unwrap()
}

/// Largest |ours - reference| relative to the reference's largest magnitude.
fn rel_err(ours: &[f64], reference: &[f64]) -> f64 {
    assert_eq!(ours.len(), reference.len());
    let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    common::max_abs_diff(ours, reference) / scale
}

fn as64<E: po::Float>(x: &po::Image<E>) -> Vec<f64> {
    x.as_vec().into_iter().map(|v| v.as_f64()).collect()
}

/// Every saved band (and the reconstruction, when saved) of `c` within `tol` (relative
/// to each reference's largest value), computed in `E` against the files with `suffix`.
fn check<E: po::Float>(c: &Case, suffix: &str, tol: f64, recon_tol: f64)
where
    po::device::Cpu: po::Device<E>,
{
    let pyr = pyramid(c);
    let coeffs = pyr.forward(image::<E>(c.crop)).unwrap();
    let dir = common::textures::dir();
    let file = |part: &str| format!("spyr_{}_{part}{suffix}.npy", c.name);
    let mut checked = 0;
    let mut worst = 0.0f64;
    let mut cmp = |name: String, ours: Vec<f64>| {
        if !dir.join(&name).exists() {
            return;
        }
        let (r, _) = npy64(&name);
        let e = rel_err(&ours, &r);
        worst = worst.max(e);
        assert!(e < tol, "{name}: relative error {e:.3e} >= {tol:.0e}");
        checked += 1;
    };
    cmp(
        file("hp"),
        as64(&coeffs.band(&PyrKey::ResidualHighpass).unwrap()),
    );
    cmp(
        file("lp"),
        as64(&coeffs.band(&PyrKey::ResidualLowpass).unwrap()),
    );
    for s in 0..pyr.num_scales() {
        let (mut re, mut im) = (Vec::new(), Vec::new());
        for o in 0..pyr.num_orientations() {
            re.extend(as64(&coeffs.band(&PyrKey::Band(s, o)).unwrap()));
            if c.complex {
                im.extend(as64(&coeffs.band_imag(&PyrKey::Band(s, o)).unwrap()));
            }
        }
        if c.complex {
            cmp(file(&format!("s{s}_re")), re);
            cmp(file(&format!("s{s}_im")), im);
        } else {
            cmp(file(&format!("s{s}")), re);
        }
    }
    let recon_name = file("recon");
    if dir.join(&recon_name).exists() {
        let recon = pyr.recon_pyr(coeffs, None, None).unwrap();
        let (r, _) = npy64(&recon_name);
        let e = common::max_abs_diff(&as64(&recon), &r);
        assert!(e < recon_tol, "{recon_name}: max abs error {e:.3e}");
        checked += 1;
    }
    eprintln!(
        "{} {suffix}: {checked} arrays, worst relative error {worst:.2e}",
        c.name
    );
    assert!(
        checked >= 3,
        "{}: only {checked} reference arrays found",
        c.name
    );
}

fn cases() -> Vec<Case> {
    vec![
        case("einstein_real_h4", false, Some(4), 3),
        Case {
            complex: true,
            ..case("einstein_cplx_h4", false, Some(4), 3)
        },
        case("einstein_real_h4_o1", false, Some(4), 1),
        case("einstein_real_auto", false, None, 3),
        case("crop64_real_h4", true, Some(4), 3),
        Case {
            complex: true,
            ..case("crop64_cplx_h4", true, Some(4), 3)
        },
        Case {
            downsample: false,
            ..case("crop64_real_h4_nods", true, Some(4), 3)
        },
        Case {
            complex: true,
            downsample: false,
            ..case("crop64_cplx_h4_nods", true, Some(4), 3)
        },
        Case {
            twidth: 2.0,
            ..case("crop64_real_h3_tw2", true, Some(3), 3)
        },
    ]
}

#[test]
fn bands_and_recon_match_plenoptic_f32() {
    for c in cases() {
        // recon: plenoptic's float32 reconstruction is itself off by ~5e-6
        check::<f32>(&c, "", 1e-5, 2e-6);
    }
}

#[test]
fn bands_and_recon_match_plenoptic_f64() {
    for c in cases().into_iter().filter(|c| c.crop && c.twidth == 1.0) {
        // plenoptic's float64 reconstruction passes through complex64
        check::<f64>(&c, "_f64", 1e-12, 1e-6);
    }
}

#[test]
fn auto_height_shares_the_first_scales() {
    let auto = pyramid(&case("x", false, None, 3));
    assert_eq!(auto.num_scales(), 6);
    let (r, shape) = npy("spyr_einstein_real_h4_s0.npy");
    assert_eq!(shape, vec![4, 256, 256]);
    let coeffs = auto.forward(image::<f32>(false)).unwrap();
    let ours: Vec<f64> = (0..4)
        .flat_map(|o| as64(&coeffs.band(&PyrKey::Band(0, o)).unwrap()))
        .collect();
    let r: Vec<f64> = r.into_iter().map(f64::from).collect();
    assert!(rel_err(&ours, &r) < 1e-5);
}

#[test]
fn recon_of_selected_levels_and_bands_adds_up() {
    let pyr = pyramid(&case("x", true, Some(3), 3));
    let x = image::<f64>(true);
    let coeffs = pyr.forward(x).unwrap();
    let all = as64(&pyr.recon_pyr(coeffs.clone(), None, None).unwrap());
    let mut sum = vec![0.0; all.len()];
    let levels = [
        Scale::named("residual_highpass"),
        Scale::Index(0),
        Scale::Index(1),
        Scale::Index(2),
        Scale::named("residual_lowpass"),
    ];
    for l in &levels {
        for b in 0..4 {
            if matches!(l, Scale::Named(_)) && b > 0 {
                continue;
            }
            let bands = [b];
            let part = pyr
                .recon_pyr(coeffs.clone(), Some(std::slice::from_ref(l)), Some(&bands))
                .unwrap();
            sum.iter_mut().zip(as64(&part)).for_each(|(a, v)| *a += v);
        }
    }
    assert!(common::max_abs_diff(&sum, &all) < 1e-12);
    assert!(matches!(
        pyr.recon_pyr(coeffs.clone(), Some(&[Scale::Index(3)]), None),
        Err(po::Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        pyr.recon_pyr(coeffs, None, Some(&[4])),
        Err(po::Error::InvalidArgument { .. })
    ));
}

#[test]
fn bad_pyramids_are_refused() {
    let b = || SteerablePyramidFreq::builder((64, 64));
    // floor(log2 64) - 2 = 4
    assert!(b().height(4).build().is_ok());
    assert!(matches!(
        b().height(5).build(),
        Err(po::Error::InvalidArgument { name: "height", .. })
    ));
    assert!(matches!(
        b().order(16).build(),
        Err(po::Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        b().order(0).is_complex(true).build(),
        Err(po::Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        b().twidth(0.0).build(),
        Err(po::Error::InvalidArgument { .. })
    ));
    let pyr = b().height(2).build().unwrap();
    assert!(matches!(
        pyr.forward(image::<f32>(false)),
        Err(po::Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        pyr.forward_tensor(image::<f32>(true)),
        Err(po::Error::InvalidArgument { .. })
    ));
}

#[test]
fn forward_tensor_stacks_the_bands_as_channels() {
    let c = Case {
        complex: true,
        downsample: false,
        ..case("crop64_cplx_h4_nods", true, Some(4), 3)
    };
    let pyr = pyramid(&c);
    let t = pyr.forward_tensor(image::<f32>(true)).unwrap();
    // highpass, 16 complex bands as 32 channels, lowpass
    assert_eq!(po::dims(&t), [1, 34, 64, 64]);
    let v = as64(&t);
    let n = 64 * 64;
    let (re, _) = npy64("spyr_crop64_cplx_h4_nods_s1_re.npy");
    let (im, _) = npy64("spyr_crop64_cplx_h4_nods_s1_im.npy");
    // scale 1, orientation 2: channel 1 + 2 * (4 + 2)
    let ch = 1 + 2 * (4 + 2);
    assert!(rel_err(&v[ch * n..(ch + 1) * n], &re[2 * n..3 * n]) < 1e-5);
    assert!(rel_err(&v[(ch + 1) * n..(ch + 2) * n], &im[2 * n..3 * n]) < 1e-5);
}

#[test]
fn tight_frame_keeps_the_energy() {
    let pyr = SteerablePyramidFreq::builder((64, 64))
        .height(3)
        .tight_frame(true)
        .build()
        .unwrap();
    let x = image::<f64>(true);
    let e_img: f64 = as64(&x).iter().map(|v| v * v).sum();
    let coeffs = pyr.forward(x.clone()).unwrap();
    let e_coeffs: f64 = as64(coeffs.tensor()).iter().map(|v| v * v).sum();
    assert!(
        (e_coeffs / e_img - 1.0).abs() < 1e-4,
        "{e_coeffs} vs {e_img}"
    );
    let recon = as64(&pyr.recon_pyr(coeffs, None, None).unwrap());
    assert!(common::max_abs_diff(&recon, &as64(&x)) < 1e-4);
}

/// Finite differences (f64) of `sum(w * op(x))` against the op's backward, for the
/// spectral analysis (complex pyramid bands) and the synthesis (its reconstruction).
/// Asserts that `g`, the gradient of `f` at `v`, agrees within 1e-7 with f64 central
/// differences (step 1e-6) at the indices `at` (`what` names an index in the message).
fn assert_central_differences(
    what: &str,
    f: impl Fn(&[f64]) -> f64,
    v: &[f64],
    g: &[f64],
    at: &[usize],
) {
    let h = 1e-6;
    for &p in at {
        let (mut a, mut b) = (v.to_vec(), v.to_vec());
        a[p] += h;
        b[p] -= h;
        let fd = (f(&a) - f(&b)) / (2.0 * h);
        assert!((fd - g[p]).abs() < 1e-7, "{what} {p}: {fd} vs {}", g[p]);
    }
}

#[test]
fn spectral_ops_gradients_match_finite_differences_f64() {
    use po::dfdx::prelude::Trace;
    let pyr = SteerablePyramidFreq::builder((16, 16))
        .height(2)
        .is_complex(true)
        .build()
        .unwrap();
    let xv: Vec<f64> = (0..256)
        .map(|i| ((i * 37 % 101) as f64 / 101.0).sin())
        .collect();
    let x = po::image_from_vec(xv.clone(), &[1, 1, 16, 16]).unwrap();
    let n_out = po::dims(pyr.forward(x.clone()).unwrap().tensor())[3];
    let wv: Vec<f64> = (0..n_out)
        .map(|i| (i * 13 % 29) as f64 / 29.0 - 0.5)
        .collect();
    let f = |v: &[f64]| -> f64 {
        let x = po::image_from_vec(v.to_vec(), &[1, 1, 16, 16]).unwrap();
        let y = pyr.forward(x).unwrap().into_tensor().as_vec();
        y.iter().zip(&wv).map(|(a, b)| a * b).sum()
    };
    let y = pyr.forward(x.leaky_trace()).unwrap().into_tensor();
    let g = po::ops::backward_with(y, wv.clone())
        .unwrap()
        .get(&x)
        .as_vec();
    assert_central_differences("analysis, pixel", f, &xv, &g, &[0, 17, 100, 255]);
    // the reconstruction as a function of the bands
    let bands = pyr.forward(x.clone()).unwrap().into_tensor();
    let bv = bands.as_vec();
    let recon = |v: &[f64]| -> Vec<f64> {
        let t = po::image_from_vec(v.to_vec(), &[1, 1, 1, n_out]).unwrap();
        po::ops::spectral_synthesis(t, &recon_plan(&pyr))
            .unwrap()
            .as_vec()
    };
    let w2: Vec<f64> = (0..256).map(|i| (i * 7 % 19) as f64 / 19.0 - 0.5).collect();
    let fr = |v: &[f64]| -> f64 { recon(v).iter().zip(&w2).map(|(a, b)| a * b).sum() };
    let t = po::image_from_vec(bv.clone(), &[1, 1, 1, n_out]).unwrap();
    let r = po::ops::spectral_synthesis(t.leaky_trace(), &recon_plan(&pyr)).unwrap();
    let g = po::ops::backward_with(r, w2.clone())
        .unwrap()
        .get(&t)
        .as_vec();
    let at = [0, 5, 300, n_out / 2, n_out - 1];
    assert_central_differences("synthesis, band value", fr, &bv, &g, &at);
}

fn recon_plan(pyr: &SteerablePyramidFreq) -> std::sync::Arc<po::ops::SpectralPlan> {
    pyr.recon_plan()
}

#[test]
fn pyrshow_shows_every_band() {
    let pyr = pyramid(&Case {
        complex: true,
        ..case("x", false, Some(3), 3)
    });
    let coeffs = pyr.forward(image::<f32>(false)).unwrap();
    let fig = po::display::pyrshow(&coeffs, 0).unwrap();
    // highpass, 3 scales x 4 orientations x (real, imag), lowpass
    assert_eq!(fig.len(), 1 + 3 * 4 * 2 + 1);
    assert_eq!(fig.n_cols(), 8);
    assert_eq!(fig.panels()[1].shape(), (256, 256));
    assert_eq!(fig.panels()[9].shape(), (128, 128));
    assert_eq!(fig.panels()[25].shape(), (32, 32));
    fig.save(std::env::temp_dir().join("plenoptic-pyrshow.png"))
        .unwrap();
    assert!(po::display::pyrshow(&coeffs, 1).is_err());
}

/// plenoptic's `forward(x, scales)`: each subset's bands are the full pyramid's (and
/// plenoptic's reference bands), in plenoptic's order, and its gradient is the full
/// pyramid's with the other bands' weights zero.
#[test]
fn scale_subsets_are_the_full_pyramids_bands() {
    let c = case("einstein_real_h4", false, Some(4), 3);
    let pyr = pyramid(&c);
    let x = image::<f32>(false);
    let full = pyr.forward(x.clone()).unwrap();
    let hp = Scale::named("residual_highpass");
    let lp = Scale::named("residual_lowpass");
    let subsets: Vec<Vec<Scale>> = vec![
        vec![Scale::Index(2)],
        vec![hp.clone(), Scale::Index(0)],
        vec![
            lp.clone(),
            Scale::Index(3),
            Scale::Index(1),
            Scale::Index(1),
        ],
        vec![lp.clone()],
    ];
    for scales in &subsets {
        let part = pyr.forward_scales(x.clone(), scales).unwrap();
        let want: Vec<PyrKey> = full
            .keys()
            .into_iter()
            .filter(|k| match k {
                PyrKey::ResidualHighpass => scales.contains(&hp),
                PyrKey::ResidualLowpass => scales.contains(&lp),
                PyrKey::Band(s, _) => scales.contains(&Scale::Index(*s)),
            })
            .collect();
        assert_eq!(part.keys(), want, "{scales:?}");
        for k in &want {
            let (a, b) = (part.band(k).unwrap(), full.band(k).unwrap());
            assert_eq!(po::dims(&a), po::dims(&b));
            assert_eq!(a.as_vec(), b.as_vec(), "{scales:?}: band {k}");
        }
        // against plenoptic: scale s's bands, orientation-major
        for s in (0..4).filter(|s| scales.contains(&Scale::Index(*s))) {
            let (r, _) = npy64(&format!("spyr_{}_s{s}.npy", c.name));
            let ours: Vec<f64> = (0..4)
                .flat_map(|o| as64(&part.band(&PyrKey::Band(s, o)).unwrap()))
                .collect();
            assert!(rel_err(&ours, &r) < 1e-5, "scale {s}");
        }
    }
    let all = vec![
        hp.clone(),
        Scale::Index(3),
        Scale::Index(2),
        Scale::Index(1),
    ];
    let all = [all, vec![Scale::Index(0), lp.clone()]].concat();
    let whole = pyr.forward_scales(x.clone(), &all).unwrap();
    assert_eq!(whole.tensor().as_vec(), full.tensor().as_vec());
    // bad scales
    for bad in [
        vec![Scale::Index(4)],
        vec![Scale::named("residual")],
        vec![],
    ] {
        assert!(
            matches!(
                pyr.forward_scales(x.clone(), &bad),
                Err(po::Error::InvalidArgument { name: "scales", .. })
            ),
            "{bad:?}"
        );
    }
    // a subset cannot be reconstructed or steered
    let part = pyr.forward_scales(x.clone(), &[Scale::Index(1)]).unwrap();
    assert!(matches!(
        pyr.recon_pyr(part, None, None),
        Err(po::Error::InvalidArgument { .. })
    ));
    let part = pyr.forward_scales(x, &[Scale::Index(1)]).unwrap();
    assert!(matches!(
        pyr.steer_coeffs(part, &[0.5], true),
        Err(po::Error::InvalidArgument { .. })
    ));
}

#[test]
fn scale_subset_gradient_is_the_full_pyramids() {
    use po::dfdx::prelude::Trace;
    let pyr = SteerablePyramidFreq::builder((32, 32))
        .height(2)
        .is_complex(true)
        .build()
        .unwrap();
    let xv: Vec<f64> = (0..1024).map(|i| ((i * 37 % 101) as f64).sin()).collect();
    let x = po::image_from_vec(xv, &[1, 1, 32, 32]).unwrap();
    let scales = [Scale::Index(1), Scale::named("residual_highpass")];
    let part = pyr.forward_scales(x.leaky_trace(), &scales).unwrap();
    let n = po::dims(part.tensor())[3];
    let w: Vec<f64> = (0..n).map(|i| (i * 13 % 29) as f64 / 29.0 - 0.5).collect();
    // the same weights on the full pyramid's bands of those scales, zero elsewhere
    let full = pyr.forward(x.clone()).unwrap();
    let mut wf = Vec::new();
    let mut used = 0;
    for k in full.keys() {
        let len = full.band(&k).unwrap().as_vec().len() * if full.is_complex(&k) { 2 } else { 1 };
        if part.keys().contains(&k) {
            wf.extend_from_slice(&w[used..used + len]);
            used += len;
        } else {
            wf.extend(std::iter::repeat_n(0.0, len));
        }
    }
    assert_eq!(used, n);
    let g = po::ops::backward_with(part.into_tensor(), w)
        .unwrap()
        .get(&x)
        .as_vec();
    let full = pyr.forward(x.leaky_trace()).unwrap();
    let gf = po::ops::backward_with(full.into_tensor(), wf)
        .unwrap()
        .get(&x)
        .as_vec();
    let scale = gf.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(scale > 0.0);
    assert!(common::max_abs_diff(&g, &gf) < 1e-12 * scale);
}

/// pyrtools' steering weights, written out: for `num` basis filters at `pi * k / num`
/// with the `num` lowest even or odd harmonics `h`, `w_k(a) = sum_h c_h cos(h (a -
/// pi k / num)) / num`, `c_0 = 1` and `c_h = 2` otherwise.
fn analytic_weights(num: usize, a: f64) -> Vec<f64> {
    (0..num)
        .map(|k| {
            let t = std::f64::consts::PI * k as f64 / num as f64;
            (1 - num % 2..num)
                .step_by(2)
                .map(|h| {
                    if h == 0 {
                        1.0
                    } else {
                        2.0 * (h as f64 * (a - t)).cos()
                    }
                })
                .sum::<f64>()
                / num as f64
        })
        .collect()
}

#[test]
fn steering_to_a_basis_angle_gives_its_band() {
    for order in [0, 1, 2, 3, 4] {
        let pyr = pyramid(&case("x", true, Some(3), order));
        let num = order + 1;
        let coeffs = pyr.forward(image::<f64>(true)).unwrap();
        let angles: Vec<f64> = (0..num)
            .map(|k| std::f64::consts::PI * k as f64 / num as f64)
            .collect();
        let (steered, weights) = pyr.steer_coeffs(coeffs.clone(), &angles, true).unwrap();
        let keys: Vec<PyrKey> = (0..3)
            .flat_map(|s| (0..num).map(move |j| PyrKey::Band(s, num + j)))
            .collect();
        assert_eq!(steered.keys(), keys);
        assert_eq!(weights.len(), 3 * num);
        for s in 0..3 {
            for k in 0..num {
                let a = as64(&steered.band(&PyrKey::Band(s, num + k)).unwrap());
                let b = as64(&coeffs.band(&PyrKey::Band(s, k)).unwrap());
                let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                let e = common::max_abs_diff(&a, &b) / scale;
                assert!(e < 1e-12, "order {order}, scale {s}, band {k}: {e:.2e}");
                let (key, w) = &weights[s * num + k];
                assert_eq!(*key, PyrKey::Band(s, k));
                for (j, v) in w.iter().enumerate() {
                    let want = if j == k { 1.0 } else { 0.0 };
                    assert!((v - want).abs() < 1e-12, "order {order}: {w:?}");
                }
            }
        }
    }
}

#[test]
fn steered_bands_are_the_analytic_combination() {
    let angles = [0.3, 1.234, -2.0, 7.5];
    for order in [1, 2, 3] {
        let num = order + 1;
        let pyr = pyramid(&case("x", true, Some(2), order));
        let c64 = pyr.forward(image::<f64>(true)).unwrap();
        let c32 = pyr.forward(image::<f32>(true)).unwrap();
        let (s64, w64) = pyr.steer_coeffs(c64.clone(), &angles, true).unwrap();
        let (s32, _) = pyr.steer_coeffs(c32, &angles, true).unwrap();
        for s in 0..2 {
            let bands: Vec<Vec<f64>> = (0..num)
                .map(|k| as64(&c64.band(&PyrKey::Band(s, k)).unwrap()))
                .collect();
            for (j, &a) in angles.iter().enumerate() {
                let w = analytic_weights(num, a);
                let got = &w64[s * angles.len() + j].1;
                assert!(common::max_abs_diff(got, &w) < 1e-12, "{got:?} vs {w:?}");
                let mut want = vec![0.0; bands[0].len()];
                for (b, wk) in bands.iter().zip(&w) {
                    want.iter_mut().zip(b).for_each(|(o, v)| *o += wk * v);
                }
                let key = PyrKey::Band(s, num + j);
                let e = rel_err(&as64(&s64.band(&key).unwrap()), &want);
                assert!(e < 1e-12, "order {order}, scale {s}, angle {a}: {e:.2e}");
                let e = rel_err(&as64(&s32.band(&key).unwrap()), &want);
                assert!(
                    e < 1e-5,
                    "f32, order {order}, scale {s}, angle {a}: {e:.2e}"
                );
            }
        }
        // odd phase: the weights map the basis' sine-phase harmonics (sin(h t_k),
        // -cos(h t_k)) onto the angle's (cos(h a), sin(h a))
        let (_, wodd) = pyr.steer_coeffs(c64, &angles, false).unwrap();
        for (j, &a) in angles.iter().enumerate() {
            let w = &wodd[j].1;
            for h in (1 - num % 2..num).step_by(2) {
                let t = |k: usize| std::f64::consts::PI * (k * h) as f64 / num as f64;
                let (c, sn): (f64, f64) = (0..num).fold((0.0, 0.0), |(c, sn), k| {
                    if h == 0 {
                        (c + w[k], sn)
                    } else {
                        (c + w[k] * t(k).sin(), sn - w[k] * t(k).cos())
                    }
                });
                let ha = h as f64 * a;
                assert!((c - if h == 0 { 1.0 } else { ha.cos() }).abs() < 1e-12);
                if h > 0 {
                    assert!((sn - ha.sin()).abs() < 1e-12, "order {order}, h {h}");
                }
            }
        }
    }
}

#[test]
fn steer_coeffs_gradient_matches_finite_differences_f64() {
    use po::dfdx::prelude::Trace;
    let pyr = SteerablePyramidFreq::builder((16, 16))
        .height(2)
        .order(2)
        .build()
        .unwrap();
    let xv: Vec<f64> = (0..256)
        .map(|i| ((i * 37 % 101) as f64 / 101.0).sin())
        .collect();
    let angles = [0.4, 2.5];
    let steer = |x: po::Image<f64>| -> Vec<f64> {
        let c = pyr.forward(x).unwrap();
        pyr.steer_coeffs(c, &angles, true)
            .unwrap()
            .0
            .into_tensor()
            .as_vec()
    };
    let n = steer(po::image_from_vec(xv.clone(), &[1, 1, 16, 16]).unwrap()).len();
    assert_eq!(n, (256 + 64) * 2); // scale 0 at 16x16, scale 1 at 8x8, two angles
    let wv: Vec<f64> = (0..n).map(|i| (i * 13 % 29) as f64 / 29.0 - 0.5).collect();
    let f = |v: &[f64]| -> f64 {
        let y = steer(po::image_from_vec(v.to_vec(), &[1, 1, 16, 16]).unwrap());
        y.iter().zip(&wv).map(|(a, b)| a * b).sum()
    };
    let x = po::image_from_vec(xv.clone(), &[1, 1, 16, 16]).unwrap();
    let c = pyr.forward(x.leaky_trace()).unwrap();
    let y = pyr.steer_coeffs(c, &angles, true).unwrap().0.into_tensor();
    let g = po::ops::backward_with(y, wv.clone())
        .unwrap()
        .get(&x)
        .as_vec();
    assert_central_differences("pixel", f, &xv, &g, &[0, 17, 100, 255]);
}

#[test]
fn bad_steering_is_refused() {
    let x = image::<f32>(true);
    let pyr = pyramid(&case("x", true, Some(2), 3));
    let c = || pyr.forward(x.clone()).unwrap();
    for angles in [vec![], vec![f64::NAN], vec![0.1, f64::INFINITY]] {
        assert!(
            matches!(
                pyr.steer_coeffs(c(), &angles, true),
                Err(po::Error::InvalidArgument { name: "angles", .. })
            ),
            "{angles:?}"
        );
    }
    let cplx = pyramid(&Case {
        complex: true,
        ..case("x", true, Some(2), 3)
    });
    let cc = cplx.forward(x.clone()).unwrap();
    assert!(matches!(
        cplx.steer_coeffs(cc, &[0.1], true),
        Err(po::Error::InvalidArgument { .. })
    ));
    let flat = pyramid(&case("x", true, Some(0), 3));
    let fc = flat.forward(x).unwrap();
    assert!(matches!(
        flat.steer_coeffs(fc, &[0.1], true),
        Err(po::Error::InvalidArgument { .. })
    ));
}
