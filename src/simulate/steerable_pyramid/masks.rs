//! The pyramid's masks, computed as plenoptic 1.3.0 computes them (numpy float64: the
//! raised-cosine lookup tables read with `np.interp`), then rounded to float32 as
//! plenoptic stores them.

use std::f64::consts::PI;

/// numpy's `np.interp(x, xp, fp)` for increasing `xp`.
pub(crate) fn interp(x: f64, xp: &[f64], fp: &[f64]) -> f64 {
    let last = xp.len() - 1;
    if x.is_nan() {
        return x;
    }
    if x <= xp[0] {
        return fp[0];
    }
    if x >= xp[last] {
        return fp[last];
    }
    // largest j with xp[j] <= x
    let j = xp.partition_point(|&v| v <= x) - 1;
    if x == xp[j] {
        return fp[j];
    }
    let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    slope * (x - xp[j]) + fp[j]
}

/// plenoptic's `raised_cosine(width, position, (0, 1))`: (X, Y).
fn raised_cosine(width: f64, position: f64) -> (Vec<f64>, Vec<f64>) {
    let sz = 256i64;
    let x0: Vec<f64> = (-sz - 1..2)
        .map(|k| PI * k as f64 / (2 * sz) as f64)
        .collect();
    let mut y: Vec<f64> = x0.iter().map(|v| v.cos().powi(2)).collect();
    y[0] = y[1];
    y[sz as usize + 2] = y[sz as usize + 1];
    let x = x0
        .iter()
        .map(|v| position + 2.0 * width / PI * (v + PI / 4.0))
        .collect();
    (x, y)
}

fn factorial(n: usize) -> f64 {
    (1..=n).map(|k| k as f64).product()
}

/// float32 rounding, as plenoptic's `self.to(torch.float32)` of its mask buffers.
fn f32r(v: f64) -> f64 {
    v as f32 as f64
}

/// A real field on a grid.
#[derive(Clone, Debug)]
pub(crate) struct Grid {
    pub h: usize,
    pub w: usize,
    pub v: Vec<f64>,
}

impl Grid {
    /// The centred `h x w` crop at offset `off`.
    pub fn crop(&self, off: (usize, usize), h: usize, w: usize) -> Grid {
        let mut v = Vec::with_capacity(h * w);
        for i in 0..h {
            let r = (off.0 + i) * self.w + off.1;
            v.extend_from_slice(&self.v[r..r + w]);
        }
        Grid { h, w, v }
    }
}

/// Everything plenoptic's constructor precomputes.
#[derive(Clone, Debug)]
pub(crate) struct Masks {
    /// Grid size at each level 0..=num_scales (level 0 the image).
    pub dims: Vec<(usize, usize)>,
    /// Offset of level `i + 1`'s grid inside level `i`'s.
    pub starts: Vec<(usize, usize)>,
    pub hi0: Grid,
    pub lo0: Grid,
    /// Per scale: the high-pass mask (level i's grid).
    pub hi: Vec<Grid>,
    /// Per scale and orientation: the forward angle masks (level i's grid).
    pub angle: Vec<Vec<Grid>>,
    /// Per scale and orientation: the reconstruction's angle masks.
    pub angle_recon: Vec<Vec<Grid>>,
    /// Per scale: the low-pass mask (level i + 1's grid).
    pub lo: Vec<Grid>,
}

impl Masks {
    /// plenoptic's `SteerablePyramidFreq.__init__` masks.
    pub fn new(
        shape: (usize, usize),
        num_scales: usize,
        order: usize,
        twidth: f64,
        is_complex: bool,
        downsample: bool,
    ) -> Masks {
        let (h, w) = shape;
        let lutsize = 1024i64;
        let xcosn: Vec<f64> = (-(2 * lutsize + 1)..(lutsize + 2))
            .map(|k| PI * k as f64 / lutsize as f64)
            .collect();
        let alpha: Vec<f64> = xcosn
            .iter()
            .map(|x| (x + PI).rem_euclid(2.0 * PI) - PI)
            .collect();
        let lin = |n: usize| -> Vec<f64> {
            let step = 2.0 / n as f64;
            (0..n).map(|j| j as f64 * step + -1.0).collect()
        };
        let (xs, ys) = (lin(w), lin(h));
        let mut angle = Vec::with_capacity(h * w);
        let mut rad = Vec::with_capacity(h * w);
        for y in &ys {
            for x in &xs {
                angle.push(y.atan2(*x));
                rad.push((x * x + y * y).sqrt());
            }
        }
        let ctr = (
            ((h as f64 + 0.5) / 2.0).ceil() as usize,
            ((w as f64 + 0.5) / 2.0).ceil() as usize,
        );
        rad[(ctr.0 - 1) * w + ctr.1 - 1] = rad[(ctr.0 - 1) * w + ctr.1 - 2];
        let log_rad: Vec<f64> = rad.iter().map(|r| r.log2()).collect();
        let (mut xrcos, yrcos0) = raised_cosine(twidth, -twidth / 2.0);
        let yrcos: Vec<f64> = yrcos0.iter().map(|v| v.sqrt()).collect();
        let yircos: Vec<f64> = yrcos.iter().map(|v| (1.0 - v * v).sqrt()).collect();
        let field = |g: &[f64], gh: usize, gw: usize, f: &dyn Fn(f64) -> f64| Grid {
            h: gh,
            w: gw,
            v: g.iter().map(|&v| f32r(f(v))).collect(),
        };
        let lo0 = field(&log_rad, h, w, &|v| interp(v, &xrcos, &yircos));
        let hi0 = field(&log_rad, h, w, &|v| interp(v, &xrcos, &yrcos));

        let no = order + 1;
        let cnst = 2f64.powi(2 * order as i32) * factorial(order).powi(2)
            / (no as f64 * factorial(2 * order));
        let cos_o: Vec<f64> = xcosn.iter().map(|x| x.cos().powi(order as i32)).collect();
        let ycosn_recon: Vec<f64> = cos_o.iter().map(|c| cnst.sqrt() * c).collect();
        let ycosn_fwd: Vec<f64> = if is_complex {
            cos_o
                .iter()
                .zip(&alpha)
                .map(|(c, a)| 2.0 * cnst.sqrt() * c * if a.abs() < PI / 2.0 { 1.0 } else { 0.0 })
                .collect()
        } else {
            ycosn_recon.clone()
        };

        let mut m = Masks {
            dims: vec![(h, w)],
            starts: Vec::new(),
            hi0,
            lo0,
            hi: Vec::new(),
            angle: Vec::new(),
            angle_recon: Vec::new(),
            lo: Vec::new(),
        };
        let (mut gh, mut gw) = (h, w);
        let mut log_rad = Grid { h, w, v: log_rad };
        let mut ang = Grid { h, w, v: angle };
        for _ in 0..num_scales {
            xrcos.iter_mut().for_each(|x| *x -= 1.0);
            m.hi.push(field(&log_rad.v, gh, gw, &|v| interp(v, &xrcos, &yrcos)));
            let (mut fw, mut rc) = (Vec::new(), Vec::new());
            for b in 0..no {
                let shift = PI * b as f64 / no as f64;
                let xp: Vec<f64> = xcosn.iter().map(|x| x + shift).collect();
                fw.push(field(&ang.v, gh, gw, &|v| interp(v, &xp, &ycosn_fwd)));
                rc.push(field(&ang.v, gh, gw, &|v| interp(v, &xp, &ycosn_recon)));
            }
            m.angle.push(fw);
            m.angle_recon.push(rc);
            if downsample {
                let c = |d: usize| ((d as f64 + 0.5) / 2.0).ceil() as usize;
                let lod = |d: usize| ((d as f64 - 0.5) / 2.0).ceil() as usize;
                let (lh, lw) = (lod(gh), lod(gw));
                let start = (c(gh) - c(lh), c(gw) - c(lw));
                log_rad = log_rad.crop(start, lh, lw);
                ang = ang.crop(start, lh, lw);
                m.starts.push(start);
                (gh, gw) = (lh, lw);
            } else {
                m.starts.push((0, 0));
            }
            m.lo.push(field(&log_rad.v, gh, gw, &|v| interp(v, &xrcos, &yircos)));
            m.dims.push((gh, gw));
        }
        m
    }

    /// Offset of level `to`'s grid inside level `from`'s.
    pub fn offset(&self, from: usize, to: usize) -> (usize, usize) {
        self.starts[from..to]
            .iter()
            .fold((0, 0), |a, s| (a.0 + s.0, a.1 + s.1))
    }

    /// The product of the low-pass cascade that reaches level `level`'s grid: `lo0`
    /// times the low-pass masks of scales `0..level`, all cropped to that grid.
    pub fn lowpass_cascade(&self, level: usize) -> Grid {
        let (h, w) = self.dims[level];
        let mut g = self.lo0.crop(self.offset(0, level), h, w);
        for l in 0..level {
            let m = self.lo[l].crop(self.offset(l + 1, level), h, w);
            g.v.iter_mut().zip(&m.v).for_each(|(a, b)| *a *= b);
        }
        g
    }
}
