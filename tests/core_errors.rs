//! Bad input to the models: each a typed error whose message names the problem.

use dfdx::prelude::ZerosTensor;
use plenoptic as po;
use po::simulate::{
    CenterSurround, Gaussian, LinearNonlinear, LuminanceContrastGainControl, LuminanceGainControl,
    OnOff,
};
use po::{Error, Image, Model, PadMode};

/// Runs `f` on every built-in model (small kernels, non-pretrained, the given padding).
fn for_each_model(
    mode: PadMode,
    k: usize,
    f: impl Fn(&str, &dyn Fn(&Image<f32>) -> po::Result<Image<f32>>),
) {
    let g = Gaussian::builder((k, k)).pad_mode(mode).build().unwrap();
    let cs = CenterSurround::builder((k, k))
        .pad_mode(mode)
        .build()
        .unwrap();
    let ln = LinearNonlinear::builder((k, k))
        .pad_mode(mode)
        .build()
        .unwrap();
    let lgc = LuminanceGainControl::builder((k, k))
        .pad_mode(mode)
        .build()
        .unwrap();
    let lcgc = LuminanceContrastGainControl::builder((k, k))
        .pad_mode(mode)
        .build()
        .unwrap();
    let oo = OnOff::builder((k, k)).pad_mode(mode).build().unwrap();
    f("Gaussian", &|x| g.apply(x));
    f("CenterSurround", &|x| cs.apply(x));
    f("LinearNonlinear", &|x| ln.apply(x));
    f("LuminanceGainControl", &|x| lgc.apply(x));
    f("LuminanceContrastGainControl", &|x| lcgc.apply(x));
    f("OnOff", &|x| oo.apply(x));
}

#[test]
fn wrong_rank_is_refused() {
    let e = po::image_from_vec(vec![0.0f32; 256], &[1, 16, 16]).unwrap_err();
    assert!(
        matches!(&e, Error::Rank { shape } if shape == &[1, 16, 16]),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "expected a 4-D image (batch, channel, height, width), got shape [1, 16, 16]"
    );
    let e = po::image_from_vec(vec![0.0f32; 6], &[1, 1, 2, 2]).unwrap_err();
    assert!(
        matches!(&e, Error::ShapeMismatch { expected, got, .. } if expected == &[4] && got == &[6]),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("buffer length for shape [1, 1, 2, 2]: expected [4], got [6]"),
        "{e}"
    );
}

#[test]
fn empty_images_are_refused() {
    for shape in [(1, 1, 0, 16), (0, 1, 16, 16)] {
        let x: Image<f32> = po::device::cpu().zeros_like(&shape);
        for_each_model(PadMode::Circular, 3, |name, apply| {
            let e = apply(&x).unwrap_err();
            assert!(matches!(e, Error::Empty { .. }), "{name}: {e}");
            assert!(
                e.to_string().contains("convolution input is empty"),
                "{name}: {e}"
            );
        });
    }
    let e = po::image_from_vec(Vec::<f32>::new(), &[1, 1, 0, 4]).unwrap_err();
    assert!(matches!(e, Error::Empty { .. }), "{e}");
}

#[test]
fn nan_and_inf_pixels_are_refused() {
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut v = vec![0.5f32; 2 * 16 * 16];
        v[300] = bad;
        v[17] = bad;
        let x = po::image_from_vec(v, &[2, 1, 16, 16]).unwrap();
        for mode in [PadMode::Circular, PadMode::Reflect] {
            for_each_model(mode, 5, |name, apply| {
                let e = apply(&x).unwrap_err();
                assert!(
                    matches!(e, Error::NonFinite { count: 2, .. }),
                    "{name}: {e}"
                );
                assert_eq!(
                    e.to_string(),
                    "convolution input contains 2 non-finite values (NaN or inf)",
                    "{name}"
                );
            });
        }
    }
}

#[test]
fn kernels_larger_than_the_padded_image_are_refused() {
    let x = po::data::white_noise::<f32>(&[1, 1, 8, 8]).unwrap();
    // reflect padding of a 31x31 kernel needs 15 pixels on each side of the image
    for_each_model(PadMode::Reflect, 31, |name, apply| {
        let e = apply(&x).unwrap_err();
        assert!(
            matches!(
                e,
                Error::PaddingTooLarge {
                    mode: "reflect",
                    pad: 15,
                    needed: 16,
                    size: 8
                }
            ),
            "{name}: {e}"
        );
        assert_eq!(
            e.to_string(),
            "reflect padding of 15 needs a dimension of size 16 or more, got 8"
        );
    });
    // circular padding can wrap at most once
    for_each_model(PadMode::Circular, 31, |name, apply| {
        let e = apply(&x).unwrap_err();
        assert!(
            matches!(
                e,
                Error::PaddingTooLarge {
                    mode: "circular",
                    pad: 15,
                    needed: 15,
                    size: 8
                }
            ),
            "{name}: {e}"
        );
    });
    // a valid convolution with a kernel larger than its input
    let f = po::tools::circular_gaussian2d((9, 3), &[1.0]).unwrap();
    let e = po::ops::conv2d(x, &f).unwrap_err();
    assert!(
        matches!(
            e,
            Error::KernelTooLarge {
                kernel: (9, 3),
                image: (8, 8)
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "kernel of size (9, 3) is larger than the (padded) image of size (8, 8)"
    );
}

#[test]
fn non_positive_stds_are_refused() {
    for s in [0.0, -2.0] {
        let e = Gaussian::builder((5, 5)).std(s).build().unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument { name: "std", .. }),
            "{e}"
        );
        assert!(e.to_string().contains("must be positive"), "{e}");
        let e = CenterSurround::builder((5, 5))
            .center_std(s)
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("`center_std`"), "{e}");
        assert!(e.to_string().contains("must be positive"), "{e}");
        let e = CenterSurround::builder((5, 5))
            .surround_std([1.0, s])
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("`surround_std`"), "{e}");
        assert!(e.to_string().contains("must be positive"), "{e}");
    }
}

#[test]
fn pretrained_needs_kernel_size_31() {
    let msg = |e: Error| match e {
        Error::InvalidArgument {
            name: "kernel_size",
            reason,
        } => reason,
        other => panic!("{other:?}"),
    };
    let r = msg(LinearNonlinear::builder((15, 15))
        .pretrained(true)
        .build()
        .unwrap_err());
    assert!(
        r.contains("pretrained LinearNonlinear has kernel_size (31, 31), got (15, 15)"),
        "{r}"
    );
    let r = msg(LuminanceGainControl::builder((31, 29))
        .pretrained(true)
        .build()
        .unwrap_err());
    assert!(
        r.contains("LuminanceGainControl") && r.contains("(31, 29)"),
        "{r}"
    );
    let r = msg(LuminanceContrastGainControl::builder((7, 7))
        .pretrained(true)
        .build()
        .unwrap_err());
    assert!(
        r.contains("LuminanceContrastGainControl") && r.contains("(7, 7)"),
        "{r}"
    );
    let r = msg(OnOff::builder((33, 33))
        .pretrained(true)
        .build()
        .unwrap_err());
    assert!(r.contains("OnOff") && r.contains("(33, 33)"), "{r}");
    // without pretrained any size works
    OnOff::builder((33, 33)).build().unwrap();
}

#[test]
fn bad_amplitude_ratios_are_refused() {
    let e = LuminanceGainControl::builder((31, 31))
        .pretrained(true)
        .amplitude_ratio(2.0)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidArgument {
                name: "amplitude_ratio",
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("has amplitude_ratio 1.25, got 2"),
        "{e}"
    );
    LuminanceGainControl::builder((31, 31))
        .pretrained(true)
        .amplitude_ratio(1.25)
        .build()
        .unwrap();
    let e = OnOff::builder((5, 5))
        .amplitude_ratio(0.5)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidArgument {
                name: "amplitude_ratio",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("must be at least 1"), "{e}");
}

#[test]
fn frontend_models_take_one_channel() {
    let x = po::data::white_noise::<f32>(&[1, 2, 16, 16]).unwrap();
    let lgc = LuminanceGainControl::builder((5, 5)).build().unwrap();
    let e = lgc.apply(&x).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("LuminanceGainControl takes images with 1 channel: expected [1, 1, 16, 16], got [1, 2, 16, 16]"),
        "{e}"
    );
    for_each_model(PadMode::Circular, 5, |name, apply| {
        let e = apply(&x).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{name}: {e}");
    });
}
