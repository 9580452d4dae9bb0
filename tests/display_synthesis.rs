//! Display helpers for metamers, eigendistortions and model filters.

use image::AnimationDecoder;
use plenoptic as po;
use po::display::{self as disp, Colormap};
use po::simulate::{Filters, Gaussian};
use po::synthesize::{Eigendistortion, Metamer, Method};
use po::tools::Filter;
use po::{Error, PadMode};

fn model() -> Gaussian {
    Gaussian::builder((5, 5))
        .pad_mode(PadMode::Circular)
        .build()
        .unwrap()
}

#[test]
fn metamer_loss_animation_and_display() {
    po::tools::set_seed(0);
    let img = po::data::white_noise::<f32>(&[1, 1, 16, 16]).unwrap();
    let mut met = Metamer::new(img, model()).unwrap();
    // nothing stored yet: nothing to animate or plot
    assert!(disp::animate(&met)
        .build()
        .unwrap_err()
        .to_string()
        .contains("store_progress"));
    assert!(matches!(
        disp::plot_loss(&met).render(),
        Err(Error::Empty { .. })
    ));

    met.synthesize(12)
        .store_progress(true)
        .progress(false)
        .run()
        .unwrap();
    let n = met.losses().len();
    assert_eq!(disp::plot_loss(&met).losses()[0], met.losses());
    let pic = disp::plot_loss(&met).render().unwrap();
    assert_eq!((pic.width(), pic.height()), (600, 400));

    let anim = disp::animate(&met).build().unwrap();
    assert_eq!(anim.frame_count(), met.saved_metamer().len());
    assert_eq!(anim.frame_iterations(), met.saved_iterations());
    let dec = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(anim.gif())).unwrap();
    assert_eq!(
        dec.into_frames().collect_frames().unwrap().len(),
        anim.frame_count()
    );
    assert!(n >= anim.frame_count());

    let fig = disp::display_metamer(&met).build().unwrap();
    assert_eq!(fig.panels()[0].title(), Some("Metamer"));
    assert_eq!(fig.panels()[0].values(), met.metamer().as_vec().as_slice());

    // every 5 iterations: fewer frames, still the first and the stored ones
    let mut met5 = Metamer::new(met.image().clone(), model()).unwrap();
    met5.synthesize(12)
        .store_progress(5usize)
        .progress(false)
        .run()
        .unwrap();
    let anim5 = disp::animate(&met5).build().unwrap();
    assert_eq!(anim5.frame_iterations(), met5.saved_iterations());
    assert!(anim5.frame_count() < anim.frame_count());
}

#[test]
fn eigendistortion_panels_and_titles() {
    po::tools::set_seed(1);
    let img = po::data::white_noise::<f32>(&[1, 1, 8, 8]).unwrap();
    let mut eig = Eigendistortion::new(img, model()).unwrap();
    let e = disp::display_eigendistortions(&eig).build().unwrap_err();
    assert!(e.to_string().contains("run synthesize first"), "{e}");

    eig.synthesize()
        .method(Method::Exact)
        .progress(false)
        .run()
        .unwrap();
    let fig = disp::display_eigendistortions(&eig).build().unwrap();
    let n = eig.eigenindex().unwrap().len();
    assert_eq!(fig.len(), n);
    assert_eq!(fig.panels()[0].title(), Some("Maximum eigendistortion"));
    assert_eq!(fig.panels()[n - 1].title(), Some("Minimum eigendistortion"));
    if n > 2 {
        assert_eq!(fig.panels()[1].title(), Some("Eigendistortion 1"));
    }
    let d = eig.eigendistortions().unwrap().as_vec();
    assert_eq!(fig.panels()[n - 1].values(), &d[(n - 1) * 64..]);

    // image + alpha * distortion, clamped to [0, 1]
    let fig = disp::display_eigendistortion(&eig, -1, 5.0)
        .build()
        .unwrap();
    assert_eq!(
        fig.panels()[0].title(),
        Some("Image + 5 × minimum eigendistortion")
    );
    let img = eig.image().as_vec();
    let last = eig.eigendistortion(-1).unwrap().as_vec();
    for (i, &v) in fig.panels()[0].values().iter().enumerate() {
        let want = (img[i] as f64 + 5.0 * last[i] as f64).clamp(0.0, 1.0) as f32;
        assert_eq!(v, want);
    }
    let e = disp::display_eigendistortion(&eig, 1000, 5.0)
        .build()
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidArgument { name: "index", .. }),
        "{e}"
    );
}

#[test]
fn filters_as_plenoptic_shows_them() {
    let cs = po::simulate::CenterSurround::builder((31, 31))
        .center_std(1.962)
        .surround_std(4.235)
        .build()
        .unwrap();
    let fig = disp::display_filters(&cs).build().unwrap();
    assert_eq!(fig.len(), 1);
    let p = &fig.panels()[0];
    assert_eq!(p.title(), Some("linear filt"));
    assert_eq!(p.cmap(), Colormap::RdBuR);
    let m = cs
        .filter()
        .weights()
        .iter()
        .fold(0.0f64, |a, w| a.max((*w as f32 as f64).abs()));
    assert_eq!(p.vrange(), (-m, m));
    assert!(p.subtitle().ends_with("dims: [31, 31] * 5"));
    assert_eq!(fig.image_bounds(0).unwrap().unwrap().2, 155);
    let pic = fig.render().unwrap();
    assert!(pic.width() >= 155);
}

/// A model with two banks of two filters each, as OnOff has three.
struct TwoBanks;
impl Filters for TwoBanks {
    fn filters(&self) -> Vec<(Filter, Vec<String>)> {
        let bank = |s: f64| {
            Filter::new(
                (0..2 * 9).map(|i| s * (i as f64 - 8.0)).collect(),
                [2, 1, 3, 3],
            )
            .unwrap()
        };
        vec![
            (bank(1.0), vec!["a on".into(), "a off".into()]),
            (bank(2.0), vec!["b on".into(), "b off".into()]),
        ]
    }
}

struct NoFilters;
impl Filters for NoFilters {
    fn filters(&self) -> Vec<(Filter, Vec<String>)> {
        vec![]
    }
}

#[test]
fn several_banks_make_rows() {
    let fig = disp::display_filters(&TwoBanks).build().unwrap();
    let titles: Vec<_> = fig
        .panels()
        .iter()
        .map(|p| p.title().unwrap().to_string())
        .collect();
    assert_eq!(titles, ["a on", "a off", "b on", "b off"]);
    assert_eq!(fig.n_cols(), 2);
    // channel 1 of bank b holds 2 * (9..18 - 8): symmetric range 2 * 9
    assert_eq!(fig.panels()[3].vrange(), (-18.0, 18.0));
    let e = disp::display_filters(&NoFilters).build().unwrap_err();
    assert!(
        matches!(e, Error::InvalidArgument { name: "model", .. }),
        "{e}"
    );
    // options can be changed on the builder
    let fig = disp::display_filters(&TwoBanks)
        .zoom(2.0)
        .col_wrap(4)
        .build()
        .unwrap();
    assert_eq!(fig.n_cols(), 4);
    assert!(fig.panels()[0].subtitle().ends_with("* 2"));
}
