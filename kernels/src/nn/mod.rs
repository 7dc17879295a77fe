//! Small neural networks with hand-written backward passes, for the optimizer reproductions.
//!
//! A model owns a [`Layout`](crate::optim::Layout) of named, shaped tensors; its parameters and
//! gradients are flat `f32` buffers in that layout, so any [`Optimizer`](crate::optim::Optimizer)
//! steps it directly. Models are single-threaded (the experiments run seeds and settings in
//! parallel instead); matrix products go through `matrixmultiply`. Every backward pass is checked
//! against central finite differences in the tests.
//!
//! - [`Mlp`]: fully connected ReLU network, optionally with batch normalization after each hidden
//!   linear layer (which makes those weights scale-invariant).
//! - [`Transformer`]: a decoder-only transformer (pre-LN, causal multi-head attention, GELU MLP).
//! - [`conv`]: stride-1 'same' 2-D convolutions with per-sample weight gradients, 2×2 average
//!   pooling, ReLU.
//! - [`d4`]: the dihedral group D4 on square grids and D4-equivariant convolutions by weight
//!   tying, with an invariant pooling head.
//! - [`train::fit`]: mini-batch training of an MLP classifier with any optimizer.

pub mod conv;
pub mod d4;
mod mlp;
pub mod train;
mod transformer;

pub use mlp::{BnStats, Mlp};
pub use transformer::{Transformer, TransformerConfig};

/// `c ← op(a) op(b) + beta c` with `op(a)` m×k and `op(b)` k×n, all row-major; `ta`/`tb` say
/// whether `a` is stored as k×m / `b` as n×k.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    ta: bool,
    b: &[f32],
    tb: bool,
    beta: f32,
    c: &mut [f32],
) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
    let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
    // SAFETY: the lengths are checked above and the strides describe those row-major buffers.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// A linear layer's forward pass: `y = x Wᵀ (+ b)`, x rows×inp, W out×inp.
pub fn linear(
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    rows: usize,
    inp: usize,
    out: usize,
) -> Vec<f32> {
    let mut y = vec![0.0; rows * out];
    if let Some(b) = b {
        for r in y.chunks_mut(out) {
            r.copy_from_slice(b);
        }
    }
    gemm(
        rows,
        inp,
        out,
        x,
        false,
        w,
        true,
        if b.is_some() { 1.0 } else { 0.0 },
        &mut y,
    );
    y
}

/// A linear layer's backward pass: adds `dyᵀ x` to `dw` and the column sums of `dy` to `db`;
/// returns `dx = dy W`.
#[allow(clippy::too_many_arguments)]
pub fn linear_back(
    dy: &[f32],
    x: &[f32],
    w: &[f32],
    dw: &mut [f32],
    db: Option<&mut [f32]>,
    rows: usize,
    inp: usize,
    out: usize,
) -> Vec<f32> {
    gemm(out, rows, inp, dy, true, x, false, 1.0, dw);
    if let Some(db) = db {
        for r in dy.chunks(out) {
            db.iter_mut().zip(r).for_each(|(a, &b)| *a += b);
        }
    }
    let mut dx = vec![0.0; rows * inp];
    gemm(rows, out, inp, dy, false, w, false, 0.0, &mut dx);
    dx
}

/// Row-wise normalisation `x̂ = (x − mean)/√(var + eps)` (biased variance), returning x̂ and the
/// inverse deviations: the shared core of layer norm (rows = tokens).
pub(crate) fn normalize_rows(x: &[f32], width: usize, eps: f32) -> (Vec<f32>, Vec<f32>) {
    let mut xhat = vec![0.0; x.len()];
    let mut inv = Vec::with_capacity(x.len() / width);
    for (r, o) in x.chunks(width).zip(xhat.chunks_mut(width)) {
        let mean = r.iter().sum::<f32>() / width as f32;
        let var = r.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / width as f32;
        let s = 1.0 / (var + eps).sqrt();
        r.iter()
            .zip(o.iter_mut())
            .for_each(|(v, o)| *o = (v - mean) * s);
        inv.push(s);
    }
    (xhat, inv)
}

/// Backward of a normalisation over groups of `n` values: given `dx̂`, x̂ and the group's inverse
/// deviation, `dx = inv/n · (n dx̂ − Σ dx̂ − x̂ Σ dx̂ x̂)`.
pub(crate) fn normalize_back(dxhat: &[f32], xhat: &[f32], inv: f32) -> Vec<f32> {
    let n = dxhat.len() as f32;
    let s1: f32 = dxhat.iter().sum();
    let s2: f32 = dxhat.iter().zip(xhat).map(|(a, b)| a * b).sum();
    dxhat
        .iter()
        .zip(xhat)
        .map(|(&d, &h)| inv / n * (n * d - s1 - h * s2))
        .collect()
}

/// Mean softmax cross-entropy of `logits` (rows×classes) against `labels`; returns the loss,
/// the gradient with respect to the logits, and the number of rows whose arg-max is the label.
pub fn softmax_xent(logits: &[f32], labels: &[usize], classes: usize) -> (f64, Vec<f32>, usize) {
    let rows = labels.len();
    let mut grad = vec![0.0; logits.len()];
    let mut loss = 0.0f64;
    let mut correct = 0;
    for ((z, g), &y) in logits
        .chunks(classes)
        .zip(grad.chunks_mut(classes))
        .zip(labels)
    {
        let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let sum: f32 = z.iter().map(|v| (v - max).exp()).sum();
        loss += (sum.ln() + max - z[y]) as f64;
        for (gi, zi) in g.iter_mut().zip(z) {
            *gi = (zi - max).exp() / sum / rows as f32;
        }
        g[y] -= 1.0 / rows as f32;
        let arg = z
            .iter()
            .enumerate()
            .fold(0, |best, (i, v)| if *v > z[best] { i } else { best });
        correct += usize::from(arg == y);
    }
    (loss / rows as f64, grad, correct)
}

/// Fills `out` with PyTorch's default linear initialisation, U(−1/√fan_in, 1/√fan_in), from
/// uniform draws in [0, 1).
pub fn uniform_init(out: &mut [f32], fan_in: usize, uniform: &mut dyn FnMut() -> f64) {
    let bound = 1.0 / (fan_in as f64).sqrt();
    out.iter_mut()
        .for_each(|v| *v = ((2.0 * uniform() - 1.0) * bound) as f32);
}

#[cfg(test)]
pub(crate) mod check {
    //! Finite-difference checks shared by the models' tests.
    use crate::optim::Layout;

    /// For each tensor of the layout, compares the directional derivative `∇L·d` along a
    /// direction supported on that tensor with the central difference of `loss`; returns the
    /// worst relative error.
    pub fn directional(
        layout: &Layout,
        params: &[f32],
        grad: &[f32],
        loss: &mut dyn FnMut(&[f32]) -> f64,
        h: f32,
    ) -> f64 {
        let mut worst: f64 = 0.0;
        let mut state = 0x2545f4914f6cdd1du64;
        for slot in &layout.slots {
            let mut d = vec![0.0f32; params.len()];
            for v in &mut d[slot.offset..slot.offset + slot.len] {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *v = ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0;
            }
            let along =
                |s: f32| -> Vec<f32> { params.iter().zip(&d).map(|(p, d)| p + s * d).collect() };
            let fd = (loss(&along(h)) - loss(&along(-h))) / (2.0 * h as f64);
            let an: f64 = grad
                .iter()
                .zip(&d)
                .map(|(g, d)| (*g as f64) * (*d as f64))
                .sum();
            let err = (fd - an).abs() / (an.abs().max(fd.abs()).max(1e-3));
            worst = worst.max(err);
            assert!(
                err < 2e-2,
                "{}: analytic {an:e} vs finite difference {fd:e}",
                slot.name
            );
        }
        worst
    }
}
