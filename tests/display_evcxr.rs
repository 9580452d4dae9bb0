//! The evcxr rich-output protocol text of every displayable value.

use base64::Engine;
use plenoptic as po;
use po::display::{evcxr_content, Animate, LossPlot};

/// Splits evcxr output into (mime, payload), checking the markers exactly.
fn parse(text: &str) -> (&str, &str) {
    let rest = text
        .strip_prefix("EVCXR_BEGIN_CONTENT ")
        .expect("begin marker");
    let (mime, rest) = rest.split_once('\n').expect("mime line");
    let payload = rest
        .strip_suffix("\nEVCXR_END_CONTENT\n")
        .expect("end marker");
    assert!(!payload.contains('\n'), "payload on one line");
    (mime, payload)
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("valid base64")
}

#[test]
fn content_wraps_the_payload() {
    assert_eq!(
        evcxr_content("image/png", "QUJD"),
        "EVCXR_BEGIN_CONTENT image/png\nQUJD\nEVCXR_END_CONTENT\n"
    );
}

#[test]
fn figure_and_plot_are_inline_pngs() {
    let img = po::image_from_vec((0..64).map(|i| i as f32).collect(), &[1, 1, 8, 8]).unwrap();
    let fig = po::imshow(&img).title("ramp").zoom(4.0).build().unwrap();
    let text = fig.to_evcxr().unwrap();
    let (mime, payload) = parse(&text);
    assert_eq!(mime, "image/png");
    let png = b64(payload);
    assert_eq!(png, fig.png().unwrap());
    let dec = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap();
    assert_eq!((dec.width(), dec.height()), fig.size().unwrap());
    // a rendered picture says the same
    assert_eq!(fig.render().unwrap().to_evcxr().unwrap(), text);

    let plot = LossPlot::new(&[1.0, 0.1, 0.01]);
    let text = plot.to_evcxr().unwrap();
    let (mime, payload) = parse(&text);
    assert_eq!(mime, "image/png");
    let dec = image::load_from_memory(&b64(payload)).unwrap();
    assert_eq!((dec.width(), dec.height()), (600, 400));
}

#[test]
fn animation_is_an_html_img_with_a_gif_data_url() {
    let frames: Vec<po::Image> = (0..3)
        .map(|k| po::image_from_vec(vec![k as f32 / 2.0; 16], &[1, 1, 4, 4]).unwrap())
        .collect();
    let anim = Animate::new(&frames, &[0, 1, 2], &[1.0, 0.5, 0.2])
        .build()
        .unwrap();
    let text = anim.to_evcxr();
    let (mime, payload) = parse(&text);
    assert_eq!(mime, "text/html");
    let data = payload
        .strip_prefix("<img src=\"data:image/gif;base64,")
        .and_then(|p| p.strip_suffix("\">"))
        .expect("an <img> with a GIF data URL");
    let gif = b64(data);
    assert_eq!(gif, anim.gif());
    assert_eq!(&gif[..6], b"GIF89a");
    let dec = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(gif)).unwrap();
    use image::AnimationDecoder;
    assert_eq!(dec.into_frames().collect_frames().unwrap().len(), 3);
}

#[test]
fn errors_become_no_output_not_a_broken_picture() {
    // a figure that cannot be built reports an error instead of protocol text
    let bad = LossPlot::new(&[]);
    assert!(bad.to_evcxr().is_err());
}
