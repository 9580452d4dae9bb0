//! The Portilla-Simoncelli statistics of one image plane from its spectral bands, and
//! their adjoint, on the host in f64 (plenoptic 1.3.0's `PortillaSimoncelli.forward`
//! after the pyramid, in its order).

use super::autocorr::{autocorr, autocorr_adjoint, spectrum, C64};
use super::blocked;
use super::buffers::{self, Buf};
use super::PsLayout;

/// Where each input of the statistics lies in a plane's bands.
struct Offsets {
    /// (scale, orientation) -> complex band (real part, then imaginary part).
    band: Vec<Vec<usize>>,
    /// (scale, orientation) -> the next coarser band, expanded to this scale (complex).
    expanded: Vec<Vec<usize>>,
    highpass: usize,
    /// Reconstructed low-pass images, fine to coarse (scale k on grid k).
    recon: Vec<usize>,
}

impl PsLayout {
    fn n_at(&self, s: usize) -> usize {
        self.dims[s].0 * self.dims[s].1
    }

    fn offsets(&self) -> Offsets {
        let (ns, no) = (self.n_scales, self.n_orientations);
        let mut o = 0;
        let mut take = |n: usize| {
            let s = o;
            o += n;
            s
        };
        let band = (0..ns)
            .map(|s| (0..no).map(|_| take(2 * self.n_at(s))).collect())
            .collect();
        let expanded = (0..ns.saturating_sub(1))
            .map(|s| (0..no).map(|_| take(2 * self.n_at(s))).collect())
            .collect();
        let highpass = take(self.n_at(0));
        let recon = (0..=ns).map(|k| take(self.n_at(k))).collect();
        Offsets {
            band,
            expanded,
            highpass,
            recon,
        }
    }

    /// Raw (unmasked) statistics per plane: plenoptic's 1947 for 4 scales, 4 orientations,
    /// width 9.
    pub(crate) fn raw_len(&self) -> usize {
        let (ns, no, w) = (self.n_scales, self.n_orientations, self.width);
        6 + w * w * no * ns
            + 3 * (ns + 1)
            + w * w * (ns + 1)
            + no * no * ns
            + no * ns
            + no * no * (ns - 1)
            + 2 * no * no * (ns - 1)
            + 1
    }
}

/// Start of each statistic group in the raw vector.
struct Groups {
    acm: usize,
    skew: usize,
    kurt: usize,
    acr: usize,
    std: usize,
    cross_ori: usize,
    mag_std: usize,
    csm: usize,
    csr: usize,
    hp: usize,
}

fn groups(l: &PsLayout) -> Groups {
    let (ns, no, w) = (l.n_scales, l.n_orientations, l.width);
    let acm = 6;
    let skew = acm + w * w * no * ns;
    let kurt = skew + ns + 1;
    let acr = kurt + ns + 1;
    let std = acr + w * w * (ns + 1);
    let cross_ori = std + ns + 1;
    let mag_std = cross_ori + no * no * ns;
    let csm = mag_std + no * ns;
    let csr = csm + no * no * (ns - 1);
    let hp = csr + 2 * no * no * (ns - 1);
    Groups {
        acm,
        skew,
        kurt,
        acr,
        std,
        cross_ori,
        mag_std,
        csm,
        csr,
        hp,
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// `sum a * b`, in four interleaved partial sums (so it vectorises).
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    let mut acc = [0.0; 4];
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// |z| of a complex band (real part, then imaginary part, `n` each).
fn modulus(c: &[f64], n: usize) -> Buf {
    buffers::collect(
        n,
        (0..n).map(|p| (c[p] * c[p] + c[n + p] * c[n + p]).sqrt()),
    )
}

/// `rho - mean(rho)`.
fn centred(rho: &[f64]) -> Buf {
    let m = mean(rho);
    buffers::collect(rho.len(), rho.iter().map(|v| v - m))
}

/// Adds the gradient through `centred(|z|)` (`g` for the centred modulus) into the band's
/// gradient `gc` (real part, then imaginary part).
fn modulus_adjoint(c: &[f64], rho: &[f64], g: &[f64], gc: &mut [f64]) {
    let n = rho.len();
    let gm = mean(g);
    for p in 0..n {
        if rho[p] > 0.0 {
            let gr = (g[p] - gm) / rho[p];
            gc[p] += gr * c[p];
            gc[n + p] += gr * c[n + p];
        }
    }
}

/// Intermediates of one plane's statistics.
struct Planes {
    /// (scale, orientation): modulus, centred modulus, its variance.
    rho: Vec<Vec<Buf>>,
    mag: Vec<Vec<Buf>>,
    mag_var: Vec<Vec<f64>>,
    /// Expanded bands: modulus, centred modulus and its variance, phase-doubled parts.
    erho: Vec<Vec<Buf>>,
    emag: Vec<Vec<Buf>>,
    emag_var: Vec<Vec<f64>>,
    /// Per scale: the doubled-phase real parts then imaginary parts (2 * n_orientations).
    dbl: Vec<Vec<Buf>>,
    dbl_var: Vec<Vec<f64>>,
    re_var: Vec<Vec<f64>>,
    recon_var: Vec<f64>,
}

/// What the forward of one plane keeps for its adjoint.
pub(crate) struct Saved {
    /// The raw statistics.
    raw: Vec<f64>,
    p: Planes,
    /// (scale, orientation): the centred modulus' spectrum and autocorrelation.
    spec_mag: Vec<Vec<Vec<C64>>>,
    ac_mag: Vec<Vec<Vec<f64>>>,
    /// Per reconstructed image: its spectrum and autocorrelation.
    spec_rec: Vec<Vec<C64>>,
    ac_rec: Vec<Vec<f64>>,
}

fn planes(l: &PsLayout, y: &[f64], off: &Offsets) -> Planes {
    let (ns, no) = (l.n_scales, l.n_orientations);
    let mut p = Planes {
        rho: vec![],
        mag: vec![],
        mag_var: vec![],
        erho: vec![],
        emag: vec![],
        emag_var: vec![],
        dbl: vec![],
        dbl_var: vec![],
        re_var: vec![],
        recon_var: vec![],
    };
    for s in 0..ns {
        let n = l.n_at(s);
        let (mut rs, mut ms, mut vs, mut rv) = (vec![], vec![], vec![], vec![]);
        for o in 0..no {
            let c = &y[off.band[s][o]..off.band[s][o] + 2 * n];
            let rho = modulus(c, n);
            let mag = centred(&rho);
            vs.push(dot(&mag, &mag) / n as f64);
            rv.push(dot(&c[..n], &c[..n]) / n as f64);
            rs.push(rho);
            ms.push(mag);
        }
        p.rho.push(rs);
        p.mag.push(ms);
        p.mag_var.push(vs);
        p.re_var.push(rv);
    }
    for s in 0..ns.saturating_sub(1) {
        let n = l.n_at(s);
        let (mut rs, mut ms, mut vs) = (vec![], vec![], vec![]);
        let mut dbl: Vec<Buf> = (0..2 * no).map(|_| Buf::default()).collect();
        for o in 0..no {
            let e = &y[off.expanded[s][o]..off.expanded[s][o] + 2 * n];
            let rho = modulus(e, n);
            let mag = centred(&rho);
            vs.push(dot(&mag, &mag) / n as f64);
            let (mut re, mut im) = (buffers::with_capacity(n), buffers::with_capacity(n));
            for q in 0..n {
                let (a, b, r) = (e[q], e[n + q], rho[q]);
                re.push((a * a - b * b) / r);
                im.push(2.0 * a * b / r);
            }
            dbl[o] = re;
            dbl[no + o] = im;
            rs.push(rho);
            ms.push(mag);
        }
        p.dbl_var
            .push(dbl.iter().map(|q| dot(q, q) / n as f64).collect());
        p.dbl.push(dbl);
        p.erho.push(rs);
        p.emag.push(ms);
        p.emag_var.push(vs);
    }
    for k in 0..=ns {
        let n = l.n_at(k);
        let r = &y[off.recon[k]..off.recon[k] + n];
        p.recon_var.push(dot(r, r) / n as f64);
    }
    p
}

/// Pixel statistics of `x`: mean, unbiased variance, skew, kurtosis, min, max, and the
/// central moments `mean(d^3)`, `mean(d^4)`.
fn pixel_stats(x: &[f64]) -> ([f64; 6], f64, f64) {
    let n = x.len() as f64;
    let m = mean(x);
    let (mut s2, mut s3, mut s4) = (0.0, 0.0, 0.0);
    for v in x {
        let d = v - m;
        s2 += d * d;
        s3 += d * d * d;
        s4 += d * d * d * d;
    }
    let var = s2 / (n - 1.0);
    let (m3, m4) = (s3 / n, s4 / n);
    let min = x.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    (
        [m, var, m3 / var.powf(1.5), m4 / (var * var), min, max],
        m3,
        m4,
    )
}

/// The raw statistics (every entry, plenoptic's order) of one plane: image `x`, bands `y`.
/// The raw statistics and what the adjoint needs.
pub(crate) fn forward(l: &PsLayout, x: &[f64], y: &[f64]) -> (Vec<f64>, Saved) {
    let (ns, no, w) = (l.n_scales, l.n_orientations, l.width);
    let off = l.offsets();
    let g = groups(l);
    let p = planes(l, y, &off);
    let mut out = vec![0.0; l.raw_len()];
    let (pix, _, _) = pixel_stats(x);
    out[..6].copy_from_slice(&pix);
    let mut spec_mag = vec![];
    let mut ac_mag = vec![];
    for s in 0..ns {
        let (h, wd) = l.dims[s];
        let (mut specs, mut acs) = (vec![], vec![]);
        for o in 0..no {
            let spec = spectrum(&p.mag[s][o], h, wd);
            let ac = autocorr(&spec, h, wd, w);
            let v = p.mag_var[s][o];
            for (a, r) in ac.iter().enumerate() {
                out[g.acm + (a * no + o) * ns + s] =
                    if a == (w / 2) * (w + 1) { 1.0 } else { r / v };
            }
            out[g.mag_std + o * ns + s] = v.sqrt();
            specs.push(spec);
            acs.push(ac);
        }
        spec_mag.push(specs);
        ac_mag.push(acs);
        // cross-orientation correlations (symmetric: each pair once)
        let n = l.n_at(s) as f64;
        let mags: Vec<&[f64]> = p.mag[s].iter().map(|v| &v[..]).collect();
        let pairs: Vec<(usize, usize)> = (0..no)
            .flat_map(|o| (0..=o).map(move |o2| (o, o2)))
            .collect();
        for (&(o, o2), d) in pairs.iter().zip(blocked::dots(&mags, &mags, &pairs)) {
            let c = d / n / (p.mag_var[s][o] * p.mag_var[s][o2]).sqrt();
            out[g.cross_ori + (o * no + o2) * ns + s] = c;
            out[g.cross_ori + (o2 * no + o) * ns + s] = c;
        }
    }
    let (mut spec_rec, mut ac_rec) = (vec![], vec![]);
    for k in 0..=ns {
        let (h, wd) = l.dims[k];
        let r = &y[off.recon[k]..off.recon[k] + h * wd];
        let v = p.recon_var[k];
        let spec = spectrum(r, h, wd);
        let ac = autocorr(&spec, h, wd, w);
        for (a, c) in ac.iter().enumerate() {
            out[g.acr + a * (ns + 1) + k] = if a == (w / 2) * (w + 1) { 1.0 } else { c / v };
        }
        out[g.std + k] = v.sqrt();
        let n = (h * wd) as f64;
        let unstable = v / pix[1] < l.resolution;
        let m3 = r.iter().map(|a| a * a * a).sum::<f64>() / n;
        let m4 = r.iter().map(|a| (a * a) * (a * a)).sum::<f64>() / n;
        out[g.skew + k] = if unstable { 0.0 } else { m3 / v.powf(1.5) };
        out[g.kurt + k] = if unstable { 3.0 } else { m4 / (v * v) };
        spec_rec.push(spec);
        ac_rec.push(ac);
    }
    for s in 0..ns.saturating_sub(1) {
        let nn = l.n_at(s);
        let n = nn as f64;
        // the finer scale's moduli and real parts against the coarser one's expanded
        // moduli and phase-doubled parts
        let mut a: Vec<&[f64]> = p.mag[s].iter().map(|v| &v[..]).collect();
        a.extend((0..no).map(|o| &y[off.band[s][o]..off.band[s][o] + nn]));
        let mut b: Vec<&[f64]> = p.emag[s].iter().map(|v| &v[..]).collect();
        b.extend(p.dbl[s].iter().map(|v| &v[..]));
        let mut pairs = vec![];
        for o1 in 0..no {
            pairs.extend((0..no).map(|o2| (o1, o2)));
            pairs.extend((0..2 * no).map(|q| (no + o1, no + q)));
        }
        let mut d = blocked::dots(&a, &b, &pairs).into_iter();
        for o1 in 0..no {
            for o2 in 0..no {
                let c = d.next().expect("pair") / n / (p.mag_var[s][o1] * p.emag_var[s][o2]).sqrt();
                out[g.csm + (o1 * no + o2) * (ns - 1) + s] = c;
            }
            for q in 0..2 * no {
                let c = d.next().expect("pair") / n / (p.re_var[s][o1] * p.dbl_var[s][q]).sqrt();
                out[g.csr + (o1 * 2 * no + q) * (ns - 1) + s] = c;
            }
        }
    }
    let hp = &y[off.highpass..off.highpass + l.n_at(0)];
    out[g.hp] = dot(hp, hp) / l.n_at(0) as f64;
    let saved = Saved {
        raw: out.clone(),
        p,
        spec_mag,
        ac_mag,
        spec_rec,
        ac_rec,
    };
    (out, saved)
}

/// The gradients of `sum(g * forward(x, y))` with respect to `x` and `y`, added into
/// `gx` and `gy` (`saved`: what [`forward`] kept).
pub(crate) fn adjoint(
    l: &PsLayout,
    x: &[f64],
    y: &[f64],
    saved: &Saved,
    g: &[f64],
    gx: &mut [f64],
    gy: &mut [f64],
) {
    let (ns, no, w) = (l.n_scales, l.n_orientations, l.width);
    let off = l.offsets();
    let gr = groups(l);
    let p = &saved.p;
    let centre = Some((w / 2) * (w + 1));

    // pixel statistics
    let (pix, m3, m4) = pixel_stats(x);
    let n = x.len() as f64;
    let (m, var) = (pix[0], pix[1]);
    let gv = g[1] - 1.5 * m3 * var.powf(-2.5) * g[2] - 2.0 * m4 * var.powi(-3) * g[3];
    let (g3, g4) = (g[2] * var.powf(-1.5), g[3] / (var * var));
    let mean_d2 = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n;
    let mean_d3 = m3;
    for (gxp, v) in gx.iter_mut().zip(x) {
        let d = v - m;
        *gxp += g[0] / n
            + gv * 2.0 * d / (n - 1.0)
            + g3 * 3.0 / n * (d * d - mean_d2)
            + g4 * 4.0 / n * (d * d * d - mean_d3);
    }
    for (idx, target) in [(4, pix[4]), (5, pix[5])] {
        if g[idx] != 0.0 {
            let count = x.iter().filter(|v| **v == target).count() as f64;
            for (gxp, v) in gx.iter_mut().zip(x) {
                if *v == target {
                    *gxp += g[idx] / count;
                }
            }
        }
    }

    // gradients of the centred moduli and their variances
    let mut g_mag: Vec<Vec<Buf>> = (0..ns)
        .map(|s| (0..no).map(|_| buffers::zeros(l.n_at(s))).collect())
        .collect();
    let mut g_mv = vec![vec![0.0; no]; ns];
    let mut g_emag: Vec<Vec<Buf>> = (0..ns.saturating_sub(1))
        .map(|s| (0..no).map(|_| buffers::zeros(l.n_at(s))).collect())
        .collect();
    let mut g_ev = vec![vec![0.0; no]; ns.saturating_sub(1)];
    for s in 0..ns {
        let (h, wd) = l.dims[s];
        let nn = (h * wd) as f64;
        for o in 0..no {
            let v = p.mag_var[s][o];
            let ac = &saved.ac_mag[s][o];
            let mut gacs = vec![0.0; w * w];
            for a in 0..w * w {
                if Some(a) == centre {
                    continue;
                }
                let ga = g[gr.acm + (a * no + o) * ns + s];
                gacs[a] = ga / v;
                g_mv[s][o] -= ga * ac[a] / (v * v);
            }
            autocorr_adjoint(&saved.spec_mag[s][o], h, wd, w, &gacs, &mut g_mag[s][o]);
            g_mv[s][o] += g[gr.mag_std + o * ns + s] / (2.0 * v.sqrt());
        }
        // cross-orientation correlations
        let mut terms = vec![];
        for o in 0..no {
            for o2 in 0..no {
                let gc = g[gr.cross_ori + (o * no + o2) * ns + s];
                if gc == 0.0 {
                    continue;
                }
                let (v, v2) = (p.mag_var[s][o], p.mag_var[s][o2]);
                let c = saved.raw[gr.cross_ori + (o * no + o2) * ns + s];
                let gp = gc / (v * v2).sqrt() / nn;
                terms.push((gp, o2, o));
                terms.push((gp, o, o2));
                g_mv[s][o] -= 0.5 * c * gc / v;
                g_mv[s][o2] -= 0.5 * c * gc / v2;
            }
        }
        let src: Vec<&[f64]> = p.mag[s].iter().map(|v| &v[..]).collect();
        let mut dst: Vec<&mut [f64]> = g_mag[s].iter_mut().map(|v| &mut v[..]).collect();
        blocked::axpys(&src, &mut dst, &terms);
    }
    for s in 0..ns.saturating_sub(1) {
        let nn = l.n_at(s);
        let nf = nn as f64;
        // the phase-doubled bands' gradients, summed over the finer orientations
        let mut g_dbl: Vec<Buf> = (0..2 * no).map(|_| buffers::zeros(nn)).collect();
        let mut g_dv = vec![0.0; 2 * no];
        let mut g_re: Vec<Buf> = (0..no).map(|_| buffers::zeros(nn)).collect();
        let mut g_vr = vec![0.0; no];
        // terms (coefficient, source, destination) over sources [mag, emag, re, dbl] and
        // destinations [g_mag, g_emag, g_re, g_dbl]
        let mut terms = vec![];
        for o1 in 0..no {
            let v1 = p.mag_var[s][o1];
            for o2 in 0..no {
                let gc = g[gr.csm + (o1 * no + o2) * (ns - 1) + s];
                if gc == 0.0 {
                    continue;
                }
                let v2 = p.emag_var[s][o2];
                let den = (v1 * v2).sqrt();
                let c = saved.raw[gr.csm + (o1 * no + o2) * (ns - 1) + s];
                let gp = gc / den / nf;
                terms.push((gp, no + o2, o1));
                terms.push((gp, o1, no + o2));
                g_mv[s][o1] -= 0.5 * c * gc / v1;
                g_ev[s][o2] -= 0.5 * c * gc / v2;
            }
            // real parts against the phase-doubled coarser bands
            let vr = p.re_var[s][o1];
            for q in 0..2 * no {
                let gc = g[gr.csr + (o1 * 2 * no + q) * (ns - 1) + s];
                if gc == 0.0 {
                    continue;
                }
                let vq = p.dbl_var[s][q];
                let den = (vr * vq).sqrt();
                let c = saved.raw[gr.csr + (o1 * 2 * no + q) * (ns - 1) + s];
                let gp = gc / den / nf;
                terms.push((gp, 3 * no + q, 2 * no + o1));
                terms.push((gp, 2 * no + o1, 3 * no + q));
                g_vr[o1] -= 0.5 * c * gc / vr;
                g_dv[q] -= 0.5 * c * gc / vq;
            }
        }
        {
            let band = |o: usize| &y[off.band[s][o]..off.band[s][o] + nn];
            let mut src: Vec<&[f64]> = p.mag[s].iter().map(|v| &v[..]).collect();
            src.extend(p.emag[s].iter().map(|v| &v[..]));
            src.extend((0..no).map(band));
            src.extend(p.dbl[s].iter().map(|v| &v[..]));
            let mut dst: Vec<&mut [f64]> = g_mag[s].iter_mut().map(|v| &mut v[..]).collect();
            dst.extend(g_emag[s].iter_mut().map(|v| &mut v[..]));
            dst.extend(g_re.iter_mut().map(|v| &mut v[..]));
            dst.extend(g_dbl.iter_mut().map(|v| &mut v[..]));
            blocked::axpys(&src, &mut dst, &terms);
        }
        for o1 in 0..no {
            let ob = off.band[s][o1];
            let c = g_vr[o1] * 2.0 / nf;
            let re = &y[ob..ob + nn];
            for ((gy, gre), re) in gy[ob..ob + nn].iter_mut().zip(&g_re[o1]).zip(re) {
                *gy += gre + c * re;
            }
        }
        // through the phase doubling of the expanded band, orientation by orientation
        {
            for o in 0..no {
                let oe = off.expanded[s][o];
                let e = &y[oe..oe + 2 * nn];
                for q in [o, no + o] {
                    if g_dv[q] != 0.0 {
                        for (gd, d) in g_dbl[q].iter_mut().zip(&p.dbl[s][q]) {
                            *gd += g_dv[q] * 2.0 * d / nf;
                        }
                    }
                }
                let (gre, gim) = (&g_dbl[o], &g_dbl[no + o]);
                for i in 0..nn {
                    let (a, b, r) = (e[i], e[nn + i], p.erho[s][o][i]);
                    if r == 0.0 {
                        continue;
                    }
                    let (u, t) = ((a * a - b * b) / r, 2.0 * a * b / r);
                    let r2 = r * r;
                    gy[oe + i] += gre[i] * (2.0 * a - u * a / r2 * r) / r
                        + gim[i] * (2.0 * b - t * a / r2 * r) / r;
                    gy[oe + nn + i] += gre[i] * (-2.0 * b - u * b / r2 * r) / r
                        + gim[i] * (2.0 * a - t * b / r2 * r) / r;
                }
            }
        }
        for o in 0..no {
            let oe = off.expanded[s][o];
            let mut ge = std::mem::take(&mut g_emag[s][o]);
            for (gq, m) in ge.iter_mut().zip(&p.emag[s][o]) {
                *gq += g_ev[s][o] * 2.0 * m / nf;
            }
            modulus_adjoint(
                &y[oe..oe + 2 * nn],
                &p.erho[s][o],
                &ge,
                &mut gy[oe..oe + 2 * nn],
            );
        }
    }
    for s in 0..ns {
        let nf = l.n_at(s) as f64;
        let nn = l.n_at(s);
        for o in 0..no {
            let ob = off.band[s][o];
            let mut gm = std::mem::take(&mut g_mag[s][o]);
            for (gq, m) in gm.iter_mut().zip(&p.mag[s][o]) {
                *gq += g_mv[s][o] * 2.0 * m / nf;
            }
            modulus_adjoint(
                &y[ob..ob + 2 * nn],
                &p.rho[s][o],
                &gm,
                &mut gy[ob..ob + 2 * nn],
            );
        }
    }

    // reconstructed low-pass images
    for k in 0..=ns {
        let (h, wd) = l.dims[k];
        let nn = h * wd;
        let nf = nn as f64;
        let or = off.recon[k];
        let r = &y[or..or + nn];
        let v = p.recon_var[k];
        let ac = &saved.ac_rec[k];
        let mut gacs = vec![0.0; w * w];
        let mut g_v = 0.0;
        for a in 0..w * w {
            if Some(a) == centre {
                continue;
            }
            let ga = g[gr.acr + a * (ns + 1) + k];
            gacs[a] = ga / v;
            g_v -= ga * ac[a] / (v * v);
        }
        let mut gr_img = buffers::zeros(nn);
        autocorr_adjoint(&saved.spec_rec[k], h, wd, w, &gacs, &mut gr_img);
        g_v += g[gr.std + k] / (2.0 * v.sqrt());
        let unstable = v / var < l.resolution;
        let (gs, gk) = if unstable {
            (0.0, 0.0)
        } else {
            (g[gr.skew + k], g[gr.kurt + k])
        };
        let m3 = r.iter().map(|a| a * a * a).sum::<f64>() / nf;
        let m4 = r.iter().map(|a| (a * a) * (a * a)).sum::<f64>() / nf;
        g_v += -1.5 * m3 * v.powf(-2.5) * gs - 2.0 * m4 * v.powi(-3) * gk;
        let (c3, c4) = (gs * v.powf(-1.5) * 3.0 / nf, gk / (v * v) * 4.0 / nf);
        for i in 0..nn {
            let a = r[i];
            gy[or + i] += gr_img[i] + g_v * 2.0 * a / nf + c3 * a * a + c4 * a * a * a;
        }
    }
    let nh = l.n_at(0);
    for i in 0..nh {
        gy[off.highpass + i] += g[gr.hp] * 2.0 * y[off.highpass + i] / nh as f64;
    }
}
