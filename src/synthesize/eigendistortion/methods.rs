//! The methods that compute eigendistortions: plenoptic's power iteration, the exact
//! decomposition of `J^T J`, and LOBPCG, behind [`EigSynthesize`].

use dfdx::prelude::TensorFromVec;

use super::rsvd::{draw, randomized_svd, RsvdDraws};
use super::{Eigendistortion, Eigenpairs, Method, EXACT_MAX_PIXELS};
use crate::device::cpu;
use crate::error::{Error, Result};
use crate::simulate::Model;
use crate::synthesize::autodiff::Linearized;
use crate::synthesize::linalg::{dot, normalize, orthonormalize, randn, sym_eig};
use crate::synthesize::lobpcg::{self, lobpcg, End, LobpcgOptions};
use crate::synthesize::progress::Progress;
use crate::synthesize::ErasedModelF64;
use crate::tensor::{dims, Image};

impl<M: Model> Eigendistortion<M> {
    /// Computation options; then `.run()`: `eig.synthesize().run()?` is plenoptic's
    /// default (power method, k = 1).
    pub fn synthesize(&mut self) -> EigSynthesize<'_, M> {
        EigSynthesize {
            eig: self,
            opts: Options {
                method: Method::Power,
                k: 1,
                max_iter: None,
                stop_criterion: None,
                progress: true,
                oversampling: 5,
                power_steps: 2,
                draws: None,
            },
        }
    }
}

/// One call of [`Eigendistortion::synthesize`]; set options, then [`EigSynthesize::run`].
#[must_use = "call .run() to compute the eigendistortions"]
pub struct EigSynthesize<'a, M: Model> {
    eig: &'a mut Eigendistortion<M>,
    opts: Options,
}

/// The options of one [`EigSynthesize`].
struct Options {
    method: Method,
    k: usize,
    max_iter: Option<usize>,
    stop_criterion: Option<f64>,
    progress: bool,
    oversampling: usize,
    power_steps: usize,
    draws: Option<RsvdDraws>,
}

impl<M: Model> EigSynthesize<'_, M> {
    /// The method (default [`Method::Power`]).
    pub fn method(mut self, method: Method) -> Self {
        self.opts.method = method;
        self
    }
    /// How many eigendistortions at each end (default 1; ignored by `Exact`, which
    /// returns all).
    pub fn k(mut self, k: usize) -> Self {
        self.opts.k = k;
        self
    }
    /// Iteration limit per end of the spectrum (default 1000).
    pub fn max_iter(mut self, n: usize) -> Self {
        self.opts.max_iter = Some(n);
        self
    }
    /// Convergence tolerance. `Power` (default 1e-7): stop when the eigenvalues change by
    /// at most this between iterations, as plenoptic. `Lobpcg` (default 1e-8): stop when
    /// every residual `|F v - lambda v|` is at most this times the top eigenvalue, or the
    /// eigenvalues changed by at most that over the last quarter of the iterations.
    pub fn stop_criterion(mut self, tol: f64) -> Self {
        self.opts.stop_criterion = Some(tol);
        self
    }
    /// `RandomizedSvd`'s oversampling `p` (default 5, plenoptic's): `k + p` random vectors
    /// are drawn, `k` returned.
    pub fn oversampling(mut self, p: usize) -> Self {
        self.opts.oversampling = p;
        self
    }
    /// `RandomizedSvd`'s number of power steps `q` (default 2, plenoptic's).
    pub fn power_steps(mut self, q: usize) -> Self {
        self.opts.power_steps = q;
        self
    }
    /// `RandomizedSvd`'s random matrices, instead of draws from the crate's generator:
    /// to replay a plenoptic run from its saved `torch.randn` draws.
    pub fn draws(mut self, draws: RsvdDraws) -> Self {
        self.opts.draws = Some(draws);
        self
    }
    /// Show the progress line (default true; see also [`crate::synthesize::show_progress`]).
    pub fn progress(mut self, on: bool) -> Self {
        self.opts.progress = on;
        self
    }

    /// Computes the eigendistortions, replacing earlier results.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `k` = 0 or larger than half the pixels, a zero
    /// `max_iter`, a bad tolerance, or `Exact` on an image above [`EXACT_MAX_PIXELS`];
    /// the model's errors.
    pub fn run(self) -> Result<()> {
        let eig = self.eig;
        eig.result = Some(compute(&eig.model, &eig.image64, &self.opts)?);
        Ok(())
    }
}

/// See [`EigSynthesize::run`]: the eigendistortions of `model` at `image64`.
fn compute(model: &dyn ErasedModelF64, image64: &Image<f64>, opts: &Options) -> Result<Eigenpairs> {
    let lin = Linearized::new(model, image64.clone())?;
    let [_, c, h, w] = dims(image64);
    let n = lin.n_in();
    let mut error = None;
    let (values, vectors, index, iterations) = match opts.method {
        Method::Exact => {
            if n > EXACT_MAX_PIXELS {
                return Err(Error::invalid(
                    "method",
                    format!(
                        "Exact builds and decomposes the full {n} x {n} matrix J^T J; it is \
                         limited to {EXACT_MAX_PIXELS} pixels. Use Method::Lobpcg (accurate \
                         at both ends) or Method::Power"
                    ),
                ));
            }
            let (vals, vecs) = exact(&lin, opts.progress)?;
            (vals, vecs, (0..n).collect::<Vec<_>>(), vec![lin.n_out()])
        }
        Method::RandomizedSvd => {
            let (k, p, q) = (opts.k, opts.oversampling, opts.power_steps);
            let draws = match &opts.draws {
                Some(d) => d.clone(),
                None => draw(n, k, p),
            };
            let mut bar = Progress::new(
                format!("Eigendistortion (randomized SVD, top {k})"),
                opts.progress,
            );
            let r = randomized_svd(
                n,
                k,
                p,
                q,
                &draws,
                |v| lin.fisher(v),
                |i| bar.tick(i, || format!("{i} products")),
            )?;
            let products = (k + p) * (q + 2) + draws.omega.len() / n;
            bar.finish(
                products,
                &format!(
                    "Randomized SVD complete! Estimated spectral approximation error = {:.2}",
                    r.error
                ),
            );
            let mut vecs = r.vectors;
            for v in vecs.iter_mut() {
                normalize(v);
            }
            error = Some(r.error);
            (r.values, vecs, (0..k).collect(), vec![products])
        }
        method => {
            let k = opts.k;
            if k == 0 || 2 * k > n {
                return Err(Error::invalid(
                    "k",
                    format!(
                        "must be between 1 and half the number of pixels ({}), got {k}",
                        n / 2
                    ),
                ));
            }
            let max_iter = opts.max_iter.unwrap_or(1000);
            if max_iter == 0 {
                return Err(Error::invalid("max_iter", "must be at least 1"));
            }
            let default_tol = if method == Method::Power { 1e-7 } else { 1e-8 };
            let tol = opts.stop_criterion.unwrap_or(default_tol);
            if tol.is_nan() || tol < 0.0 {
                return Err(Error::invalid(
                    "stop_criterion",
                    format!("must be >= 0, got {tol}"),
                ));
            }
            let (mut vals, mut vecs, iters) = if method == Method::Power {
                let (top_v, top, it1) = power(&lin, k, 0.0, tol, max_iter, "top", opts.progress)?;
                let shift = top_v.iter().fold(0.0f64, |m, v| m.max(*v));
                let (bot_v, bot, it2) =
                    power(&lin, k, shift, tol, max_iter, "bottom", opts.progress)?;
                let mut vals = top_v;
                vals.extend(bot_v);
                let mut vecs = top;
                vecs.extend(bot);
                (vals, vecs, vec![it1, it2])
            } else {
                let top = run_lobpcg(&lin, End::Largest, k, max_iter, tol, None, opts.progress)?;
                let scale = top.values[0].abs();
                let bot = run_lobpcg(
                    &lin,
                    End::Smallest,
                    k,
                    max_iter,
                    tol,
                    Some(scale),
                    opts.progress,
                )?;
                let mut vals = top.values;
                vals.extend(bot.values.iter().rev());
                let mut vecs = top.vectors;
                vecs.extend(bot.vectors.into_iter().rev());
                (vals, vecs, vec![top.iterations, bot.iterations])
            };
            // plenoptic reports absolute values
            vals.iter_mut().for_each(|v| *v = v.abs());
            for v in vecs.iter_mut() {
                normalize(v);
            }
            let mut index: Vec<usize> = (0..k).collect();
            index.extend(n - k..n);
            (vals, vecs, index, iters)
        }
    };
    let count = vectors.len();
    let data: Vec<f32> = vectors
        .iter()
        .flat_map(|v| v.iter().map(|x| *x as f32))
        .collect();
    Ok(Eigenpairs {
        eigendistortions: cpu().tensor_from_vec(data, (count, c, h, w)),
        eigenvalues: values,
        eigenindex: index,
        iterations,
        error,
    })
}

/// LOBPCG at one end of the spectrum, with a progress line.
fn run_lobpcg(
    lin: &Linearized<'_>,
    end: End,
    k: usize,
    max_iter: usize,
    tol: f64,
    scale: Option<f64>,
    progress: bool,
) -> Result<lobpcg::Pairs> {
    let which = if end == End::Largest { "top" } else { "bottom" };
    let mut bar = Progress::new(format!("Eigendistortion (LOBPCG, {which} {k})"), progress);
    let opts = LobpcgOptions {
        k,
        max_iter,
        tol,
        scale,
    };
    let r = lobpcg(
        lin.n_in(),
        end,
        &opts,
        |v| lin.fisher(v),
        |it, res| {
            bar.tick(it, || {
                format!("iteration {it} | relative residual {res:.2e}")
            })
        },
    )?;
    let status = format!(
        "{} after {} iterations | eigenvalue {:.6e} | relative residual {:.2e}",
        if r.converged { "converged" } else { "stopped" },
        r.iterations,
        r.values[0],
        r.residual / scale.unwrap_or(r.values[0].abs()).max(f64::MIN_POSITIVE)
    );
    bar.finish(r.iterations, &status);
    Ok(r)
}

/// plenoptic's `_synthesize_power`: block power iteration on `F - shift I`, stopping when
/// the eigenvalues change by at most `tol`. Returns the eigenvalues (Rayleigh quotients
/// of the unshifted `F`), the vectors, and the number of iterations.
fn power(
    lin: &Linearized<'_>,
    k: usize,
    shift: f64,
    tol: f64,
    max_iter: usize,
    which: &str,
    progress: bool,
) -> Result<(Vec<f64>, Vec<Vec<f64>>, usize)> {
    let n = lin.n_in();
    let fisher_all =
        |vs: &[Vec<f64>]| -> Result<Vec<Vec<f64>>> { vs.iter().map(|v| lin.fisher(v)).collect() };
    let mut v: Vec<Vec<f64>> = (0..k)
        .map(|_| {
            let mut c = randn(n);
            normalize(&mut c);
            c
        })
        .collect();
    let mut fv = fisher_all(&v)?;
    for (vi, fi) in v.iter_mut().zip(&fv) {
        vi.clone_from(fi);
        normalize(vi);
    }
    fv = fisher_all(&v)?;
    let mut lambda: Vec<f64> = v.iter().zip(&fv).map(|(a, b)| dot(a, b)).collect();
    let mut d_lambda = f64::INFINITY;
    let mut bar = Progress::new(format!("Eigendistortion (power, {which} {k})"), progress);
    let mut it = 0;
    while it < max_iter {
        if d_lambda <= tol {
            break;
        }
        let mut w: Vec<Vec<f64>> = fv
            .iter()
            .zip(&v)
            .map(|(f, vi)| f.iter().zip(vi).map(|(a, b)| a - shift * b).collect())
            .collect();
        orthonormalize(&mut w);
        let fw = fisher_all(&w)?;
        let new: Vec<f64> = w.iter().zip(&fw).map(|(a, b)| dot(a, b)).collect();
        d_lambda = lambda
            .iter()
            .zip(&new)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        v = w;
        fv = fw;
        lambda = new;
        it += 1;
        bar.tick(it, || {
            format!("iteration {it} | eigenvalue change {d_lambda:.2e}")
        });
    }
    let status = if d_lambda <= tol {
        format!("stop criterion {tol:.2e} reached after {it} iterations")
    } else {
        format!("{it} iterations, eigenvalue change {d_lambda:.2e}")
    };
    bar.finish(it, &status);
    // largest first (the block's columns need not come out in order)
    let mut pairs: Vec<(f64, Vec<f64>)> = lambda.into_iter().zip(v).collect();
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (lambda, v) = pairs.into_iter().unzip();
    Ok((lambda, v, it))
}

/// Every eigenpair of `J^T J`, eigenvalues descending.
fn exact(lin: &Linearized<'_>, progress: bool) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
    let (m, n) = (lin.n_out(), lin.n_in());
    let mut bar = Progress::new("Eigendistortion (exact)", progress);
    // F = sum over rows r of J: J_r J_r^T (lower triangle).
    let mut f = vec![0.0f64; n * n];
    let mut e = vec![0.0f64; m];
    for r in 0..m {
        e[r] = 1.0;
        let row = lin.vjp(&e)?;
        e[r] = 0.0;
        for (i, ri) in row.iter().enumerate() {
            if *ri != 0.0 {
                for (fj, rj) in f[i * n..i * n + i + 1].iter_mut().zip(&row[..=i]) {
                    *fj += ri * rj;
                }
            }
        }
        bar.tick(r + 1, || format!("Jacobian row {} of {m}", r + 1));
    }
    let (vals, vecs) = sym_eig(f, n);
    bar.finish(m, &format!("{n} eigenpairs"));
    let values = vals.into_iter().rev().collect();
    let vectors = (0..n)
        .rev()
        .map(|i| vecs[i * n..(i + 1) * n].to_vec())
        .collect();
    Ok((values, vectors))
}
