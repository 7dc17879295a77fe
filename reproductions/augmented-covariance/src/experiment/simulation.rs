//! Procedural motor-imagery-like EEG (card `papers/augmented-covariance.md`), its (augmented)
//! covariances, and the lag statistics.
//!
//! Each trial mixes four AR(2) resonators (r = 0.95, unit power unless a class effect changes it)
//! into six channels through a fixed random matrix, plus white sensor noise. Two datasets:
//! - temporal: source 2 peaks at 10 Hz in class 0 and 13 Hz in class 1 with **equal power**, so
//!   the zero-lag covariance carries no class information;
//! - spatial: source 1's variance is halved in class 1 (an ERD-like effect), frequencies fixed.

use crate::method::{augment, covariance};
use harness::rng::Rng;

/// Sizes of the simulation, fixed before running.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub fs: f64,
    pub samples: usize,
    pub channels: usize,
    pub trials_per_class: usize,
    pub noise_sd: f64,
    pub r: f64,
}

/// The second source's frequency (Hz) in class 0 and, for the temporal effect, in class 1.
pub const CLASS_FREQS: (f64, f64) = (10.0, 13.0);

pub const SPEC: Spec = Spec {
    fs: 128.0,
    samples: 256,
    channels: 6,
    trials_per_class: 100,
    noise_sd: 0.3,
    r: 0.95,
};

/// The class effect of a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Temporal,
    Spatial,
}

impl Effect {
    /// Both datasets, in the order of the grid and of the report.
    pub const ALL: [Effect; 2] = [Effect::Temporal, Effect::Spatial];

    /// The dataset's name in seeds and metric keys.
    pub fn key(self) -> &'static str {
        match self {
            Effect::Temporal => "temporal",
            Effect::Spatial => "spatial",
        }
    }
}

/// A labelled set of epochs (`channels × samples` each, row-major, concatenated).
#[derive(Clone, Debug)]
pub struct Epochs {
    pub x: Vec<Vec<f64>>,
    pub y: Vec<usize>,
}

/// Stationary variance of `x_t = a1 x_{t−1} + a2 x_{t−2} + e_t` per unit innovation variance.
pub fn ar2_gain(a1: f64, a2: f64) -> f64 {
    (1.0 - a2) / ((1.0 + a2) * ((1.0 - a2).powi(2) - a1 * a1))
}

/// One AR(2) resonator at `f` Hz with stationary variance `var`.
fn resonator(f: f64, var: f64, spec: &Spec, rng: &mut Rng) -> Vec<f64> {
    let a1 = 2.0 * spec.r * (std::f64::consts::TAU * f / spec.fs).cos();
    let a2 = -spec.r * spec.r;
    let sd = (var / ar2_gain(a1, a2)).sqrt();
    let burn = 500;
    let (mut x1, mut x2) = (0.0, 0.0);
    let mut out = Vec::with_capacity(spec.samples);
    for t in 0..burn + spec.samples {
        let x = a1 * x1 + a2 * x2 + sd * rng.normal();
        (x2, x1) = (x1, x);
        if t >= burn {
            out.push(x);
        }
    }
    out
}

/// A dataset of `2 × trials_per_class` epochs with the given effect; the mixing matrix and every
/// trial come from `seed`.
pub fn simulate(effect: Effect, spec: &Spec, seed: u64) -> Epochs {
    let mut rng = Rng::new(seed);
    let sources = 4;
    let mix: Vec<f64> = (0..spec.channels * sources).map(|_| rng.normal()).collect();
    let mut x = Vec::new();
    let mut y = Vec::new();
    for class in 0..2 {
        for _ in 0..spec.trials_per_class {
            let (f2, v1) = match (effect, class) {
                (Effect::Temporal, 1) => (CLASS_FREQS.1, 1.0),
                (Effect::Spatial, 1) => (CLASS_FREQS.0, 0.5),
                _ => (CLASS_FREQS.0, 1.0),
            };
            let s = [
                resonator(11.0, v1, spec, &mut rng),
                resonator(f2, 1.0, spec, &mut rng),
                resonator(6.0, 1.0, spec, &mut rng),
                resonator(22.0, 1.0, spec, &mut rng),
            ];
            let mut epoch = vec![0.0; spec.channels * spec.samples];
            for c in 0..spec.channels {
                for t in 0..spec.samples {
                    let v: f64 = (0..sources).map(|k| mix[c * sources + k] * s[k][t]).sum();
                    epoch[c * spec.samples + t] = v + spec.noise_sd * rng.normal();
                }
            }
            x.push(epoch);
            y.push(class);
        }
    }
    Epochs { x, y }
}

/// The (augmented) covariance of every epoch for one (order, lag), concatenated, and its size.
pub fn acms(data: &Epochs, spec: &Spec, order: usize, lag: usize) -> (Vec<f64>, usize) {
    let mut out = Vec::new();
    let mut n = 0;
    for x in &data.x {
        let (a, rows, cols) = augment(x, spec.channels, spec.samples, order, lag);
        out.extend(covariance(&a, rows, cols));
        n = rows;
    }
    (out, n)
}

/// Average mutual information between `x_t` and `x_{t+τ}` over every channel of every epoch,
/// from a 16 × 16 histogram of values standardised per channel (clipped at ±3 sd).
pub fn ami(data: &Epochs, spec: &Spec, tau: usize) -> f64 {
    const BINS: usize = 16;
    let mut joint = vec![0.0f64; BINS * BINS];
    let bin = |v: f64| (((v.clamp(-3.0, 2.999) + 3.0) / 6.0) * BINS as f64) as usize;
    for x in &data.x {
        for c in 0..spec.channels {
            let row = &x[c * spec.samples..(c + 1) * spec.samples];
            let m = row.iter().sum::<f64>() / row.len() as f64;
            let sd = (row.iter().map(|v| (v - m).powi(2)).sum::<f64>() / row.len() as f64).sqrt();
            for t in 0..spec.samples - tau {
                joint[bin((row[t] - m) / sd) * BINS + bin((row[t + tau] - m) / sd)] += 1.0;
            }
        }
    }
    let total: f64 = joint.iter().sum();
    let pa: Vec<f64> = (0..BINS)
        .map(|i| (0..BINS).map(|j| joint[i * BINS + j]).sum::<f64>() / total)
        .collect();
    let pb: Vec<f64> = (0..BINS)
        .map(|j| (0..BINS).map(|i| joint[i * BINS + j]).sum::<f64>() / total)
        .collect();
    let mut mi = 0.0;
    for i in 0..BINS {
        for j in 0..BINS {
            let p = joint[i * BINS + j] / total;
            if p > 0.0 {
                mi += p * (p / (pa[i] * pb[j])).ln();
            }
        }
    }
    mi
}

/// The first τ ≥ 1 at which the AMI has a local minimum (or the last τ tried).
pub fn ami_first_minimum(data: &Epochs, spec: &Spec, max_tau: usize) -> usize {
    let v: Vec<f64> = (1..=max_tau + 1).map(|t| ami(data, spec, t)).collect();
    (1..v.len()).find(|&i| v[i] > v[i - 1]).unwrap_or(max_tau)
}
