//! Coarse-to-fine metamers (plenoptic 1.3.0's `MetamerCTF`: its schedule, the losses it
//! records, the convergence test, save/load/resume; test_metamers.py's
//! `test_coarse_to_fine` ported) and the loss functions of any metamer (`mse`, `l2_norm`,
//! a custom one), on a small multi-scale model of Gaussian blurs.

mod common;

use std::path::PathBuf;

use plenoptic as po;
use po::dfdx::prelude::*;
use po::simulate::Scale;
use po::synthesize::{CtfMode, LossFunction, Metamer, MetamerCTF};
use po::{Error, Image, LoadError, Model};

use common::ctf_model::Blurs;
use common::quiet;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plenoptic-ctf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A 24x24 crop of einstein.
fn img() -> Image<f32> {
    let e = po::data::einstein().unwrap().as_vec();
    let v: Vec<f32> = (0..24 * 24)
        .map(|i| e[(100 + i / 24) * 256 + 100 + i % 24])
        .collect();
    po::image_from_vec(v, &[1, 1, 24, 24]).unwrap()
}

/// A deterministic initial image in (0, 1).
fn init() -> Image<f32> {
    let v = (0..24 * 24)
        .map(|i| 0.5 + 0.4 * ((i as f32) * 0.37).sin())
        .collect();
    po::image_from_vec(v, &[1, 1, 24, 24]).unwrap()
}

fn ctf(mode: CtfMode, loss: LossFunction) -> MetamerCTF<Blurs> {
    let mut met = MetamerCTF::builder(img(), Blurs::new(3))
        .coarse_to_fine(mode)
        .loss_function(loss)
        .build()
        .unwrap();
    met.setup().initial_image(&init()).run().unwrap();
    met
}

fn timing(met: &MetamerCTF<Blurs>) -> Vec<(String, Vec<usize>)> {
    met.scales_timing()
        .iter()
        .map(|(k, t)| (k.to_string(), t.clone()))
        .collect()
}

fn owned(v: &[(&str, &[usize])]) -> Vec<(String, Vec<usize>)> {
    v.iter().map(|(k, t)| (k.to_string(), t.to_vec())).collect()
}

/// The loss function between the representation of `x` restricted to `scales` and the
/// target's, plus the range penalty: what the stage minimises, computed independently.
fn stage_objective(loss: &LossFunction, x: &Image<f32>, scales: &[Scale]) -> f64 {
    let m = Blurs::new(3);
    let a = m.forward_scales(x.clone(), scales).unwrap();
    let b = m.forward_scales(img(), scales).unwrap();
    let pen: f64 = x
        .as_vec()
        .iter()
        .map(|v| {
            let d = (*v as f64).clamp(0.0, 1.0) - *v as f64;
            d * d
        })
        .sum();
    loss.value(&a, &b).unwrap() + 0.1 * pen
}

use po::simulate::CoarseToFine;

#[test]
fn together_schedule_losses_and_scales_loss_follow_plenoptic() {
    quiet();
    let mut met = ctf(CtfMode::Together, LossFunction::L2Norm);
    assert_eq!(
        met.scales(),
        [Scale::Index(2), Scale::Index(1), Scale::named("all")]
    );
    met.synthesize(10)
        .store_progress(1)
        .change_scale_criterion(None)
        .ctf_iters_to_check(3)
        .run()
        .unwrap();
    // plenoptic: a change at the start of iteration n when n - start >= 3; the stopped
    // stage's timing gets n - 1, the next one n
    assert_eq!(
        timing(&met),
        owned(&[("2", &[0, 2]), ("1", &[3, 5]), ("all", &[6])])
    );
    assert_eq!(met.scales_finished(), [Scale::Index(2), Scale::Index(1)]);
    assert_eq!(met.scales(), [Scale::named("all")]);
    assert_eq!((met.losses().len(), met.scales_loss().len()), (10, 10));
    let saved = met.saved_metamer();
    let l2 = LossFunction::L2Norm;
    for it in [0, 2, 3, 5, 6, 9] {
        let x = &saved[it];
        // losses: the full objective at the image before the step
        let full = met.objective_function(x).unwrap();
        assert!(
            (met.losses()[it] - full).abs() <= 1e-6 * full,
            "losses[{it}]"
        );
        // scales_loss: the current stage's scales and the finished ones
        let stage: &[Scale] = match it {
            0..=2 => &[Scale::Index(2)],
            3..=5 => &[Scale::Index(1), Scale::Index(2)],
            _ => &[],
        };
        let want = stage_objective(&l2, x, stage);
        let got = met.scales_loss()[it];
        assert!(
            (got - want).abs() <= 1e-5 * want,
            "scales_loss[{it}]: {got} against {want}"
        );
    }
    // in the last stage the minimised objective is the full one
    assert_eq!(met.scales_loss()[7], met.losses()[7]);
    assert!(met.scales_loss()[2] < met.losses()[2]);
    assert!(met.losses()[9] < met.losses()[0]);
}

#[test]
fn separate_schedule_visits_each_scale_alone() {
    quiet();
    let mut met = ctf(CtfMode::Separate, LossFunction::Mse);
    met.synthesize(8)
        .store_progress(1)
        .change_scale_criterion(None)
        .ctf_iters_to_check(2)
        .run()
        .unwrap();
    assert_eq!(
        timing(&met),
        owned(&[
            ("2", &[0, 1]),
            ("1", &[2, 3]),
            ("0", &[4, 5]),
            ("all", &[6])
        ])
    );
    // iteration 3 matches scale 1 alone
    let x = &met.saved_metamer()[3];
    let want = stage_objective(&LossFunction::Mse, x, &[Scale::Index(1)]);
    assert!((met.scales_loss()[3] - want).abs() <= 1e-5 * want);
}

#[test]
fn a_stage_ends_only_once_its_loss_changes_less_than_the_criterion() {
    quiet();
    let mut met = ctf(CtfMode::Together, LossFunction::L2Norm);
    // a criterion no change meets: never leaves the first stage
    met.synthesize(12)
        .change_scale_criterion(Some(1e-12))
        .stop_criterion(0.0)
        .ctf_iters_to_check(3)
        .run()
        .unwrap();
    assert!(met.scales_finished().is_empty());
    assert_eq!(timing(&met)[0], ("2".to_string(), vec![0]));
    // a criterion any change meets: changes every 3 iterations, as with None
    let mut met = ctf(CtfMode::Together, LossFunction::L2Norm);
    met.synthesize(7)
        .change_scale_criterion(Some(1e9))
        .stop_criterion(0.0)
        .ctf_iters_to_check(3)
        .run()
        .unwrap();
    assert_eq!(
        timing(&met),
        owned(&[("2", &[0, 2]), ("1", &[3, 5]), ("all", &[6])])
    );
}

#[test]
fn converges_only_after_the_last_stage_ran_long_enough() {
    quiet();
    let mut met = ctf(CtfMode::Together, LossFunction::L2Norm);
    // the loss test passes at once; plenoptic's coarse_to_fine_enough holds first after
    // iteration i with i - start("all") > 2, start("all") = 4: i = 7, 8 iterations
    met.synthesize(100)
        .change_scale_criterion(None)
        .ctf_iters_to_check(2)
        .stop_criterion(1e9)
        .stop_iters_to_check(1)
        .run()
        .unwrap();
    assert_eq!(met.losses().len(), 8);
    assert_eq!(timing(&met)[2], ("all".to_string(), vec![4]));
}

#[test]
fn bad_options_and_models_are_refused() {
    quiet();
    let mut met = ctf(CtfMode::Together, LossFunction::Mse);
    let e = met
        .synthesize(5)
        .stop_criterion(0.1)
        .change_scale_criterion(Some(0.01))
        .run();
    assert!(matches!(
        e,
        Err(Error::InvalidArgument {
            name: "stop_criterion",
            ..
        })
    ));
    let e = met.synthesize(5).ctf_iters_to_check(0).run();
    assert!(matches!(
        e,
        Err(Error::InvalidArgument {
            name: "ctf_iters_to_check",
            ..
        })
    ));
    assert!(met.losses().is_empty());
    // a single-scale model whose output does not depend on the scales: nothing to do
    // coarse to fine... one scale is allowed (its only stage is "all")
    let one = MetamerCTF::new(img(), Blurs::new(1)).unwrap();
    assert_eq!(one.scales(), [Scale::named("all")]);
    // a model whose scale subsets do not change the output's shape
    let e = MetamerCTF::new(img(), SameShape(Blurs::new(2)));
    assert!(matches!(e, Err(Error::InvalidModel(_))), "{e:?}");
}

/// Blurs whose `forward_scales` ignores the scales.
struct SameShape(Blurs);

impl Model for SameShape {
    fn forward<E: po::Float, D: po::Device<E>, T: po::Tape<E, D>>(
        &self,
        x: po::Image<E, T, D>,
    ) -> po::Result<po::Image<E, T, D>> {
        self.0.forward(x)
    }
}

impl CoarseToFine for SameShape {
    fn scales(&self) -> Vec<Scale> {
        self.0.scales()
    }
    fn forward_scales<E: po::Float, D: po::Device<E>, T: po::Tape<E, D>>(
        &self,
        x: po::Image<E, T, D>,
        _: &[Scale],
    ) -> po::Result<po::Image<E, T, D>> {
        self.0.forward(x)
    }
}

/// test_metamers.py's test_coarse_to_fine: synthesize, save, load into a new object (the
/// schedule's attributes all equal), resume; here also: the resumed run equals an
/// uninterrupted one.
#[test]
fn save_load_and_resume_equal_an_uninterrupted_run() {
    quiet();
    for mode in [CtfMode::Together, CtfMode::Separate] {
        let run = |met: &mut MetamerCTF<Blurs>, n| {
            met.synthesize(n)
                .store_progress(2)
                .change_scale_criterion(None)
                .ctf_iters_to_check(3)
                .run()
                .unwrap()
        };
        let mut whole = ctf(mode, LossFunction::L2Norm);
        run(&mut whole, 14);
        let mut first = ctf(mode, LossFunction::L2Norm);
        run(&mut first, 5);
        let path = tmp(&format!("ctf-{mode}.plen"));
        first.save(&path).unwrap();
        // load
        let mut loaded = MetamerCTF::load(&path, Blurs::new(3)).unwrap();
        assert_eq!(loaded.coarse_to_fine(), mode);
        assert_eq!(loaded.scales(), first.scales());
        assert_eq!(loaded.scales_finished(), first.scales_finished());
        assert_eq!(loaded.scales_loss(), first.scales_loss());
        assert_eq!(loaded.scales_timing(), first.scales_timing());
        assert_eq!(loaded.loss_function().name(), "l2_norm");
        run(&mut loaded, 9);
        // restore into a fresh one
        let mut restored = MetamerCTF::builder(img(), Blurs::new(3))
            .coarse_to_fine(mode)
            .loss_function(LossFunction::L2Norm)
            .build()
            .unwrap();
        restored.restore(&path).unwrap();
        run(&mut restored, 9);
        for m in [&loaded, &restored] {
            assert_eq!(m.losses(), whole.losses(), "{mode}");
            assert_eq!(m.scales_loss(), whole.scales_loss());
            assert_eq!(m.scales_timing(), whole.scales_timing());
            assert_eq!(m.metamer().as_vec(), whole.metamer().as_vec());
            assert_eq!(m.saved_iterations(), whole.saved_iterations());
        }
    }
}

#[test]
fn restore_refuses_another_mode_loss_or_a_used_synthesis() {
    quiet();
    let mut met = ctf(CtfMode::Together, LossFunction::L2Norm);
    met.synthesize(4)
        .ctf_iters_to_check(2)
        .change_scale_criterion(None)
        .run()
        .unwrap();
    let path = tmp("ctf-refuse.plen");
    met.save(&path).unwrap();
    let mismatch = |r: po::Result<()>, what: &str| match r {
        Err(Error::Load {
            reason: LoadError::Mismatch { what: w, .. },
            ..
        }) => assert_eq!(w, what),
        other => panic!("expected a mismatch of {what}, got {other:?}"),
    };
    let mut sep = MetamerCTF::builder(img(), Blurs::new(3))
        .coarse_to_fine(CtfMode::Separate)
        .loss_function(LossFunction::L2Norm)
        .build()
        .unwrap();
    mismatch(sep.restore(&path), "coarse_to_fine");
    let mut mse = MetamerCTF::new(img(), Blurs::new(3)).unwrap();
    mismatch(mse.restore(&path), "loss_function");
    assert!(matches!(
        met.restore(&path),
        Err(Error::Load {
            reason: LoadError::NotFresh { .. },
            ..
        })
    ));
    // a plain metamer's file is not a MetamerCTF's, and the other way round
    assert!(matches!(
        Metamer::load(&path, Blurs::new(3)),
        Err(Error::Load {
            reason: LoadError::Kind { .. },
            ..
        })
    ));
    // another model: fewer scales
    assert!(MetamerCTF::load(&path, Blurs::new(2)).is_err());
}

/// The mean squared error written by hand on the tape.
fn hand_mse() -> LossFunction {
    LossFunction::custom("hand_mse", |rep, target| {
        Ok((rep - target.clone()).square().mean())
    })
}

#[test]
fn a_custom_loss_follows_the_built_in_one_it_rewrites() {
    quiet();
    let model = common::gaussian();
    let image = common::crop32();
    let run = |loss: LossFunction| {
        let mut met = Metamer::builder(image.clone(), model.clone())
            .loss_function(loss)
            .build()
            .unwrap();
        let start: Vec<f32> = (0..32 * 32)
            .map(|i| 0.5 + 0.4 * ((i as f32) * 0.37).sin())
            .collect();
        let start = po::image_from_vec(start, &[1, 1, 32, 32]).unwrap();
        met.setup().initial_image(&start).run().unwrap();
        met.synthesize(15).run().unwrap();
        met
    };
    let a = run(LossFunction::Mse);
    let b = run(hand_mse());
    let worst = common::rel_diff(a.losses(), b.losses());
    assert!(worst < 1e-4, "relative difference {worst:e}");
    assert!(b.losses()[14] < b.losses()[0]);
    // saved with its name; load cannot rebuild it, restore with it can
    let path = tmp("custom.plen");
    b.save(&path).unwrap();
    assert!(matches!(
        Metamer::load(&path, model.clone()),
        Err(Error::Load {
            reason: LoadError::Invalid { .. },
            ..
        })
    ));
    let mut c = Metamer::builder(image.clone(), model.clone())
        .loss_function(hand_mse())
        .build()
        .unwrap();
    c.restore(&path).unwrap();
    assert_eq!(c.losses(), b.losses());
    // a loss that behaves differently is refused, as plenoptic's loss_function check
    let mut d = Metamer::builder(image, model)
        .loss_function(LossFunction::L2Norm)
        .build()
        .unwrap();
    assert!(matches!(
        d.restore(&path),
        Err(Error::Load {
            reason: LoadError::Mismatch { .. },
            ..
        })
    ));
}

/// The gradient of the l2_norm objective: the norm Adam's first step saw against central
/// differences of the objective in f32 (a 6x6 image, step 1e-2 on a smooth objective).
#[test]
fn l2_norm_gradient_matches_finite_differences() {
    quiet();
    let model = po::simulate::Gaussian::builder((3, 3))
        .pad_mode(po::PadMode::Circular)
        .build()
        .unwrap();
    let v: Vec<f32> = (0..36)
        .map(|i| 0.5 + 0.3 * ((i as f32) * 1.3).sin())
        .collect();
    let target = po::image_from_vec(v, &[1, 1, 6, 6]).unwrap();
    let x0: Vec<f32> = (0..36)
        .map(|i| 0.5 + 0.3 * ((i as f32) * 0.4).cos())
        .collect();
    let x = po::image_from_vec(x0.clone(), &[1, 1, 6, 6]).unwrap();
    let mut met = Metamer::builder(target, model)
        .loss_function(LossFunction::L2Norm)
        .build()
        .unwrap();
    met.setup().initial_image(&x).run().unwrap();
    let mut fd = Vec::new();
    let h = 1e-2f32;
    for i in 0..36 {
        let at = |d: f32| {
            let mut p = x0.clone();
            p[i] += d;
            met.objective_function(&po::image_from_vec(p, &[1, 1, 6, 6]).unwrap())
                .unwrap()
        };
        fd.push((at(h) - at(-h)) / (2.0 * h as f64));
    }
    let fd_norm = fd.iter().map(|g| g * g).sum::<f64>().sqrt();
    met.synthesize(1).run().unwrap();
    let got = met.gradient_norm()[0];
    assert!(
        (got - fd_norm).abs() < 1e-3 * fd_norm,
        "{got} against {fd_norm}"
    );
}

#[test]
fn l2_norm_loss_is_the_norm_of_the_difference() {
    quiet();
    let model = common::gaussian();
    let image = common::crop32();
    let mut met = Metamer::builder(image.clone(), model.clone())
        .loss_function(LossFunction::L2Norm)
        .range_penalty_lambda(0.0)
        .build()
        .unwrap();
    let start = met.metamer().clone();
    met.synthesize(3).run().unwrap();
    let a = model.apply(&start).unwrap().as_vec();
    let b = model.apply(&image).unwrap().as_vec();
    let want: f64 = a
        .iter()
        .zip(&b)
        .map(|(x, y)| ((x - y) as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!((met.losses()[0] - want).abs() < 1e-6 * want);
    assert!(met.losses()[2] < met.losses()[0]);
}

/// The blurs' own picture: one image per scale, each channel of the representation.
impl po::display::PlotRepresentation for Blurs {
    fn plot_representation(
        &self,
        rep: &Image<f32>,
        title: &str,
        ylim: Option<(f64, f64)>,
    ) -> po::Result<po::display::Picture> {
        let [_, c, h, w] = po::dims(rep);
        let v = rep.as_vec();
        let chans: Vec<Image<f32>> = (0..c)
            .map(|k| po::image_from_vec(v[k * h * w..(k + 1) * h * w].to_vec(), &[1, 1, h, w]))
            .collect::<po::Result<_>>()?;
        let titles: Vec<String> = (0..c).map(|k| format!("{title}: scale {k}")).collect();
        let range = ylim.map_or(po::display::VRange::Indep0, |(lo, hi)| {
            po::display::VRange::Explicit(lo, hi)
        });
        po::imshow(&chans[..])
            .title(titles)
            .vrange(range)
            .cmap(po::display::Colormap::RdBuR)
            .zoom(4.0)
            .build()?
            .render()
    }
}

#[test]
fn status_figure_and_animation_of_a_ctf_metamer_use_the_models_plot() {
    quiet();
    let mut met = ctf(CtfMode::Together, LossFunction::L2Norm);
    met.synthesize(12)
        .store_progress(2)
        .change_scale_criterion(None)
        .ctf_iters_to_check(3)
        .run()
        .unwrap();
    let plain = po::display::plot_synthesis_status(&met, 0)
        .unwrap()
        .render()
        .unwrap();
    let st = po::display::plot_synthesis_status(&met, 0)
        .unwrap()
        .representation_plot(met.model())
        .unwrap();
    assert_eq!(st.iterations(), vec![11]);
    let pic = st.render().unwrap();
    // the model's three panels at zoom 4 replace the default ones (zoomed to the
    // panel's height): a narrower figure
    assert!(
        pic.width() < plain.width(),
        "{} against {}",
        pic.width(),
        plain.width()
    );
    let anim = po::display::animate_synthesis_status(&met, 0, 4)
        .unwrap()
        .representation_plot(met.model())
        .unwrap();
    assert_eq!(anim.iterations(), vec![0, 4, 6, 10]);
    let gif = anim.animation().unwrap();
    assert_eq!(
        (gif.frame_count(), gif.size()),
        (4, (pic.width(), pic.height()))
    );
    if let Ok(dir) = std::env::var("PLENOPTIC_STATUS_PNG") {
        pic.save(format!("{dir}/ctf_status.png")).unwrap();
        gif.save(format!("{dir}/ctf_status.gif")).unwrap();
    }
}
