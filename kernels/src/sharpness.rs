//! Sharpness-aware training on flat `f32` buffers: SAM's two-pass step, SAF's trajectory loss
//! on stored past logits, MESA's EMA teacher, and the top Hessian eigenvalue by power iteration
//! on Hessian-vector products.
//!
//! **SAM** (Foret et al. 2021; the reference is davda54/sam, the package `pytorch_optimizer`
//! copies): with the gradient `g` at `w`, ascend to `w + e`, `e = ρ g / (‖g‖₂ + 1e-12)`; take the
//! gradient there; restore `w` exactly (the saved copy, not `w + e − e`) and let the base
//! optimizer step with the second gradient. Two forward and two backward passes per step.
//!
//! **SAF** (Du et al. 2022, `SAF_train.py:734–737`): the logits of every training example are
//! stored each epoch in a ring of `Ẽ + 1` slots; from a start epoch on, the loss gains
//!
//! `λ · τ² · (1/B) Σ_i KL( softmax(z̃_i/τ) ‖ softmax(z_i/τ) )`,
//!
//! `z̃_i` the logits the same example had `Ẽ` epochs earlier. With `p = softmax(z̃/τ)`,
//! `q = softmax(z/τ)` its gradient in the current logits is `λ τ (q − p) / B`. The value is
//! computed as the official code does, `Σ p (ln p − ln(softmax(z/τ)))` with the logarithm of
//! the softmax (not a log-softmax), so that `KL(z, z)` is exactly zero; a zero `p` contributes
//! zero, as `torch.nn.functional.kl_div` does.
//!
//! **MESA** (the same repository, `MESA_train.py`): the past logits come from an EMA copy of
//! the weights on the same batch instead (one more forward pass, no buffer);
//! [`Ema::update`] is timm's `ModelEmaV2`, `ema ← decay · ema + (1 − decay) · w`.
//!
//! **λ_max**: [`power_iteration`] on any Hessian-vector product; [`central_difference_hvp`]
//! gives one from two gradients, `H v ≈ (∇L(w + εv) − ∇L(w − εv)) / 2ε`, for autodiff engines
//! without second-order gradients (dfdx). Its error is O(ε²) from the third derivative plus the
//! gradient's rounding divided by ε; callers measure it against a dense Hessian.
//!
//! Golden values: `kernels/fixtures/generate_sharpness.py` (torch 2.6.0) for the KL term and
//! its gradient (the official expression), SAM with SGD-momentum on a least-squares problem,
//! and the EMA update. No CUDA path: the KL is O(B·C) per step and SAM's extra cost is a second
//! model pass, not a kernel.

use crate::optim::Optimizer;
use crate::rng::Rng;

/// The golden values of `kernels/fixtures/generate_sharpness.py` (torch 2.6.0, timm 1.0.12):
/// kept here rather than in [`crate::golden`] so that the papers reading other fixtures do not
/// depend on this one.
pub const TORCH_JSON: &str = include_str!("../fixtures/sharpness_torch.json");

/// The stored logits of every training example over the last `lag + 1` epochs (SAF's
/// `train_logits`, allocated for the real training-set size rather than the official 15M).
#[derive(Clone, Debug)]
pub struct TrajectoryLogits {
    examples: usize,
    lag: usize,
    classes: usize,
    data: Vec<f32>,
}

impl TrajectoryLogits {
    /// A zeroed buffer for `examples` × (`lag` + 1) × `classes` logits. `lag` is the official
    /// `--minus_epoch` Ẽ (≥ 1).
    pub fn new(examples: usize, lag: usize, classes: usize) -> Self {
        assert!(
            lag >= 1,
            "SAF's lag Ẽ must be at least one epoch, got {lag}"
        );
        assert!(
            classes >= 2,
            "SAF needs at least two classes, got {classes}"
        );
        Self {
            examples,
            lag,
            classes,
            data: vec![0.0; examples * (lag + 1) * classes],
        }
    }

    /// Bytes held: N · (Ẽ + 1) · C floats.
    pub fn bytes(&self) -> usize {
        4 * self.data.len()
    }

    fn at(&self, example: usize, slot: usize) -> usize {
        assert!(
            example < self.examples,
            "example index {example} outside the buffer of {} examples",
            self.examples
        );
        (example * (self.lag + 1) + slot) * self.classes
    }

    /// Stores the (detached) logits of a batch, `idx.len()` rows of `classes`, in `epoch`'s slot.
    pub fn store(&mut self, epoch: usize, idx: &[usize], logits: &[f32]) {
        assert_eq!(logits.len(), idx.len() * self.classes, "logits per row");
        let slot = epoch % (self.lag + 1);
        for (&i, row) in idx.iter().zip(logits.chunks(self.classes)) {
            let a = self.at(i, slot);
            self.data[a..a + self.classes].copy_from_slice(row);
        }
    }

    /// The logits the batch's examples had `lag` epochs before `epoch` (slot
    /// `(epoch − Ẽ) mod (Ẽ + 1)`); `None` before `lag` epochs have been stored.
    pub fn past(&self, epoch: usize, idx: &[usize]) -> Option<Vec<f32>> {
        let back = epoch.checked_sub(self.lag)?;
        let slot = back % (self.lag + 1);
        let mut out = Vec::with_capacity(idx.len() * self.classes);
        for &i in idx {
            let a = self.at(i, slot);
            out.extend_from_slice(&self.data[a..a + self.classes]);
        }
        Some(out)
    }
}

/// `softmax(z / τ)` of one row, in f64 (the probabilities SAF compares).
fn tempered_softmax(z: &[f32], tau: f64) -> Vec<f64> {
    let max = z
        .iter()
        .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
    let e: Vec<f64> = z
        .iter()
        .map(|&v| ((f64::from(v) - max) / tau).exp())
        .collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// SAF's KL term (before λ) and its gradient in the current logits.
#[derive(Clone, Debug, PartialEq)]
pub struct TrajectoryKl {
    /// `τ² · (1/B) Σ_i KL(softmax(z̃_i/τ) ‖ softmax(z_i/τ))` (nats).
    pub value: f64,
    /// `τ (q − p) / B`, rows × classes.
    pub grad: Vec<f32>,
}

/// SAF's trajectory term for `past` and `current` logits (rows × `classes`) at temperature
/// `tau` (the official `--temperature`, 5 by default).
pub fn trajectory_kl(past: &[f32], current: &[f32], classes: usize, tau: f64) -> TrajectoryKl {
    assert!(
        tau.is_finite() && tau > 0.0,
        "SAF's temperature τ must be positive and finite, got {tau}"
    );
    assert_eq!(
        past.len(),
        current.len(),
        "past and current logits differ in size"
    );
    assert!(
        classes > 0 && current.len().is_multiple_of(classes),
        "logits are not rows of {classes}"
    );
    let rows = current.len() / classes;
    let mut value = 0.0;
    let mut grad = vec![0.0f32; current.len()];
    let scale = tau / rows as f64;
    for ((zp, zc), g) in past
        .chunks(classes)
        .zip(current.chunks(classes))
        .zip(grad.chunks_mut(classes))
    {
        let p = tempered_softmax(zp, tau);
        let q = tempered_softmax(zc, tau);
        for c in 0..classes {
            if p[c] > 0.0 {
                value += p[c] * (p[c].ln() - q[c].ln());
            }
            g[c] = (scale * (q[c] - p[c])) as f32;
        }
    }
    TrajectoryKl {
        value: tau * tau * value / rows as f64,
        grad,
    }
}

/// SAM around a base optimizer: [`Sam::ascend`] with the gradient at `w`, then
/// [`Sam::step`] with the gradient at the perturbed point.
pub struct Sam {
    pub rho: f64,
    base: Box<dyn Optimizer>,
    saved: Vec<f32>,
    ascended: bool,
}

impl Sam {
    pub fn new(base: Box<dyn Optimizer>, rho: f64) -> Self {
        assert!(
            rho.is_finite() && rho >= 0.0,
            "SAM's radius ρ must be finite and non-negative, got {rho}"
        );
        Self {
            rho,
            base,
            saved: Vec::new(),
            ascended: false,
        }
    }

    /// Saves `params` and moves them to `w + ρ g / (‖g‖ + 1e-12)`. Returns ‖g‖; a non-finite
    /// gradient leaves `params` untouched and is an error naming the first bad element.
    pub fn ascend(&mut self, params: &mut [f32], grads: &[f32]) -> Result<f64, String> {
        assert_eq!(
            params.len(),
            grads.len(),
            "parameters and gradients differ in size"
        );
        if let Some(i) = grads.iter().position(|g| !g.is_finite()) {
            return Err(format!(
                "SAM: the gradient is not finite at element {i}; no ascent taken"
            ));
        }
        let norm = grads
            .iter()
            .map(|&g| f64::from(g) * f64::from(g))
            .sum::<f64>()
            .sqrt();
        let scale = (self.rho / (norm + 1e-12)) as f32;
        self.saved.clear();
        self.saved.extend_from_slice(params);
        for (p, &g) in params.iter_mut().zip(grads) {
            *p += g * scale;
        }
        self.ascended = true;
        Ok(norm)
    }

    /// Restores the saved `w` and steps the base optimizer with `grads` (taken at `w + e`).
    pub fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        assert!(self.ascended, "SAM: step called without an ascent first");
        params.copy_from_slice(&self.saved);
        self.base.step(params, grads);
        self.ascended = false;
    }

    /// The base optimizer's state and the saved copy of the parameters.
    pub fn state_bytes(&self) -> usize {
        self.base.state_bytes() + 4 * self.saved.len()
    }

    pub fn name(&self) -> String {
        format!("SAM(ρ {}, {})", self.rho, self.base.name())
    }
}

/// An exponential moving average of the parameters (timm's `ModelEmaV2`), MESA's teacher.
#[derive(Clone, Debug)]
pub struct Ema {
    /// In f64, as timm's Python float: `1 − decay` is rounded to f32 once, after the
    /// subtraction (an f32 subtraction is one ulp off).
    pub decay: f64,
    pub shadow: Vec<f32>,
}

impl Ema {
    /// Starts at a copy of `params` (timm deep-copies the model).
    pub fn new(params: &[f32], decay: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&decay),
            "EMA decay must lie in [0, 1], got {decay}"
        );
        Self {
            decay,
            shadow: params.to_vec(),
        }
    }

    /// `ema ← decay · ema + (1 − decay) · w`, in timm's order of operations.
    pub fn update(&mut self, params: &[f32]) {
        assert_eq!(
            params.len(),
            self.shadow.len(),
            "EMA and parameters differ in size"
        );
        let (d, r) = (self.decay as f32, (1.0 - self.decay) as f32);
        for (e, &p) in self.shadow.iter_mut().zip(params) {
            *e = *e * d + r * p;
        }
    }
}

/// `(∇L(w + εv) − ∇L(w − εv)) / 2ε` for a unit-scale `v`, with `grad` the full gradient at a
/// parameter vector.
pub fn central_difference_hvp(
    w: &[f32],
    v: &[f64],
    eps: f64,
    grad: &mut dyn FnMut(&[f32]) -> Vec<f32>,
) -> Vec<f64> {
    assert!(
        eps > 0.0,
        "the finite-difference step must be positive, got {eps}"
    );
    let shifted = |sign: f64| -> Vec<f32> {
        w.iter()
            .zip(v)
            .map(|(&p, &d)| (f64::from(p) + sign * eps * d) as f32)
            .collect()
    };
    let plus = grad(&shifted(1.0));
    let minus = grad(&shifted(-1.0));
    plus.iter()
        .zip(&minus)
        .map(|(&a, &b)| (f64::from(a) - f64::from(b)) / (2.0 * eps))
        .collect()
}

/// The outcome of [`power_iteration`].
#[derive(Clone, Debug, PartialEq)]
pub struct TopEigen {
    /// The Rayleigh quotient `vᵀHv` of the last unit iterate.
    pub value: f64,
    /// `‖Hv − λv‖ / |λ|` at the last iterate: how far from an eigenpair it stopped.
    pub residual: f64,
    pub vector: Vec<f64>,
}

fn normalise(v: &mut [f64]) -> f64 {
    let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
    n
}

/// The eigenvalue of largest magnitude of the symmetric operator `hvp` (dimension `n`) by
/// `iters` power iterations from a Gaussian start drawn with `seed`.
pub fn power_iteration(
    n: usize,
    iters: usize,
    seed: u64,
    hvp: &mut dyn FnMut(&[f64]) -> Vec<f64>,
) -> TopEigen {
    assert!(
        n > 0 && iters > 0,
        "power iteration needs n > 0 and iters > 0"
    );
    let mut rng = Rng::new(seed);
    let mut v: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    normalise(&mut v);
    let mut hv = hvp(&v);
    for _ in 1..iters {
        v.clone_from(&hv);
        if normalise(&mut v) == 0.0 {
            break;
        }
        hv = hvp(&v);
    }
    let value: f64 = v.iter().zip(&hv).map(|(a, b)| a * b).sum();
    let residual = v
        .iter()
        .zip(&hv)
        .map(|(a, b)| (b - value * a).powi(2))
        .sum::<f64>()
        .sqrt()
        / value.abs().max(f64::MIN_POSITIVE);
    TopEigen {
        value,
        residual,
        vector: v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{Layout, Sgd};

    #[test]
    fn kl_of_identical_logits_is_exactly_zero_and_its_gradient_too() {
        let z = [1.5f32, -3.0, 0.25, 8.0, 0.0, -1.0];
        let kl = trajectory_kl(&z, &z, 3, 5.0);
        assert_eq!(kl.value, 0.0);
        assert!(kl.grad.iter().all(|&g| g == 0.0));
    }

    #[test]
    fn kl_gradient_matches_finite_differences() {
        let past = [0.3f32, -1.2, 2.0, 0.7, 0.1, -0.4];
        let cur = [1.0f32, 0.5, -0.5, -2.0, 0.3, 0.9];
        let kl = trajectory_kl(&past, &cur, 3, 2.0);
        for i in 0..cur.len() {
            let h = 1e-3f32;
            let (mut a, mut b) = (cur, cur);
            a[i] += h;
            b[i] -= h;
            let fd = (trajectory_kl(&past, &a, 3, 2.0).value
                - trajectory_kl(&past, &b, 3, 2.0).value)
                / (2.0 * f64::from(h));
            assert!(
                (fd - f64::from(kl.grad[i])).abs() < 1e-5,
                "{i}: {fd} vs {}",
                kl.grad[i]
            );
        }
        assert!(kl.value > 0.0);
    }

    #[test]
    fn ring_returns_the_logits_of_lag_epochs_before() {
        let mut t = TrajectoryLogits::new(4, 2, 2);
        for e in 0..5 {
            let v = e as f32;
            t.store(e, &[1, 3], &[v, -v, 10.0 + v, 0.0]);
            match e.checked_sub(2) {
                None => assert!(t.past(e, &[1]).is_none()),
                Some(back) => {
                    let b = back as f32;
                    assert_eq!(t.past(e, &[3, 1]).unwrap(), vec![10.0 + b, 0.0, b, -b]);
                }
            }
        }
        assert_eq!(t.bytes(), 4 * 4 * 3 * 2);
    }

    #[test]
    #[should_panic(expected = "temperature")]
    fn a_zero_temperature_is_refused() {
        trajectory_kl(&[0.0, 1.0], &[0.0, 1.0], 2, 0.0);
    }

    #[test]
    fn sam_restores_the_weights_before_the_base_step() {
        let layout = Layout::flat(2);
        let mut sam = Sam::new(Box::new(Sgd::new(layout, 0.5)), 0.1);
        let mut p = vec![1.0f32, 2.0];
        let norm = sam.ascend(&mut p, &[3.0, 4.0]).unwrap();
        assert_eq!(norm, 5.0);
        assert!((p[0] - 1.06).abs() < 1e-6 && (p[1] - 2.08).abs() < 1e-6);
        sam.step(&mut p, &[1.0, -1.0]);
        assert_eq!(p, vec![0.5, 2.5]);
        assert!(sam.ascend(&mut p, &[f32::NAN, 0.0]).is_err());
        assert_eq!(p, vec![0.5, 2.5]);
    }

    #[test]
    fn power_iteration_finds_the_top_eigenvalue_of_a_diagonal_operator() {
        let d = [5.0, -1.0, 2.0, 0.5];
        let top = power_iteration(4, 200, 7, &mut |v| {
            v.iter().zip(&d).map(|(a, b)| a * b).collect()
        });
        assert!((top.value - 5.0).abs() < 1e-12 && top.residual < 1e-10);
    }

    #[test]
    fn central_differences_are_exact_for_a_quadratic() {
        // L = ½ wᵀ A w with A = [[2, 1], [1, 3]]: ∇L = A w, so H v = A v exactly.
        let mut grad = |w: &[f32]| vec![2.0 * w[0] + w[1], w[0] + 3.0 * w[1]];
        let hv = central_difference_hvp(&[0.5, -0.25], &[0.6, 0.8], 0.5, &mut grad);
        assert!(
            (hv[0] - 2.0).abs() < 1e-6 && (hv[1] - 3.0).abs() < 1e-6,
            "{hv:?}"
        );
    }

    #[test]
    fn ema_moves_towards_the_parameters() {
        let mut e = Ema::new(&[0.0, 1.0], 0.75);
        e.update(&[4.0, 1.0]);
        assert_eq!(e.shadow, vec![1.0, 1.0]);
    }
}
