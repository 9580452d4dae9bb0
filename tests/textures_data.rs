//! data: plenoptic's reptile skin, parrot and colour wheel, and `load_images`.

mod common;

use plenoptic as po;

#[test]
fn reptile_skin_is_the_reference_texture() {
    let img = po::data::reptile_skin().unwrap();
    assert_eq!(po::dims(&img), [1, 1, 256, 256]);
    // the gradient reference's target is reptile rows 96..160, cols 96..160
    let (crop, shape) = common::textures::npy("grad_ps_crop64_y.npy");
    assert_eq!(shape, vec![64, 64]);
    let v = img.as_vec();
    for i in 0..64 {
        for j in 0..64 {
            assert_eq!(v[(96 + i) * 256 + 96 + j], crop[i * 64 + j]);
        }
    }
}

#[test]
fn parrot_grey_and_colour() {
    let g = po::data::parrot(true).unwrap();
    assert_eq!(po::dims(&g), [1, 1, 254, 266]);
    let c = po::data::parrot(false).unwrap();
    assert_eq!(po::dims(&c), [1, 3, 254, 266]);
    let (gv, cv) = (g.as_vec(), c.as_vec());
    let n = 254 * 266;
    for ch in 0..3 {
        assert_eq!(&cv[ch * n..(ch + 1) * n], &gv[..]);
    }
    assert!(gv
        .iter()
        .all(|x| ((x * 255.0).round() - x * 255.0).abs() < 1e-4));
}

#[test]
fn color_wheel_grey_is_rgb2gray_of_colour() {
    let c = po::data::color_wheel(false).unwrap();
    assert_eq!(po::dims(&c), [1, 3, 600, 600]);
    let g = po::data::color_wheel(true).unwrap();
    assert_eq!(po::dims(&g), [1, 1, 600, 600]);
    let (cv, gv) = (c.as_vec(), g.as_vec());
    let n = 600 * 600;
    let mut max = 0.0f32;
    for p in 0..n {
        let y = 0.2125 * cv[p] + 0.7154 * cv[n + p] + 0.0721 * cv[2 * n + p];
        max = max.max((y - gv[p]).abs());
    }
    assert!(max < 1e-6, "{max}");
    // it is a colour picture: the channels differ
    assert!((0..n).any(|p| (cv[p] - cv[n + p]).abs() > 0.5));
}

#[test]
fn load_images_stacks_files_and_refuses_mixed_shapes() {
    let d = po::data::data_dir();
    let two = po::data::load_images::<f32, _>(&[d.join("einstein.pgm"), d.join("curie.pgm")], true)
        .unwrap();
    assert_eq!(po::dims(&two), [2, 1, 256, 256]);
    let e = po::data::einstein().unwrap().as_vec();
    assert_eq!(&two.as_vec()[..256 * 256], &e[..]);
    let mixed =
        po::data::load_images::<f32, _>(&[d.join("einstein.pgm"), d.join("parrot.png")], true);
    assert!(matches!(mixed, Err(po::Error::ShapeMismatch { .. })));
    let none: &[std::path::PathBuf] = &[];
    assert!(matches!(
        po::data::load_images::<f32, _>(none, true),
        Err(po::Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        po::data::load_images::<f32, _>(&[d.join("no-such-file.png")], true),
        Err(po::Error::ImageRead { .. })
    ));
}
