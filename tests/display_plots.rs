//! Loss plots and synthesis animations: decoded pictures, marker positions, frame counts.

use image::AnimationDecoder;
use plenoptic as po;
use po::display::{Animate, LossPlot, Picture, SynthesisPlot};
use po::{Error, Image};

const RED: [u8; 3] = [255, 0, 0];
const BLUE: [u8; 3] = [31, 119, 180];
const ORANGE: [u8; 3] = [255, 127, 14];

fn pixels(pic: &Picture) -> impl Iterator<Item = (u32, u32, [u8; 3])> + '_ {
    (0..pic.height())
        .flat_map(move |y| (0..pic.width()).map(move |x| (x, y, pic.pixel(x, y).unwrap())))
}

/// Centroid and count of the pixels of colour `c`.
fn blob(pic: &Picture, c: [u8; 3]) -> Option<(f64, f64, usize)> {
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0);
    for (x, y, p) in pixels(pic) {
        if p == c {
            sx += x as f64;
            sy += y as f64;
            n += 1;
        }
    }
    (n > 0).then(|| (sx / n as f64, sy / n as f64, n))
}

/// 101 losses falling geometrically from 1 to 1e-4: a straight line on a log axis.
fn geometric() -> Vec<f64> {
    (0..101)
        .map(|i| 10f64.powf(-4.0 * i as f64 / 100.0))
        .collect()
}

#[test]
fn loss_plot_decodes_with_curve_and_marker() {
    let plot = LossPlot::new(&geometric());
    let pic = plot.render().unwrap();
    assert_eq!((pic.width(), pic.height()), (600, 400));
    let dec = image::load_from_memory(&plot.png().unwrap())
        .unwrap()
        .to_rgb8();
    assert_eq!(dec.dimensions(), (600, 400));
    assert_eq!(dec.as_raw().as_slice(), pic.as_rgb());
    // the curve spans most of the width, the dot sits at its right end, low
    let curve: Vec<(u32, u32)> = pixels(&pic)
        .filter(|p| p.2 == BLUE)
        .map(|p| (p.0, p.1))
        .collect();
    let (xmin, xmax) = (
        curve.iter().map(|p| p.0).min().unwrap(),
        curve.iter().map(|p| p.0).max().unwrap(),
    );
    assert!(xmax - xmin > 400, "{xmin}..{xmax}");
    let (mx, my, n) = blob(&pic, RED).unwrap();
    assert!((30..=100).contains(&n), "{n} red pixels");
    assert!((mx - xmax as f64).abs() < 6.0 && my > 300.0, "{mx} {my}");
    // axis labels and tick labels: dark pixels under and left of the axes
    let dark = |x0: u32, x1: u32, y0: u32, y1: u32| {
        pixels(&pic)
            .filter(|&(x, y, c)| {
                x >= x0 && x < x1 && y >= y0 && y < y1 && c[0] < 100 && c == [c[0]; 3]
            })
            .count()
    };
    assert!(dark(200, 400, 375, 400) > 100, "x label");
    assert!(dark(0, 30, 150, 250) > 50, "y label");
}

#[test]
fn marker_follows_the_iteration_on_a_log_axis() {
    let losses = geometric();
    let at = |i: usize| blob(&LossPlot::new(&losses).iteration(i).render().unwrap(), RED).unwrap();
    let (a, b, c) = (at(0), at(50), at(100));
    // equal steps in iteration and in log10(loss) are equal steps in pixels
    assert!(
        ((b.0 - a.0) - (c.0 - b.0)).abs() <= 1.0,
        "{a:?} {b:?} {c:?}"
    );
    assert!(
        ((b.1 - a.1) - (c.1 - b.1)).abs() <= 1.0,
        "{a:?} {b:?} {c:?}"
    );
    assert!(c.0 > b.0 + 100.0 && c.1 > b.1 + 100.0);
    // past the end: the last iteration
    assert_eq!(at(1000), c);
}

#[test]
fn loss_plot_skips_values_a_log_axis_cannot_show() {
    let losses = [1.0, 0.5, 0.0, 0.25, -1.0, f64::NAN, 0.1];
    let pic = LossPlot::new(&losses).render().unwrap();
    assert!(blob(&pic, BLUE).is_some());
    assert!(blob(&pic, RED).is_some());
    // a dot at a zero loss cannot be drawn
    assert!(blob(&LossPlot::new(&losses).iteration(2).render().unwrap(), RED).is_none());

    let e = LossPlot::new(&[0.0, -1.0]).render().unwrap_err();
    assert!(
        matches!(e, Error::InvalidArgument { name: "losses", .. }),
        "{e}"
    );
    let e = LossPlot::new(&[]).render().unwrap_err();
    assert!(matches!(e, Error::Empty { .. }), "{e}");
    let e = LossPlot::new(&geometric())
        .size(100, 100)
        .render()
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidArgument { name: "size", .. }),
        "{e}"
    );
    // a constant loss still plots
    assert!(blob(&LossPlot::new(&[0.3; 10]).render().unwrap(), RED).is_some());
}

#[test]
fn two_curves_share_the_axes() {
    let flat: Vec<f64> = vec![1e-2; 300];
    let plot = LossPlot::new(&geometric()).add_losses(&flat).size(800, 500);
    assert_eq!(plot.losses().len(), 2);
    let pic = plot.render().unwrap();
    assert_eq!((pic.width(), pic.height()), (800, 500));
    let orange = blob(&pic, ORANGE).unwrap();
    let blue = blob(&pic, BLUE).unwrap();
    // the flat curve runs across the whole 300 iterations, the other stops at 100
    assert!(orange.0 > blue.0 + 150.0, "{orange:?} {blue:?}");
    assert!(orange.2 > 500);
}

/// `n` frames of an 8 x 8 image, frame k uniformly k / (n - 1).
fn uniform_frames(n: usize) -> Vec<Image> {
    (0..n)
        .map(|k| po::image_from_vec(vec![k as f32 / (n - 1) as f32; 64], &[1, 1, 8, 8]).unwrap())
        .collect()
}

fn decode(gif: &[u8]) -> Vec<image::Frame> {
    let dec = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(gif)).unwrap();
    dec.into_frames().collect_frames().unwrap()
}

/// Centroid of the pixels of colour `c` in a decoded frame.
fn frame_blob(f: &image::Frame, c: [u8; 3]) -> Option<(f64, f64)> {
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0usize);
    for (x, y, p) in f.buffer().enumerate_pixels() {
        if p.0[..3] == c && p.0[3] == 255 {
            sx += x as f64;
            sy += y as f64;
            n += 1;
        }
    }
    (n > 0).then(|| (sx / n as f64, sy / n as f64))
}

/// matplotlib's grey for value `v` in range (0, 1).
fn grey01(v: f64) -> u8 {
    let i = (v * 256.0).floor().clamp(0.0, 255.0) as u8;
    if i == 255 {
        255
    } else {
        ((i as f64 * (1.0 / 255.0)) * 255.0) as u8
    }
}

#[test]
fn animation_frames_show_each_stored_image_and_move_the_dot() {
    let frames = uniform_frames(5);
    let iterations = [0, 1, 2, 3, 4];
    let losses = [1.0, 0.5, 0.25, 0.125, 0.0625];
    let anim = Animate::new(&frames, &iterations, &losses).build().unwrap();
    assert_eq!(anim.frame_count(), 5);
    assert_eq!(anim.frame_iterations(), &iterations);
    let (w, h) = anim.size();
    let decoded = decode(anim.gif());
    assert_eq!(decoded.len(), 5);

    // where the metamer panel lies: the same figure drawn on its own (8 x 8 is enlarged 32x)
    let fig = po::imshow(&frames[0])
        .title("Metamer")
        .vrange((0.0, 1.0))
        .zoom(32.0)
        .build()
        .unwrap();
    let (fw, fh) = fig.size().unwrap();
    let (bx, by, bw, bh) = fig.image_bounds(0).unwrap().unwrap();
    assert_eq!((bw, bh), (256, 256));
    let oy = (h - fh) / 2;
    let mut last_x = -1.0;
    for (k, f) in decoded.iter().enumerate() {
        assert_eq!(f.buffer().dimensions(), (w, h));
        assert_eq!(f.delay().numer_denom_ms(), (100, 1), "10 frames per second");
        let want = grey01(k as f64 / 4.0);
        for (x, y) in [
            (bx + 5, by + 5),
            (bx + bw / 2, by + bh / 2),
            (bx + bw - 3, by + bh - 3),
        ] {
            let p = f.buffer().get_pixel(x, y + oy).0;
            assert_eq!(p, [want, want, want, 255], "frame {k} at ({x}, {y})");
        }
        // the dot is on the loss plot, right of the metamer, and moves right
        let Some((mx, _)) = frame_blob(f, [255, 0, 0]) else {
            f.buffer().save(format!("/tmp/disp/bad{k}.png")).unwrap();
            panic!("no dot in frame {k}");
        };
        assert!(mx > fw as f64 && mx > last_x + 20.0, "frame {k}: {mx}");
        last_x = mx;
        // the loss curve is there in every frame
        assert!(frame_blob(f, [31, 119, 180]).is_some());
    }

    // the file saves as is
    let dir = std::env::temp_dir().join(format!("po-anim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    anim.save(dir.join("a.gif")).unwrap();
    assert_eq!(std::fs::read(dir.join("a.gif")).unwrap(), anim.gif());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn long_progress_is_subsampled() {
    let frames = uniform_frames(151);
    let iterations: Vec<usize> = (0..151).collect();
    let losses: Vec<f64> = (0..151).map(|i| 1.0 / (1.0 + i as f64)).collect();
    let anim = Animate::new(&frames, &iterations, &losses).build().unwrap();
    assert_eq!(anim.frame_count(), 60);
    let its = anim.frame_iterations();
    assert_eq!((its[0], its[59]), (0, 150));
    assert!(its.windows(2).all(|w| w[1] > w[0] && w[1] - w[0] <= 3));
    let decoded = decode(anim.gif());
    assert_eq!(decoded.len(), 60);
    // frame k shows stored image its[k]
    let fig = po::imshow(&frames[0])
        .title("Metamer")
        .vrange((0.0, 1.0))
        .zoom(32.0)
        .build()
        .unwrap();
    let (bx, by, _, _) = fig.image_bounds(0).unwrap().unwrap();
    let oy = (anim.size().1 - fig.size().unwrap().1) / 2;
    for (k, f) in decoded.iter().enumerate() {
        let want = grey01(its[k] as f64 / 150.0);
        let p = f.buffer().get_pixel(bx + 100, by + oy + 100).0;
        assert!(
            (p[0] as i32 - want as i32).abs() <= 1 && p[0] == p[1] && p[1] == p[2],
            "frame {k}: {p:?} vs {want}"
        );
    }

    let anim = Animate::new(&frames, &iterations, &losses)
        .max_frames(10)
        .framerate(20.0)
        .build()
        .unwrap();
    assert_eq!(anim.frame_count(), 10);
    let decoded = decode(anim.gif());
    assert_eq!(decoded.len(), 10);
    assert_eq!(decoded[3].delay().numer_denom_ms(), (50, 1));
}

#[test]
fn plots_choose_the_panels() {
    let frames = uniform_frames(3);
    let (its, losses) = ([0, 1, 2], [1.0, 0.1, 0.01]);
    let both = Animate::new(&frames, &its, &losses).build().unwrap();
    let img = Animate::new(&frames, &its, &losses)
        .plots(&[SynthesisPlot::DisplayMetamer])
        .build()
        .unwrap();
    let loss = Animate::new(&frames, &its, &losses)
        .plots(&[SynthesisPlot::PlotLoss])
        .build()
        .unwrap();
    assert_eq!(img.size(), (img.size().0, both.size().1));
    assert!(both.size().0 > img.size().0 + 400);
    assert!(
        loss.size().0 >= 420 && loss.size().1 == 400,
        "{:?}",
        loss.size()
    );
    assert!(decode(img.gif())
        .iter()
        .all(|f| frame_blob(f, [255, 0, 0]).is_none()));
    assert!(decode(loss.gif())
        .iter()
        .all(|f| frame_blob(f, [255, 0, 0]).is_some()));
    // loss first, metamer second: the dot is now on the left
    let swapped = Animate::new(&frames, &its, &losses)
        .plots(&[SynthesisPlot::PlotLoss, SynthesisPlot::DisplayMetamer])
        .build()
        .unwrap();
    let (x, _) = frame_blob(&decode(swapped.gif())[0], [255, 0, 0]).unwrap();
    assert!(x < loss.size().0 as f64);
}

#[test]
fn animation_errors() {
    let frames = uniform_frames(3);
    let (its, losses) = ([0usize, 1, 2], [1.0, 0.1, 0.01]);
    let none: Vec<Image> = vec![];
    let e = Animate::new(&none, &[], &losses).build().unwrap_err();
    assert!(e.to_string().contains("store_progress"), "{e}");
    let e = Animate::new(&frames, &its[..2], &losses)
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let mut mixed = frames.clone();
    mixed.push(po::image_from_vec(vec![0.0f32; 16], &[1, 1, 4, 4]).unwrap());
    let e = Animate::new(&mixed, &[0, 1, 2, 3], &losses)
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let e = Animate::new(&frames, &its, &losses)
        .batch(1)
        .build()
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidArgument { name: "batch", .. }),
        "{e}"
    );
    for fps in [0.0, -1.0, f64::NAN, 100.0] {
        let e = Animate::new(&frames, &its, &losses)
            .framerate(fps)
            .build()
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidArgument {
                    name: "framerate",
                    ..
                }
            ),
            "{e}"
        );
    }
    let e = Animate::new(&frames, &its, &losses)
        .max_frames(1)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidArgument {
                name: "max_frames",
                ..
            }
        ),
        "{e}"
    );
    let e = Animate::new(&frames, &its, &losses)
        .plots(&[])
        .build()
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidArgument { name: "plots", .. }),
        "{e}"
    );
    let e = Animate::new(&frames, &its, &[]).build().unwrap_err();
    assert!(matches!(e, Error::Empty { .. }), "{e}");
    let e = Animate::new(&frames, &its, &losses)
        .zoom(0.3)
        .build()
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidArgument { name: "zoom", .. }),
        "{e}"
    );
}

#[test]
fn noisy_frames_keep_an_exact_palette() {
    // 256 grey levels, text, an anti-aliased curve and the dot: more than a GIF palette
    // holds, so greys are snapped (by at most one level) and the colours stay exact
    let frames: Vec<Image> = (0..4)
        .map(|k| {
            let v: Vec<f32> = (0..32 * 32)
                .map(|i| ((i * 37 + k * 11) % 256) as f32 / 255.0)
                .collect();
            po::image_from_vec(v, &[1, 1, 32, 32]).unwrap()
        })
        .collect();
    let losses = [0.3, 0.2, 0.1, 0.05];
    let anim = Animate::new(&frames, &[0, 1, 2, 3], &losses)
        .build()
        .unwrap();
    let fig = po::imshow(&frames[0])
        .title("Metamer")
        .vrange((0.0, 1.0))
        .zoom(8.0)
        .build()
        .unwrap();
    let (bx, by, _, _) = fig.image_bounds(0).unwrap().unwrap();
    let oy = (anim.size().1 - fig.size().unwrap().1) / 2;
    for (k, f) in decode(anim.gif()).iter().enumerate() {
        assert!(
            frame_blob(f, [255, 0, 0]).is_some(),
            "frame {k}: the dot keeps its exact red"
        );
        assert!(
            frame_blob(f, [31, 119, 180]).is_some(),
            "frame {k}: the curve keeps its colour"
        );
        let v = frames[k].as_vec();
        for i in 0..32u32 {
            for j in 0..32u32 {
                let want = grey01(v[(i * 32 + j) as usize] as f64) as i32;
                let p = f.buffer().get_pixel(bx + 8 * j + 4, by + oy + 8 * i + 4).0;
                assert!(
                    p[0] == p[1] && p[1] == p[2] && (p[0] as i32 - want).abs() <= 1,
                    "frame {k} ({i}, {j}): {p:?} vs {want}"
                );
            }
        }
    }
}
