//! The paper's two-dimensional scale-invariant toy: maximise the cosine between w and a target
//! direction, `f(w) = −⟨w/‖w‖, u⟩`, whose gradient `−(u − ⟨ŵ, u⟩ŵ)/‖w‖` is orthogonal to w.

use kernels::optim::{Layout, Optimizer, Sgd, Sgdp};

/// The card's fitted setting [derived]: w₀ = (1, 0), target at 170°, lr 0.02, 500 steps.
pub const ANGLE_DEG: f64 = 170.0;
pub const LR: f32 = 0.02;
pub const STEPS: usize = 500;

/// What one toy run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct ToyRun {
    /// ‖w‖ after every step (index 0: after step 1).
    pub norms: Vec<f64>,
    /// cos(w, u) after every step.
    pub cos: Vec<f64>,
}

impl ToyRun {
    pub fn final_norm(&self) -> f64 {
        *self.norms.last().unwrap()
    }
    /// First step after which cos(w, u) exceeds `level` (None: never within the run).
    pub fn steps_to(&self, level: f64) -> Option<usize> {
        self.cos.iter().position(|&c| c > level).map(|i| i + 1)
    }
}

/// The gradient of `f` at `w` for the unit target `u`.
pub fn grad(w: [f64; 2], u: [f64; 2]) -> [f64; 2] {
    let n = (w[0] * w[0] + w[1] * w[1]).sqrt();
    let wh = [w[0] / n, w[1] / n];
    let c = wh[0] * u[0] + wh[1] * u[1];
    [-(u[0] - c * wh[0]) / n, -(u[1] - c * wh[1]) / n]
}

/// Runs PyTorch-style momentum SGD (`projected = false`) or SGDP on the toy, w held as a 1×2
/// matrix so that SGDP's projection applies.
pub fn toy(momentum: f32, projected: bool, lr: f32, steps: usize, angle_deg: f64) -> ToyRun {
    let a = angle_deg.to_radians();
    let u = [a.cos(), a.sin()];
    let layout = Layout::new(&[("w", &[1, 2])]);
    let mut opt: Box<dyn Optimizer> = if projected {
        Box::new(Sgdp::new(layout, lr).momentum(momentum, 0.0, false))
    } else {
        Box::new(Sgd::new(layout, lr).momentum(momentum, 0.0, false))
    };
    let mut w = [1.0f32, 0.0];
    let mut run = ToyRun {
        norms: Vec::with_capacity(steps),
        cos: Vec::with_capacity(steps),
    };
    for _ in 0..steps {
        let g = grad([w[0] as f64, w[1] as f64], u);
        opt.step(&mut w, &[g[0] as f32, g[1] as f32]);
        let n = ((w[0] as f64).powi(2) + (w[1] as f64).powi(2)).sqrt();
        run.norms.push(n);
        run.cos.push((w[0] as f64 * u[0] + w[1] as f64 * u[1]) / n);
    }
    run
}

/// SGDP on the toy in f64 *without* writing the projected step back into the momentum buffer
/// (unlike the official package): the variant that reproduces the card's SGDP column.
pub fn toy_sgdp_copy(momentum: f64, lr: f64, steps: usize, angle_deg: f64) -> f64 {
    let a = angle_deg.to_radians();
    let u = [a.cos(), a.sin()];
    let (mut w, mut b) = ([1.0f64, 0.0], [0.0f64; 2]);
    for _ in 0..steps {
        let g = grad(w, u);
        b = [momentum * b[0] + g[0], momentum * b[1] + g[1]];
        let n = (w[0] * w[0] + w[1] * w[1]).sqrt() + 1e-8;
        let c = (w[0] * b[0] + w[1] * b[1]) / (n * n);
        w = [w[0] - lr * (b[0] - c * w[0]), w[1] - lr * (b[1] - c * w[1])];
    }
    (w[0] * w[0] + w[1] * w[1]).sqrt()
}
