//! Pictures of synthesis results: [`plot_loss`], [`animate`], [`display_metamer`] for
//! metamers, [`display_eigendistortions`] and [`display_eigendistortion`] for
//! eigendistortions. Thin wrappers over [`LossPlot`], [`Animate`] and [`imshow`], which
//! work on plain data too.

use super::animate::Animate;
use super::imshow::{imshow, Imshow};
use super::plot_loss::LossPlot;
use crate::simulate::Model;
use crate::synthesize::{Eigendistortion, Metamer};
use crate::tensor::{dims, image_from_vec};

/// The metamer's loss against iteration on a log axis, with a red dot at the last
/// iteration (plenoptic's `plot_loss`). Chain [`LossPlot::iteration`] to move the dot,
/// [`LossPlot::add_losses`] to add another synthesis to the same axes.
pub fn plot_loss<M: Model>(metamer: &Metamer<M>) -> LossPlot {
    LossPlot::new(metamer.losses())
}

/// The metamer's stored progress as an animated GIF: the metamer next to its loss curve
/// with a dot at the shown iteration (plenoptic's
/// `animate(metamer, included_plots=['display_metamer', 'plot_loss'])`). Needs a synthesis
/// run with `store_progress`; configure on the returned [`Animate`], or let it end a
/// notebook cell to show it.
pub fn animate<M: Model>(metamer: &Metamer<M>) -> Animate<'_> {
    Animate::new(
        metamer.saved_metamer(),
        metamer.saved_iterations(),
        metamer.losses(),
    )
}

/// The current metamer, titled "Metamer" (plenoptic's `display_metamer`).
pub fn display_metamer<M: Model>(metamer: &Metamer<M>) -> Imshow {
    imshow(metamer.metamer()).title("Metamer")
}

/// The title of the eigendistortion of rank `rank` among `n`.
fn rank_title(rank: usize, n: usize) -> String {
    if rank == 0 {
        "Maximum eigendistortion".into()
    } else if rank + 1 == n {
        "Minimum eigendistortion".into()
    } else {
        format!("Eigendistortion {rank}")
    }
}

/// All computed eigendistortions, one panel each, titled "Maximum eigendistortion",
/// "Minimum eigendistortion" (or "Eigendistortion {rank}" for the others), as the
/// tutorial's `po.imshow(eig.eigendistortions, title=[...])`.
pub fn display_eigendistortions<M: Model>(eig: &Eigendistortion<M>) -> Imshow {
    let [_, c, h, w] = dims(eig.image());
    let n = c * h * w;
    let (dists, index) = match (eig.eigendistortions(), eig.eigenindex()) {
        (Ok(d), Ok(i)) => (d, i),
        (Err(e), _) | (_, Err(e)) => {
            return imshow(eig.image()).fail("eigendistortion", e.to_string())
        }
    };
    let titles: Vec<String> = index.iter().map(|&r| rank_title(r, n)).collect();
    imshow(dists).title(titles)
}

/// The image plus `alpha` times the eigendistortion of rank `index` (negative counts from
/// the smallest), clamped to [0, 1], as plenoptic's `display_eigendistortion` (default
/// `alpha` there is 5).
pub fn display_eigendistortion<M: Model>(
    eig: &Eigendistortion<M>,
    index: isize,
    alpha: f64,
) -> Imshow {
    let dist = match eig.eigendistortion(index) {
        Ok(d) => d,
        Err(e) => return imshow(eig.image()).fail("index", e.to_string()),
    };
    let [_, c, h, w] = dims(eig.image());
    let n = c * h * w;
    // The distortion is added to the first image of the batch, as plenoptic does.
    let img = eig.image().as_vec();
    let v: Vec<f32> = img[..n]
        .iter()
        .zip(dist.as_vec())
        .map(|(&x, d)| (x as f64 + alpha * d as f64).clamp(0.0, 1.0) as f32)
        .collect();
    let rank = if index < 0 { n as isize + index } else { index } as usize;
    let title = format!("Image + {alpha} × {}", rank_title(rank, n).to_lowercase());
    match image_from_vec(v, &[1, c, h, w]) {
        Ok(x) => imshow(&x).title(title),
        Err(e) => imshow(eig.image()).fail("eigendistortion", e.to_string()),
    }
}
