//! The evcxr rich-output protocol: a value shows inline in an evcxr notebook when its
//! `evcxr_display(&self)` method prints
//! `EVCXR_BEGIN_CONTENT <mime>\n<payload>\nEVCXR_END_CONTENT\n` on stdout.

use base64::Engine;

/// The text evcxr reads as one rich output: begin marker with the MIME type, the payload
/// on its own line(s), end marker.
///
/// ```
/// let text = plenoptic::display::evcxr_content("text/html", "<b>hi</b>");
/// assert_eq!(text, "EVCXR_BEGIN_CONTENT text/html\n<b>hi</b>\nEVCXR_END_CONTENT\n");
/// ```
pub fn evcxr_content(mime: &str, payload: &str) -> String {
    format!("EVCXR_BEGIN_CONTENT {mime}\n{payload}\nEVCXR_END_CONTENT\n")
}

/// Standard base64 (with padding) of `bytes`, as evcxr and data URLs expect.
pub(crate) fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The evcxr text for a PNG image.
pub(crate) fn png_content(png: &[u8]) -> String {
    evcxr_content("image/png", &base64(png))
}

/// The evcxr text for an animated GIF wrapped in HTML (`nbconvert --to html` drops a bare
/// `image/gif` output, an `<img>` with a data URL survives).
pub(crate) fn gif_html_content(gif: &[u8]) -> String {
    evcxr_content(
        "text/html",
        &format!("<img src=\"data:image/gif;base64,{}\">", base64(gif)),
    )
}

/// Prints `text` (a complete evcxr output) to stdout, or the error to stderr.
pub(crate) fn print(text: crate::Result<String>) {
    match text {
        Ok(t) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            // A closed stdout leaves nothing to show the picture on; ignore it.
            let _ = out.write_all(t.as_bytes());
            let _ = out.flush();
        }
        Err(e) => eprintln!("cannot display: {e}"),
    }
}
