//! Draws the picture at the top of the README: a metamer and the most noticeable
//! distortion of the CenterSurround model on Einstein's portrait. Also a small example of
//! using the crate from a program.
//!
//! ```text
//! cargo run --example readme_figure -- docs/readme.png
//! ```

use plenoptic as po;
use po::synthesize::{Eigendistortion, Metamer, Method};
use po::Model;

fn main() -> po::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "readme.png".into());
    po::tools::set_seed(0);
    po::synthesize::show_progress(false);

    let img = po::data::einstein()?;
    let model = po::simulate::CenterSurround::builder((31, 31))
        .center_std(1.962)
        .surround_std(4.235)
        .pad_mode(po::PadMode::Circular)
        .build()?;

    // a metamer: starts from pink noise, ends with the same model response as the image
    let pink = po::tools::rescale(
        &po::data::pink_noise::<f32>(&[1, 1, 256, 256], 1.0)?,
        0.0,
        1.0,
    )?;
    let mut metamer = Metamer::new(img.clone(), model.clone())?;
    metamer.setup().initial_image(&pink).run()?;
    metamer.synthesize(1000).stop_criterion(1e-7).run()?;

    // the distortion the model is most sensitive to
    let mut eig = Eigendistortion::new(img.clone(), model.clone())?;
    eig.synthesize().method(Method::Lobpcg).run()?;
    let distortion = eig.eigendistortion(0)?;

    let rep = model.apply(&img)?;
    let fig = po::imshow([&img, &rep, metamer.metamer(), &distortion])
        .title([
            "Image",
            "CenterSurround response",
            "Metamer (same response)",
            "Most noticeable distortion",
        ])
        .zoom(0.5)
        .build()?;
    fig.save(&out)?;
    println!("wrote {out}");
    Ok(())
}
