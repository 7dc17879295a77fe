//! The DP-SGD gradient privatisation as one fused pass, and the two batch samplers.
//!
//! Opacus' `DPOptimizer` clips each per-sample gradient by
//! `min(1, C / (‖g_i‖ + 1e-6))` (the norm over all parameters at once, "flat" clipping), sums,
//! adds `N(0, σ²C²)` per coordinate, and divides by the *expected* batch size `qN`
//! (`loss_reduction = "mean"`). [`privatize`] does the same from an n×d matrix of per-sample
//! gradients and pre-drawn standard normals, so that the CPU and CUDA versions can be compared
//! draw for draw, and reports the norms the E2 premise of equivariant DP-SGD is about.

use super::rdp::{PrivacyError, check_rate};
use crate::rng::Rng;

/// Opacus' guard in the clip factor (`per_sample_norms + 1e-6`).
pub const CLIP_EPS: f32 = 1e-6;

/// The clipping norm C and noise multiplier σ of a DP-SGD step, checked once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DpSgd {
    clip: f32,
    sigma: f32,
}

impl DpSgd {
    /// C > 0 and σ ≥ 0 (σ = 0: clipping only, no privacy).
    pub fn new(clip: f32, sigma: f32) -> Result<Self, PrivacyError> {
        if !(clip > 0.0 && clip.is_finite()) {
            return Err(PrivacyError::OutOfRange {
                name: "clipping norm C",
                value: f64::from(clip),
                domain: "(0, ∞)",
            });
        }
        if !(sigma >= 0.0 && sigma.is_finite()) {
            return Err(PrivacyError::OutOfRange {
                name: "noise multiplier σ",
                value: f64::from(sigma),
                domain: "[0, ∞)",
            });
        }
        Ok(Self { clip, sigma })
    }

    pub fn clip(&self) -> f32 {
        self.clip
    }

    pub fn sigma(&self) -> f32 {
        self.sigma
    }
}

/// What one privatised step looked like.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StepStats {
    /// Samples in the batch.
    pub batch: usize,
    /// Samples whose gradient norm exceeded C.
    pub clipped: usize,
    /// ‖Σ_i clip(g_i)‖: the signal DP-SGD keeps.
    pub signal_norm: f64,
    /// ‖σ C z‖: the noise it adds (≈ σC√d).
    pub noise_norm: f64,
    /// Mean per-sample gradient norm before clipping.
    pub mean_norm: f64,
}

/// Opacus' clip factor for a per-sample norm.
pub fn clip_factor(norm: f32, clip: f32) -> f32 {
    (clip / (norm + CLIP_EPS)).min(1.0)
}

/// `out = (Σ_i clip(g_i) + σ C z) / denom` for the n×d row-major `per_sample` gradients and d
/// standard normals `z`; `denom` is the expected batch size qN (Opacus) or n.
pub fn privatize(
    step: &DpSgd,
    per_sample: &[f32],
    d: usize,
    z: &[f32],
    denom: f32,
    out: &mut [f32],
) -> StepStats {
    assert!(d > 0 && per_sample.len().is_multiple_of(d) && z.len() == d && out.len() == d);
    out.iter_mut().for_each(|o| *o = 0.0);
    let mut stats = StepStats {
        batch: per_sample.len() / d,
        ..StepStats::default()
    };
    for g in per_sample.chunks(d) {
        let norm = g.iter().map(|v| v * v).sum::<f32>().sqrt();
        stats.mean_norm += f64::from(norm);
        stats.clipped += usize::from(norm > step.clip);
        let f = clip_factor(norm, step.clip);
        out.iter_mut().zip(g).for_each(|(o, v)| *o += f * v);
    }
    stats.mean_norm /= stats.batch.max(1) as f64;
    let sc = step.sigma * step.clip;
    let (mut s2, mut n2) = (0.0f64, 0.0f64);
    for (o, zi) in out.iter_mut().zip(z) {
        let noise = sc * zi;
        s2 += f64::from(*o) * f64::from(*o);
        n2 += f64::from(noise) * f64::from(noise);
        *o = (*o + noise) / denom;
    }
    stats.signal_norm = s2.sqrt();
    stats.noise_norm = n2.sqrt();
    stats
}

/// A Poisson batch: each of the n indices independently with probability q (Opacus'
/// `UniformWithReplacementSampler`; the batch may be empty).
pub fn poisson_batch(rng: &mut Rng, n: usize, q: f64) -> Result<Vec<usize>, PrivacyError> {
    check_rate(q)?;
    Ok((0..n).filter(|_| rng.uniform() < q).collect())
}

/// One epoch of shuffled fixed-size batches of `b` (the last one shorter if b ∤ n).
pub fn shuffled_batches(rng: &mut Rng, n: usize, b: usize) -> Vec<Vec<usize>> {
    assert!(b > 0, "batch size must be positive");
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    order.chunks(b).map(<[usize]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_bounds_each_contribution_and_noise_scales() {
        let step = DpSgd::new(1.0, 0.0).unwrap();
        // Two samples: norm 5 (clipped to 1) and norm 0.5 (kept).
        let g = [3.0, 4.0, 0.3, 0.4];
        let mut out = [0.0; 2];
        let s = privatize(&step, &g, 2, &[1.0, -1.0], 1.0, &mut out);
        assert_eq!((s.batch, s.clipped), (2, 1));
        assert!((out[0] - (0.6 + 0.3)).abs() < 1e-5 && (out[1] - (0.8 + 0.4)).abs() < 1e-5);
        let noisy = DpSgd::new(2.0, 1.5).unwrap();
        let s = privatize(&noisy, &g, 2, &[1.0, -1.0], 2.0, &mut out);
        assert!((s.noise_norm - 3.0 * 2f64.sqrt()).abs() < 1e-6);
        assert_eq!(s.clipped, 1);
    }

    #[test]
    fn samplers_cover_and_respect_the_rate() {
        let mut rng = Rng::new(3);
        let b = shuffled_batches(&mut rng, 10, 4);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
        let mut all: Vec<usize> = b.concat();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        let n: usize = (0..200)
            .map(|_| poisson_batch(&mut rng, 1000, 0.1).unwrap().len())
            .sum();
        assert!(
            (n as f64 / 200.0 - 100.0).abs() < 3.0,
            "mean batch {}",
            n / 200
        );
        assert!(poisson_batch(&mut rng, 10, 0.0).is_err());
        assert!(DpSgd::new(0.0, 1.0).is_err() && DpSgd::new(1.0, -1.0).is_err());
    }
}
