//! Metamer synthesis: plenoptic 1.3.0's behaviour (test_metamers.py, ported where it
//! applies) and its loss trajectory on the tutorial's Gaussian model.

mod common;

use plenoptic as po;
use po::synthesize::Metamer;
use po::{Error, Image, Model};

use common::{crop32, gaussian, npy_image, quiet, NanAbove};

fn small_gaussian() -> po::simulate::Gaussian {
    po::simulate::Gaussian::builder((7, 7))
        .std(1.5)
        .pad_mode(po::PadMode::Circular)
        .build()
        .unwrap()
}

/// A deterministic initial image in (0, 1) of the given shape.
fn smooth_init(shape: [usize; 4]) -> Image<f32> {
    let n: usize = shape.iter().product();
    let v = (0..n)
        .map(|i| 0.5 + 0.45 * ((i as f32) * 0.7).sin())
        .collect();
    po::image_from_vec(v, &shape).unwrap()
}

#[test]
fn gaussian_losses_follow_plenoptic() {
    quiet();
    let init = npy_image("gauss_metamer_init_white_noise.npy");
    let (want, _) = common::npy("losses_gaussian_metamer_first20.npy");
    let mut met = Metamer::new(po::data::einstein().unwrap(), gaussian()).unwrap();
    met.setup().initial_image(&init).run().unwrap();
    met.synthesize(20).store_progress(true).run().unwrap();
    let got = met.losses();
    assert_eq!(got.len(), 20);
    let worst = got
        .iter()
        .zip(&want)
        .map(|(g, w)| ((g - *w as f64) / *w as f64).abs())
        .fold(0.0, f64::max);
    println!("largest relative difference from plenoptic's losses: {worst:.2e}");
    // The first loss (no step yet) differs only by how the objective is rounded:
    // plenoptic's f32 value is 2.5e-6 below the exact (f64) one, ours 1.7e-7.
    assert!(((got[0] - want[0] as f64) / want[0] as f64).abs() < 5e-6);
    // Then Adam amplifies these float32 differences a little (largest here 1.9e-5).
    assert!(worst < 5e-5, "relative difference {worst}");
    // the losses fall by a factor of 6 over these iterations: not a trivial agreement
    assert!(got[19] < 0.2 * got[0]);
}

#[test]
fn default_initial_image_spans_allowed_range() {
    let img = crop32();
    let met = Metamer::new(img.clone(), small_gaussian()).unwrap();
    let v = met.metamer().as_vec();
    let (mn, mx) = v
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
    assert_eq!((mn, mx), (0.0, 1.0));
    let scaled = po::image_from_vec(
        img.as_vec().iter().map(|x| x * 2.0 - 0.5).collect(),
        &[1, 1, 32, 32],
    )
    .unwrap();
    let met = Metamer::builder(scaled, small_gaussian())
        .allowed_range((-0.5, 1.5))
        .build()
        .unwrap();
    let v = met.metamer().as_vec();
    let (mn, mx) = v
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
    assert_eq!((mn, mx), (-0.5, 1.5));
    // not a constant: noise
    assert!(v.iter().filter(|x| **x > 0.5).count() > 100);
}

#[test]
fn recorded_loss_is_objective_before_each_step() {
    quiet();
    let img = crop32();
    let mut met = Metamer::new(img, small_gaussian()).unwrap();
    met.setup()
        .initial_image(&smooth_init([1, 1, 32, 32]))
        .run()
        .unwrap();
    met.synthesize(6).store_progress(1).run().unwrap();
    assert_eq!(met.saved_iterations(), &[0, 1, 2, 3, 4, 5]);
    for (m, &it) in met.saved_metamer().iter().zip(met.saved_iterations()) {
        let obj = met.objective_function(m).unwrap();
        assert!(
            (obj - met.losses()[it]).abs() <= 1e-12 * obj.abs().max(1e-30),
            "iteration {it}"
        );
    }
    // the pixel change norm is the distance between consecutive metamers
    let a = met.saved_metamer()[2].as_vec();
    let b = met.saved_metamer()[3].as_vec();
    let d: f64 = a
        .iter()
        .zip(&b)
        .map(|(x, y)| ((x - y) as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!((d - met.pixel_change_norm()[2]).abs() < 1e-9 * d);
    assert!(met.gradient_norm().iter().all(|g| *g > 0.0));
}

#[test]
fn range_penalty_enters_the_objective() {
    let img = crop32();
    let met = Metamer::new(img.clone(), small_gaussian()).unwrap();
    let met0 = Metamer::builder(img.clone(), small_gaussian())
        .range_penalty_lambda(0.0)
        .build()
        .unwrap();
    // push four pixels outside [0, 1] by 0.5
    let mut v = img.as_vec();
    for (i, d) in [(0usize, -0.5f32), (1, 1.5), (40, -0.5), (41, 1.5)] {
        v[i] = d;
    }
    let x = po::image_from_vec(v, &[1, 1, 32, 32]).unwrap();
    let diff = met.objective_function(&x).unwrap() - met0.objective_function(&x).unwrap();
    assert!((diff - 0.1 * 4.0 * 0.25).abs() < 1e-9, "{diff}");
}

#[test]
fn resume_equals_one_long_run() {
    quiet();
    let img = crop32();
    let init = smooth_init([1, 1, 32, 32]);
    let mut a = Metamer::new(img.clone(), small_gaussian()).unwrap();
    a.setup().initial_image(&init).run().unwrap();
    // stop_criterion 0 turns the stop test off: the runs are 20 + 150 and 170 long
    a.synthesize(20)
        .store_progress(true)
        .stop_criterion(0.0)
        .run()
        .unwrap();
    a.synthesize(150)
        .store_progress(true)
        .stop_criterion(0.0)
        .run()
        .unwrap();
    let mut b = Metamer::new(img, small_gaussian()).unwrap();
    b.setup().initial_image(&init).run().unwrap();
    b.synthesize(170)
        .store_progress(true)
        .stop_criterion(0.0)
        .run()
        .unwrap();
    assert_eq!(a.losses().len(), 170);
    assert_eq!(a.losses(), b.losses());
    assert_eq!(a.gradient_norm(), b.gradient_norm());
    assert_eq!(a.pixel_change_norm(), b.pixel_change_norm());
    assert_eq!(a.metamer().as_vec(), b.metamer().as_vec());
    assert_eq!(a.saved_iterations(), b.saved_iterations());
    assert_eq!(a.saved_metamer().len(), 170);
    for (x, y) in a.saved_metamer().iter().zip(b.saved_metamer()) {
        assert_eq!(x.as_vec(), y.as_vec());
    }
}

#[test]
fn store_progress_cadence_and_shapes() {
    quiet();
    for (every, max_iter) in [(1usize, 3usize), (2, 3), (3, 6)] {
        let mut met = Metamer::new(crop32(), small_gaussian()).unwrap();
        met.synthesize(max_iter)
            .store_progress(every)
            .run()
            .unwrap();
        assert_eq!(met.saved_metamer().len(), max_iter.div_ceil(every));
        assert_eq!(met.losses().len(), max_iter);
        met.synthesize(max_iter)
            .store_progress(every)
            .run()
            .unwrap();
        assert_eq!(met.saved_metamer().len(), (2 * max_iter).div_ceil(every));
        assert_eq!(met.losses().len(), 2 * max_iter);
        let want: Vec<usize> = (0..2 * max_iter).step_by(every).collect();
        assert_eq!(met.saved_iterations(), &want[..]);
        assert_eq!(met.store_progress(), Some(every));
        for m in met.saved_metamer() {
            assert_eq!(po::dims(m), [1, 1, 32, 32]);
        }
    }
    // `true` is every iteration; leaving it out keeps the earlier cadence
    let mut met = Metamer::new(crop32(), small_gaussian()).unwrap();
    met.synthesize(2).store_progress(true).run().unwrap();
    met.synthesize(2).run().unwrap();
    assert_eq!(met.saved_metamer().len(), 4);
    // without store_progress nothing is kept
    let mut met = Metamer::new(crop32(), small_gaussian()).unwrap();
    met.synthesize(3).run().unwrap();
    assert!(met.saved_metamer().is_empty());
    assert_eq!(met.store_progress(), None);
}

#[test]
fn store_progress_must_not_change() {
    quiet();
    let mut met = Metamer::new(crop32(), small_gaussian()).unwrap();
    met.synthesize(2).store_progress(2).run().unwrap();
    let err = met.synthesize(2).store_progress(3).run().unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                name: "store_progress",
                ..
            }
        ),
        "{err}"
    );
    let err = met.synthesize(2).store_progress(false).run().unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                name: "store_progress",
                ..
            }
        ),
        "{err}"
    );
    let err = Metamer::new(crop32(), small_gaussian())
        .unwrap()
        .synthesize(2)
        .store_progress(-1)
        .run()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                name: "store_progress",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(met.losses().len(), 2);
}

#[test]
fn stops_when_loss_stops_changing() {
    quiet();
    let mut met = Metamer::new(crop32(), small_gaussian()).unwrap();
    met.setup()
        .initial_image(&smooth_init([1, 1, 32, 32]))
        .run()
        .unwrap();
    let crit = 1e-5;
    met.synthesize(1000)
        .stop_criterion(crit)
        .stop_iters_to_check(5)
        .run()
        .unwrap();
    let l = met.losses();
    let n = l.len();
    assert!(n < 1000, "did not stop early");
    assert!(
        (l[n - 5] - l[n - 1]).abs() < crit,
        "didn't stop when hit criterion"
    );
    assert!(
        (l[n - 6] - l[n - 2]).abs() >= crit,
        "stopped after hit criterion"
    );
    // the stop test carries over to a resumed synthesis: it stops at once
    met.synthesize(10)
        .stop_criterion(crit)
        .stop_iters_to_check(5)
        .run()
        .unwrap();
    assert_eq!(met.losses().len(), n + 1);
}

#[test]
fn multibatch_matches_images_one_to_one() {
    quiet();
    let e = crop32();
    let c = npy_image("einstein_crop64_r96c96.npy");
    // second image: the top-left 32x32 of the 64x64 crop, flipped upside down
    let cv = c.as_vec();
    let second: Vec<f32> = (0..32)
        .rev()
        .flat_map(|r| cv[r * 64..r * 64 + 32].to_vec())
        .collect();
    let second = po::image_from_vec(second, &[1, 1, 32, 32]).unwrap();
    let img = po::cat_batch(&[&e, &second]).unwrap();
    let init = smooth_init([2, 1, 32, 32]);
    let mut met = Metamer::new(img.clone(), small_gaussian()).unwrap();
    met.setup().initial_image(&init).run().unwrap();
    met.synthesize(300).stop_criterion(0.0).run().unwrap();
    assert_eq!(po::dims(met.metamer()), [2, 1, 32, 32]);
    let rep = small_gaussian().apply(met.metamer()).unwrap().as_vec();
    let target = met.target_representation().as_vec();
    let mse = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| ((x - y) as f64).powi(2))
            .sum::<f64>()
            / a.len() as f64
    };
    let (r0, r1) = rep.split_at(1024);
    let (t0, t1) = target.split_at(1024);
    // each metamer matches its own image, not the other one
    assert!(
        mse(r0, t0) < 1e-3 * mse(r0, t1),
        "{} vs {}",
        mse(r0, t0),
        mse(r0, t1)
    );
    assert!(
        mse(r1, t1) < 1e-3 * mse(r1, t0),
        "{} vs {}",
        mse(r1, t1),
        mse(r1, t0)
    );
}

#[test]
fn setup_only_once_and_before_synthesis() {
    quiet();
    let mut met = Metamer::new(crop32(), small_gaussian()).unwrap();
    met.setup().run().unwrap();
    let err = met.setup().run().unwrap_err();
    assert!(
        matches!(err, Error::AlreadySetUp { what: "Metamer" }),
        "{err}"
    );
    let mut met = Metamer::new(crop32(), small_gaussian()).unwrap();
    met.synthesize(1).run().unwrap();
    assert!(matches!(
        met.setup().lr(0.1).run(),
        Err(Error::AlreadySetUp { .. })
    ));
}

#[test]
fn setup_checks_initial_image_and_options() {
    let mut met = Metamer::new(crop32(), small_gaussian()).unwrap();
    let bright = po::image_from_vec(vec![1.5f32; 1024], &[1, 1, 32, 32]).unwrap();
    let err = met.setup().initial_image(&bright).run().unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                name: "initial_image",
                ..
            }
        ),
        "{err}"
    );
    let big = smooth_init([1, 1, 40, 40]);
    let err = met.setup().initial_image(&big).run().unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    let err = met.setup().lr(-1.0).run().unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { name: "lr", .. }),
        "{err}"
    );
    let err = met.setup().betas((0.9, 1.0)).run().unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { name: "betas", .. }),
        "{err}"
    );
    // failed setups leave the metamer unset, so a valid one still works
    met.setup()
        .initial_image(&smooth_init([1, 1, 32, 32]))
        .lr(0.007)
        .run()
        .unwrap();
    assert_eq!(met.optimizer_options().unwrap().lr, 0.007);
    assert_eq!(met.metamer().as_vec(), smooth_init([1, 1, 32, 32]).as_vec());
}

#[test]
fn image_outside_allowed_range_is_refused() {
    let v: Vec<f32> = crop32().as_vec().iter().map(|x| x * 2.0).collect();
    let img = po::image_from_vec(v, &[1, 1, 32, 32]).unwrap();
    let err = Metamer::new(img.clone(), small_gaussian()).unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { name: "image", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("allowed range"), "{err}");
    // a wider allowed range accepts it
    Metamer::builder(img, small_gaussian())
        .allowed_range((0.0, 2.0))
        .build()
        .unwrap();
    let mut v = crop32().as_vec();
    v[5] = f32::NAN;
    let err = Metamer::new(
        po::image_from_vec(v, &[1, 1, 32, 32]).unwrap(),
        small_gaussian(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::NonFinite { .. }), "{err}");
    let err = Metamer::builder(crop32(), small_gaussian())
        .allowed_range((1.0, 0.0))
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                name: "allowed_range",
                ..
            }
        ),
        "{err}"
    );
    let err = Metamer::builder(crop32(), small_gaussian())
        .range_penalty_lambda(-0.1)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                name: "range_penalty_lambda",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn nan_loss_is_an_error() {
    quiet();
    let img: Vec<f32> = crop32().as_vec().iter().map(|x| x * 0.5).collect();
    let img = po::image_from_vec(img, &[1, 1, 32, 32]).unwrap();
    let mut met = Metamer::new(img, NanAbove).unwrap();
    // the default initial image spans [0, 1], so the representation has NaNs
    let before = met.metamer().as_vec();
    let err = met.synthesize(5).run().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Diverged {
                iteration: 0,
                at: po::synthesize::DivergedAt::Loss
            }
        ),
        "{err}"
    );
    assert!(met.losses().is_empty());
    assert_eq!(met.metamer().as_vec(), before);
}

#[test]
fn divergence_keeps_the_last_finite_state() {
    quiet();
    let init = smooth_init([1, 1, 32, 32]);
    let mut met = Metamer::new(crop32(), small_gaussian()).unwrap();
    met.setup().initial_image(&init).lr(1e20).run().unwrap();
    let err = met
        .synthesize(100)
        .store_progress(true)
        .stop_criterion(0.0)
        .run()
        .unwrap_err();
    let Error::Diverged { iteration, .. } = err else {
        panic!("expected divergence, got {err}");
    };
    let n = met.losses().len();
    assert_eq!(iteration, n, "{err}");
    assert!(met.metamer().as_vec().iter().all(|v| v.is_finite()));
    assert_eq!(met.saved_iterations().len(), n);
    assert_eq!(met.gradient_norm().len(), n);
    // the same run stopped before the failing iteration is the state kept
    let mut again = Metamer::new(crop32(), small_gaussian()).unwrap();
    again.setup().initial_image(&init).lr(1e20).run().unwrap();
    again
        .synthesize(n)
        .store_progress(true)
        .stop_criterion(0.0)
        .run()
        .unwrap();
    assert_eq!(again.losses(), met.losses());
    assert_eq!(again.metamer().as_vec(), met.metamer().as_vec());
    // and it is where the optimiser stands: a smaller step after it equals the same step
    // taken from the completed run (same moments, same step count)
    let path = tmp("diverged.plen");
    met.save(&path).unwrap();
    let path2 = tmp("diverged_again.plen");
    again.save(&path2).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&path2).unwrap()
    );
    println!("diverged at iteration {iteration}: {err}");
}

/// A model that rebuilds its output from plain numbers, losing the input's tape.
struct DropsTape;

impl Model for DropsTape {
    fn forward<E: po::Float, D: po::Device<E>, T: po::Tape<E, D>>(
        &self,
        x: Image<E, T, D>,
    ) -> po::Result<Image<E, T, D>> {
        let v = x.as_vec();
        let d = po::dims(&x);
        Ok(po::image_on(x.device(), v, &d)?.retaped::<T>())
    }
}

#[test]
fn model_that_cuts_gradients_is_refused() {
    let err = Metamer::new(crop32(), DropsTape).unwrap_err();
    assert!(
        matches!(err, Error::InvalidModel(ref m) if m.contains("gradients")),
        "{err}"
    );
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("plenoptic-synth-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn save_load_round_trip_and_resume() {
    quiet();
    let init = smooth_init([1, 1, 32, 32]);
    let mut met = Metamer::builder(crop32(), small_gaussian())
        .range_penalty_lambda(0.2)
        .build()
        .unwrap();
    met.setup().initial_image(&init).lr(0.02).run().unwrap();
    met.synthesize(10).store_progress(3).run().unwrap();
    let path = tmp("round_trip.plen");
    met.save(&path).unwrap();

    let mut loaded = Metamer::load(&path, small_gaussian()).unwrap();
    assert_eq!(loaded.image().as_vec(), met.image().as_vec());
    assert_eq!(loaded.metamer().as_vec(), met.metamer().as_vec());
    assert_eq!(
        loaded.target_representation().as_vec(),
        met.target_representation().as_vec()
    );
    assert_eq!(loaded.losses(), met.losses());
    assert_eq!(loaded.gradient_norm(), met.gradient_norm());
    assert_eq!(loaded.pixel_change_norm(), met.pixel_change_norm());
    assert_eq!(loaded.saved_iterations(), met.saved_iterations());
    assert_eq!(loaded.saved_metamer().len(), 4);
    for (a, b) in loaded.saved_metamer().iter().zip(met.saved_metamer()) {
        assert_eq!(a.as_vec(), b.as_vec());
    }
    assert_eq!(loaded.store_progress(), Some(3));
    assert_eq!(loaded.range_penalty_lambda(), 0.2);
    assert_eq!(loaded.optimizer_options(), met.optimizer_options());

    // continuing after the load is exactly continuing the original
    met.synthesize(10).store_progress(3).run().unwrap();
    loaded.synthesize(10).store_progress(3).run().unwrap();
    assert_eq!(loaded.losses(), met.losses());
    assert_eq!(loaded.metamer().as_vec(), met.metamer().as_vec());
    assert_eq!(loaded.saved_iterations(), met.saved_iterations());

    // plenoptic-style: build with image and model, then restore
    let mut restored = Metamer::builder(crop32(), small_gaussian())
        .range_penalty_lambda(0.2)
        .build()
        .unwrap();
    restored.restore(&path).unwrap();
    assert_eq!(restored.losses().len(), 10);
    let err = restored.setup().run().unwrap_err();
    assert!(
        matches!(err, Error::AlreadySetUp { .. }),
        "a loaded metamer is set up: {err}"
    );
    restored.synthesize(10).store_progress(3).run().unwrap();
    assert_eq!(restored.losses(), met.losses());
}

#[test]
fn save_before_synthesis_then_load() {
    quiet();
    let met = Metamer::new(crop32(), small_gaussian()).unwrap();
    let path = tmp("fresh.plen");
    met.save(&path).unwrap();
    let mut loaded = Metamer::load(&path, small_gaussian()).unwrap();
    assert_eq!(loaded.metamer().as_vec(), met.metamer().as_vec());
    assert!(loaded.optimizer_options().is_none());
    loaded.setup().lr(0.05).run().unwrap();
    loaded.synthesize(3).run().unwrap();
    assert_eq!(loaded.losses().len(), 3);
}

#[test]
fn load_mismatches_are_errors() {
    quiet();
    let mut met = Metamer::new(crop32(), small_gaussian()).unwrap();
    met.synthesize(4).store_progress(true).run().unwrap();
    let path = tmp("mismatch.plen");
    met.save(&path).unwrap();

    let other_model = po::simulate::Gaussian::builder((7, 7))
        .std(2.0)
        .pad_mode(po::PadMode::Circular)
        .build()
        .unwrap();
    let err = Metamer::load(&path, other_model.clone()).unwrap_err();
    assert!(
        matches!(err, Error::Load { ref reason, .. } if reason.to_string().contains("model output have different values")),
        "{err}"
    );

    let shape_model = po::simulate::Gaussian::builder((7, 7))
        .std([1.5, 2.0])
        .pad_mode(po::PadMode::Circular)
        .build()
        .unwrap();
    let err = Metamer::load(&path, shape_model).unwrap_err();
    assert!(
        matches!(err, Error::Load { ref reason, .. } if reason.to_string().contains("different shape")),
        "{err}"
    );

    let mut v = crop32().as_vec();
    v[0] = 1.0 - v[0];
    let other_image = po::image_from_vec(v, &[1, 1, 32, 32]).unwrap();
    let err = Metamer::new(other_image, small_gaussian())
        .unwrap()
        .restore(&path)
        .unwrap_err();
    assert!(
        matches!(err, Error::Load { ref reason, .. } if reason.to_string().contains("image have different values")),
        "{err}"
    );

    let err = Metamer::builder(crop32(), small_gaussian())
        .allowed_range((0.0, 5.0))
        .build()
        .unwrap()
        .restore(&path)
        .unwrap_err();
    assert!(
        matches!(err, Error::Load { ref reason, .. } if reason.to_string().contains("allowed_range")),
        "{err}"
    );
    let err = Metamer::builder(crop32(), small_gaussian())
        .range_penalty_lambda(0.5)
        .build()
        .unwrap()
        .restore(&path)
        .unwrap_err();
    assert!(
        matches!(err, Error::Load { ref reason, .. } if reason.to_string().contains("range_penalty_lambda")),
        "{err}"
    );
    let err = Metamer::new(crop32(), other_model)
        .unwrap()
        .restore(&path)
        .unwrap_err();
    assert!(
        matches!(err, Error::Load { ref reason, .. } if reason.to_string().contains("model output")),
        "{err}"
    );

    // restoring into a metamer that already ran
    let mut used = Metamer::new(crop32(), small_gaussian()).unwrap();
    used.synthesize(1).run().unwrap();
    let err = used.restore(&path).unwrap_err();
    assert!(
        matches!(err, Error::Load { ref reason, .. } if reason.to_string().contains("just-created")),
        "{err}"
    );

    // not a saved metamer, a damaged one, a missing one
    let junk = tmp("junk.plen");
    std::fs::write(&junk, b"not a plenoptic file at all").unwrap();
    let err = Metamer::load(&junk, small_gaussian()).unwrap_err();
    assert!(
        matches!(err, Error::Load { ref reason, .. } if reason.to_string().contains("magic")),
        "{err}"
    );
    let bytes = std::fs::read(&path).unwrap();
    let cut = tmp("truncated.plen");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = Metamer::load(&cut, small_gaussian()).unwrap_err();
    assert!(
        matches!(err, Error::Load { ref reason, .. } if reason.to_string().contains("truncated")),
        "{err}"
    );
    let err = Metamer::load(tmp("missing.plen"), small_gaussian()).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
}
