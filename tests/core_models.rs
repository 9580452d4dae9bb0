//! The models against plenoptic 1.3.0's reference outputs (../shared/reference) and against
//! direct spatial implementations of plenoptic's formulas.

mod common;

use common::max_abs_diff;
use common::reference::{conv_same_ref, rand_image, softplus};
use plenoptic as po;
use po::simulate::{
    Activation, CenterSurround, Filters, Gaussian, LinearNonlinear, LuminanceContrastGainControl,
    LuminanceGainControl, OnOff,
};
use po::{Model, PadMode};

fn reference(name: &str) -> (Vec<f64>, Vec<usize>) {
    let (v, s) = common::npy(name);
    (v.into_iter().map(f64::from).collect(), s)
}

/// f32 and f64 outputs on einstein against a reference, within 2e-6.
fn check_einstein<M: Model>(model: &M, name: &str) {
    let img = po::data::einstein().unwrap();
    let (r, shape) = reference(name);
    assert_eq!(shape, vec![1, 256, 256]);
    let out32: Vec<f64> = model
        .apply(&img)
        .unwrap()
        .as_vec()
        .into_iter()
        .map(f64::from)
        .collect();
    let d32 = max_abs_diff(&out32, &r);
    let img64: po::Image<f64> = po::cast(&img);
    let d64 = max_abs_diff(&model.apply(&img64).unwrap().as_vec(), &r);
    eprintln!("{name}: f32 {d32:e} f64 {d64:e}");
    assert!(d32 < 2e-6, "{name}: f32 differs by {d32}");
    assert!(d64 < 2e-6, "{name}: f64 differs by {d64}");
}

const CIRC: PadMode = PadMode::Circular;

#[test]
fn gaussian_on_einstein_matches_plenoptic() {
    let m = Gaussian::builder((31, 31))
        .std(3.0)
        .pad_mode(CIRC)
        .build()
        .unwrap();
    check_einstein(&m, "out_einstein_gaussian.npy");
}

#[test]
fn center_surround_on_einstein_matches_plenoptic() {
    let m = CenterSurround::builder((31, 31))
        .center_std(1.962)
        .surround_std(4.235)
        .pad_mode(CIRC)
        .build()
        .unwrap();
    check_einstein(&m, "out_einstein_center_surround.npy");
}

#[test]
fn linear_nonlinear_on_einstein_matches_plenoptic() {
    let m = LinearNonlinear::builder((31, 31))
        .pretrained(true)
        .pad_mode(CIRC)
        .build()
        .unwrap();
    check_einstein(&m, "out_einstein_linear_nonlinear.npy");
}

#[test]
fn luminance_gain_control_on_einstein_matches_plenoptic() {
    let m = LuminanceGainControl::builder((31, 31))
        .pretrained(true)
        .pad_mode(CIRC)
        .build()
        .unwrap();
    check_einstein(&m, "out_einstein_luminance_gain_control.npy");
}

#[test]
fn gaussian_kernel_matches_plenoptic() {
    let (r, shape) = reference("circular_gaussian2d_31x31_std3.npy");
    assert_eq!(shape, vec![31, 31]);
    let g = po::tools::circular_gaussian2d((31, 31), &[3.0]).unwrap();
    let d = max_abs_diff(g.weights(), &r);
    assert!(d < 1e-7, "{d}");
}

#[test]
fn center_surround_filters_match_plenoptic() {
    let (cs_ref, shape) = reference("filt_center_surround_center_surround.npy");
    assert_eq!(shape, vec![1, 31, 31]);
    let cs = CenterSurround::builder((31, 31))
        .center_std(1.962)
        .surround_std(4.235)
        .build()
        .unwrap();
    assert_eq!(cs.filter().shape(), [1, 1, 31, 31]);
    assert!(max_abs_diff(cs.filter().weights(), &cs_ref) < 1e-7);

    let lgc = LuminanceGainControl::builder((31, 31))
        .pretrained(true)
        .build()
        .unwrap();
    let (lgc_cs, _) = reference("filt_luminance_gain_control_center_surround.npy");
    let (lgc_lum, _) = reference("filt_luminance_gain_control_luminance.npy");
    assert!(max_abs_diff(lgc.center_surround_filter().weights(), &lgc_cs) < 1e-7);
    assert!(max_abs_diff(lgc.luminance_filter().weights(), &lgc_lum) < 1e-7);
}

#[test]
fn reflect_center_surround_on_crop_matches_plenoptic() {
    let (crop, s) = reference("einstein_crop64_r96c96.npy");
    assert_eq!(s, vec![64, 64]);
    let (r, _) = reference("out_crop64_center_surround_reflect.npy");
    let m = CenterSurround::builder((31, 31))
        .center_std(1.962)
        .surround_std(4.235)
        .build()
        .unwrap();
    assert_eq!(m.pad_mode(), PadMode::Reflect);
    let img32 =
        po::image_from_vec(crop.iter().map(|v| *v as f32).collect(), &[1, 1, 64, 64]).unwrap();
    let out: Vec<f64> = m
        .apply(&img32)
        .unwrap()
        .as_vec()
        .into_iter()
        .map(f64::from)
        .collect();
    let d = max_abs_diff(&out, &r);
    assert!(d < 2e-6, "{d}");
    let img64 = po::image_from_vec(crop, &[1, 1, 64, 64]).unwrap();
    let d = max_abs_diff(&m.apply(&img64).unwrap().as_vec(), &r);
    assert!(d < 2e-6, "{d}");
}

/// LuminanceContrastGainControl written out with direct convolutions.
fn lcgc_ref(m: &LuminanceContrastGainControl, x: &[f64], shape: [usize; 4]) -> Vec<f64> {
    let mode = m.pad_mode();
    let lin = conv_same_ref(x, shape, m.center_surround_filter(), mode);
    let lum = conv_same_ref(x, shape, m.luminance_filter(), mode);
    let l: Vec<f64> = lin
        .iter()
        .zip(&lum)
        .map(|(a, b)| a / (1.0 + m.luminance_scalar() * b))
        .collect();
    let sq: Vec<f64> = l.iter().map(|v| v * v).collect();
    let con = conv_same_ref(&sq, shape, m.contrast_filter(), mode);
    l.iter()
        .zip(&con)
        .map(|(a, c)| softplus(a / (1.0 + m.contrast_scalar() * (c.sqrt() + 1e-6))))
        .collect()
}

/// OnOff written out with direct convolutions (grouped contrast blur, optional disk).
fn on_off_ref(m: &OnOff, x: &[f64], shape: [usize; 4]) -> Vec<f64> {
    let [b, _, h, w] = shape;
    let mode = m.pad_mode();
    let lin = conv_same_ref(x, shape, m.center_surround_filter(), mode);
    let lum = conv_same_ref(x, shape, m.luminance_filter(), mode);
    let plane = h * w;
    let (sl, sc) = (m.luminance_scalar(), m.contrast_scalar());
    let l: Vec<f64> = (0..lin.len())
        .map(|i| lin[i] / (1.0 + sl[(i / plane) % 2] * lum[i]))
        .collect();
    let sq: Vec<f64> = l.iter().map(|v| v * v).collect();
    let con = conv_same_ref(&sq, [b, 2, h, w], m.contrast_filter(), mode);
    let disk = po::tools::make_disk::<f64>((h, w), None, None)
        .unwrap()
        .as_vec();
    (0..l.len())
        .map(|i| {
            let y = softplus(l[i] / (1.0 + sc[(i / plane) % 2] * (con[i].sqrt() + 1e-6)));
            if m.apply_mask() {
                y * disk[i % plane]
            } else {
                y
            }
        })
        .collect()
}

fn crop64() -> (po::Image<f32>, Vec<f64>) {
    let (crop, _) = reference("einstein_crop64_r96c96.npy");
    let img32 =
        po::image_from_vec(crop.iter().map(|v| *v as f32).collect(), &[1, 1, 64, 64]).unwrap();
    (img32, crop)
}

#[test]
fn luminance_contrast_gain_control_matches_direct_formula() {
    let (img32, crop) = crop64();
    for mode in [PadMode::Reflect, PadMode::Circular] {
        let m = LuminanceContrastGainControl::builder((31, 31))
            .pretrained(true)
            .pad_mode(mode)
            .build()
            .unwrap();
        let r = lcgc_ref(&m, &crop, [1, 1, 64, 64]);
        let out64 = m
            .apply(&po::image_from_vec(crop.clone(), &[1, 1, 64, 64]).unwrap())
            .unwrap();
        assert!(max_abs_diff(&out64.as_vec(), &r) < 1e-10);
        let out32: Vec<f64> = m
            .apply(&img32)
            .unwrap()
            .as_vec()
            .into_iter()
            .map(f64::from)
            .collect();
        let d = max_abs_diff(&out32, &r);
        eprintln!("{mode:?}: {d:e}");
        assert!(d < 2e-6, "{mode:?}: {d}");
    }
}

#[test]
fn on_off_matches_direct_formula() {
    let (img32, crop) = crop64();
    for (mode, mask) in [
        (PadMode::Reflect, false),
        (PadMode::Circular, true),
        (PadMode::Replicate, true),
    ] {
        let m = OnOff::builder((31, 31))
            .pretrained(true)
            .pad_mode(mode)
            .apply_mask(mask)
            .build()
            .unwrap();
        let r = on_off_ref(&m, &crop, [1, 1, 64, 64]);
        let out64 = m
            .apply(&po::image_from_vec(crop.clone(), &[1, 1, 64, 64]).unwrap())
            .unwrap();
        assert_eq!(po::dims(&out64), [1, 2, 64, 64]);
        assert!(max_abs_diff(&out64.as_vec(), &r) < 1e-10);
        let out32: Vec<f64> = m
            .apply(&img32)
            .unwrap()
            .as_vec()
            .into_iter()
            .map(f64::from)
            .collect();
        let d = max_abs_diff(&out32, &r);
        eprintln!("{mode:?}: {d:e}");
        assert!(d < 2e-6, "{mode:?}: {d}");
    }
}

#[test]
fn frontend_models_agree_in_f32_and_f64_on_einstein() {
    let img = po::data::einstein().unwrap();
    let img64: po::Image<f64> = po::cast(&img);
    let lcgc = LuminanceContrastGainControl::builder((31, 31))
        .pretrained(true)
        .build()
        .unwrap();
    let on_off = OnOff::builder((31, 31)).pretrained(true).build().unwrap();
    let pairs = [
        (
            lcgc.apply(&img).unwrap().as_vec(),
            lcgc.apply(&img64).unwrap().as_vec(),
        ),
        (
            on_off.apply(&img).unwrap().as_vec(),
            on_off.apply(&img64).unwrap().as_vec(),
        ),
    ];
    for (a, b) in pairs {
        let a: Vec<f64> = a.into_iter().map(f64::from).collect();
        let d = max_abs_diff(&a, &b);
        assert!(d < 2e-6, "{d}");
    }
}

#[test]
fn batches_are_processed_image_by_image() {
    let _seed = common::reference::seed_lock();
    let x = rand_image(5, [3, 1, 20, 24], 0.0, 1.0);
    let m = OnOff::builder((7, 7)).build().unwrap();
    let all = m.apply(&x).unwrap().as_vec();
    for b in 0..3 {
        let one = m
            .apply(&po::select_batch(&x, b..b + 1).unwrap())
            .unwrap()
            .as_vec();
        assert!(max_abs_diff(&all[b * one.len()..(b + 1) * one.len()], &one) < 1e-12);
    }
}

#[test]
fn pretrained_parameters_are_plenoptics() {
    let ln = LinearNonlinear::builder((31, 31))
        .pretrained(true)
        .build()
        .unwrap();
    assert_eq!(
        (ln.center_std(), ln.surround_std()),
        (0.5339f32 as f64, 6.148f32 as f64)
    );
    let lgc = LuminanceGainControl::builder((31, 31))
        .pretrained(true)
        .build()
        .unwrap();
    assert_eq!(
        (
            lgc.center_std(),
            lgc.surround_std(),
            lgc.luminance_std(),
            lgc.luminance_scalar()
        ),
        (
            1.962f32 as f64,
            4.235f32 as f64,
            4.235f32 as f64,
            14.95f32 as f64
        )
    );
    let lcgc = LuminanceContrastGainControl::builder((31, 31))
        .pretrained(true)
        .build()
        .unwrap();
    assert_eq!(
        (
            lcgc.center_std(),
            lcgc.surround_std(),
            lcgc.luminance_std(),
            lcgc.contrast_std()
        ),
        (
            0.7363f32 as f64,
            48.37f32 as f64,
            170.99f32 as f64,
            2.658f32 as f64
        )
    );
    assert_eq!(
        (lcgc.luminance_scalar(), lcgc.contrast_scalar()),
        (2.94f32 as f64, 34.03f32 as f64)
    );
    let oo = OnOff::builder((31, 31)).pretrained(true).build().unwrap();
    let f = |a: f32, b: f32| [a as f64, b as f64];
    assert_eq!(oo.center_std(), f(1.237, 0.3233));
    assert_eq!(oo.surround_std(), f(30.12, 2.184));
    assert_eq!(oo.luminance_std(), f(76.4, 2.184));
    assert_eq!(oo.contrast_std(), f(7.49, 2.43));
    assert_eq!(oo.luminance_scalar(), f(3.2637, 14.3961));
    assert_eq!(oo.contrast_scalar(), f(7.3405, 16.7423));
    assert_eq!(oo.amplitude_ratio(), 1.25);
    // the off channel's centre-surround filter is the negated on-centre one of its stds
    let off = CenterSurround::builder((31, 31))
        .center_std(0.3233f32 as f64)
        .surround_std(2.184f32 as f64)
        .on_center(vec![false])
        .build()
        .unwrap();
    assert!(
        max_abs_diff(
            &oo.center_surround_filter().weights()[961..],
            off.filter().weights()
        ) < 1e-15
    );
}

#[test]
fn defaults_follow_plenoptic() {
    let _seed = common::reference::seed_lock();
    po::tools::set_seed(11);
    let a = LuminanceContrastGainControl::builder((7, 7))
        .build()
        .unwrap();
    po::tools::set_seed(11);
    let b = LuminanceContrastGainControl::builder((7, 7))
        .build()
        .unwrap();
    assert_eq!(
        (a.luminance_scalar(), a.contrast_scalar()),
        (b.luminance_scalar(), b.contrast_scalar())
    );
    assert_ne!(a.luminance_scalar(), a.contrast_scalar());
    for s in [a.luminance_scalar(), a.contrast_scalar()] {
        assert!((0.0..10.0).contains(&s), "{s}");
    }
    assert_eq!(
        (
            a.center_std(),
            a.surround_std(),
            a.luminance_std(),
            a.contrast_std()
        ),
        (1.0, 4.0, 3.0, 3.0)
    );
    assert_eq!(a.pad_mode(), PadMode::Reflect);
    assert_eq!(a.activation(), Activation::Softplus);
    assert_eq!(a.amplitude_ratio(), 1.25);
    let oo = OnOff::builder((7, 7)).build().unwrap();
    assert_eq!((oo.center_std(), oo.surround_std()), ([1.0; 2], [4.0; 2]));
    assert!(!oo.apply_mask());
    let lgc = LuminanceGainControl::builder((7, 7))
        .on_center(false)
        .amplitude_ratio(2.0)
        .build()
        .unwrap();
    let cs = CenterSurround::builder((7, 7))
        .on_center(vec![false])
        .amplitude_ratio(2.0)
        .build()
        .unwrap();
    assert_eq!(
        lgc.center_surround_filter().weights(),
        cs.filter().weights()
    );
    assert!((0.0..10.0).contains(&lgc.luminance_scalar()));
}

#[test]
fn activations_change_the_output_nonlinearity() {
    let x = rand_image(9, [1, 1, 12, 12], 0.0, 1.0);
    let base = LinearNonlinear::builder((5, 5));
    let lin = base
        .clone()
        .activation(Activation::Identity)
        .build()
        .unwrap()
        .apply(&x)
        .unwrap()
        .as_vec();
    let relu = base
        .clone()
        .activation(Activation::Relu)
        .build()
        .unwrap()
        .apply(&x)
        .unwrap()
        .as_vec();
    let sp = base.build().unwrap().apply(&x).unwrap().as_vec();
    assert!(lin.iter().any(|v| *v < 0.0));
    for ((l, r), s) in lin.iter().zip(&relu).zip(&sp) {
        assert_eq!(*r, l.max(0.0));
        assert!((s - softplus(*l)).abs() < 1e-12);
    }
}

#[test]
fn filters_are_listed_in_display_order_with_plenoptic_titles() {
    let _seed = common::reference::seed_lock();
    let t = |m: &dyn Fn() -> Vec<(po::tools::Filter, Vec<String>)>| -> Vec<String> {
        m().into_iter().flat_map(|(_, t)| t).collect()
    };
    let ln = LinearNonlinear::builder((5, 5)).build().unwrap();
    assert_eq!(t(&|| ln.filters()), ["linear filter"]);
    let lgc = LuminanceGainControl::builder((5, 5)).build().unwrap();
    assert_eq!(t(&|| lgc.filters()), ["linear filt", "luminance filt"]);
    let lcgc = LuminanceContrastGainControl::builder((5, 5))
        .build()
        .unwrap();
    assert_eq!(
        t(&|| lcgc.filters()),
        ["linear filt", "luminance filt", "contrast filt"]
    );
    let oo = OnOff::builder((5, 5)).build().unwrap();
    assert_eq!(
        t(&|| oo.filters()),
        [
            "linear filt on",
            "linear filt off",
            "luminance filt on",
            "luminance filt off",
            "contrast filt on",
            "contrast filt off"
        ]
    );
    let banks = oo.filters();
    assert_eq!(banks[0].0.weights(), oo.center_surround_filter().weights());
    assert_eq!(banks[2].0.weights(), oo.contrast_filter().weights());
    assert!(banks.iter().all(|(f, _)| f.shape() == [2, 1, 5, 5]));
}

#[test]
fn built_in_models_pass_validate_model() {
    let _seed = common::reference::seed_lock();
    po::tools::validate_model(&Gaussian::builder((5, 5)).build().unwrap(), None).unwrap();
    po::tools::validate_model(&CenterSurround::builder((5, 5)).build().unwrap(), None).unwrap();
    po::tools::validate_model(&LinearNonlinear::builder((5, 5)).build().unwrap(), None).unwrap();
    po::tools::validate_model(
        &LuminanceGainControl::builder((5, 5)).build().unwrap(),
        None,
    )
    .unwrap();
    let lcgc = LuminanceContrastGainControl::builder((31, 31))
        .pretrained(true)
        .build()
        .unwrap();
    po::tools::validate_model(&lcgc, Some(&[2, 1, 32, 32])).unwrap();
    let oo = OnOff::builder((31, 31))
        .pretrained(true)
        .apply_mask(true)
        .build()
        .unwrap();
    po::tools::validate_model(&oo, Some(&[1, 1, 32, 32])).unwrap();
}
