mod common;
use plenoptic as po;
use po::Model;

#[test]
fn gaussian_matches_reference() {
    let img = po::data::einstein().unwrap();
    let m = po::simulate::Gaussian::builder((31, 31)).pad_mode(po::PadMode::Circular).build().unwrap();
    let out: Vec<f64> = m.apply(&img).unwrap().as_vec().iter().map(|&v| v as f64).collect();
    let (r, shape) = common::npy("out_einstein_gaussian.npy");
    assert_eq!(shape, vec![1, 256, 256]);
    let r: Vec<f64> = r.iter().map(|&v| v as f64).collect();
    let d = common::max_abs_diff(&out, &r);
    println!("max diff {d}");
    assert!(d < 2e-6, "{d}");
    let img64: po::Image<f64> = po::cast(&img);
    let out64: Vec<f64> = m.apply(&img64).unwrap().as_vec();
    let d = common::max_abs_diff(&out64, &r);
    println!("max diff f64 {d}");
    assert!(d < 2e-6, "{d}");
}
