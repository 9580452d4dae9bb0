use std::path::Path;

use super::checks::short_type_name;
use super::*;

fn sample() -> Archive {
    let mut a = Archive::new("Metamer");
    a.put_text("model_type", "plenoptic::simulate::Gaussian");
    a.put_f32("image", &[1, 1, 2, 2], vec![0.0, 0.25, 0.5, 1.0]);
    a.put_f64("losses", vec![1.5, 0.5]);
    a.put_u64("step", vec![7]);
    a
}

#[test]
fn round_trip() {
    let a = Archive::parse(&sample().to_bytes(), Some("Metamer")).unwrap();
    let p = Path::new("x");
    assert_eq!(a.kind, "Metamer");
    assert_eq!(
        a.f32s(p, "image").unwrap(),
        (vec![1, 1, 2, 2], vec![0.0, 0.25, 0.5, 1.0])
    );
    assert_eq!(a.f64_n(p, "losses", 2).unwrap(), [1.5, 0.5]);
    assert_eq!(a.u64_1(p, "step").unwrap(), 7);
    assert!(a.text(p, "model_type").unwrap().ends_with("Gaussian"));
}

#[test]
fn typed_errors_of_the_getters() {
    let a = Archive::parse(&sample().to_bytes(), None).unwrap();
    let p = Path::new("x");
    let reason = |e: Error| match e {
        Error::Load { reason, .. } => reason,
        e => panic!("{e}"),
    };
    assert!(matches!(
        reason(a.f64s(p, "image").unwrap_err()),
        LoadError::Mismatch { ref what, ref detail } if what == "`image`" && detail.starts_with("dtype") && detail.contains("f32")
    ));
    assert_eq!(
        reason(a.f32s(p, "nothing").unwrap_err()),
        LoadError::Missing {
            record: "nothing".into()
        }
    );
    assert!(matches!(
        reason(a.f64_n(p, "losses", 3).unwrap_err()),
        LoadError::Invalid { ref record, .. } if record == "losses"
    ));
}

#[test]
fn every_damage_is_refused() {
    let bytes = sample().to_bytes();
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xFF] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            let e = Archive::parse(&b, Some("Metamer")).expect_err("a flipped byte is refused");
            assert!(!e.to_string().is_empty());
        }
    }
    for n in 0..bytes.len() {
        Archive::parse(&bytes[..n], None).expect_err("a cut file is refused");
    }
    let mut b = bytes.clone();
    b.push(0);
    assert_eq!(
        Archive::parse(&b, None).unwrap_err(),
        LoadError::TrailingBytes { extra: 1 }
    );
    // a damaged record is named
    let at = bytes.len() - 10;
    let mut b = bytes.clone();
    b[at] ^= 1;
    assert!(matches!(
        Archive::parse(&b, None).unwrap_err(),
        LoadError::Corrupt { ref record } if record.contains("`step`")
    ));
}

#[test]
fn version_and_kind() {
    let mut b = sample().to_bytes();
    b[16] = 1;
    assert_eq!(
        Archive::parse(&b, None).unwrap_err(),
        LoadError::Version {
            found: 1,
            expected: 2
        }
    );
    assert_eq!(
        Archive::parse(&sample().to_bytes(), Some("Eigendistortion")).unwrap_err(),
        LoadError::Kind {
            found: "Metamer".into(),
            expected: "Eigendistortion".into()
        }
    );
    assert_eq!(
        Archive::parse(b"PLENOPTIC", None).unwrap_err(),
        LoadError::Truncated {
            found: 9,
            expected: None
        }
    );
    assert_eq!(
        Archive::parse(b"plenoptic", None).unwrap_err(),
        LoadError::NotArchive
    );
}

#[test]
fn short_type_names() {
    assert_eq!(short_type_name("plenoptic::simulate::Gaussian"), "Gaussian");
    assert_eq!(
        short_type_name("&my_crate::Wrap<plenoptic::a::B, f32>"),
        "Wrap<B, f32>"
    );
    assert!(check_model_name("a::Gaussian", "b::c::Gaussian").is_ok());
    assert!(matches!(
        check_model_name("a::Gaussian", "Wrap<a::Gaussian>"),
        Err(LoadError::Mismatch { ref what, .. }) if what == "model"
    ));
}

#[test]
fn close_within_tolerance() {
    let tol = LoadTolerance::default();
    let d: &[usize] = &[2];
    assert!(check_close("image", (d, &[0.0f32, 1.0]), (d, &[0.0f32, 1.0]), tol).is_ok());
    let e = check_close("image", (d, &[0.0f32, 1.0]), (d, &[1e-7f32, 1.0]), tol).unwrap_err();
    assert!(e.to_string().contains("image have different values"), "{e}");
    let loose = LoadTolerance { atol: 1e-6, ..tol };
    assert!(check_close("image", (d, &[0.0f32, 1.0]), (d, &[1e-7f32, 1.0]), loose).is_ok());
    let e = check_close("image", (d, &[0.0f32, 1.0]), (&[1, 2], &[0.0f32, 1.0]), tol).unwrap_err();
    assert!(e.to_string().contains("have different shape"), "{e}");
}
