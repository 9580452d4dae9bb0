//! The texture exercise's synthesis as a program: a coarse-to-fine Portilla-Simoncelli
//! metamer of reptile_skin, with the notebook's settings (500 iterations, L2-norm loss,
//! 3 iterations per scale, progress stored every 10th), timed. Optionally saves the
//! status figure.
//!
//! ```text
//! cargo run --release --example texture_ctf -- [status.png]
//! ```

use plenoptic as po;
use po::synthesize::{LossFunction, MetamerCTF};

fn main() -> po::Result<()> {
    po::synthesize::show_progress(false);
    po::tools::set_seed(0);
    let img = po::data::reptile_skin()?;
    let [_, _, h, w] = po::dims(&img);
    let ps = po::simulate::PortillaSimoncelli::builder((h, w)).build()?;
    let mean = img.as_vec().iter().map(|v| *v as f64).sum::<f64>() / (h * w) as f64;
    let noise = po::data::white_noise::<f32>(&[1, 1, h, w])?.as_vec();
    let im_init = po::image_from_vec(
        noise.iter().map(|v| v * 0.2 + mean as f32).collect(),
        &[1, 1, h, w],
    )?;
    let t = std::time::Instant::now();
    let mut met = MetamerCTF::builder(img.clone(), ps.clone())
        .loss_function(LossFunction::L2Norm)
        .build()?;
    met.setup().initial_image(&im_init).run()?;
    let setup = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    met.synthesize(500)
        .store_progress(10)
        .change_scale_criterion(None)
        .ctf_iters_to_check(3)
        .run()?;
    let n = met.losses().len();
    println!(
        "setup {setup:.2} s; {n} iterations in {:.2} s; final loss {:.4}",
        t.elapsed().as_secs_f64(),
        met.losses()[n - 1]
    );
    if let Some(out) = std::env::args().nth(1) {
        po::display::plot_synthesis_status(&met, 0)?
            .render()?
            .save(&out)?;
    }
    Ok(())
}
