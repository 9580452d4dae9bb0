//! [`display_filters`]: a model's linear filters, as plenoptic's `model.display_filters()`.

use super::imshow::{imshow, Imshow, VRange};
use crate::simulate::Filters;
use crate::tensor::Image;

/// Shows a model's filters as plenoptic's `display_filters`: one panel per output channel
/// of every filter bank (and per input channel when a bank has several), titled from the
/// model's [`Filters`] implementation, symmetric colour ranges ([`VRange::Indep0`], so the
/// `RdBu_r` map), zoom 5, and one row per bank when banks have several channels (otherwise
/// all banks in one row). Change any option on the returned builder.
///
/// ```
/// use plenoptic as po;
/// let cs = po::simulate::CenterSurround::builder((31, 31)).build()?;
/// let fig = po::display::display_filters(&cs).build()?;
/// assert_eq!(fig.len(), 1);
/// assert_eq!(fig.panels()[0].title(), Some("linear filt"));
/// assert_eq!(fig.panels()[0].subtitle().lines().nth(1), Some("dims: [31, 31] * 5"));
/// # Ok::<(), po::Error>(())
/// ```
pub fn display_filters<M: Filters + ?Sized>(model: &M) -> Imshow {
    let banks = model.filters();
    let mut images: Vec<Image<f32>> = Vec::new();
    let mut titles: Vec<String> = Vec::new();
    let mut per_bank = 1;
    for (filt, names) in &banks {
        let [out, inp, _, _] = filt.shape();
        per_bank = per_bank.max(out * inp);
        for o in 0..out {
            let name = names
                .get(o)
                .cloned()
                .unwrap_or_else(|| format!("filter {o}"));
            for i in 0..inp {
                titles.push(if inp == 1 {
                    name.clone()
                } else {
                    format!("{name}, input {i}")
                });
            }
        }
        images.push(filt.to_image::<f32>());
    }
    let col_wrap = if per_bank > 1 {
        per_bank
    } else {
        banks.len().max(1)
    };
    let shown = imshow(images)
        .title(titles)
        .vrange(VRange::Indep0)
        .zoom(5.0)
        .col_wrap(col_wrap);
    if banks.is_empty() {
        shown.fail("model", "the model reports no filters to display")
    } else {
        shown
    }
}
