use plenoptic as po;
use po::display::VRange;

#[test]
fn scratch() -> po::Result<()> {
    let img = po::data::einstein()?;
    let model = po::simulate::Gaussian::builder((31, 31)).std(3.0).pad_mode(po::PadMode::Circular).build()?;
    let rep = po::Model::apply(&model, &img)?;
    po::imshow(&img).build()?.save("/tmp/disp/one.png")?;
    po::imshow(&[&img, &rep]).title(["Original image", "Model output"]).build()?.save("/tmp/disp/two.png")?;
    let curie = po::data::curie()?;
    po::imshow(&[&img, &rep, &curie, &rep]).col_wrap(2).vrange(VRange::Auto1)
        .title(["Original image", "Model representation\nof original image", "Synthesized metamer", "Model representation\nof synthesized metamer"])
        .build()?.save("/tmp/disp/four.png")?;
    let small = po::data::white_noise::<f32>(&[2, 1, 32, 32])?;
    po::imshow(&small).build()?.save("/tmp/disp/small.png")?;
    po::imshow(&img).zoom(0.5).vrange(VRange::Indep0).build()?.save("/tmp/disp/half.png")?;
    Ok(())
}

#[test]
fn scratch_loss() -> po::Result<()> {
    let losses: Vec<f64> = (0..151).map(|i| 0.05 * (-(i as f64) / 20.0).exp() + 1e-4).collect();
    po::display::LossPlot::new(&losses).save("/tmp/disp/loss.png")?;
    let l2: Vec<f64> = (0..500).map(|i| 0.02 * (1.0 + (-(i as f64) / 50.0).exp())).collect();
    po::display::LossPlot::new(&l2).iteration(100).add_losses(&losses).save("/tmp/disp/loss2.png")?;
    let l3: Vec<f64> = (0..3500).map(|i| 1e-1 * (-(i as f64) / 150.0).exp()).collect();
    po::display::LossPlot::new(&l3).save("/tmp/disp/loss3.png")?;
    Ok(())
}

#[test]
fn scratch_anim() -> po::Result<()> {
    let img = po::data::einstein()?;
    let n = 151;
    let frames: Vec<po::Image> = (0..n).map(|i| {
        let t = i as f32 / (n - 1) as f32;
        let v: Vec<f32> = img.as_vec().iter().enumerate().map(|(k, x)| {
            let noise = ((k * 7919 + 13) % 256) as f32 / 255.0;
            t * x + (1.0 - t) * noise
        }).collect();
        po::image_from_vec(v, &[1, 1, 256, 256]).unwrap()
    }).collect();
    let its: Vec<usize> = (0..n).collect();
    let losses: Vec<f64> = (0..n).map(|i| 0.05 * (-(i as f64) / 20.0).exp() + 1e-4).collect();
    let t = std::time::Instant::now();
    let a = po::display::Animate::new(&frames, &its, &losses).build()?;
    eprintln!("anim {:?} in {:?}", a, t.elapsed());
    a.save("/tmp/disp/anim.gif")?;
    Ok(())
}

#[test]
fn scratch_decode() {
    use image::AnimationDecoder;
    let Ok(f) = std::fs::File::open("/tmp/disp/anim.gif") else { return };
    let dec = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(f)).unwrap();
    let frames = dec.into_frames().collect_frames().unwrap();
    for k in [0usize, 30, frames.len() - 1] {
        frames[k].buffer().save(format!("/tmp/disp/frame{k}.png")).unwrap();
    }
}

#[test]
fn scratch_real() -> po::Result<()> {
    let img = po::data::einstein()?;
    let model = po::simulate::Gaussian::builder((31, 31)).std(3.0).pad_mode(po::PadMode::Circular).build()?;
    let mut met = po::synthesize::Metamer::new(img.clone(), model.clone())?;
    let t = std::time::Instant::now();
    met.synthesize(150).store_progress(true).progress(false).run()?;
    eprintln!("synth {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let a = po::display::animate(&met).build()?;
    eprintln!("anim {:?} in {:?}", a, t.elapsed());
    a.save("/tmp/disp/real.gif")?;
    po::display::plot_loss(&met).save("/tmp/disp/real_loss.png")?;
    let cs = po::simulate::CenterSurround::builder((31, 31)).center_std(1.962).surround_std(4.235).pad_mode(po::PadMode::Circular).build()?;
    po::display::display_filters(&cs).build()?.save("/tmp/disp/filters.png")?;
    let mut eig = po::synthesize::Eigendistortion::new(img.clone(), model)?;
    let t = std::time::Instant::now();
    eig.synthesize().progress(false).run()?;
    eprintln!("eig {:?}", t.elapsed());
    po::display::display_eigendistortions(&eig).build()?.save("/tmp/disp/eig.png")?;
    po::display::display_eigendistortion(&eig, 0, 5.0).build()?.save("/tmp/disp/eig0.png")?;
    Ok(())
}

#[test]
fn scratch_diff() {
    use image::AnimationDecoder;
    let Ok(f) = std::fs::File::open("/tmp/disp/real.gif") else { return };
    let dec = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(f)).unwrap();
    let frames = dec.into_frames().collect_frames().unwrap();
    let mut out = vec![];
    for k in 1..frames.len() {
        let a = frames[k - 1].buffer();
        let b = frames[k].buffer();
        let n = a.pixels().zip(b.pixels()).filter(|(x, y)| x != y).count();
        out.push(n * 100 / (a.width() * a.height()) as usize);
    }
    eprintln!("changed %: {out:?}");
    frames[30].buffer().save("/tmp/disp/real30.png").unwrap();
}

#[test]
fn scratch_lut() {
    for (cm, name) in [(po::display::Colormap::Gray, "gray"), (po::display::Colormap::RdBuR, "rdbu")] {
        let s: String = cm.lut().iter().map(|c| format!("{} {} {}\n", c[0], c[1], c[2])).collect();
        std::fs::write(format!("/tmp/ours_{name}.txt"), s).unwrap();
    }
}
