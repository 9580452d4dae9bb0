//! imshow figures: layout, grey levels for every vrange mode, zoom, titles, errors, PNG.
// `po::imshow(&[&a, &b])` is how notebooks write it (the tutorial's `po.imshow([a, b])`).
#![allow(clippy::needless_borrows_for_generic_args)]

use plenoptic as po;
use po::dfdx::prelude::TensorFromVec;
use po::display::{Colormap, Figure, Show, VRange};
use po::{Error, Image};

/// matplotlib's colour index: `floor(256 (v - lo) / (hi - lo))` clipped to 0..=255.
fn level(v: f64, lo: f64, hi: f64) -> u8 {
    let x = (v - lo) / (hi - lo);
    (x * 256.0).floor().clamp(0.0, 255.0) as u8
}

/// matplotlib's `gray` colormap as bytes: `uint8(linspace(0, 1, 256)[i] * 255)`.
fn gray(i: u8) -> u8 {
    if i == 255 {
        255
    } else {
        ((i as f64 * (1.0 / 255.0)) * 255.0) as u8
    }
}

fn image(v: Vec<f32>, shape: &[usize]) -> Image {
    po::image_from_vec(v, shape).unwrap()
}

/// A 16 x 16 image holding 0, 1, ..., 255 row by row, scaled and shifted.
fn ramp(scale: f32, offset: f32) -> Image {
    image(
        (0..256).map(|i| i as f32 * scale + offset).collect(),
        &[1, 1, 16, 16],
    )
}

/// The displayed colour of image pixel (`row`, `col`) of panel `p` (zoom `z`).
fn shown(
    fig: &Figure,
    pic: &po::display::Picture,
    p: usize,
    row: u32,
    col: u32,
    z: u32,
) -> [u8; 3] {
    let (x, y, _, _) = fig.image_bounds(p).unwrap().unwrap();
    pic.pixel(x + col * z + z / 2, y + row * z + z / 2).unwrap()
}

/// Checks every pixel of a 16 x 16 panel against `expected(value)`.
fn check_panel(fig: &Figure, p: usize, img: &Image, expected: impl Fn(f64) -> [u8; 3]) {
    let pic = fig.render().unwrap();
    let v = img.as_vec();
    for r in 0..16u32 {
        for c in 0..16u32 {
            let want = expected(v[(r * 16 + c) as usize] as f64);
            assert_eq!(
                shown(fig, &pic, p, r, c, 1),
                want,
                "panel {p} pixel ({r}, {c})"
            );
        }
    }
}

#[test]
fn indep1_maps_each_panel_from_its_min_to_its_max() {
    let (a, b) = (ramp(1.0, 0.0), ramp(0.01, -1.0));
    let fig = po::imshow(&[&a, &b]).build().unwrap();
    assert_eq!(fig.panels()[0].vrange(), (0.0, 255.0));
    let (lo, hi) = fig.panels()[1].vrange();
    assert!((lo + 1.0).abs() < 1e-6 && (hi - 1.55).abs() < 1e-6);
    for (p, img) in [(0, &a), (1, &b)] {
        let (lo, hi) = fig.panels()[p].vrange();
        check_panel(&fig, p, img, |v| [gray(level(v, lo, hi)); 3]);
    }
    // the ends of the ramp are black and white
    let pic = fig.render().unwrap();
    assert_eq!(shown(&fig, &pic, 1, 0, 0, 1), [0; 3]);
    assert_eq!(shown(&fig, &pic, 1, 15, 15, 1), [255; 3]);
    assert_eq!(fig.panels()[0].cmap(), Colormap::Gray);
}

#[test]
fn auto1_shares_one_range() {
    let (a, b) = (ramp(1.0, 0.0), ramp(0.5, 64.0));
    let fig = po::imshow(&[&a, &b]).vrange(VRange::Auto1).build().unwrap();
    assert_eq!(fig.panels()[0].vrange(), (0.0, 255.0));
    assert_eq!(fig.panels()[1].vrange(), (0.0, 255.0));
    check_panel(&fig, 1, &b, |v| [gray(level(v, 0.0, 255.0)); 3]);
    // b's darkest pixel (64) is mid-grey, not black
    let pic = fig.render().unwrap();
    assert_eq!(shown(&fig, &pic, 1, 0, 0, 1), [gray(64); 3]);
}

#[test]
fn symmetric_modes_centre_zero_and_use_rdbu() {
    let (a, b) = (ramp(1.0, -100.0), ramp(0.1, -5.0));
    let fig = po::imshow(&[&a, &b])
        .vrange(VRange::Indep0)
        .build()
        .unwrap();
    assert_eq!(fig.panels()[0].vrange(), (-155.0, 155.0));
    let (lo, hi) = fig.panels()[1].vrange();
    assert!((lo + 20.5).abs() < 1e-5 && (hi - 20.5).abs() < 1e-5);
    assert_eq!(fig.panels()[0].cmap(), Colormap::RdBuR);
    let pic = fig.render().unwrap();
    let low = shown(&fig, &pic, 0, 0, 0, 1); // -100: blue side
    let zero = shown(&fig, &pic, 0, 6, 4, 1); // value 0 exactly
    let high = shown(&fig, &pic, 0, 15, 15, 1); // 155 = max: darkest red
    assert!(low[2] > low[0] + 60, "{low:?}");
    assert!(zero.iter().all(|&c| c > 235), "{zero:?}");
    assert!(high[0] > 90 && high[1] < 10 && high[2] < 40, "{high:?}");
    assert_eq!(high, Colormap::RdBuR.lut()[255]);

    // auto0 with grey levels checks the numbers exactly
    let fig = po::imshow(&[&a, &b])
        .vrange(VRange::Auto0)
        .cmap(Colormap::Gray)
        .build()
        .unwrap();
    assert_eq!(fig.panels()[1].vrange(), (-155.0, 155.0));
    check_panel(&fig, 1, &b, |v| [gray(level(v, -155.0, 155.0)); 3]);
    check_panel(&fig, 0, &a, |v| [gray(level(v, -155.0, 155.0)); 3]);
}

#[test]
fn explicit_range_clips() {
    let a = ramp(1.0, 0.0);
    let fig = po::imshow(&a).vrange((50.0, 150.0)).build().unwrap();
    assert_eq!(fig.panels()[0].vrange(), (50.0, 150.0));
    check_panel(&fig, 0, &a, |v| [gray(level(v, 50.0, 150.0)); 3]);
    let pic = fig.render().unwrap();
    assert_eq!(shown(&fig, &pic, 0, 0, 10, 1), [0; 3]); // 10 < 50
    assert_eq!(shown(&fig, &pic, 0, 15, 0, 1), [255; 3]); // 240 > 150
}

#[test]
fn statistics_ranges() {
    // 0..99: p10 = 9.9, p90 = 89.1, so indep3 = (9.9 - 9.9, 89.1 + 9.9)
    let a = image((0..100).map(|i| i as f32).collect(), &[1, 1, 10, 10]);
    let fig = po::imshow(&a).vrange(VRange::Indep3).build().unwrap();
    let (lo, hi) = fig.panels()[0].vrange();
    assert!(lo.abs() < 1e-9 && (hi - 99.0).abs() < 1e-9, "{lo} {hi}");
    // half zeros, half ones: mean 0.5, std 0.5
    let b = image((0..100).map(|i| (i % 2) as f32).collect(), &[1, 1, 10, 10]);
    let fig = po::imshow(&b).vrange(VRange::Indep2).build().unwrap();
    assert_eq!(fig.panels()[0].vrange(), (-0.5, 1.5));
    let fig = po::imshow(&[&b, &b]).vrange(VRange::Auto2).build().unwrap();
    assert_eq!(fig.panels()[1].vrange(), (-0.5, 1.5));
}

#[test]
fn constant_image_shows_the_lowest_colour() {
    let ones = image(vec![1.0; 64], &[1, 1, 8, 8]);
    let mut fig = po::imshow(&ones).build().unwrap();
    assert_eq!(fig.panels()[0].vrange(), (1.0, 1.0));
    let pic = fig.render().unwrap();
    assert_eq!(shown(&fig, &pic, 0, 3, 3, 1), [0; 3]);
    // the tutorial's plot_helper re-ranges it to (0, 1): now white
    fig.set_clim(0, (0.0, 1.0)).unwrap();
    let pic = fig.render().unwrap();
    assert_eq!(shown(&fig, &pic, 0, 3, 3, 1), [255; 3]);
    assert_eq!(
        fig.panels()[0].subtitle(),
        "range: [0.0e+00, 1.0e+00]\ndims: [8, 8] * 1"
    );
}

#[test]
fn orientation_row_zero_is_the_top() {
    // one bright pixel at row 0, column 3 of a 4 x 4 image, zoom 4
    let mut v = vec![0.0f32; 16];
    v[3] = 1.0;
    let fig = po::imshow(&image(v, &[1, 1, 4, 4]))
        .zoom(4.0)
        .build()
        .unwrap();
    let pic = fig.render().unwrap();
    let (x, y, w, h) = fig.image_bounds(0).unwrap().unwrap();
    assert_eq!((w, h), (16, 16));
    for r in 0..16 {
        for c in 0..16 {
            let bright = r < 4 && c >= 12;
            let want = if bright { 255 } else { 0 };
            assert_eq!(pic.pixel(x + c, y + r).unwrap(), [want; 3], "({r}, {c})");
        }
    }
}

#[test]
fn zoom_repeats_or_samples_pixels() {
    let a = ramp(1.0, 0.0);
    // zoom 3: each image pixel is a 3 x 3 block
    let fig = po::imshow(&a).zoom(3.0).build().unwrap();
    let pic = fig.render().unwrap();
    let (x, y, w, h) = fig.image_bounds(0).unwrap().unwrap();
    assert_eq!((w, h), (48, 48));
    for r in 0..48 {
        for c in 0..48 {
            let v = (r / 3 * 16 + c / 3) as f64;
            assert_eq!(
                pic.pixel(x + c, y + r).unwrap(),
                [gray(level(v, 0.0, 255.0)); 3]
            );
        }
    }
    assert!(fig.panels()[0].subtitle().ends_with("dims: [16, 16] * 3"));
    // zoom 1/4: each display pixel is the centre pixel (row 4i + 2, col 4j + 2) of its block
    let fig = po::imshow(&a).zoom(0.25).build().unwrap();
    let pic = fig.render().unwrap();
    let (x, y, w, h) = fig.image_bounds(0).unwrap().unwrap();
    assert_eq!((w, h), (4, 4));
    for i in 0..4 {
        for j in 0..4 {
            let v = ((4 * i + 2) * 16 + 4 * j + 2) as f64;
            assert_eq!(
                pic.pixel(x + j, y + i).unwrap(),
                [gray(level(v, 0.0, 255.0)); 3]
            );
        }
    }
    assert!(fig.panels()[0]
        .subtitle()
        .ends_with("dims: [16, 16] * 0.25"));
}

#[test]
fn smaller_images_in_a_list_are_enlarged_to_the_largest() {
    let big = ramp(1.0, 0.0);
    let small = image((0..16).map(|i| i as f32).collect(), &[1, 1, 4, 4]);
    let fig = po::imshow(&[&big, &small]).zoom(2.0).build().unwrap();
    assert!(fig.panels()[0].subtitle().ends_with("dims: [16, 16] * 2"));
    assert!(fig.panels()[1].subtitle().ends_with("dims: [4, 4] * 8"));
    let pic = fig.render().unwrap();
    let (x, y, w, h) = fig.image_bounds(1).unwrap().unwrap();
    assert_eq!((w, h), (32, 32));
    // small's pixel (1, 2) = 6 fills display rows 8..16, columns 16..24
    for r in 8..16 {
        for c in 16..24 {
            assert_eq!(
                pic.pixel(x + c, y + r).unwrap(),
                [gray(level(6.0, 0.0, 15.0)); 3]
            );
        }
    }
}

#[test]
fn every_batch_and_channel_is_a_panel() {
    let v: Vec<f32> = (0..2 * 3 * 4)
        .map(|i| (i / 4) as f32 + (i % 4) as f32 * 0.1)
        .collect();
    let x = image(v, &[2, 3, 2, 2]);
    let fig = po::imshow(&x)
        .title(["b0c0", "b0c1", "b0c2", "b1c0", "b1c1", "b1c2"])
        .build()
        .unwrap();
    assert_eq!(fig.len(), 6);
    assert_eq!(fig.n_cols(), 6);
    for (k, p) in fig.panels().iter().enumerate() {
        let (lo, hi) = p.vrange();
        assert!((lo - k as f64).abs() < 1e-6 && (hi - k as f64 - 0.3).abs() < 1e-6);
        assert_eq!(p.title(), Some(format!("b{}c{}", k / 3, k % 3).as_str()));
    }
    // img.show() is imshow with defaults
    assert_eq!(x.show().unwrap(), po::imshow(&x).build().unwrap());
    assert_eq!(po::display::show(&x).unwrap().len(), 6);
}

#[test]
fn grid_layout_follows_col_wrap() {
    let a = ramp(1.0, 0.0);
    let fig = po::imshow(&[&a, &a, &a, &a, &a])
        .col_wrap(2)
        .zoom(4.0)
        .build()
        .unwrap();
    let b: Vec<_> = (0..5)
        .map(|i| fig.image_bounds(i).unwrap().unwrap())
        .collect();
    // same columns in every row, rows stacked
    assert_eq!(b[0].0, b[2].0);
    assert_eq!(b[1].0, b[3].0);
    assert!(b[1].0 >= b[0].0 + 64);
    assert_eq!(b[0].1, b[1].1);
    assert!(b[2].1 >= b[0].1 + 64);
    assert!(b[4].1 > b[2].1);
    assert_eq!(fig.image_bounds(5).unwrap(), None);
    let (w, h) = fig.size().unwrap();
    let pic = fig.render().unwrap();
    assert_eq!((pic.width(), pic.height()), (w, h));
    // two columns, three rows
    let col = b[1].0 - b[0].0;
    assert!(w > 2 * 64 && w < 3 * col && h > 3 * 64, "{w} x {h}");
    // the fifth cell of the grid (row 2, column 1) stays white
    assert!(pic.pixel(b[1].0 + 32, b[4].1 + 32) == Some([255; 3]));
    // col_wrap larger than the panel count: one row
    let fig = po::imshow(&[&a, &a]).col_wrap(5).build().unwrap();
    assert_eq!(fig.n_cols(), 2);
}

/// Dark pixels (any channel < 128) in rows `y0..y1` of a picture.
fn dark(pic: &po::display::Picture, y0: u32, y1: u32) -> usize {
    (y0..y1)
        .flat_map(|y| (0..pic.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| pic.pixel(x, y).unwrap().iter().any(|&c| c < 128))
        .count()
}

#[test]
fn titles_draw_text_above_the_image() {
    let a = image(vec![1.0; 64 * 64], &[1, 1, 64, 64]);
    let plain = po::imshow(&a).build().unwrap();
    let titled = po::imshow(&a).title("Original image").build().unwrap();
    let two_lines = po::imshow(&a)
        .title("Model representation\nof original image")
        .build()
        .unwrap();
    let none = po::imshow(&a).no_title().build().unwrap();

    let (_, y_plain, _, _) = plain.image_bounds(0).unwrap().unwrap();
    let (_, y_titled, _, _) = titled.image_bounds(0).unwrap().unwrap();
    let (_, y_two, _, _) = two_lines.image_bounds(0).unwrap().unwrap();
    let (_, y_none, _, _) = none.image_bounds(0).unwrap().unwrap();
    // "" still leaves an (empty) title line above the subtitle, as pyrtools
    assert_eq!(y_plain, y_titled);
    assert!(y_two > y_titled + 10, "{y_two} vs {y_titled}");
    assert_eq!(y_none, 8); // just the margin
    assert_eq!(none.panels()[0].title(), None);

    let (p, t, n) = (
        plain.render().unwrap(),
        titled.render().unwrap(),
        none.render().unwrap(),
    );
    // the image itself is black (constant image), the text band is above it
    let line = (y_titled - 8) / 3; // three lines: title, range, dims
    let title_band = (8, 8 + line);
    assert_eq!(
        dark(&p, title_band.0, title_band.1),
        0,
        "empty title draws nothing"
    );
    assert!(
        dark(&t, title_band.0, title_band.1) > 100,
        "the title draws dark pixels"
    );
    // both draw the same subtitle
    assert_eq!(
        dark(&p, 8 + line, y_plain - 1),
        dark(&t, 8 + line, y_titled - 1)
    );
    assert!(dark(&p, 8 + line, y_plain - 1) > 100);
    assert_eq!(dark(&n, 0, y_none), 0);
    assert_eq!(n.height(), 64 + 16);
    // figures with titles are wide enough for them
    assert!(t.width() > 64 + 16);
}

#[test]
fn set_clim_and_set_title_update_the_panel() {
    let a = ramp(1.0, 0.0);
    let mut fig = po::imshow(&[&a, &a]).build().unwrap();
    fig.set_clim(1, (-0.0123, 45600.0)).unwrap();
    assert_eq!(
        fig.panels()[1].subtitle(),
        "range: [-1.2e-02, 4.6e+04]\ndims: [16, 16] * 1"
    );
    fig.set_clim(0, (9.96, 128.0)).unwrap();
    assert_eq!(
        fig.panels()[0].subtitle(),
        "range: [1.0e+01, 1.3e+02]\ndims: [16, 16] * 1"
    );
    check_panel(&fig, 0, &a, |v| [gray(level(v, 9.96, 128.0)); 3]);
    fig.set_title(1, "Model representation\nof synthesized metamer")
        .unwrap();
    assert_eq!(
        fig.panels()[1].title(),
        Some("Model representation\nof synthesized metamer")
    );
    fig.set_cmap(1, Colormap::RdBuR).unwrap();
    assert_eq!(fig.panels()[1].cmap(), Colormap::RdBuR);

    assert!(matches!(
        fig.set_clim(0, (1.0, 1.0)),
        Err(Error::InvalidArgument { name: "vrange", .. })
    ));
    assert!(matches!(
        fig.set_clim(0, (2.0, 1.0)),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        fig.set_clim(0, (0.0, f64::NAN)),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        fig.set_clim(2, (0.0, 1.0)),
        Err(Error::InvalidArgument { name: "panel", .. })
    ));
    assert!(fig.set_title(7, "x").is_err());
}

#[test]
fn bad_input_gives_clear_errors() {
    let a = ramp(1.0, 0.0);
    let empty: Vec<Image> = Vec::new();
    let e = po::imshow(&empty).build().unwrap_err();
    assert!(matches!(e, Error::Empty { .. }), "{e}");

    let odd = image(vec![0.0; 12 * 12], &[1, 1, 12, 12]);
    let e = po::imshow(&[&a, &odd]).build().unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }));
    assert!(
        e.to_string()
            .contains("must be able to be 'zoomed in' to the largest image"),
        "{e}"
    );

    let flat = image(vec![0.0; 8 * 4], &[1, 1, 8, 4]);
    let e = po::imshow(&[&a, &flat]).build().unwrap_err();
    assert!(
        e.to_string()
            .contains("Both height and width must be multiplied by same amount"),
        "{e}"
    );

    for z in [0.0, -2.0, f64::NAN, f64::INFINITY] {
        let e = po::imshow(&a).zoom(z).build().unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument { name: "zoom", .. }),
            "{z}: {e}"
        );
        assert!(e.to_string().contains("positive"), "{e}");
    }
    for z in [0.3, 1.0 / 3.0, 1.0 / 32.0, 2.7] {
        let e = po::imshow(&a).zoom(z).build().unwrap_err();
        assert!(
            e.to_string()
                .contains("zoom * signal.shape must result in integers!"),
            "{z}: {e}"
        );
    }
    // 1/3 divides a 9 x 9 image, 1.5 times 16 is whole (as pyrtools allows)
    let nine = image(vec![0.5; 81], &[1, 1, 9, 9]);
    assert_eq!(
        po::imshow(&nine)
            .zoom(1.0 / 3.0)
            .build()
            .unwrap()
            .image_bounds(0)
            .unwrap()
            .unwrap()
            .2,
        3
    );
    assert_eq!(
        po::imshow(&a)
            .zoom(1.5)
            .build()
            .unwrap()
            .image_bounds(0)
            .unwrap()
            .unwrap()
            .2,
        24
    );

    for r in [(1.0, 1.0), (2.0, 1.0), (f64::NEG_INFINITY, 0.0)] {
        let e = po::imshow(&a).vrange(r).build().unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument { name: "vrange", .. }),
            "{e}"
        );
    }
    let e = po::imshow(&[&a, &a])
        .title(["only one"])
        .build()
        .unwrap_err();
    assert!(
        e.to_string().contains("same number of titles and images"),
        "{e}"
    );
    let e = po::imshow(&a).col_wrap(0).build().unwrap_err();
    assert!(matches!(
        e,
        Error::InvalidArgument {
            name: "col_wrap",
            ..
        }
    ));

    let nan = image(vec![0.0, f32::NAN, 1.0, 2.0], &[1, 1, 2, 2]);
    let e = po::imshow(&nan).build().unwrap_err();
    assert!(matches!(e, Error::NonFinite { count: 1, .. }), "{e}");
}

#[test]
fn png_decodes_to_the_rendered_pixels_and_saves() {
    let a = ramp(1.0, 0.0);
    let fig = po::imshow(&[&a, &a])
        .title(["one", "two"])
        .zoom(4.0)
        .build()
        .unwrap();
    let pic = fig.render().unwrap();
    let png = fig.png().unwrap();
    let dec = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap();
    // greyscale figures are stored as one grey channel
    assert_eq!(dec.color(), image::ColorType::L8);
    let dec = dec.to_rgb8();
    assert_eq!(dec.dimensions(), (pic.width(), pic.height()));
    assert_eq!(dec.as_raw().as_slice(), pic.as_rgb());

    // a colour figure is RGB
    let fig0 = po::imshow(&ramp(1.0, -128.0))
        .vrange(VRange::Indep0)
        .build()
        .unwrap();
    let dec0 = image::load_from_memory(&fig0.png().unwrap()).unwrap();
    assert_eq!(dec0.color(), image::ColorType::Rgb8);
    assert_eq!(
        dec0.to_rgb8().as_raw().as_slice(),
        fig0.render().unwrap().as_rgb()
    );

    let dir = std::env::temp_dir().join(format!("po-display-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fig.png");
    fig.save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), png);
    let e = fig
        .save(dir.join("missing-dir").join("fig.png"))
        .unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn f64_images_and_taped_images_show_too() {
    let a: Image<f64> =
        po::image_from_vec((0..256).map(|i| i as f64).collect(), &[1, 1, 16, 16]).unwrap();
    let fig = po::imshow(&a).build().unwrap();
    assert_eq!(fig.panels()[0].vrange(), (0.0, 255.0));
    let v = vec![a.clone(), a.clone()];
    assert_eq!(po::imshow(&v).build().unwrap().len(), 2);
    assert_eq!(po::imshow(v).build().unwrap().len(), 2);
}

#[test]
fn empty_tensor_is_an_error_not_a_panic() {
    let t: Image =
        po::device::cpu().tensor_from_vec(Vec::<f32>::new(), (0usize, 1usize, 4usize, 4usize));
    let e = po::imshow(&t).build().unwrap_err();
    assert!(matches!(e, Error::Empty { .. }), "{e}");
}
