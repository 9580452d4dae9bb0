//! The ops against hand-computed examples and direct (spatial) implementations.

mod common;

use common::max_abs_diff;
use common::reference::{all_modes, conv_ref, pad_ref, rand_image, rand_vec};
use plenoptic as po;
use po::ops::{self, conv2d, conv2d_same, pad};
use po::tools::{same_padding, Filter};
use po::{Error, PadMode};

fn img(v: &[f64], shape: [usize; 4]) -> po::Image<f64> {
    po::image_from_vec(v.to_vec(), &shape).unwrap()
}

#[test]
fn padding_a_row_by_hand() {
    let x = img(&[1.0, 2.0, 3.0], [1, 1, 1, 3]);
    let cases = [
        (PadMode::Circular, vec![2.0, 3.0, 1.0, 2.0, 3.0, 1.0]),
        (PadMode::Reflect, vec![3.0, 2.0, 1.0, 2.0, 3.0, 2.0]),
        (PadMode::Replicate, vec![1.0, 1.0, 1.0, 2.0, 3.0, 3.0]),
        (PadMode::Constant(0.5), vec![0.5, 0.5, 1.0, 2.0, 3.0, 0.5]),
    ];
    for (mode, want) in cases {
        let y = pad(x.clone(), [0, 0, 2, 1], mode).unwrap();
        assert_eq!(po::dims(&y), [1, 1, 1, 6]);
        assert_eq!(y.as_vec(), want, "{mode:?}");
    }
}

#[test]
fn padding_a_square_by_hand() {
    // [[1 2]
    //  [3 4]] padded by one row on top and one column on each side
    let x = img(&[1.0, 2.0, 3.0, 4.0], [1, 1, 2, 2]);
    let cases = [
        (
            PadMode::Circular,
            vec![4.0, 3.0, 4.0, 3.0, 2.0, 1.0, 2.0, 1.0, 4.0, 3.0, 4.0, 3.0],
        ),
        (
            PadMode::Reflect,
            vec![4.0, 3.0, 4.0, 3.0, 2.0, 1.0, 2.0, 1.0, 4.0, 3.0, 4.0, 3.0],
        ),
        (
            PadMode::Replicate,
            vec![1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0],
        ),
        (
            PadMode::Constant(0.0),
            vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 3.0, 4.0, 0.0],
        ),
    ];
    for (mode, want) in cases {
        let y = pad(x.clone(), [1, 0, 1, 1], mode).unwrap();
        assert_eq!(po::dims(&y), [1, 1, 3, 4]);
        assert_eq!(y.as_vec(), want, "{mode:?}");
    }
    // a circular pad as large as the image wraps once; reflect mirrors about the edge
    let y = pad(x.clone(), [2, 0, 0, 0], PadMode::Circular).unwrap();
    assert_eq!(y.as_vec(), vec![1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0]);
    let row = img(&[1.0, 2.0, 3.0, 4.0], [1, 1, 1, 4]);
    let y = pad(row, [0, 0, 3, 3], PadMode::Reflect).unwrap();
    assert_eq!(
        y.as_vec(),
        vec![4.0, 3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0, 1.0]
    );
}

#[test]
fn padding_matches_the_mode_definitions_on_random_images() {
    let shape = [2, 3, 5, 7];
    let x = rand_image(1, shape, -1.0, 1.0);
    for mode in all_modes() {
        for pads in [[4, 1, 6, 0], [0, 3, 2, 5]] {
            let y = pad(x.clone(), pads, mode).unwrap();
            let (r, rs) = pad_ref(&x.as_vec(), shape, pads, mode);
            assert_eq!(po::dims(&y), rs);
            assert_eq!(y.as_vec(), r, "{mode:?} {pads:?}");
        }
    }
}

#[test]
fn same_padding_pads_k_minus_1_floor_half_before() {
    let x = img(&(0..12).map(f64::from).collect::<Vec<_>>(), [1, 1, 3, 4]);
    // kernel (2, 4): 1 row (0 before, 1 after), 3 columns (1 before, 2 after)
    let y = same_padding(x.clone(), (2, 4), PadMode::Constant(-1.0)).unwrap();
    assert_eq!(po::dims(&y), [1, 1, 4, 7]);
    let v = y.as_vec();
    assert_eq!(&v[..7], &[-1.0, 0.0, 1.0, 2.0, 3.0, -1.0, -1.0]);
    assert_eq!(&v[21..], &[-1.0; 7]);
    let y = same_padding(x, (1, 1), PadMode::Reflect).unwrap();
    assert_eq!(po::dims(&y), [1, 1, 3, 4]);
}

#[test]
fn conv2d_is_torch_cross_correlation() {
    // kernel not flipped: [1, 0, -1] on [1, 2, 4, 8] gives x[i] - x[i+2]
    let x = img(&[1.0, 2.0, 4.0, 8.0], [1, 1, 1, 4]);
    let f = Filter::new(vec![1.0, 0.0, -1.0], [1, 1, 1, 3]).unwrap();
    let y = conv2d(x, &f).unwrap();
    assert_eq!(po::dims(&y), [1, 1, 1, 2]);
    assert!(max_abs_diff(&y.as_vec(), &[-3.0, -6.0]) < 1e-12);
}

#[test]
fn conv2d_matches_direct_convolution() {
    let cases = [
        ([2, 1, 17, 11], [3, 1, 5, 4]),
        ([1, 3, 9, 10], [2, 3, 3, 3]),
        ([2, 2, 8, 8], [2, 1, 8, 3]),
        ([1, 4, 6, 9], [6, 2, 2, 5]),
    ];
    for (i, (shape, fshape)) in cases.into_iter().enumerate() {
        let x = rand_image(i as u64, shape, -1.0, 1.0);
        let f = Filter::new(
            rand_vec(100 + i as u64, fshape.iter().product(), -1.0, 1.0),
            fshape,
        )
        .unwrap();
        let y = conv2d(x.clone(), &f).unwrap();
        let (r, rs) = conv_ref(&x.as_vec(), shape, f.weights(), fshape);
        assert_eq!(po::dims(&y), rs);
        assert!(
            max_abs_diff(&y.as_vec(), &r) < 1e-12,
            "{shape:?} {fshape:?}"
        );
        // f32 too
        let y32 = conv2d(po::cast::<f64, f32, _>(&x), &f).unwrap();
        let y32: Vec<f64> = y32.as_vec().into_iter().map(f64::from).collect();
        assert!(max_abs_diff(&y32, &r) < 1e-5);
    }
}

#[test]
fn conv2d_same_equals_padding_then_conv2d() {
    for mode in all_modes() {
        // 16x12 is a fast size (circular becomes a circular convolution), 13x11 is not
        for shape in [[2, 1, 16, 12], [1, 2, 13, 11]] {
            for fshape in [[2, 1, 5, 4], [2, 1, 9, 7], [2, 1, 1, 1]] {
                let f =
                    Filter::new(rand_vec(7, fshape.iter().product(), -1.0, 1.0), fshape).unwrap();
                let x = rand_image(8, shape, 0.0, 1.0);
                let a = conv2d_same(x.clone(), &f, mode).unwrap();
                let b = conv2d(same_padding(x, (fshape[2], fshape[3]), mode).unwrap(), &f).unwrap();
                assert_eq!(po::dims(&a)[2..], shape[2..]);
                assert_eq!(po::dims(&a), po::dims(&b));
                assert!(
                    max_abs_diff(&a.as_vec(), &b.as_vec()) < 1e-12,
                    "{mode:?} {shape:?} {fshape:?}"
                );
            }
        }
    }
}

#[test]
fn circular_kernel_larger_than_the_image_wraps_around() {
    // circular padding allows pads up to the image size: a 9x9 kernel on a 4x4 image
    let x = rand_image(3, [1, 1, 4, 4], 0.0, 1.0);
    let f = Filter::new(rand_vec(4, 81, -1.0, 1.0), [1, 1, 9, 9]).unwrap();
    let a = conv2d_same(x.clone(), &f, PadMode::Circular).unwrap();
    let (p, ps) = pad_ref(&x.as_vec(), [1, 1, 4, 4], [4, 4, 4, 4], PadMode::Circular);
    let (r, _) = conv_ref(&p, ps, f.weights(), f.shape());
    assert!(max_abs_diff(&a.as_vec(), &r) < 1e-12);
}

#[test]
fn channel_ops_by_hand() {
    let x = img(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [2, 2, 1, 2]);
    let y = ops::select_channels(x.clone(), 1..2).unwrap();
    assert_eq!(y.as_vec(), vec![3.0, 4.0, 7.0, 8.0]);
    let y = ops::map2_halves(x.clone(), |a, b, c| (a * 10.0 + b + c as f64, 0.0, 0.0)).unwrap();
    assert_eq!(po::dims(&y), [2, 1, 1, 2]);
    assert_eq!(y.as_vec(), vec![13.0, 24.0, 57.0, 68.0]);
    let y = ops::mask(x.clone(), &[2.0, 0.5]).unwrap();
    assert_eq!(y.as_vec(), vec![2.0, 1.0, 6.0, 2.0, 10.0, 3.0, 14.0, 4.0]);
    let y = ops::map(x.clone(), |v, c| (v * (c as f64 + 1.0), 0.0)).unwrap();
    assert_eq!(y.as_vec(), vec![1.0, 2.0, 6.0, 8.0, 5.0, 6.0, 14.0, 16.0]);
    let y = ops::roll(img(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [1, 1, 2, 3]), (1, -1)).unwrap();
    assert_eq!(y.as_vec(), vec![5.0, 6.0, 4.0, 2.0, 3.0, 1.0]);
    let m = ops::mse(
        img(&[0.0, 0.0], [1, 1, 1, 2]),
        img(&[3.0, 4.0], [1, 1, 1, 2]),
    )
    .unwrap();
    assert_eq!((po::dims(&m), m.as_vec()), ([1, 1, 1, 1], vec![12.5]));
    assert_eq!(
        ops::sum_squares(img(&[3.0, 4.0], [1, 1, 1, 2]))
            .unwrap()
            .as_vec(),
        vec![25.0]
    );
}

#[test]
fn op_errors_name_the_problem() {
    let x = rand_image(1, [1, 2, 4, 5], 0.0, 1.0);
    match conv2d(
        x.clone(),
        &Filter::new(vec![0.0; 30], [1, 1, 5, 6]).unwrap(),
    ) {
        Err(Error::KernelTooLarge { kernel, image }) => {
            assert_eq!((kernel, image), ((5, 6), (4, 5)))
        }
        other => panic!("{other:?}"),
    }
    // 2 input channels cannot feed a filter that expects 3
    let e = conv2d(x.clone(), &Filter::new(vec![0.0; 3], [1, 3, 1, 1]).unwrap()).unwrap_err();
    assert!(
        matches!(&e, Error::ShapeMismatch { expected, got, .. } if expected == &[3] && got == &[2])
    );
    assert!(e.to_string().contains("expected [3], got [2]"), "{e}");
    // reflect needs pads smaller than the image
    let e = conv2d_same(
        x.clone(),
        &Filter::new(vec![0.0; 9], [1, 1, 9, 1]).unwrap(),
        PadMode::Reflect,
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::PaddingTooLarge {
                mode: "reflect",
                pad: 4,
                needed: 5,
                size: 4
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "reflect padding of 4 needs a dimension of size 5 or more, got 4"
    );
    let e = pad(x.clone(), [0, 0, 6, 0], PadMode::Circular).unwrap_err();
    assert!(matches!(
        e,
        Error::PaddingTooLarge {
            mode: "circular",
            ..
        }
    ));
    let e = ops::map2_halves(rand_image(1, [1, 3, 2, 2], 0.0, 1.0), |a, _, _| {
        (a, 1.0, 0.0)
    })
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("two halves (an even count): expected [4], got [3]"),
        "{e}"
    );
    let e = ops::select_channels(x.clone(), 1..3).unwrap_err();
    assert!(
        matches!(e, Error::InvalidArgument { name: "range", .. }),
        "{e}"
    );
    // a mask of 3 values cannot multiply 4x5 planes
    let e = ops::mask(x.clone(), &[1.0; 3]).unwrap_err();
    assert!(
        matches!(&e, Error::ShapeMismatch { what, expected, got }
            if what.contains("mask") && expected == &[20] && got == &[3]),
        "{e}"
    );
    let e = ops::mse(x.clone(), rand_image(1, [1, 1, 4, 5], 0.0, 1.0)).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }));
    let e = ops::map2(
        x.clone(),
        rand_image(1, [1, 1, 4, 5], 0.0, 1.0),
        |a, _, _| (a, 1.0, 0.0),
    )
    .unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }));
}

#[test]
fn f32_softplus_is_within_a_few_ulp_of_the_exact_value() {
    let (mut worst_v, mut worst_d) = (0.0f64, 0.0f64);
    // below -87 the exact value is under 1.7e-38 (f32's smallest normal numbers), where
    // only the absolute error is small
    let mut x = -86.99f32;
    while x < 120.0 {
        let (v, d) = ops::softplus(x);
        let (ve, de) = ops::softplus(x as f64);
        // relative error in units of f32 epsilon
        let ev = (v as f64 - ve).abs()
            / (ve.abs().max(f64::from(f32::MIN_POSITIVE)) * f64::from(f32::EPSILON));
        let ed = (d as f64 - de).abs()
            / (de.abs().max(f64::from(f32::MIN_POSITIVE)) * f64::from(f32::EPSILON));
        worst_v = worst_v.max(ev);
        worst_d = worst_d.max(ed);
        x += 0.000731;
    }
    eprintln!("softplus f32: value {worst_v} ulp, derivative {worst_d} ulp");
    assert!(
        worst_v < 4.0 && worst_d < 4.0,
        "value {worst_v} ulp, derivative {worst_d} ulp"
    );
    assert_eq!(ops::softplus(30.0f32), (30.0, 1.0));
    assert!(ops::softplus(f32::NAN).0.is_nan());
    assert!((0.0..2e-38).contains(&ops::softplus(f32::NEG_INFINITY).0));
    let (v, d) = ops::softplus(-100.0f32);
    assert!((0.0..2e-38).contains(&v) && (0.0..2e-38).contains(&d));
    for x in [20.0f32, 20.5, 25.0, 1e6] {
        assert_eq!(ops::softplus(x), (x, 1.0));
    }
    assert_eq!(ops::softplus(f32::INFINITY).0, f32::INFINITY);
}
