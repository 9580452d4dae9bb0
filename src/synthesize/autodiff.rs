//! Derivatives of a model's output with respect to its input, built on dfdx's reverse mode:
//! vector-Jacobian products (`J^T u`, exact, one forward and one backward pass), Jacobian-
//! vector products (`J v`, by central differences in f64 with a scale-aware step), and the
//! full Jacobian (row by row through `J^T e_i`), as plenoptic's `synthesize.autodiff`.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dfdx::prelude::{
    Cpu, Gradients, HasShape, NoneTape, OwnedTape, PutTape, SplitTape, TensorFromVec, Trace,
};
use dfdx::shapes::Shape as _;
use dfdx::tensor::Tape as _;

use crate::device::{cpu, Device, Kind};
use crate::error::{Error, Result};
use crate::ops::pool::{self, Pooled, ReuseTensors};
use crate::synthesize::erased::{ErasedModel, ErasedModelF64, Taped};
#[cfg(feature = "cuda")]
use crate::synthesize::erased::{GpuImage, GpuTaped};
use crate::tensor::{check_finite, dims, Float, Image};

pub(crate) use crate::ops::backward_with;

/// The gradient of `x` in `grads`, copied to the host (zeros when nothing reached `x`).
pub(crate) fn grad_of<E: Float, D: Device<E>>(
    grads: &mut Gradients<E, D>,
    x: &Image<E, dfdx::prelude::NoneTape, D>,
) -> Result<Vec<E>> {
    grads
        .try_alloc_for(x)
        .map_err(|e| Error::backend("gradient read-back", e))?;
    let g = grads.get(x);
    let mut v = vec![E::zero(); g.shape().num_elements()];
    g.copy_into(&mut v);
    Ok(v)
}

#[cfg_attr(feature = "portable-cpu", allow(dead_code))]
/// The gradient of `x` on the CPU, copied into a pooled buffer (zeros when nothing
/// reached `x`); the gradient's own storage stays with `grads`, to be reused.
pub(crate) fn pooled_grad_of<E: Float>(
    grads: &mut Gradients<E, Cpu>,
    x: &Image<E>,
) -> Result<Pooled<E>> {
    let g = grads
        .get_or_alloc_mut(x)
        .map_err(|e| Error::backend("gradient read-back", e))?;
    let mut out = pool::take(g.len());
    out.copy_from_slice(g);
    Ok(out)
}

/// An identity op whose backward pass raises `flag`: tells whether gradients reached the
/// input (a model that rebuilds its output without the input's tape cuts them off).
fn sentinel<E: Float>(
    x: Image<E, OwnedTape<E, Cpu>>,
    flag: Arc<AtomicBool>,
) -> Image<E, OwnedTape<E, Cpu>> {
    let (x, mut tape) = x.split_tape();
    let out = cpu().tensor_from_vec(x.as_vec(), *x.shape());
    let (xg, og) = (x.ghost(), out.ghost());
    tape.add_backward_op(move |grads| {
        flag.store(true, Ordering::Relaxed);
        let go = grads.get_or_alloc_mut(&og)?.to_vec();
        for (a, b) in grads.get_or_alloc_mut(&xg)?.iter_mut().zip(go) {
            *a += b;
        }
        Ok(())
    });
    out.put_tape(tape)
}

/// Checks that `model` runs on the f32 image `x`, returns a finite 4-D output, and lets
/// gradients flow back to its input. Returns the output (computed without a tape).
pub(crate) fn check_model_f32(model: &dyn ErasedModel, x: &Image<f32>) -> Result<Image<f32>> {
    check_model_with(x, |xt| model.forward_f32(xt))
}

/// [`check_model_f32`] for an f64 image.
pub(crate) fn check_model_f64(model: &dyn ErasedModelF64, x: &Image<f64>) -> Result<Image<f64>> {
    check_model_with(x, |xt| model.forward_f64(xt))
}

/// The checks of [`check_model_f32`] with the model's taped forward pass `forward`.
fn check_model_with<E: Float>(
    x: &Image<E>,
    forward: impl FnOnce(Taped<E>) -> Result<Taped<E>>,
) -> Result<Image<E>>
where
    Cpu: Device<E>,
{
    let flag = Arc::new(AtomicBool::new(false));
    let xt = sentinel(x.leaky_trace(), flag.clone());
    let y = forward(xt)?;
    let yv = y.as_vec();
    if yv.is_empty() {
        return Err(Error::InvalidModel(format!(
            "the model's output is empty (shape {:?})",
            dims(&y)
        )));
    }
    check_finite(&yv, "the model's output").map_err(|e| Error::InvalidModel(e.to_string()))?;
    // A fixed, sign-alternating seed: gradients flow whatever the model's Jacobian is.
    let seed: Vec<E> = (0..yv.len())
        .map(|i| E::of_f64(if i % 2 == 0 { 1.0 } else { -0.5 }))
        .collect();
    let shape = *y.shape();
    let mut grads = backward_with(y, seed)?;
    if !flag.load(Ordering::Relaxed) {
        return Err(Error::InvalidModel(
            "gradients do not reach the input: the model's forward builds its output without \
             the input's tape (use the crate's ops or dfdx ops on the input tensor)"
                .into(),
        ));
    }
    let g = grad_of(&mut grads, x)?;
    check_finite(&g, "the model's gradient").map_err(|e| Error::InvalidModel(e.to_string()))?;
    Ok(cpu().tensor_from_vec(yv, shape))
}

/// The model as a function of a flat f64 input, with the products synthesis needs.
pub(crate) struct Linearized<'a> {
    model: &'a dyn ErasedModelF64,
    x: Image<f64>,
    xv: Vec<f64>,
    /// model(x), flat
    pub y: Vec<f64>,
    pub y_shape: [usize; 4],
    /// Largest |x_i|, for the finite-difference step.
    x_scale: f64,
    /// Where the model runs (chosen once, when linearized).
    kind: Kind,
    /// Products [`Linearized::jvp`] has made.
    jvps: Cell<usize>,
    /// Whether a check found a third-order term (then the extrapolation stays).
    nonlinear: Cell<bool>,
    /// Whether a check found a second-order term (then products take the central
    /// difference, not the one-sided one).
    curved: Cell<bool>,
    /// Whether the model maps a batch item by item (checked once, see
    /// [`Linearized::eval_each`]); `None` before the check.
    itemwise: Cell<Option<bool>>,
    /// CPU buffers and tensors reused from one product to the next, once the checks found a
    /// third-order term: each product then evaluates four inputs as one batch, whose
    /// image-sized buffers (2 MB and more in f64) would otherwise be fresh memory, paid
    /// in page faults, every time. (For the one- and two-pass products of other models
    /// reuse measured no faster.)
    reuse: std::cell::OnceCell<ReuseTensors>,
}

/// The f64 forward passes of an erased model on one device (the CPU, and the GPU with the
/// `cuda` feature): what [`Linearized`] runs.
trait F64Device: Device<f64> {
    /// `model(x)` without a tape.
    fn eval(model: &dyn ErasedModelF64, x: Image<f64, NoneTape, Self>) -> Result<Vec<f64>>;
    /// `model(x)` recorded on `x`'s tape.
    fn taped(
        model: &dyn ErasedModelF64,
        x: Image<f64, OwnedTape<f64, Self>, Self>,
    ) -> Result<Image<f64, OwnedTape<f64, Self>, Self>>;
}

impl F64Device for Cpu {
    fn eval(model: &dyn ErasedModelF64, x: Image<f64>) -> Result<Vec<f64>> {
        Ok(host_vec(&model.apply_f64(&x)?))
    }
    fn taped(model: &dyn ErasedModelF64, x: Taped<f64>) -> Result<Taped<f64>> {
        model.forward_f64(x)
    }
}

#[cfg(feature = "cuda")]
impl F64Device for crate::device::Gpu {
    fn eval(model: &dyn ErasedModelF64, x: GpuImage<f64>) -> Result<Vec<f64>> {
        Ok(model.apply_gpu_f64(x)?.as_vec())
    }
    fn taped(model: &dyn ErasedModelF64, x: GpuTaped<f64>) -> Result<GpuTaped<f64>> {
        model.forward_gpu_f64(x)
    }
}

/// The values of a CPU tensor, copied at once (dfdx's `as_vec` walks them one by one,
/// several times slower).
fn host_vec(t: &Image<f64>) -> Vec<f64> {
    let mut v = vec![0.0; t.shape().num_elements()];
    t.copy_into(&mut v);
    v
}

/// `model(x)` on device `dev`, for the flat input `x`.
fn eval_on<D: F64Device>(
    dev: &D,
    model: &dyn ErasedModelF64,
    x: Vec<f64>,
    shape: crate::tensor::Shape4,
) -> Result<Vec<f64>> {
    D::eval(model, dev.tensor_from_vec(x, shape))
}

/// `J^T u` on device `dev`: one forward and one backward pass.
fn vjp_on<D: F64Device>(
    dev: &D,
    model: &dyn ErasedModelF64,
    x: &Image<f64>,
    u: &[f64],
) -> Result<Vec<f64>> {
    let xd = dev.tensor_from_vec(host_vec(x), *x.shape());
    let y = D::taped(model, xd.leaky_trace())?;
    let mut grads = backward_with(y, u.to_vec())?;
    grad_of(&mut grads, &xd)
}

/// Largest change of a pixel (relative to the image's scale) in the finite differences
/// of [`Linearized::jvp`]. With Richardson extrapolation the truncation error is
/// O(h^4): measured against the exact Jacobian, 3e-11 relative for the pretrained
/// LuminanceGainControl and 1e-12 for linear models, where plain central differences
/// reach 7e-11 at best for the former, and only with a step tuned to the model.
const FD_REL_STEP: f64 = 1e-3;

/// Products of [`Linearized::jvp`] that compare `D(h)` with `D(h/2)` before it trusts
/// `D(h)` alone.
const LINEAR_CHECKS: usize = 3;

/// How often (in products) [`Linearized::jvp`] checks again, once it trusts `D(h)` alone.
const RECHECK: usize = 16;

/// The fewest inputs [`Linearized::eval_each`] evaluates as one batch. Two (the plain
/// central difference) ran slower as a batch on the 2-core test machine: 9.2 against
/// 8.1 s for the tutorial's Gaussian eigendistortion; four (with the extrapolation) ran
/// faster: 17.3 against 21.6 s for LuminanceGainControl's on curie.
const BATCH_FROM: usize = 4;

/// How often (in products) [`Linearized`] frees the reused tensors that no call took
/// again (a model that makes tensors from new buffers leaves one per call).
const TRIM_EVERY: usize = 64;

/// The largest `|a_i|` (0 for none).
fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// The largest `|a_i - b_i|` (0 for none).
fn max_gap(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
}

impl<'a> Linearized<'a> {
    /// Linearizes `model` at `x` (any batch; computations in f64).
    pub fn new(model: &'a dyn ErasedModelF64, x: Image<f64>) -> Result<Self> {
        let yt = model.apply_f64(&x)?;
        let y_shape = dims(&yt);
        let y = host_vec(&yt);
        let xv = host_vec(&x);
        let x_scale = max_abs(&xv).max(1.0);
        let kind = crate::device::current();
        Ok(Linearized {
            kind,
            jvps: Cell::new(0),
            nonlinear: Cell::new(false),
            curved: Cell::new(false),
            itemwise: Cell::new(None),
            reuse: std::cell::OnceCell::new(),
            model,
            x,
            xv,
            y,
            y_shape,
            x_scale,
        })
    }

    /// Input dimension.
    pub fn n_in(&self) -> usize {
        self.xv.len()
    }

    /// Output dimension.
    pub fn n_out(&self) -> usize {
        self.y.len()
    }

    /// `J^T u`: one forward and one backward pass (exact up to rounding).
    pub fn vjp(&self, u: &[f64]) -> Result<Vec<f64>> {
        if u.len() != self.n_out() {
            return Err(Error::shape_mismatch(
                "vector length against the model output's size",
                [self.n_out()],
                [u.len()],
            ));
        }
        match self.kind {
            Kind::Cpu => vjp_on(&crate::device::cpu(), self.model, &self.x, u),
            #[cfg(feature = "cuda")]
            Kind::Cuda => vjp_on(&crate::device::gpu_or_err()?, self.model, &self.x, u),
            #[cfg(not(feature = "cuda"))]
            Kind::Cuda => Err(Error::Unavailable("built without the cuda feature".into())),
        }
    }

    /// The model's output at the flat input `x` (same shape as the linearization point).
    fn eval(&self, x: Vec<f64>) -> Result<Vec<f64>> {
        self.eval_shaped(x, *self.x.shape())
    }

    /// The model's output at the flat input `x` of shape `shape`.
    fn eval_shaped(&self, x: Vec<f64>, shape: crate::tensor::Shape4) -> Result<Vec<f64>> {
        match self.kind {
            Kind::Cpu => eval_on(&crate::device::cpu(), self.model, x, shape),
            #[cfg(feature = "cuda")]
            Kind::Cuda => eval_on(&crate::device::gpu_or_err()?, self.model, x, shape),
            #[cfg(not(feature = "cuda"))]
            Kind::Cuda => Err(Error::Unavailable("built without the cuda feature".into())),
        }
    }

    /// The model's outputs at the flat inputs `xs` (each shaped like the linearization
    /// point), computed as one batch: the batch items' forward passes run on several
    /// threads. The first call checks that the model maps the batch item by item (the
    /// first item's output equals its output alone); a model that mixes items, or
    /// refuses the larger batch, is evaluated one input at a time from then on.
    fn eval_each(&self, xs: Vec<Vec<f64>>) -> Result<Vec<Vec<f64>>> {
        let one_at_a_time = |xs: Vec<Vec<f64>>| xs.into_iter().map(|x| self.eval(x)).collect();
        if xs.len() < BATCH_FROM || self.itemwise.get() == Some(false) {
            return one_at_a_time(xs);
        }
        let [b, c, h, w] = dims(&self.x);
        let k = xs.len();
        let first = match self.itemwise.get() {
            None => Some(self.eval(xs[0].clone())?),
            Some(_) => None,
        };
        let out = match self.eval_shaped(xs.concat(), (k * b, c, h, w)) {
            Ok(out) if out.len() == k * self.n_out() => out,
            _ if first.is_some() => {
                self.itemwise.set(Some(false));
                return one_at_a_time(xs);
            }
            Ok(out) => {
                return Err(Error::shape_mismatch(
                    "the model's output for a batch of inputs",
                    [k * self.n_out()],
                    [out.len()],
                ))
            }
            Err(e) => return Err(e),
        };
        let parts: Vec<Vec<f64>> = out.chunks(self.n_out()).map(<[f64]>::to_vec).collect();
        if let Some(alone) = first {
            let itemwise = max_gap(&alone, &parts[0]) <= 1e-12 * max_abs(&alone);
            self.itemwise.set(Some(itemwise));
            if !itemwise {
                return one_at_a_time(xs);
            }
        }
        Ok(parts)
    }

    /// `J v` by central differences with one Richardson extrapolation:
    /// `D(h) = (f(x + h v) - f(x - h v)) / 2h`, `J v = (4 D(h/2) - D(h)) / 3`, with `h`
    /// chosen so that the largest pixel moves by [`FD_REL_STEP`] times the image's scale
    /// (its largest absolute value, at least 1). Four forward passes. Exact up to rounding
    /// for models linear in the input.
    ///
    /// The extrapolation corrects the third-order term of `f` along `v`. Where it found
    /// none in the first [`LINEAR_CHECKS`] products (`D(h)` and `D(h/2)` equal to within
    /// 1e-10 of their size: a model linear or quadratic in its input), later products
    /// take `D(h)` alone, two forward passes, and check again every [`RECHECK`]-th
    /// product, returning to the extrapolation for good when a check fails. Where the
    /// checks found no second-order term either (the one-sided `(f(x + h v) - f(x)) / h`
    /// equal to `D(h)` to within 1e-10: a model affine in its input, such as a
    /// convolution), later products take the one-sided difference, one forward pass
    /// (`f(x)` is kept), until a check finds a second-order term.
    pub fn jvp(&self, v: &[f64]) -> Result<Vec<f64>> {
        let vmax = max_abs(v);
        if vmax == 0.0 {
            return Ok(vec![0.0; self.n_out()]);
        }
        let h = FD_REL_STEP * self.x_scale / vmax;
        let calls = self.jvps.get();
        self.jvps.set(calls + 1);
        if let Some(reuse) = self.reuse.get() {
            if calls % TRIM_EVERY == TRIM_EVERY - 1 {
                reuse.trim();
            }
        }
        let trusted = calls >= LINEAR_CHECKS && !self.nonlinear.get();
        let extrapolate = !trusted || calls.is_multiple_of(RECHECK);
        // x + s v
        let shifted =
            |s: f64| -> Vec<f64> { self.xv.iter().zip(v).map(|(x, d)| x + s * d).collect() };
        // (f(x + h v) - f(x)) / h
        let one_sided = |fp: &[f64]| -> Vec<f64> {
            let inv = 1.0 / h;
            fp.iter().zip(&self.y).map(|(a, b)| (a - b) * inv).collect()
        };
        if !extrapolate && !self.curved.get() {
            return Ok(one_sided(&self.eval(shifted(h))?));
        }
        // x + h v, x - h v (and the same for h / 2), evaluated as one batch
        let steps: &[f64] = if extrapolate { &[h, 0.5 * h] } else { &[h] };
        let points = steps.iter().flat_map(|&h| [h, -h]).map(shifted).collect();
        let outs = self.eval_each(points)?;
        let central = |i: usize| -> Vec<f64> {
            let inv = 1.0 / (2.0 * steps[i]);
            let (fp, fm) = (&outs[2 * i], &outs[2 * i + 1]);
            fp.iter().zip(fm).map(|(a, b)| (a - b) * inv).collect()
        };
        let d1 = central(0);
        if !extrapolate {
            return Ok(d1);
        }
        let d2 = central(1);
        let size = max_abs(&d1);
        if max_gap(&d2, &d1) > 1e-10 * size {
            self.nonlinear.set(true);
            self.reuse.get_or_init(pool::reuse_tensors);
        }
        if !self.curved.get() && max_gap(&one_sided(&outs[0]), &d1) > 1e-10 * size {
            self.curved.set(true);
        }
        Ok(d2
            .iter()
            .zip(&d1)
            .map(|(a, b)| (4.0 * a - b) / 3.0)
            .collect())
    }

    /// `J^T J v` (the Fisher information matrix times `v`).
    pub fn fisher(&self, v: &[f64]) -> Result<Vec<f64>> {
        let jv = self.jvp(v)?;
        self.vjp(&jv)
    }

    /// The full Jacobian, `n_out x n_in`, row-major, one `J^T e_i` per row.
    pub fn jacobian(&self) -> Result<Vec<f64>> {
        let (m, n) = (self.n_out(), self.n_in());
        let mut j = vec![0.0; m * n];
        let mut e = vec![0.0; m];
        for i in 0..m {
            e[i] = 1.0;
            let row = self.vjp(&e)?;
            j[i * n..(i + 1) * n].copy_from_slice(&row);
            e[i] = 0.0;
        }
        Ok(j)
    }
}

/// `J^T u`: the vector-Jacobian product of `model` at `image` with `u` (shaped like the
/// model's output), by one forward and one backward pass. Exact up to rounding.
///
/// ```
/// use plenoptic as po;
/// let model = po::simulate::Gaussian::builder((3, 3)).pad_mode(po::PadMode::Circular).build()?;
/// let x = po::data::white_noise::<f64>(&[1, 1, 8, 8])?;
/// let u = po::data::white_noise::<f64>(&[1, 1, 8, 8])?;
/// let jtu = po::synthesize::autodiff::vector_jacobian_product(&model, &x, &u)?;
/// assert_eq!(po::dims(&jtu), [1, 1, 8, 8]);
/// # Ok::<(), po::Error>(())
/// ```
///
/// # Errors
/// [`Error::ShapeMismatch`] when `u` does not have the output's shape; the model's errors.
pub fn vector_jacobian_product(
    model: &dyn ErasedModelF64,
    image: &Image<f64>,
    u: &Image<f64>,
) -> Result<Image<f64>> {
    let lin = Linearized::new(model, image.clone())?;
    if dims(u) != lin.y_shape {
        return Err(Error::shape_mismatch(
            "u against the model's output",
            lin.y_shape,
            dims(u),
        ));
    }
    let g = lin.vjp(&u.as_vec())?;
    Ok(cpu().tensor_from_vec(g, *image.shape()))
}

/// `J v`: the Jacobian-vector product of `model` at `image` with `v` (shaped like the
/// image), by f64 central differences with Richardson extrapolation (four forward
/// passes; the largest pixel moves by 1e-3 of the image's scale): exact up to rounding
/// for models linear in their input; for the pretrained LuminanceGainControl the relative
/// error against the exact Jacobian is 3e-11.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `v` does not have the image's shape; the model's errors.
pub fn jacobian_vector_product(
    model: &dyn ErasedModelF64,
    image: &Image<f64>,
    v: &Image<f64>,
) -> Result<Image<f64>> {
    let lin = Linearized::new(model, image.clone())?;
    if dims(v) != dims(image) {
        return Err(Error::shape_mismatch(
            "v against the image",
            dims(image),
            dims(v),
        ));
    }
    let jv = lin.jvp(&v.as_vec())?;
    let s = lin.y_shape;
    Ok(cpu().tensor_from_vec(jv, (s[0], s[1], s[2], s[3])))
}

/// The Jacobian of `model` at `image`: one row per output element (row-major over the
/// output's shape), one column per pixel, each row an exact `J^T e_i`. Costs one forward
/// and one backward pass per output element: for small images only.
///
/// # Errors
/// The model's errors.
pub fn jacobian(model: &dyn ErasedModelF64, image: &Image<f64>) -> Result<Vec<Vec<f64>>> {
    let lin = Linearized::new(model, image.clone())?;
    let n = lin.n_in();
    Ok(lin.jacobian()?.chunks(n).map(|r| r.to_vec()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::{Gaussian, LuminanceGainControl};
    use crate::tensor::Tape;
    use crate::PadMode;

    /// A model quadratic in its input: the square of another model's output.
    struct Squared<M>(M);

    impl<M: crate::Model> crate::Model for Squared<M> {
        fn forward<E: Float, D: Device<E>, T: Tape<E, D>>(
            &self,
            x: Image<E, T, D>,
        ) -> Result<Image<E, T, D>> {
            let two = E::of_f64(2.0);
            crate::ops::map(self.0.forward(x)?, move |v, _| (v * v, two * v))
        }
    }

    /// `lin.jvp` of `n` products against the exact `J v` (the Jacobian's rows): the worst
    /// error relative to the largest `|J v|`.
    fn worst_jvp_error(lin: &Linearized, n: usize) -> f64 {
        let j = lin.jacobian().unwrap();
        let mut worst = 0.0f64;
        for k in 0..n {
            let v: Vec<f64> = (0..lin.n_in())
                .map(|i| ((i * 7 + k * 13) % 11) as f64 / 5.0 - 1.0)
                .collect();
            let exact: Vec<f64> = j
                .chunks(lin.n_in())
                .map(|row| row.iter().zip(&v).map(|(a, b)| a * b).sum())
                .collect();
            let got = lin.jvp(&v).unwrap();
            worst = worst.max(max_gap(&got, &exact) / max_abs(&exact));
        }
        worst
    }

    #[test]
    fn jvp_drops_the_extrapolation_only_for_models_without_a_third_order_term() {
        let x = crate::data::white_noise::<f64>(&[1, 1, 16, 16]).unwrap();
        let gaussian = Gaussian::builder((7, 7))
            .pad_mode(PadMode::Circular)
            .build()
            .unwrap();
        let lin = Linearized::new(&gaussian, x.clone()).unwrap();
        let err = worst_jvp_error(&lin, 40);
        assert!(err < 1e-10, "Gaussian: {err:e}");
        assert!(
            !lin.nonlinear.get(),
            "a linear model drops the extrapolation"
        );
        assert!(
            !lin.curved.get(),
            "a linear model takes the one-sided difference"
        );
        // quadratic: the one-sided difference would be off by about 1e-3
        let squared = Squared(gaussian);
        let lin = Linearized::new(&squared, x.clone()).unwrap();
        let err = worst_jvp_error(&lin, 40);
        assert!(err < 1e-10, "squared Gaussian: {err:e}");
        assert!(
            !lin.nonlinear.get(),
            "a quadratic model drops the extrapolation"
        );
        assert!(
            lin.curved.get(),
            "a quadratic model keeps the central difference"
        );
        let lgc = LuminanceGainControl::builder((7, 7))
            .pad_mode(PadMode::Circular)
            .build()
            .unwrap();
        let lin = Linearized::new(&lgc, x).unwrap();
        // past TRIM_EVERY products: reused buffers, then a trim of the reused tensors
        let err = worst_jvp_error(&lin, TRIM_EVERY + 6);
        assert!(
            lin.reuse.get().is_some(),
            "four-input products reuse buffers"
        );
        assert!(
            lin.nonlinear.get(),
            "the gain control has a third-order term"
        );
        assert!(err < 1e-9, "LuminanceGainControl: {err:e}");
    }
}
