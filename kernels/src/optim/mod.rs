//! Optimizer steps on flat `f32` buffers.
//!
//! Parameters of a model live in one flat buffer; a [`Layout`] says which ranges are which
//! tensor (name and shape), so optimizers that work per tensor (projections, per-tensor scalings)
//! see tensors, and element-wise ones see one long slice. An optimizer owns its state and exposes
//! its exact state size and the bytes a step must move, so benches can divide throughput by the
//! machine's bandwidth and reproductions can compare memory exactly.
//!
//! Semantics follow the reference implementations, checked step by step against golden
//! trajectories in `kernels/fixtures/`: `torch.optim` for [`Sgd`] (momentum, dampening, Nesterov,
//! L2) and [`Adam`] (L2 or decoupled, i.e. AdamW); `torch_optimizer.DiffGrad` for [`DiffGrad`];
//! the `adamp` package for [`Sgdp`] and [`AdamP`]; the `sgd-sai` package for [`SgdSai`]; the
//! official M-FAC code for [`Mfac`] and its inverse-Fisher products; the official Muon code for
//! [`Muon`] and its Newton–Schulz iteration; [`Fismo`] has no official code and follows the
//! paper's Algorithm 1 (its reduction to [`Muon`] is tested bit for bit).
//! Element-wise steps are one fused pass over memory; the projected ones make two.

mod adam;
mod adamp;
mod diffgrad;
mod fismo;
mod grassmann;
mod group;
mod mfac;
mod muon;
mod sgd;
mod sgd_sai;

pub use adam::{Adam, Decay};
pub use adamp::{AdamP, Projection, Sgdp, View, project, projection_view};
pub use diffgrad::{DiffGrad, Friction};
pub use fismo::{Damping, Fismo};
pub use grassmann::{GrassmannSgd, QrSign, geodesic_step, reorthonormalise};
pub use group::Grouped;
pub use mfac::{BlockedIhvp, DynamicIhvp, Mfac, StaticIhvp};
pub use muon::{CUBIC, Muon, Orthogonalize, QUINTIC, newton_schulz, polar};
pub use sgd::{Sgd, SignSgd};
pub use sgd_sai::{SgdSai, SnrScale, gsnr};

/// Elements per rayon task: large enough to amortise scheduling, small enough to balance.
const CHUNK: usize = 1 << 14;

/// One tensor of a parameter buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub name: String,
    pub shape: Vec<usize>,
    pub offset: usize,
    pub len: usize,
}

/// The tensors of a flat parameter buffer, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub slots: Vec<Slot>,
    pub total: usize,
}

impl Layout {
    /// Tensors laid out one after another in the given order.
    pub fn new(tensors: &[(&str, &[usize])]) -> Self {
        let mut offset = 0;
        let slots = tensors
            .iter()
            .map(|(name, shape)| {
                let len = shape.iter().product();
                let slot = Slot {
                    name: (*name).to_string(),
                    shape: shape.to_vec(),
                    offset,
                    len,
                };
                offset += len;
                slot
            })
            .collect();
        Self {
            slots,
            total: offset,
        }
    }

    /// One flat tensor of `n` elements.
    pub fn flat(n: usize) -> Self {
        Self::new(&[("params", &[n])])
    }
}

/// An optimizer: updates `params` in place from `grads` (both laid out by the optimizer's
/// [`Layout`]).
pub trait Optimizer: Send {
    fn name(&self) -> String;
    /// One step.
    ///
    /// # Panics
    /// If `params` or `grads` do not have the layout's length.
    fn step(&mut self, params: &mut [f32], grads: &[f32]);
    /// Exact bytes of optimizer state.
    fn state_bytes(&self) -> usize;
    /// Bytes a step reads and writes, parameters and gradients included.
    fn bytes_per_step(&self) -> usize;
}

fn check_len(layout: &Layout, params: &[f32], grads: &[f32]) {
    assert_eq!(
        params.len(),
        layout.total,
        "parameter buffer does not match the layout"
    );
    assert_eq!(
        grads.len(),
        layout.total,
        "gradient buffer does not match the layout"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_offsets() {
        let l = Layout::new(&[("w", &[4, 3]), ("b", &[5]), ("k", &[2, 2, 2])]);
        assert_eq!(l.total, 25);
        assert_eq!(l.slots[1].offset, 12);
        assert_eq!(l.slots[2].len, 8);
    }

    #[test]
    fn plain_sgd_and_sign_sgd_steps() {
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6);
        let mut p = vec![1.0f32, -2.0, 0.5];
        Sgd::new(Layout::flat(3), 0.1).step(&mut p, &[1.0, 1.0, -2.0]);
        assert!(close(&p, &[0.9, -2.1, 0.7]), "{p:?}");
        SignSgd::new(Layout::flat(3), 0.5).step(&mut p, &[3.0, 0.0, -1e-9]);
        assert!(close(&p, &[0.4, -2.1, 1.2]), "{p:?}");
    }

    #[test]
    fn adam_first_step_moves_by_lr_times_sign() {
        // With bias correction, the first Adam step is lr * g / (|g| + eps') ≈ lr sign(g).
        let mut p = vec![0.0f32; 3];
        let mut opt = Adam::new(Layout::flat(3), 0.01);
        opt.step(&mut p, &[2.0, -0.5, 1e-3]);
        for (pi, s) in p.iter().zip([-1.0f32, 1.0, -1.0]) {
            assert!((pi - 0.01 * s).abs() < 1e-6, "{p:?}");
        }
        assert_eq!(opt.state_bytes(), 24);
        assert_eq!(opt.bytes_per_step(), 84);
    }

    /// Rows of `w` (2 × 3) and a gradient whose rows have the given |cos| with them.
    fn rows_with_cos(cos: [f32; 2]) -> (Vec<f32>, Vec<f32>) {
        let w = vec![1.0, 0.0, 0.0, 0.0, 2.0, 0.0];
        // Row i of g: cos·ŵ_i + sin·(a unit vector orthogonal to w_i).
        let s = |c: f32| (1.0 - c * c).sqrt();
        let g = vec![cos[0], s(cos[0]), 0.0, 0.0, cos[1], s(cos[1])];
        (w, g)
    }

    #[test]
    fn projection_fires_iff_every_cosine_is_below_delta_over_sqrt_d() {
        let pj = Projection::default();
        let shape = [2, 3];
        let limit = 0.1 / 3f32.sqrt(); // channel view: rows of d = 3
        let (w, g) = rows_with_cos([0.99 * limit, 0.5 * limit]);
        assert_eq!(projection_view(&shape, &w, &g, &pj), Some(View::Channel));
        // One channel over the limit: the channel view fails; the layer view (d = 6) decides.
        let (w, g) = rows_with_cos([1.01 * limit, 0.0]);
        let layer = projection_view(&shape, &w, &g, &pj);
        let whole = {
            let dot: f32 = w.iter().zip(&g).map(|(a, b)| a * b).sum();
            let nw: f32 = w.iter().map(|a| a * a).sum::<f32>().sqrt();
            let ng: f32 = g.iter().map(|a| a * a).sum::<f32>().sqrt();
            (dot / (nw * ng)).abs()
        };
        assert!(whole < 0.1 / 6f32.sqrt());
        assert_eq!(layer, Some(View::Layer));
        // Both views fail.
        let (w, g) = rows_with_cos([0.5, 0.5]);
        assert_eq!(projection_view(&shape, &w, &g, &pj), None);
        // One-dimensional tensors are never projected.
        assert_eq!(
            projection_view(&[3], &[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0], &pj),
            None
        );
    }

    #[test]
    fn projected_rows_have_no_radial_component() {
        let w = vec![0.3f32, -1.2, 0.7, 2.0, 0.1, -0.4];
        for view in [View::Channel, View::Layer] {
            let mut u = vec![0.5f32, 0.25, -1.0, 0.8, -0.3, 0.9];
            project(&[2, 3], &w, &mut u, view, 1e-8);
            let rows = if view == View::Channel { 2 } else { 1 };
            for (wr, ur) in w.chunks(6 / rows).zip(u.chunks(6 / rows)) {
                let dot: f32 = wr.iter().zip(ur).map(|(a, b)| a * b).sum();
                let scale: f32 = wr.iter().map(|a| a * a).sum::<f32>().sqrt();
                assert!(dot.abs() / scale < 1e-6, "{view:?}: {dot}");
            }
        }
    }

    #[test]
    fn gsnr_is_sqrt_n_minus_one_times_the_mean_term() {
        // gsnr = √(N − 1) · √(1 + N μ² / Σ(g − μ)²) ≥ √(N − 1), up to eps.
        let g: Vec<f32> = (0..50)
            .map(|i| ((i * 37 % 11) as f32 - 4.0) * 0.1)
            .collect();
        let n = g.len() as f64;
        let mean = g.iter().map(|&x| x as f64).sum::<f64>() / n;
        let ss: f64 = g.iter().map(|&x| (x as f64 - mean).powi(2)).sum();
        let want = (n - 1.0).sqrt() * (1.0 + n * mean * mean / ss).sqrt();
        let got = gsnr(&g, 0.0);
        assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
        assert!(got >= (n - 1.0).sqrt());
        // The official code's one-element case: std is NaN → 0, so the scale is |g|/eps.
        assert!((gsnr(&[0.5], 1e-8) - 0.5e8).abs() < 1.0);
    }

    #[test]
    fn sgd_sai_first_step_uses_the_gradient_and_fixes_the_scales() {
        let layout = Layout::new(&[("a", &[2, 2]), ("b", &[3])]);
        let g = [1.0f32, -1.0, 2.0, 0.0, 0.5, 0.5, 0.5];
        let mut p = vec![1.0f32; 7];
        let mut opt = SgdSai::new(layout, 0.1).weight_decay(0.0);
        opt.step(&mut p, &g);
        let s = opt.scales().to_vec();
        assert!((s[0] as f64 - gsnr(&g[..4], 1e-8)).abs() < 1e-5);
        // Constant gradient: zero spread, so the scale is ‖g‖/eps (a huge rate, as upstream).
        assert!(s[1] > 1e7);
        assert!((p[0] - (1.0 - 0.1 * s[0])).abs() < 1e-5);
        opt.step(&mut p, &[0.0; 7]);
        assert_eq!(
            opt.scales(),
            &s[..],
            "scales are fixed after the first step"
        );
        assert_eq!(opt.state_bytes(), 4 * (7 + 2));
    }

    #[test]
    fn diffgrad_variants_differ_only_in_friction() {
        let g1 = [0.5f32, -2.0];
        let g2 = [0.5f32, 1.0];
        let run = |f: Friction| {
            let mut p = vec![0.0f32; 2];
            let mut o = DiffGrad::new(Layout::flat(2), 0.1).friction(f);
            o.step(&mut p, &g1);
            let first = p.clone();
            o.step(&mut p, &g2);
            (first, p)
        };
        let (d1, d2) = run(Friction::Difference);
        let (a1, a2) = run(Friction::Aliased);
        let (c1, _) = run(Friction::Constant(0.5));
        // Step one: both real and aliased start from g_prev = 0; the constant uses 0.5.
        assert_eq!(d1, a1);
        let xi = 1.0 / (1.0 + (-0.5f32).exp());
        assert!((d1[0] / c1[0] - xi / 0.5).abs() < 1e-5);
        // Step two, element 0: g unchanged, so ξ = sigmoid(0) = 0.5 for both.
        assert!((d2[0] - a2[0]).abs() < 1e-7);
        // Element 1: g jumped by 3, so the real friction is larger than 0.5.
        assert!((d2[1] - d1[1]).abs() > (a2[1] - a1[1]).abs());
    }

    #[test]
    fn householder_qr_flips_a_positive_pivot_and_the_positive_variant_does_not() {
        // The card's 2 × 1 example: y = (cos θ, sin θ), θ in (0, π/2) comes back as −y.
        let (c, s) = (0.6f64, 0.8f64);
        let mut y = vec![c, s];
        assert_eq!(reorthonormalise(&mut y, 1, 2, QrSign::Householder), 1);
        assert!((y[0] + c).abs() < 1e-15 && (y[1] + s).abs() < 1e-15);
        let mut y = vec![c, s];
        assert_eq!(reorthonormalise(&mut y, 1, 2, QrSign::Positive), 0);
        assert!((y[0] - c).abs() < 1e-15);
    }

    #[test]
    fn grassmann_steps_keep_orthonormal_rows_and_groups_split_the_buffer() {
        // Head: 2 classes × k = 2 rows of d = 5; backbone: a vector of 3.
        let layout = Layout::new(&[("backbone", &[3]), ("head", &[4, 5])]);
        let mut p = vec![0.0f32; layout.total];
        p[..3].copy_from_slice(&[1.0, 2.0, 3.0]);
        // Orthonormal rows per class: unit vectors e0, e1 and e2, e3.
        for (row, col) in [(0, 0), (1, 1), (2, 2), (3, 3)] {
            p[3 + row * 5 + col] = 1.0;
        }
        let mut opt = Grouped::new(layout.clone())
            .group(&["backbone"], |l| Box::new(Sgd::new(l, 0.5)))
            .group(&["head"], |l| {
                Box::new(GrassmannSgd::new(l, 0.3, 2).reorth_every(2))
            });
        let g: Vec<f32> = (0..layout.total)
            .map(|i| ((i * 7 % 5) as f32 - 2.0) * 0.1)
            .collect();
        for _ in 0..7 {
            opt.step(&mut p, &g);
        }
        assert!((p[0] - (1.0 - 7.0 * 0.5 * g[0])).abs() < 1e-5);
        for class in 0..2 {
            let rows = &p[3 + class * 10..3 + (class + 1) * 10];
            for a in 0..2 {
                for b in 0..2 {
                    let dot: f32 = (0..5).map(|i| rows[a * 5 + i] * rows[b * 5 + i]).sum();
                    let want = if a == b { 1.0 } else { 0.0 };
                    assert!((dot - want).abs() < 1e-5, "class {class}: {dot}");
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "does not match the layout")]
    fn wrong_buffer_length_is_refused() {
        let mut p = vec![0.0f32; 2];
        Sgd::new(Layout::flat(3), 0.1).step(&mut p, &[0.0; 3]);
    }
}
