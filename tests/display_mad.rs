//! MAD competition's pictures: the MAD image, both metrics, the status and its animation,
//! and the four-synthesis summaries (set `PLENOPTIC_MAD_FIGURES` to a folder to keep the
//! PNGs for a look).

mod common;

use image::AnimationDecoder;
use plenoptic as po;
use po::display::mad;
use po::metric::{from_fn, FnMetric, Taped};
use po::synthesize::MADCompetition;
use po::Error;

type MetricFn = fn(Taped, Taped) -> po::Result<Taped>;
type Mad = MADCompetition<FnMetric, FnMetric>;

fn mse() -> FnMetric {
    from_fn(po::ops::mse as MetricFn).named("mse")
}

/// The root mean squared error with another name, as a second metric.
fn rmse() -> FnMetric {
    fn f(a: Taped, b: Taped) -> po::Result<Taped> {
        po::ops::map(po::ops::mse(a, b)?, |v, _| {
            (v.sqrt(), 0.5 / v.sqrt().max(f32::MIN_POSITIVE))
        })
    }
    from_fn(f as MetricFn).named("rmse")
}

fn run(o: FnMetric, r: FnMetric, minmax: &str) -> Mad {
    po::tools::set_seed(0);
    let mut m = MADCompetition::builder(common::crop32(), o, r, minmax)
        .metric_tradeoff_lambda(1.0)
        .build()
        .unwrap();
    m.synthesize(12)
        .store_progress(3)
        .progress(false)
        .run()
        .unwrap();
    m
}

fn keep(pic: &po::display::Picture, name: &str) {
    if let Some(dir) = std::env::var_os("PLENOPTIC_MAD_FIGURES") {
        pic.save(std::path::Path::new(&dir).join(name)).unwrap();
    }
}

#[test]
fn one_synthesis() {
    let mut fresh = MADCompetition::builder(common::crop32(), mse(), rmse(), "min")
        .metric_tradeoff_lambda(1.0)
        .build()
        .unwrap();
    // before setup: typed errors, not panics
    assert!(mad::display_synthesized_image(&fresh).build().is_err());
    assert!(matches!(
        mad::plot_synthesis_status(&fresh, 0),
        Err(Error::NotSynthesized { .. })
    ));
    assert!(mad::plot_loss(&fresh).render().is_err());
    fresh.synthesize(2).progress(false).run().unwrap();
    assert!(matches!(
        mad::animate(&fresh, 0, 10),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        mad::plot_synthesis_status(&fresh, 1),
        Err(Error::InvalidArgument { name: "batch", .. })
    ));

    let m = run(mse(), rmse(), "max");
    let fig = mad::display_synthesized_image(&m).build().unwrap();
    assert_eq!(fig.panels()[0].title(), Some("MADCompetition"));
    assert_eq!(
        fig.panels()[0].values(),
        m.mad_image().unwrap().as_vec().as_slice()
    );

    let pic = mad::plot_loss(&m).render().unwrap();
    keep(&pic, "mad_plot_loss.png");
    assert_eq!((pic.width(), pic.height()), (840, 320));
    // the red dot: some pure red pixels in each half
    let red = |x0: u32, x1: u32| {
        (x0..x1)
            .flat_map(|x| (0..pic.height()).map(move |y| (x, y)))
            .filter(|&(x, y)| pic.pixel(x, y) == Some([255, 0, 0]))
            .count()
    };
    assert!(red(0, 420) > 10 && red(420, 840) > 10);
    // at iteration 0 the dot moves left
    let moved = mad::plot_loss(&m).iteration(0).render().unwrap();
    assert_ne!(moved.as_rgb(), pic.as_rgb());

    let status = mad::plot_synthesis_status(&m, 0).unwrap();
    assert_eq!(status.iterations(), vec![12]);
    let pic = status.render().unwrap();
    keep(&pic, "mad_status.png");
    assert!(pic.width() > 840 + 380);

    let anim = mad::animate(&m, 0, 10).unwrap();
    assert_eq!(anim.iterations(), m.saved_iterations());
    let gif = anim.framerate(5.0).animation().unwrap();
    let dec = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(gif.gif())).unwrap();
    assert_eq!(dec.into_frames().collect_frames().unwrap().len(), 4);
}

#[test]
fn four_syntheses() {
    let m1min = run(mse(), rmse(), "min");
    let m1max = run(mse(), rmse(), "max");
    let m2min = run(rmse(), mse(), "min");
    let m2max = run(rmse(), mse(), "max");
    let fig = mad::display_synthesized_all(&m1min, &m2min, &m1max, &m2max, None).unwrap();
    let titles: Vec<_> = fig
        .panels()
        .iter()
        .map(|p| p.title().unwrap().to_string())
        .collect();
    assert_eq!(
        titles,
        [
            "Reference image",
            "Initial (noisy) image",
            "Minimize mse",
            "Maximize mse",
            "Minimize rmse",
            "Maximize rmse"
        ]
    );
    assert_eq!(fig.n_cols(), 2);
    assert_eq!(
        fig.panels()[3].values(),
        m1max.mad_image().unwrap().as_vec().as_slice()
    );
    keep(&fig.render().unwrap(), "mad_all.png");

    let pic = mad::plot_loss_all(&m1min, &m2min, &m1max, &m2max, Some(("MSE", "RMSE")))
        .unwrap()
        .render()
        .unwrap();
    keep(&pic, "mad_loss_all.png");
    assert!(pic.width() > 840);

    // another image among the four: refused
    po::tools::set_seed(0);
    let other = po::data::white_noise::<f32>(&[1, 1, 32, 32]).unwrap();
    let mut x = MADCompetition::builder(other, rmse(), mse(), "max")
        .metric_tradeoff_lambda(1.0)
        .build()
        .unwrap();
    x.synthesize(1).progress(false).run().unwrap();
    assert!(matches!(
        mad::display_synthesized_all(&m1min, &m2min, &m1max, &x, None),
        Err(Error::InvalidArgument { .. })
    ));
    let small = po::data::white_noise::<f32>(&[1, 1, 16, 16]).unwrap();
    let mut y = MADCompetition::builder(small, rmse(), mse(), "max")
        .metric_tradeoff_lambda(1.0)
        .build()
        .unwrap();
    y.synthesize(1).progress(false).run().unwrap();
    assert!(matches!(
        mad::plot_loss_all(&m1min, &y, &m1max, &m2max, None),
        Err(Error::ShapeMismatch { .. })
    ));
}
