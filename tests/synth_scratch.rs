use plenoptic as po;
use po::synthesize::{Eigendistortion, Method};
use std::time::Instant;

#[test]
fn scratch() {
    po::synthesize::show_progress(false);
    let img = po::data::einstein().unwrap();
    let lg = po::simulate::LuminanceGainControl::builder((31, 31)).pad_mode(po::PadMode::Circular).pretrained(true).build().unwrap();
    for method in [Method::Power, Method::Lobpcg] {
        let mut eig = Eigendistortion::new(img.clone(), lg.clone()).unwrap();
        let t = Instant::now();
        eig.synthesize().method(method).run().unwrap();
        println!("LG {method:?} {:?} iters {:?} in {:.2}s", eig.eigenvalues(), eig.iterations(), t.elapsed().as_secs_f64());
    }
}
