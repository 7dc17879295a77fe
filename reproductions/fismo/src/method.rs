//! The model, the arms and the measurements. FISMO itself lives in `kernels::optim::Fismo`
//! (Algorithm 1; equations in its module docs), Muon in `kernels::optim::Muon`; the model is a
//! dfdx MLP stepped through `dfdx_bridge`, so no backward pass is written here.
//!
//! The MLP is 64 → H → H → H → H → 10 with tanh (the card's correction: at least three hidden
//! H × H matrices, so that FISMO and Muon differ on more than one layer; tanh rather than ReLU
//! keeps the matrices full rank, where the polar factor is unique).

use dfdx_bridge::dfdx::prelude::*;
use kernels::optim::{Adam, Fismo, Grouped, Layout, Muon, Optimizer, Orthogonalize};
use kernels::spd::eigvalsh;

/// The MLP of width `H`.
pub type Net<const H: usize> = (
    (Linear<64, H>, Tanh),
    (Linear<H, H>, Tanh),
    (Linear<H, H>, Tanh),
    (Linear<H, H>, Tanh),
    Linear<H, 10>,
);

/// The hidden H × H matrices (dfdx paths): FISMO's and Muon's tensors.
pub const HIDDEN: [&str; 3] = ["1.0.weight", "2.0.weight", "3.0.weight"];

/// The three arms of X3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arm {
    AdamW,
    Muon,
    Fismo,
}

impl Arm {
    pub const ALL: [Arm; 3] = [Arm::AdamW, Arm::Muon, Arm::Fismo];
    pub fn key(self) -> &'static str {
        match self {
            Arm::AdamW => "adamw",
            Arm::Muon => "muon",
            Arm::Fismo => "fismo",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Arm::AdamW => "AdamW",
            Arm::Muon => "Muon (NS5, Nesterov)",
            Arm::Fismo => "FISMO (exact polar)",
        }
    }
}

/// Settings shared by the arms (chosen before running).
#[derive(Clone, Copy, Debug)]
pub struct ArmSettings {
    /// AdamW's decoupled weight decay (torch's AdamW default) for the AdamW arm and for the
    /// tensors Muon and FISMO leave to AdamW.
    pub weight_decay: f32,
    /// The learning rate of AdamW on the first layer, the last layer and the biases in the
    /// Muon and FISMO arms (torch's Adam default).
    pub aux_lr: f32,
    pub beta: f32,
    pub gamma: f64,
    pub mu: f64,
}

/// The arm's optimizer on the full layout: AdamW everywhere, or Muon / FISMO on [`HIDDEN`]
/// and AdamW (at `aux_lr`) on the rest, as Muon's README prescribes.
pub fn optimizer(arm: Arm, layout: &Layout, lr: f32, s: &ArmSettings) -> Box<dyn Optimizer> {
    let adamw = |l: Layout, lr: f32| -> Box<dyn Optimizer> {
        Box::new(Adam::adamw(l, lr).weight_decay(s.weight_decay))
    };
    if arm == Arm::AdamW {
        return adamw(layout.clone(), lr);
    }
    let rest: Vec<&str> = layout
        .slots
        .iter()
        .map(|x| x.name.as_str())
        .filter(|n| !HIDDEN.contains(n))
        .collect();
    let matrices: Box<dyn FnOnce(Layout) -> Box<dyn Optimizer>> = match arm {
        Arm::Muon => Box::new(move |l| Box::new(Muon::new(l, lr))),
        _ => {
            let (beta, gamma, mu) = (s.beta, s.gamma, s.mu);
            Box::new(move |l| Box::new(Fismo::new(l, lr).factors(beta, gamma, mu)))
        }
    };
    Box::new(
        Grouped::new(layout.clone())
            .group(&HIDDEN, matrices)
            .group(&rest, |l| adamw(l, s.aux_lr)),
    )
}

/// Muon with EMA momentum, no Nesterov, no shape scale and the exact polar factor: the
/// optimizer FISMO reduces to at γ = 1 (X1).
pub fn ema_muon(layout: Layout, lr: f32, beta: f32) -> Muon {
    Muon::new(layout, lr)
        .momentum(beta, false)
        .shape_scale(false)
        .orthogonalize(Orthogonalize::Exact)
}

/// The condition number σ_max / σ_min of a square or tall `rows × cols` matrix (f64), from
/// the eigenvalues of `dᵀd`; ∞ when the smallest is not positive.
pub fn condition(d: &[f64], rows: usize, cols: usize) -> f64 {
    let mut gram = vec![0.0; cols * cols];
    for r in 0..rows {
        let row = &d[r * cols..(r + 1) * cols];
        for i in 0..cols {
            for j in 0..cols {
                gram[i * cols + j] += row[i] * row[j];
            }
        }
    }
    let ev = eigvalsh(&gram, cols);
    let (lo, hi) = (ev[0], ev[cols - 1]);
    if lo > 0.0 {
        (hi / lo).sqrt()
    } else {
        f64::INFINITY
    }
}

/// Mean cross-entropy (nats) and accuracy of `logits` (rows × 10) against labels.
pub fn loss_and_accuracy(logits: &[f32], y: &[usize]) -> (f64, f64) {
    let mut loss = 0.0;
    let mut right = 0;
    for (row, &label) in logits.chunks(10).zip(y) {
        let max = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        let lse = f64::from(max)
            + row
                .iter()
                .map(|&v| f64::from(v - max).exp())
                .sum::<f64>()
                .ln();
        loss += lse - f64::from(row[label]);
        let arg = (0..10).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
        right += usize::from(arg == label);
    }
    (loss / y.len() as f64, right as f64 / y.len() as f64)
}
