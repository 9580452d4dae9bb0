//! The adjoint of [`super::host::forward`]: the image's gradient (through the pixel
//! statistics, in f64) and the bands' gradient (in the bands' element type, as the
//! forward's intermediates).

use super::autocorr::autocorr_adjoint;
use super::blocked;
use super::buffers::{self, Buf, Kept};
use super::host::{abs, groups, mean, PixelMoments, Saved};
use super::PsLayout;
use crate::ops::par;
use crate::ops::simd::avx2;
use crate::tensor::Float;

/// Adds the gradient of `sum(g * forward(x, y))` with respect to the image `x` (it enters
/// only the pixel statistics) into `gx`: `pix` the pixel statistics and `mom` the central
/// moments the forward computed on `x`.
pub(crate) fn adjoint_image<E: Float>(
    x: &[f64],
    pix: &[f64],
    mom: PixelMoments,
    g: &[f64],
    gx: &mut [E],
) {
    let n = x.len() as f64;
    let (m, var, min, max) = (pix[0], pix[1], pix[4], pix[5]);
    let PixelMoments { m2, m3, m4 } = mom;
    let gv = g[1] - 1.5 * m3 * var.powf(-2.5) * g[2] - 2.0 * m4 * var.powi(-3) * g[3];
    let (g3, g4) = (g[2] * var.powf(-1.5), g[3] / (var * var));
    avx2(
        #[inline(always)]
        || {
            // min and max: the gradient shared by the pixels that take the value
            let (mut n_min, mut n_max) = (0usize, 0usize);
            if g[4] != 0.0 || g[5] != 0.0 {
                for &v in x {
                    n_min += usize::from(v == min);
                    n_max += usize::from(v == max);
                }
            }
            let share = |gm: f64, count: usize| if gm != 0.0 { gm / count as f64 } else { 0.0 };
            let (gmin, gmax) = (share(g[4], n_min), share(g[5], n_max));
            for (gxp, &v) in gx.iter_mut().zip(x) {
                let d = v - m;
                let mut t = g[0] / n
                    + gv * 2.0 * d / (n - 1.0)
                    + g3 * 3.0 / n * (d * d - m2)
                    + g4 * 4.0 / n * (d * d * d - m3);
                if v == min {
                    t += gmin;
                }
                if v == max {
                    t += gmax;
                }
                *gxp += E::of_f64(t);
            }
        },
    )
}

/// The gradient of `sum(g * forward(x, y))` with respect to the bands `y`, written over
/// `y` (each value of the gradient is computed from the bands' values at its own index,
/// read before it is written). `saved`: what [`super::host::forward`] kept. The
/// autocorrelations' adjoints, the correlations' sums and the per-band passes are
/// independent pieces shared out over threads, each whole on one thread (the same bits
/// on any number of threads).
pub(crate) fn adjoint_bands<E: Kept>(l: &PsLayout, y: &mut [E], saved: &Saved<E>, g: &[f64]) {
    let lent = buffers::lend::<E>();
    lent.run(|| adjoint_bands_lent(l, y, saved, g, &lent));
}

/// [`adjoint_bands`] with the calling thread's kept buffers `lent` (to this thread too).
fn adjoint_bands_lent<E: Kept>(
    l: &PsLayout,
    y: &mut [E],
    saved: &Saved<E>,
    g: &[f64],
    lent: &buffers::Lent<E>,
) {
    let (ns, no, w) = (l.n_scales, l.n_orientations, l.width);
    let off = l.offsets();
    let gr = groups(l);
    let p = &saved.p;
    let centre = Some((w / 2) * (w + 1));
    let var = saved.raw[1];

    // gradients of the centred moduli's and the expanded moduli's variances
    let mut g_mv = vec![vec![0.0; no]; ns];
    let mut g_ev = vec![vec![0.0; no]; ns.saturating_sub(1)];
    // the autocorrelations' gradients (by window shift), and through them the
    // variances', for the centred moduli and then the reconstructed images
    let mut jobs = vec![];
    for s in 0..ns {
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
            g_mv[s][o] += g[gr.mag_std + o * ns + s] / (2.0 * v.sqrt());
            jobs.push((&p.mag[s][o][..], s, gacs));
        }
    }
    let mut g_vrec = vec![0.0; ns + 1];
    for k in 0..=ns {
        let v = p.recon_var[k];
        let ac = &saved.ac_rec[k];
        let mut gacs = vec![0.0; w * w];
        for a in 0..w * w {
            if Some(a) == centre {
                continue;
            }
            let ga = g[gr.acr + a * (ns + 1) + k];
            gacs[a] = ga / v;
            g_vrec[k] -= ga * ac[a] / (v * v);
        }
        // (the reconstructed image, read in the bands before they become their gradient)
        jobs.push((&y[off.recon[k]..off.recon[k] + l.n_at(k)], k, gacs));
    }
    let mut g_ac = par::map(
        jobs,
        |(_, s, _)| l.n_at(*s),
        |(m, s, gacs)| {
            let (h, wd) = l.dims[s];
            lent.run(|| autocorr_adjoint(m, h, wd, w, &gacs))
        },
    )
    .into_iter();
    let mut g_mag: Vec<Vec<Buf<E>>> = (0..ns)
        .map(|_| {
            (0..no)
                .map(|_| g_ac.next().expect("one per band"))
                .collect()
        })
        .collect();
    let g_rec: Vec<Buf<E>> = g_ac.collect();

    // per scale, the correlations' gradients: sums of `y += a * x` over the sources
    // [mag, emag, re, dbl] into the destinations [g_mag, g_emag, g_re, g_dbl] (all but
    // the coarsest scale; there only the moduli), cross-orientation terms first
    let mut g_emag: Vec<Vec<Buf<E>>> = vec![];
    let mut g_re: Vec<Vec<Buf<E>>> = vec![];
    let mut g_vr: Vec<Vec<f64>> = vec![];
    // the phase-doubled bands' gradients, summed over the finer orientations, and their
    // variances'
    let mut g_dbl: Vec<Vec<Buf<E>>> = vec![];
    let mut g_dv: Vec<Vec<f64>> = vec![];
    for s in 0..ns {
        let nn = l.n_at(s);
        let nf = nn as f64;
        let mut terms = vec![];
        // cross-orientation correlations
        for o in 0..no {
            for o2 in 0..no {
                let gc = g[gr.cross_ori + (o * no + o2) * ns + s];
                if gc == 0.0 {
                    continue;
                }
                let (v, v2) = (p.mag_var[s][o], p.mag_var[s][o2]);
                let c = saved.raw[gr.cross_ori + (o * no + o2) * ns + s];
                let gp = gc / (v * v2).sqrt() / nf;
                terms.push((gp, o2, o));
                terms.push((gp, o, o2));
                g_mv[s][o] -= 0.5 * c * gc / v;
                g_mv[s][o2] -= 0.5 * c * gc / v2;
            }
        }
        if s + 1 == ns {
            let src: Vec<&[E]> = p.mag[s].iter().map(|v| &v[..]).collect();
            let mut dst: Vec<&mut [E]> = g_mag[s].iter_mut().map(|v| &mut v[..]).collect();
            blocked::axpys(&src, &mut dst, vec![], &terms);
            continue;
        }
        let mut g_dvs = vec![0.0; 2 * no];
        let mut g_vrs = vec![0.0; no];
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
                g_vrs[o1] -= 0.5 * c * gc / vr;
                g_dvs[q] -= 0.5 * c * gc / vq;
            }
        }
        // the fresh destinations [g_emag, g_re, g_dbl], written by the sums
        let mut fresh = {
            let mut src: Vec<&[E]> = p.mag[s].iter().map(|v| &v[..]).collect();
            src.extend(p.emag[s].iter().map(|v| &v[..]));
            // the bands' real parts, read in the bands
            src.extend((0..no).map(|o| &y[off.band[s][o]..off.band[s][o] + nn]));
            src.extend(p.dbl[s].iter().map(|v| &v[..]));
            let mut dst: Vec<&mut [E]> = g_mag[s].iter_mut().map(|v| &mut v[..]).collect();
            buffers::filled(4 * no, nn, |fresh| {
                blocked::axpys(&src, &mut dst, fresh, &terms)
            })
        };
        let g_dbls = fresh.split_off(2 * no);
        let g_res = fresh.split_off(no);
        let g_emags = fresh;
        g_emag.push(g_emags);
        g_re.push(g_res);
        g_vr.push(g_vrs);
        g_dbl.push(g_dbls);
        g_dv.push(g_dvs);
    }

    // the per-band passes, each turning its own part of `y` into its gradient (laid out
    // as the offsets: bands, expanded bands, the highpass residual, the reconstructed
    // images)
    let mut parts: Vec<(usize, usize, Part<E>)> = vec![];
    let mut g_mag_it = g_mag.iter_mut().flatten();
    for s in 0..ns {
        for o in 0..no {
            let gm = g_mag_it.next().expect("one per band");
            parts.push((off.band[s][o], 2 * l.n_at(s), Part::Band(s, o, gm)));
        }
    }
    let mut g_emag_it = g_emag.iter_mut().flatten();
    for s in 0..ns.saturating_sub(1) {
        for o in 0..no {
            let ge = g_emag_it.next().expect("one per expanded band");
            parts.push((off.expanded[s][o], 2 * l.n_at(s), Part::Expanded(s, o, ge)));
        }
    }
    parts.push((off.highpass, l.n_at(0), Part::Highpass));
    for (k, gr_img) in g_rec.iter().enumerate() {
        parts.push((off.recon[k], l.n_at(k), Part::Recon(k, gr_img)));
    }
    let mut jobs = Vec::with_capacity(parts.len());
    let mut rest = y;
    let mut at = 0;
    for (o, n, part) in parts {
        debug_assert_eq!(o, at, "the parts of the bands follow each other");
        let (a, r) = rest.split_at_mut(n);
        rest = r;
        at = o + n;
        jobs.push((part, a));
    }
    // (a value no part covered would be left a band's value, not its gradient)
    assert!(rest.is_empty(), "the parts cover the bands");
    par::map(
        jobs,
        |(_, gy)| gy.len(),
        |(part, gy)| {
            avx2(
                #[inline(always)]
                || match part {
                    Part::Band(s, o, gmv) => {
                        let nn = l.n_at(s);
                        let nf = nn as f64;
                        let gm = plus_scaled_mean(gmv, g_mv[s][o], &p.mag[s][o], nf);
                        let gm = E::of_f64(gm);
                        let (gya, gyb) = gy.split_at_mut(nn);
                        let gmv = &gmv[..nn];
                        let modulus = |i: usize, a: E, b: E| {
                            let r = abs(a, b);
                            let inv = if r > E::zero() {
                                E::one() / r
                            } else {
                                E::zero()
                            };
                            let gr = (gmv[i] - gm) * inv;
                            (gr * a, gr * b)
                        };
                        if s + 1 < ns {
                            let gre = &g_re[s][o][..nn];
                            let c = E::of_f64(g_vr[s][o] * 2.0 / nf);
                            for i in 0..nn {
                                let (a, b) = (gya[i], gyb[i]);
                                let (ma, mb) = modulus(i, a, b);
                                gya[i] = (gre[i] + c * a) + ma;
                                gyb[i] = mb;
                            }
                        } else {
                            for i in 0..nn {
                                let (ma, mb) = modulus(i, gya[i], gyb[i]);
                                gya[i] = ma;
                                gyb[i] = mb;
                            }
                        }
                    }
                    // through the phase doubling (re = (a^2 - b^2) / r, im = 2ab / r,
                    // r = |a + ib|) and through the centred modulus
                    Part::Expanded(s, o, ge) => {
                        let nn = l.n_at(s);
                        let nf = nn as f64;
                        let gm = E::of_f64(plus_scaled_mean(ge, g_ev[s][o], &p.emag[s][o], nf));
                        let (cre, cim) = (
                            E::of_f64(g_dv[s][o] * 2.0),
                            E::of_f64(g_dv[s][no + o] * 2.0),
                        );
                        let (dre, dim) = (&p.dbl[s][o][..nn], &p.dbl[s][no + o][..nn]);
                        let (gre, gim) = (&g_dbl[s][o][..nn], &g_dbl[s][no + o][..nn]);
                        let (gya, gyb) = gy.split_at_mut(nn);
                        let ge = &ge[..nn];
                        let (two, nf) = (E::of_f64(2.0), E::of_f64(nf));
                        for i in 0..nn {
                            let (a, b) = (gya[i], gyb[i]);
                            let r = abs(a, b);
                            let inv = if r > E::zero() {
                                E::one() / r
                            } else {
                                E::zero()
                            };
                            let gu = gre[i] + cre * dre[i] / nf;
                            let gt = gim[i] + cim * dim[i] / nf;
                            let (u, t) = ((a * a - b * b) * inv, two * a * b * inv);
                            let q = gu * u + gt * t;
                            let gmod = (ge[i] - gm) * inv;
                            gya[i] = inv * (two * (gu * a + gt * b) - a * inv * q) + gmod * a;
                            gyb[i] = inv * (two * (gt * a - gu * b) - b * inv * q) + gmod * b;
                        }
                    }
                    Part::Highpass => {
                        let nh = E::of_f64(l.n_at(0) as f64);
                        let c = E::of_f64(g[gr.hp] * 2.0);
                        for t in gy.iter_mut() {
                            *t = c * *t / nh;
                        }
                    }
                    Part::Recon(k, gr_img) => {
                        let (h, wd) = l.dims[k];
                        let nn = h * wd;
                        let nf = nn as f64;
                        let v = p.recon_var[k];
                        let mut g_v = g_vrec[k];
                        g_v += g[gr.std + k] / (2.0 * v.sqrt());
                        let unstable = v / var < l.resolution;
                        let (gs, gk) = if unstable {
                            (0.0, 0.0)
                        } else {
                            (g[gr.skew + k], g[gr.kurt + k])
                        };
                        let (m3, m4) = p.recon_m34[k];
                        g_v += -1.5 * m3 * v.powf(-2.5) * gs - 2.0 * m4 * v.powi(-3) * gk;
                        let (c3, c4) = (gs * v.powf(-1.5) * 3.0 / nf, gk / (v * v) * 4.0 / nf);
                        let (c2, c3, c4) = (E::of_f64(g_v * 2.0), E::of_f64(c3), E::of_f64(c4));
                        let nf = E::of_f64(nf);
                        for i in 0..nn {
                            let a = gy[i];
                            gy[i] = gr_img[i] + c2 * a / nf + c3 * a * a + c4 * a * a * a;
                        }
                    }
                },
            )
        },
    );
}

/// One per-band pass of [`adjoint_bands`], with the gradient buffer it finishes.
enum Part<'a, E: Kept> {
    /// (scale, orientation), the centred modulus' gradient.
    Band(usize, usize, &'a mut Buf<E>),
    /// (scale, orientation), the expanded modulus' gradient.
    Expanded(usize, usize, &'a mut Buf<E>),
    Highpass,
    /// The reconstructed image, its autocorrelation's gradient.
    Recon(usize, &'a Buf<E>),
}

/// `g + c * m` in place (`c` times the centred values `m`: the gradient through their
/// variance), and the mean of the result.
#[inline(always)]
fn plus_scaled_mean<E: Float>(g: &mut [E], c: f64, m: &[E], nf: f64) -> f64 {
    let (c, nf) = (E::of_f64(c * 2.0), E::of_f64(nf));
    for (gq, m) in g.iter_mut().zip(m) {
        *gq += c * *m / nf;
    }
    mean(g)
}
