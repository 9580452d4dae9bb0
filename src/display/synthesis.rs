//! Pictures of synthesis results: [`plot_loss`], [`animate`], [`display_metamer`] for
//! metamers, [`display_eigendistortions`], [`display_eigendistortion`] and
//! [`display_eigendistortion_all`] for eigendistortions. Thin wrappers over [`LossPlot`], [`Animate`] and [`imshow`], which
//! work on plain data too.

use super::animate::Animate;
use super::figure::Figure;
use super::imshow::{imshow, Imshow};
use super::plot_loss::LossPlot;
use crate::error::{Error, Result};
use crate::simulate::Model;
use crate::synthesize::{Eigendistortion, Metamer};
use crate::tensor::{cat_batch, dims, image_from_vec, Image};

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

/// The image, eigendistortions and the image plus each one, in one figure (plenoptic
/// 1.4's `display_eigendistortion_all`): top row the eigendistortions of `eigenindex`
/// (negative counts from the smallest; the first place left blank), bottom row the
/// original image and `clamp(image + alpha * eigendistortion, 0, 1)` under each, titled
/// as plenoptic does. `alpha` holds one value for all, or one per index. plenoptic's
/// defaults are `&[0, -1]` and `&[5.0]`.
///
/// ```no_run
/// # use plenoptic as po;
/// # fn show(eig: &po::synthesize::Eigendistortion<po::simulate::Gaussian>) -> po::Result<()> {
/// let fig = po::display::display_eigendistortion_all(eig, &[0, -1], &[5.0])?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] for no index, or `alpha` neither one value nor one per
/// index (plenoptic's `ValueError`); [`Error::NotSynthesized`] before synthesis, and the
/// index errors of [`Eigendistortion::eigendistortion`].
pub fn display_eigendistortion_all<M: Model>(
    eig: &Eigendistortion<M>,
    eigenindex: &[isize],
    alpha: &[f64],
) -> Result<Figure> {
    let dists = eigenindex
        .iter()
        .map(|&i| eig.eigendistortion(i))
        .collect::<Result<Vec<_>>>()?;
    eigendistortion_grid(eig.image(), &dists, eigenindex, alpha)
}

/// [`display_eigendistortion_all`]'s figure from the image (its first batch element) and
/// the eigendistortions of `eigenindex`.
fn eigendistortion_grid(
    image: &Image<f32>,
    dists: &[Image<f32>],
    eigenindex: &[isize],
    alpha: &[f64],
) -> Result<Figure> {
    if eigenindex.is_empty() {
        return Err(Error::invalid("eigenindex", "needs at least one index"));
    }
    let alphas: Vec<f64> = match alpha.len() {
        1 => vec![alpha[0]; eigenindex.len()],
        n if n == eigenindex.len() => alpha.to_vec(),
        n => {
            return Err(Error::invalid(
                "alpha",
                format!(
                    "if alpha is a list, it must have the same number of values as \
                     eigenindex: {n} vs. {}",
                    eigenindex.len()
                ),
            ))
        }
    };
    let [_, c, h, w] = dims(image);
    let n = c * h * w;
    let img = image.as_vec()[..n].to_vec();
    let plane = |v: Vec<f32>| image_from_vec(v, &[1, c, h, w]);
    let (mut top, mut bottom) = (vec![plane(vec![1.0; n])?], vec![plane(img.clone())?]);
    let (mut top_titles, mut bottom_titles) =
        (vec![String::new()], vec!["Original image".to_string()]);
    for ((d, &i), &a) in dists.iter().zip(eigenindex).zip(&alphas) {
        let d = d.as_vec();
        let sum = img
            .iter()
            .zip(&d)
            .map(|(&x, &e)| (f64::from(x) + a * f64::from(e)).clamp(0.0, 1.0) as f32)
            .collect();
        top.push(plane(d)?);
        bottom.push(plane(sum)?);
        top_titles.push(format!("Eigendistortion[{i}]"));
        bottom_titles.push(format!("{a} * Eigendistortion[{i}]"));
    }
    top.extend(bottom);
    top_titles.extend(bottom_titles);
    let all = cat_batch(&top.iter().collect::<Vec<_>>())?;
    // one panel per channel: the grid's rows are (distortions, images) for one channel
    let mut fig = imshow(&all)
        .title(
            top_titles
                .iter()
                .flat_map(|t| std::iter::repeat_n(t.clone(), c))
                .collect::<Vec<_>>(),
        )
        .col_wrap(c * (eigenindex.len() + 1))
        .build()?;
    for ch in 0..c {
        fig.set_visible(ch, false)?;
    }
    Ok(fig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigendistortion_grid_as_plenoptic() {
        let image = image_from_vec(vec![0.5f32, 0.9, 0.1, 0.5], &[1, 1, 2, 2]).unwrap();
        let d = |v: Vec<f32>| image_from_vec(v, &[1, 1, 2, 2]).unwrap();
        let dists = [d(vec![0.1, 0.1, -0.1, 0.0]), d(vec![0.0, -0.2, 0.0, 0.2])];
        let fig = eigendistortion_grid(&image, &dists, &[0, -1], &[2.0]).unwrap();
        assert_eq!((fig.len(), fig.n_cols()), (6, 3));
        let titles: Vec<_> = fig
            .panels()
            .iter()
            .map(|p| p.title().unwrap().lines().next().unwrap_or("").to_string())
            .collect();
        assert_eq!(
            titles,
            [
                "",
                "Eigendistortion[0]",
                "Eigendistortion[-1]",
                "Original image",
                "2 * Eigendistortion[0]",
                "2 * Eigendistortion[-1]"
            ]
        );
        let visible: Vec<bool> = fig.panels().iter().map(|p| p.visible()).collect();
        assert_eq!(visible, [false, true, true, true, true, true]);
        // image + 2 * distortion, clamped to [0, 1]
        let close = |a: &[f32], b: [f32; 4]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6);
        assert!(close(fig.panels()[4].values(), [0.7, 1.0, 0.0, 0.5]));
        assert!(close(fig.panels()[5].values(), [0.5, 0.5, 0.1, 0.9]));
        assert_eq!(fig.panels()[1].values(), dists[0].as_vec());
        // alpha per index; a wrong count is plenoptic's ValueError
        let fig = eigendistortion_grid(&image, &dists, &[0, -1], &[1.0, 3.0]).unwrap();
        assert!(fig.panels()[5]
            .title()
            .unwrap()
            .starts_with("3 * Eigendistortion[-1]"));
        let e = eigendistortion_grid(&image, &dists, &[0, -1], &[1.0, 2.0, 3.0]).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
        assert!(eigendistortion_grid(&image, &[], &[], &[1.0]).is_err());
        // the hidden panel leaves its place blank (white) in the picture; the shown
        // original image (0.5 top-left) is drawn grey
        let pic = fig.render().unwrap();
        let blank = |panel: usize| {
            let (x, y, w, h) = fig.image_bounds(panel).unwrap().unwrap();
            (x..x + w).all(|i| (y..y + h).all(|j| pic.pixel(i, j) == Some([255; 3])))
        };
        assert!(blank(0));
        assert!(!blank(3));
    }
}
