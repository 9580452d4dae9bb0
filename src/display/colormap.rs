//! Colour maps: matplotlib's `gray` and `RdBu_r` lookup tables, 256 entries each.

use std::sync::OnceLock;

/// How values are turned into colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colormap {
    /// Black (low) to white (high): matplotlib's `gray`.
    Gray,
    /// Blue (low) through white (middle) to red (high): matplotlib's `RdBu_r`, which
    /// pyrtools uses for the symmetric `Indep0`/`Auto0` ranges.
    RdBuR,
}

/// ColorBrewer's RdBu, as matplotlib lists it (red end first).
const RDBU: [[u8; 3]; 11] = [
    [103, 0, 31],
    [178, 24, 43],
    [214, 96, 77],
    [244, 165, 130],
    [253, 219, 199],
    [247, 247, 247],
    [209, 229, 240],
    [146, 197, 222],
    [67, 147, 195],
    [33, 102, 172],
    [5, 48, 97],
];

/// numpy's `linspace(0, 1, n)`: `i * (1 / (n - 1))`, last value exactly 1.
fn linspace(n: usize) -> Vec<f64> {
    let step = 1.0 / (n - 1) as f64;
    (0..n)
        .map(|i| if i == n - 1 { 1.0 } else { i as f64 * step })
        .collect()
}

/// matplotlib's `_create_lookup_table` for one channel (anchors `x` ascending, values `y`;
/// positions scaled by 255 as matplotlib does), then `(lut * 255).astype(uint8)`.
fn channel_lut(x: &[f64], y: &[f64]) -> [u8; 256] {
    let x: Vec<f64> = x.iter().map(|a| a * 255.0).collect();
    let xind: Vec<f64> = linspace(256).into_iter().map(|a| 255.0 * a).collect();
    let mut out = [0u8; 256];
    for (i, &xi) in xind.iter().enumerate() {
        let v = if i == 0 {
            y[0]
        } else if i == 255 {
            y[y.len() - 1]
        } else {
            // searchsorted (left): first anchor >= xi
            let j = x
                .iter()
                .position(|&a| a >= xi)
                .unwrap_or(x.len() - 1)
                .max(1);
            let d = (xi - x[j - 1]) / (x[j] - x[j - 1]);
            d * (y[j] - y[j - 1]) + y[j - 1]
        };
        out[i] = (v.clamp(0.0, 1.0) * 255.0) as u8;
    }
    out
}

fn build(anchors: &[(f64, [u8; 3])]) -> [[u8; 3]; 256] {
    let x: Vec<f64> = anchors.iter().map(|a| a.0).collect();
    let mut lut = [[0u8; 3]; 256];
    for ch in 0..3 {
        let y: Vec<f64> = anchors.iter().map(|a| a.1[ch] as f64 / 255.0).collect();
        for (entry, v) in lut.iter_mut().zip(channel_lut(&x, &y)) {
            entry[ch] = v;
        }
    }
    lut
}

impl Colormap {
    /// The 256-entry lookup table.
    pub fn lut(self) -> &'static [[u8; 3]; 256] {
        static GRAY: OnceLock<[[u8; 3]; 256]> = OnceLock::new();
        static RDBU_R: OnceLock<[[u8; 3]; 256]> = OnceLock::new();
        match self {
            Colormap::Gray => GRAY.get_or_init(|| build(&[(0.0, [0; 3]), (1.0, [255; 3])])),
            Colormap::RdBuR => RDBU_R.get_or_init(|| {
                // `from_list` spaces the colours evenly; `reversed()` maps x to 1 - x.
                let v = linspace(RDBU.len());
                let anchors: Vec<(f64, [u8; 3])> = (0..RDBU.len())
                    .rev()
                    .map(|k| (1.0 - v[k], RDBU[k]))
                    .collect();
                build(&anchors)
            }),
        }
    }

    /// The lookup-table index of `v` for the range `(lo, hi)`, as matplotlib's `Normalize`
    /// then `Colormap`: `floor(256 * (v - lo) / (hi - lo))`, clipped to 0..=255; a range of
    /// zero width maps everything to 0.
    pub fn index(v: f64, (lo, hi): (f64, f64)) -> u8 {
        if hi == lo {
            return 0;
        }
        let x = (v - lo) / (hi - lo);
        if x < 0.0 {
            0
        } else if x >= 1.0 {
            255
        } else {
            (x * 256.0) as u8
        }
    }

    /// The colour of `v` for the range `(lo, hi)`.
    pub fn color(self, v: f64, range: (f64, f64)) -> [u8; 3] {
        self.lut()[Self::index(v, range) as usize]
    }
}
