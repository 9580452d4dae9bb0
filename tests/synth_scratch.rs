mod common;
use plenoptic as po;
use po::Model;

#[test]
fn scratch() {
    let (v, s) = common::npy("gauss_metamer_init_white_noise.npy");
    let init = po::image_from_vec(v, &[1, 1, s[0], s[1]]).unwrap();
    let img = po::data::einstein().unwrap();
    let model = po::simulate::Gaussian::builder((31, 31)).std(3.0).pad_mode(po::PadMode::Circular).build().unwrap();
    let a: Vec<f64> = model.apply(&po::cast::<f32, f64, _>(&init)).unwrap().as_vec();
    let b: Vec<f64> = model.apply(&po::cast::<f32, f64, _>(&img)).unwrap().as_vec();
    let mse64 = a.iter().zip(&b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len() as f64;
    let a32: Vec<f32> = model.apply(&init).unwrap().as_vec();
    let b32: Vec<f32> = model.apply(&img).unwrap().as_vec();
    let mse32 = a32.iter().zip(&b32).map(|(x, y)| ((x - y) as f64).powi(2)).sum::<f64>() / a.len() as f64;
    let maxerr = a32.iter().zip(&a).map(|(x, y)| (*x as f64 - y).abs()).fold(0.0, f64::max);
    let (r, _) = common::npy("out_einstein_gaussian.npy");
    let maxerr_ref = b32.iter().zip(&r).map(|(x, y)| (*x - y).abs()).fold(0.0, f32::max);
    let maxerr_ref64 = b.iter().zip(&r).map(|(x, y)| (x - *y as f64).abs()).fold(0.0, f64::max);
    println!("mse64 {mse64:.9e} mse32 {mse32:.9e} f32 fft err {maxerr:.2e} ref err32 {maxerr_ref:.2e} ref err64 {maxerr_ref64:.2e}");
}
