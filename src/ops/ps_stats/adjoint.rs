//! The adjoint of [`super::host::forward`]: the image's gradient (through the pixel
//! statistics, in f64) and the bands' gradient (in the bands' element type, as the
//! forward's intermediates).

use super::autocorr::autocorr_adjoint;
use super::blocked::{self, Shared};
use super::buffers::{self, Buf, Kept};
use super::host::{abs, expanded_block, groups, inverse, PixelMoments, Saved};
use super::PsLayout;
use crate::ops::par;
use crate::ops::simd::avx2;
use crate::tensor::Float;

/// The gradient of `sum(g * forward(x, y))` with respect to the image `x` through the
/// pixel statistics (the only ones it enters directly), in the element type: `pix` the
/// pixel statistics and `mom` the central moments the forward computed on `x`.
fn pixel_grad<E: Kept>(x: &[f64], pix: &[f64], mom: &PixelMoments, g: &[f64]) -> Buf<E> {
    let n = x.len() as f64;
    let (m, var, min, max) = (pix[0], pix[1], pix[4], pix[5]);
    let PixelMoments { m2, m3, m4 } = *mom;
    let gv = g[1] - 1.5 * m3 * var.powf(-2.5) * g[2] - 2.0 * m4 * var.powi(-3) * g[3];
    let (g3, g4) = (g[2] * var.powf(-1.5), g[3] / (var * var));
    // the mean's, the variance's, the third and fourth moments' coefficients
    let (c0, c2, c3, c4) = (g[0] / n, gv * 2.0 / (n - 1.0), g3 * 3.0 / n, g4 * 4.0 / n);
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
            buffers::mapped(x, |v| {
                let d = v - m;
                let t = c0 + c2 * d + c3 * (d * d - m2) + c4 * (d * d * d - m3);
                let t = t + if v == min { gmin } else { 0.0 };
                E::of_f64(t + if v == max { gmax } else { 0.0 })
            })
        },
    )
}

/// The gradient of `sum(g * forward(x, y))` with respect to the bands `y`, written over
/// `y` (each value of the gradient is computed from the bands' values at its own index,
/// read before it is written). `saved`: what [`super::host::forward`] kept. The
/// autocorrelations' adjoints, the correlations' sums and the per-band passes are
/// independent pieces shared out over threads, each whole on one thread (the same bits
/// on any number of threads).
///
/// Returns the image's gradient through the pixel statistics (computed alongside, on
/// whichever thread is free).
pub(crate) fn adjoint_bands<E: Kept>(
    l: &PsLayout,
    y: &mut [E],
    saved: &Saved<E>,
    g: &[f64],
) -> Buf<E> {
    let lent = buffers::lend::<E>();
    lent.run(|| adjoint_bands_lent(l, y, saved, g, &lent))
}

/// [`adjoint_bands`] with the calling thread's kept buffers `lent` (to this thread too).
fn adjoint_bands_lent<E: Kept>(
    l: &PsLayout,
    y: &mut [E],
    saved: &Saved<E>,
    g: &[f64],
    lent: &buffers::Lent<E>,
) -> Buf<E> {
    let (ns, no, w) = (l.n_scales, l.n_orientations, l.width);
    let off = l.offsets();
    let gr = groups(l);
    let p = &saved.p;
    let centre = Some((w / 2) * (w + 1));
    let var = saved.raw[1];

    // gradients of the centred moduli's and the expanded moduli's variances
    let mut g_mv = vec![vec![0.0; no]; ns];
    let mut g_ev = vec![vec![0.0; no]; ns.saturating_sub(1)];
    let mut ac_mean = vec![vec![0.0; no]; ns];
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
            // the mean of the autocorrelation's adjoint (a circular sum of shifted
            // copies of the modulus, whose taps add up to twice theirs, over n)
            let n = l.n_at(s) as f64;
            ac_mean[s][o] = 2.0 * gacs.iter().sum::<f64>() / n * p.mag_mean[s][o];
            jobs.push((Some(&p.mag[s][o][..]), s, gacs));
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
        jobs.push((Some(&y[off.recon[k]..off.recon[k] + l.n_at(k)]), k, gacs));
    }
    // and last the image's gradient through the pixel statistics (one pass over the
    // image in f64: about half a modulus' adjoint's time, which its size says, so that it
    // is handed out among the large jobs, not last)
    jobs.push((None, 0, vec![]));
    let mut g_ac = par::map(
        jobs,
        |(m, s, _)| l.n_at(*s) / if m.is_some() { 1 } else { 2 },
        |(m, s, gacs)| {
            let (h, wd) = l.dims[s];
            lent.run(|| match m {
                Some(m) => autocorr_adjoint(m, h, wd, w, &gacs),
                None => pixel_grad(&saved.x, &saved.raw[..6], &saved.pix_moments, g),
            })
        },
    );
    let g_pix = g_ac.pop().expect("the image's gradient");
    let mut g_ac = g_ac.into_iter();
    let mut g_mag: Vec<Vec<Buf<E>>> = (0..ns)
        .map(|_| {
            (0..no)
                .map(|_| g_ac.next().expect("one per band"))
                .collect()
        })
        .collect();
    let g_rec: Vec<Buf<E>> = g_ac.collect();
    // the bands and expanded bands (read by the sums and written by their blocks'
    // passes, through a pointer), the highpass residual, the reconstructed images
    let (bands, rest) = y.split_at_mut(off.highpass);
    let yb = Shared(bands.as_mut_ptr());
    let (hp, rec) = rest.split_at_mut(l.n_at(0));

    // per scale, the correlations' gradients: sums of `y += a * x` over the sources
    // [mag, re, emag, dbl] into the destinations [g_mag, g_emag, g_re, g_dbl] (all but
    // the coarsest scale; there only the moduli), cross-orientation terms first
    let mut scales: Vec<Scale<E>> = vec![];
    for s in 0..ns {
        let nn = l.n_at(s);
        let nf = nn as f64;
        let fused = s + 1 < ns;
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
        let mut g_dv = vec![0.0; 2 * no];
        let mut g_vr = vec![0.0; no];
        if fused {
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
                    terms.push((gp, 2 * no + o2, o1));
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
                    terms.push((gp, no + o1, 3 * no + q));
                    g_vr[o1] -= 0.5 * c * gc / vr;
                    g_dv[q] -= 0.5 * c * gc / vq;
                }
            }
        }
        // the sources (the bands' real parts read in the bands; the expanded moduli and
        // phase-doubled parts made block by block) and their means
        let mut src: Vec<*const E> = p.mag[s].iter().map(|v| v.as_ptr()).collect();
        let mut means = p.mag_mean[s].clone();
        if fused {
            // SAFETY: an offset within the bands
            src.extend((0..no).map(|o| unsafe { yb.0.add(off.band[s][o]) as *const E }));
            means.extend(&p.re_mean[s]);
            means.extend(&p.emag_mean[s]);
            means.extend(&p.dbl_mean[s]);
        }
        let fresh = if fused { 4 * no } else { 0 };
        // the destinations' means: the sums' (sums of the sources' means), then the
        // moduli's gradients through their variances (`2 g / n` times the centred
        // moduli) and the held autocorrelations' adjoints
        let mut mean = vec![0.0; no + fresh];
        for &(c, j, k) in &terms {
            mean[k] += c * means[j];
        }
        let cm: Vec<f64> = g_mv[s].iter().map(|g| g * 2.0).collect();
        let gm = (0..no)
            .map(|o| mean[o] + cm[o] / nf * p.mag_mean[s][o] + ac_mean[s][o])
            .collect();
        let (mut ce, mut gme) = (vec![], vec![]);
        if fused {
            ce = g_ev[s].iter().map(|g| g * 2.0).collect();
            gme = (0..no)
                .map(|o| mean[no + o] + ce[o] / nf * p.emag_mean[s][o])
                .collect();
        }
        scales.push(Scale {
            sums: blocked::Axpys::new(nn, means.len(), no, fresh, &terms),
            src: Shared(src),
            cm,
            gm,
            ce,
            gme,
            cr: g_vr.iter().map(|g| g * 2.0 / nf).collect(),
            cd: g_dv.iter().map(|g| g * 2.0).collect(),
        });
    }

    // the jobs: per scale, the sums piece by piece, each block then turning the scale's
    // bands and expanded bands into their gradient; the highpass residual; the
    // reconstructed images
    let mut jobs: Vec<Job<E>> = vec![];
    for (s, (sc, gm)) in scales.iter().zip(&mut g_mag).enumerate() {
        let held = gm.iter_mut().map(|v| &mut v[..]).collect();
        for (r, held) in sc.sums.pieces(held) {
            jobs.push(Job::Piece(s, r, held));
        }
    }
    jobs.push(Job::Highpass(hp));
    let mut rest = rec;
    for (k, gr_img) in g_rec.iter().enumerate() {
        let (a, r) = std::mem::take(&mut rest).split_at_mut(l.n_at(k));
        rest = r;
        jobs.push(Job::Recon(k, a, gr_img));
    }
    // (a value no part covered would be left a band's value, not its gradient)
    assert!(rest.is_empty(), "the parts cover the bands");
    let width = 9 * no;
    par::map(
        jobs,
        |j| match j {
            Job::Piece(_, r, _) => width * r.len(),
            Job::Highpass(gy) => gy.len(),
            Job::Recon(_, gy, _) => 2 * gy.len(),
        },
        |job| match job {
            Job::Piece(s, r, mut held) => {
                let sc = &scales[s];
                let nn = l.n_at(s);
                let y = &yb;
                let then = |b: std::ops::Range<usize>, hb: &[&[E]], fb: &[&[E]], mb: &[&[E]]| {
                    avx2(
                        #[inline(always)]
                        || {
                            let nf = E::of_f64(nn as f64);
                            let len = b.len();
                            // SAFETY: values of the bands and expanded bands in the block
                            // `b`, which only this call touches (the block's sums have
                            // read them)
                            let parts = |at: usize| unsafe {
                                let v = y.0.add(at + b.start);
                                (
                                    std::slice::from_raw_parts_mut(v, len),
                                    std::slice::from_raw_parts_mut(v.add(nn), len),
                                )
                            };
                            for o in 0..no {
                                let (gya, gyb) = parts(off.band[s][o]);
                                let re =
                                    (!fb.is_empty()).then(|| (fb[no + o], E::of_f64(sc.cr[o])));
                                let m = &p.mag[s][o][b.clone()];
                                let (c, gm) = (E::of_f64(sc.cm[o]), E::of_f64(sc.gm[o]));
                                band_part(gya, gyb, (hb[o], m, c, nf, gm), re);
                                if fb.is_empty() {
                                    continue;
                                }
                                let (gya, gyb) = parts(off.expanded[s][o]);
                                let (c, gm) = (E::of_f64(sc.ce[o]), E::of_f64(sc.gme[o]));
                                let made = [o, no + o, 2 * no + o, 3 * no + o].map(|q| mb[q]);
                                let g_dbl = [fb[2 * no + o], fb[3 * no + o]];
                                let c_dbl = [o, no + o].map(|q| E::of_f64(sc.cd[q]));
                                expanded_part(gya, gyb, (fb[o], made, c, nf, gm), g_dbl, c_dbl);
                            }
                        },
                    )
                };
                // the expanded bands' centred moduli, then phase-doubled parts (real, then
                // imaginary), made again block by block, and their inverse moduli
                let make = |b: std::ops::Range<usize>, made: &mut [&mut [E]]| {
                    avx2(
                        #[inline(always)]
                        || {
                            if made.is_empty() {
                                // (the coarsest scale: no expanded bands)
                                return;
                            }
                            // SAFETY: values of the expanded band in the block `b`, not
                            // written before its sums are done
                            let band = |o: usize| unsafe {
                                let v = y.0.add(off.expanded[s][o] + b.start) as *const E;
                                (
                                    std::slice::from_raw_parts(v, b.len()),
                                    std::slice::from_raw_parts(v.add(nn), b.len()),
                                )
                            };
                            expanded_block(&p.emag_centre[s], band, made);
                        },
                    )
                };
                // SAFETY: the sources are kept values and the bands' real parts, which
                // only `then` writes, in its block
                let made = if s + 1 < ns { 4 * no } else { 0 };
                unsafe { sc.sums.run(&sc.src.0, &mut held, r, made, make, then) };
            }
            Job::Highpass(gy) => avx2(
                #[inline(always)]
                || {
                    let c = E::of_f64(g[gr.hp] * 2.0 / l.n_at(0) as f64);
                    for t in gy.iter_mut() {
                        *t = c * *t;
                    }
                },
            ),
            Job::Recon(k, gy, gr_img) => avx2(
                #[inline(always)]
                || {
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
                    let (c2, c3, c4) = (E::of_f64(g_v * 2.0 / nf), E::of_f64(c3), E::of_f64(c4));
                    for i in 0..nn {
                        let a = gy[i];
                        gy[i] = gr_img[i] + c2 * a + c3 * a * a + c4 * a * a * a;
                    }
                },
            ),
        },
    );
    g_pix
}

/// One scale's sums and what its per-band passes need.
struct Scale<E> {
    sums: blocked::Axpys<E>,
    /// The sums' sources read in memory: the centred moduli, then (but at the coarsest
    /// scale) the bands' real parts. The expanded centred moduli and the phase-doubled
    /// parts follow them, made block by block.
    src: Shared<Vec<*const E>>,
    /// Per orientation: twice the gradient of the centred modulus' variance, and the
    /// mean of the modulus' whole gradient; the same for the expanded modulus.
    cm: Vec<f64>,
    gm: Vec<f64>,
    ce: Vec<f64>,
    gme: Vec<f64>,
    /// Per orientation: twice the gradient of the real part's variance, over n.
    cr: Vec<f64>,
    /// Per phase-doubled part: twice the gradient of its variance.
    cd: Vec<f64>,
}

/// A piece of the adjoint's last pass, each whole on one thread.
enum Job<'a, E: Kept> {
    /// A scale's sums on a piece of the values (its held destinations' values in it),
    /// then its bands' and expanded bands' gradients there.
    Piece(usize, std::ops::Range<usize>, Vec<&'a mut [E]>),
    Highpass(&'a mut [E]),
    /// The reconstructed image, its autocorrelation's gradient.
    Recon(usize, &'a mut [E], &'a Buf<E>),
}

/// A modulus' gradient: the held values `g` plus `c / nf` times the centred modulus `m`
/// (through its variance), less their mean `mean` (through the centring).
type ModulusGrad<'a, E, M = &'a [E]> = (&'a [E], M, E, E, E);

/// A band's gradient over its values `a + ib` (`gya`, `gyb`: real and imaginary parts),
/// through its centred modulus ([`ModulusGrad`]) and, with `re`, its real part (that
/// gradient, and `c` times the real part added: through its variance).
#[inline(always)]
fn band_part<E: Float>(gya: &mut [E], gyb: &mut [E], md: ModulusGrad<E>, re: Option<(&[E], E)>) {
    let n = gya.len();
    let (gyb, (g, m, c, nf, gm)) = (&mut gyb[..n], md);
    let (g, m) = (&g[..n], &m[..n]);
    let c = c / nf;
    let modulus = |i: usize, a: E, b: E| {
        let inv = inverse(abs(a, b));
        let gr = ((g[i] + c * m[i]) - gm) * inv;
        (gr * a, gr * b)
    };
    if let Some((gre, cr)) = re {
        let gre = &gre[..n];
        for i in 0..n {
            let (a, b) = (gya[i], gyb[i]);
            let (ma, mb) = modulus(i, a, b);
            gya[i] = (gre[i] + cr * a) + ma;
            gyb[i] = mb;
        }
    } else {
        for i in 0..n {
            let (ma, mb) = modulus(i, gya[i], gyb[i]);
            gya[i] = ma;
            gyb[i] = mb;
        }
    }
}

/// An expanded band's gradient over its values `a + ib` (`gya`, `gyb`), through its
/// centred modulus ([`ModulusGrad`]) and its phase-doubled parts `u = (a^2 - b^2) / r`,
/// `t = 2ab / r` (`g_dbl`: their gradients from the sums, `c_dbl`: twice their
/// variances' gradients), from the values made for the sums: the centred modulus, `u`,
/// `t` and `1 / r` (zero where `r` is).
#[inline(always)]
fn expanded_part<E: Float>(
    gya: &mut [E],
    gyb: &mut [E],
    md: ModulusGrad<E, [&[E]; 4]>,
    g_dbl: [&[E]; 2],
    c_dbl: [E; 2],
) {
    let n = gya.len();
    let (gyb, (ge, made, c, nf, gm)) = (&mut gyb[..n], md);
    let ge = &ge[..n];
    let [e, u, t, inv] = made.map(|v| &v[..n]);
    let ([gre, gim], [cre, cim]) = (g_dbl.map(|v| &v[..n]), c_dbl);
    let two = E::of_f64(2.0);
    let (c, cre, cim) = (c / nf, cre / nf, cim / nf);
    for i in 0..n {
        let (a, b) = (gya[i], gyb[i]);
        let (u, t, inv) = (u[i], t[i], inv[i]);
        let gu = gre[i] + cre * u;
        let gt = gim[i] + cim * t;
        let q = gu * u + gt * t;
        let gmod = ((ge[i] + c * e[i]) - gm) * inv;
        gya[i] = inv * (two * (gu * a + gt * b) - a * inv * q) + gmod * a;
        gyb[i] = inv * (two * (gt * a - gu * b) - b * inv * q) + gmod * b;
    }
}
