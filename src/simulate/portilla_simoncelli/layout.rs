//! The statistics vector's layout: plenoptic's groups in order with their shapes, which
//! entries are kept (`_create_necessary_stats_dict`) and the scale of each entry
//! (`_create_scales_shape_dict`).

use crate::simulate::Scale;

/// The names of plenoptic's statistic groups, in the vector's order.
pub const STAT_NAMES: [&str; 11] = [
    "pixel_statistics",
    "auto_correlation_magnitude",
    "skew_reconstructed",
    "kurtosis_reconstructed",
    "auto_correlation_reconstructed",
    "std_reconstructed",
    "cross_orientation_correlation_magnitude",
    "magnitude_std",
    "cross_scale_correlation_magnitude",
    "cross_scale_correlation_real",
    "var_highpass_residual",
];

/// One statistic group: its shape, and per entry (C order) whether it is kept and its scale.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub name: &'static str,
    pub shape: Vec<usize>,
    pub kept: Vec<bool>,
    pub scales: Vec<Scale>,
}

/// Every group for `n` scales, `no` orientations and autocorrelation width `w`.
pub(crate) fn groups(n: usize, no: usize, w: usize) -> Vec<Group> {
    let idx = |shape: &[usize], f: &dyn Fn(&[usize]) -> (bool, Scale)| -> (Vec<bool>, Vec<Scale>) {
        let total: usize = shape.iter().product();
        let mut kept = Vec::with_capacity(total);
        let mut scales = Vec::with_capacity(total);
        let mut ix = vec![0; shape.len()];
        for _ in 0..total {
            let (k, s) = f(&ix);
            kept.push(k);
            scales.push(s);
            for d in (0..shape.len()).rev() {
                ix[d] += 1;
                if ix[d] < shape[d] {
                    break;
                }
                ix[d] = 0;
            }
        }
        (kept, scales)
    };
    let with_lowpass = |k: usize| {
        if k < n {
            Scale::Index(k)
        } else {
            Scale::named("residual_lowpass")
        }
    };
    // lower triangle with the diagonal, less the diagonal entries from w/2 on (and row 0
    // when w is even)
    let autocorr_kept = |i: &[usize]| {
        (i[1] <= i[0] || (w.is_multiple_of(2) && i[0] == 0)) && !(i[0] == i[1] && i[0] >= w / 2)
    };
    let mut out = Vec::new();
    let mut push =
        |name: &'static str, shape: Vec<usize>, f: &dyn Fn(&[usize]) -> (bool, Scale)| {
            let (kept, scales) = idx(&shape, f);
            out.push(Group {
                name,
                shape,
                kept,
                scales,
            });
        };
    push("pixel_statistics", vec![6], &|_| {
        (true, Scale::named("pixel_statistics"))
    });
    push("auto_correlation_magnitude", vec![w, w, no, n], &|i| {
        (autocorr_kept(i), Scale::Index(i[3]))
    });
    push("skew_reconstructed", vec![n + 1], &|i| {
        (true, with_lowpass(i[0]))
    });
    push("kurtosis_reconstructed", vec![n + 1], &|i| {
        (true, with_lowpass(i[0]))
    });
    push("auto_correlation_reconstructed", vec![w, w, n + 1], &|i| {
        (autocorr_kept(i), with_lowpass(i[2]))
    });
    push("std_reconstructed", vec![n + 1], &|i| {
        (true, with_lowpass(i[0]))
    });
    push(
        "cross_orientation_correlation_magnitude",
        vec![no, no, n],
        &|i| (i[1] < i[0], Scale::Index(i[2])),
    );
    push("magnitude_std", vec![no, n], &|i| {
        (true, Scale::Index(i[1]))
    });
    push(
        "cross_scale_correlation_magnitude",
        vec![no, no, n - 1],
        &|i| (true, Scale::Index(i[2])),
    );
    push(
        "cross_scale_correlation_real",
        vec![no, 2 * no, n - 1],
        &|i| (true, Scale::Index(i[2])),
    );
    push("var_highpass_residual", vec![1], &|_| {
        (true, Scale::named("residual_highpass"))
    });
    out
}
