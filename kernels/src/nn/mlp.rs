//! A fully connected ReLU classifier, optionally with batch normalization.

use super::{linear, linear_back, normalize_back, softmax_xent, uniform_init};
use crate::optim::Layout;

const BN_EPS: f32 = 1e-5;
const BN_MOMENTUM: f32 = 0.1;

/// `sizes = [inputs, hidden…, classes]`. Hidden layer l is `Linear → (BatchNorm) → ReLU`; with
/// batch normalization the hidden linear layers have no bias (it would be removed by the
/// normalization), so their weights are exactly scale-invariant. The last layer is `Linear`
/// with bias.
#[derive(Clone, Debug)]
pub struct Mlp {
    pub sizes: Vec<usize>,
    pub batchnorm: bool,
    layout: Layout,
}

/// Running batch-norm statistics (PyTorch's conventions: momentum 0.1, unbiased running
/// variance), used in evaluation.
#[derive(Clone, Debug)]
pub struct BnStats {
    pub mean: Vec<Vec<f32>>,
    pub var: Vec<Vec<f32>>,
}

impl Mlp {
    pub fn new(sizes: &[usize], batchnorm: bool) -> Self {
        assert!(sizes.len() >= 2, "an MLP needs inputs and classes");
        let mut names: Vec<(String, Vec<usize>)> = Vec::new();
        let layers = sizes.len() - 1;
        for l in 0..layers {
            let (i, o) = (sizes[l], sizes[l + 1]);
            names.push((format!("fc{}.weight", l + 1), vec![o, i]));
            if batchnorm && l + 1 < layers {
                names.push((format!("bn{}.weight", l + 1), vec![o]));
                names.push((format!("bn{}.bias", l + 1), vec![o]));
            } else {
                names.push((format!("fc{}.bias", l + 1), vec![o]));
            }
        }
        let spec: Vec<(&str, &[usize])> = names
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_slice()))
            .collect();
        Self {
            sizes: sizes.to_vec(),
            batchnorm,
            layout: Layout::new(&spec),
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Indices into the layout of each hidden layer's weight (the scale-invariant ones when
    /// batch norm is on).
    pub fn hidden_weights(&self) -> Vec<usize> {
        (0..self.sizes.len() - 2)
            .map(|l| self.slot(&format!("fc{}.weight", l + 1)))
            .collect()
    }

    fn slot(&self, name: &str) -> usize {
        self.layout
            .slots
            .iter()
            .position(|s| s.name == name)
            .expect("tensor name")
    }

    fn part<'a>(&self, p: &'a [f32], name: &str) -> &'a [f32] {
        let s = &self.layout.slots[self.slot(name)];
        &p[s.offset..s.offset + s.len]
    }

    /// PyTorch's default initialisation (linear U(±1/√fan_in); batch-norm γ = 1, β = 0).
    pub fn init(&self, uniform: &mut dyn FnMut() -> f64) -> Vec<f32> {
        let mut p = vec![0.0; self.layout.total];
        for s in &self.layout.slots {
            let out = &mut p[s.offset..s.offset + s.len];
            if s.name.starts_with("bn") {
                let v = if s.name.ends_with("weight") { 1.0 } else { 0.0 };
                out.iter_mut().for_each(|x| *x = v);
            } else {
                let fan_in = self.sizes[s.name[2..s.name.find('.').unwrap()]
                    .parse::<usize>()
                    .unwrap()
                    - 1];
                uniform_init(out, fan_in, uniform);
            }
        }
        p
    }

    /// Fresh running statistics (mean 0, variance 1).
    pub fn bn_stats(&self) -> BnStats {
        let hidden = &self.sizes[1..self.sizes.len() - 1];
        BnStats {
            mean: hidden.iter().map(|&h| vec![0.0; h]).collect(),
            var: hidden.iter().map(|&h| vec![1.0; h]).collect(),
        }
    }

    /// Training step's forward and backward on a batch (batch statistics; updates `stats`):
    /// writes the gradient of the mean cross-entropy into `grad` and returns the loss.
    pub fn loss_grad(
        &self,
        p: &[f32],
        stats: &mut BnStats,
        x: &[f32],
        y: &[usize],
        grad: &mut [f32],
    ) -> f64 {
        self.loss_grad_input(p, stats, x, y, grad).0
    }

    /// [`Mlp::loss_grad`] that also returns the gradient with respect to the input `x`, for
    /// layers trained in front of the network.
    pub fn loss_grad_input(
        &self,
        p: &[f32],
        stats: &mut BnStats,
        x: &[f32],
        y: &[usize],
        grad: &mut [f32],
    ) -> (f64, Vec<f32>) {
        let classes = self.sizes[self.sizes.len() - 1];
        self.loss_grad_with(p, stats, x, y.len(), grad, |out| {
            let (loss, dz, _) = softmax_xent(out, y, classes);
            (loss, dz)
        })
    }

    /// The forward and backward pass under any loss of the outputs: `loss(outputs)` returns the
    /// loss and its gradient with respect to the outputs (rows × last size); the parameter
    /// gradient goes into `grad`, the input gradient is returned with the loss. Regression heads
    /// (a score network) reuse the checked backward this way.
    pub fn loss_grad_with(
        &self,
        p: &[f32],
        stats: &mut BnStats,
        x: &[f32],
        rows: usize,
        grad: &mut [f32],
        loss: impl FnOnce(&[f32]) -> (f64, Vec<f32>),
    ) -> (f64, Vec<f32>) {
        let layers = self.sizes.len() - 1;
        grad.iter_mut().for_each(|g| *g = 0.0);
        // Forward, keeping each layer's input, pre-activation normalised values and mask.
        let mut inputs = vec![x.to_vec()];
        let mut xhats = Vec::new();
        let mut invs = Vec::new();
        let mut outs = Vec::new();
        for l in 0..layers {
            let (i, o) = (self.sizes[l], self.sizes[l + 1]);
            let w = self.part(p, &format!("fc{}.weight", l + 1));
            let hidden = l + 1 < layers;
            let bias =
                (!(self.batchnorm && hidden)).then(|| self.part(p, &format!("fc{}.bias", l + 1)));
            let mut z = linear(&inputs[l], w, bias, rows, i, o);
            if hidden && self.batchnorm {
                let (xhat, inv) = batch_norm(&z, rows, o, &mut stats.mean[l], &mut stats.var[l]);
                let g = self.part(p, &format!("bn{}.weight", l + 1));
                let b = self.part(p, &format!("bn{}.bias", l + 1));
                for (zr, hr) in z.chunks_mut(o).zip(xhat.chunks(o)) {
                    for j in 0..o {
                        zr[j] = g[j] * hr[j] + b[j];
                    }
                }
                xhats.push(xhat);
                invs.push(inv);
            }
            if hidden {
                z.iter_mut().for_each(|v| *v = v.max(0.0));
                outs.push(z.clone());
                inputs.push(z);
            } else {
                outs.push(z);
            }
        }
        let (loss, mut dz) = loss(&outs[layers - 1]);
        for l in (0..layers).rev() {
            let (i, o) = (self.sizes[l], self.sizes[l + 1]);
            let hidden = l + 1 < layers;
            if hidden {
                // ReLU: the stored output is zero exactly where the unit was off.
                dz.iter_mut().zip(&outs[l]).for_each(|(d, &a)| {
                    if a <= 0.0 {
                        *d = 0.0
                    }
                });
                if self.batchnorm {
                    let gname = format!("bn{}.weight", l + 1);
                    let gamma = self.part(p, &gname).to_vec();
                    let (gi, bi) = (self.slot(&gname), self.slot(&format!("bn{}.bias", l + 1)));
                    let xhat = &xhats[l];
                    let (go, bo) = (self.layout.slots[gi].offset, self.layout.slots[bi].offset);
                    let mut dxhat = vec![0.0; rows * o];
                    for r in 0..rows {
                        for j in 0..o {
                            let d = dz[r * o + j];
                            grad[go + j] += d * xhat[r * o + j];
                            grad[bo + j] += d;
                            dxhat[r * o + j] = d * gamma[j];
                        }
                    }
                    // Batch norm normalises each column over the batch.
                    for j in 0..o {
                        let col: Vec<f32> = (0..rows).map(|r| dxhat[r * o + j]).collect();
                        let hcol: Vec<f32> = (0..rows).map(|r| xhat[r * o + j]).collect();
                        let back = normalize_back(&col, &hcol, invs[l][j]);
                        for r in 0..rows {
                            dz[r * o + j] = back[r];
                        }
                    }
                }
            }
            let wi = self.slot(&format!("fc{}.weight", l + 1));
            let ws = self.layout.slots[wi].clone();
            let w = &p[ws.offset..ws.offset + ws.len];
            let (gw, rest) = grad.split_at_mut(ws.offset + ws.len);
            let gw = &mut gw[ws.offset..];
            let db = (!(self.batchnorm && hidden)).then(|| &mut rest[..o]);
            dz = linear_back(&dz, &inputs[l], w, gw, db, rows, i, o);
        }
        (loss, dz)
    }

    /// Evaluation with running statistics: mean cross-entropy and accuracy.
    pub fn evaluate(&self, p: &[f32], stats: &BnStats, x: &[f32], y: &[usize]) -> (f64, f64) {
        let rows = y.len();
        let out = self.outputs(p, stats, x, rows);
        let (loss, _, correct) = softmax_xent(&out, y, self.sizes[self.sizes.len() - 1]);
        (loss, correct as f64 / rows as f64)
    }

    /// The network's outputs (rows × last size) with running statistics.
    pub fn outputs(&self, p: &[f32], stats: &BnStats, x: &[f32], rows: usize) -> Vec<f32> {
        let layers = self.sizes.len() - 1;
        let mut a = x.to_vec();
        for l in 0..layers {
            let (i, o) = (self.sizes[l], self.sizes[l + 1]);
            let hidden = l + 1 < layers;
            let w = self.part(p, &format!("fc{}.weight", l + 1));
            let bias =
                (!(self.batchnorm && hidden)).then(|| self.part(p, &format!("fc{}.bias", l + 1)));
            let mut z = linear(&a, w, bias, rows, i, o);
            if hidden {
                if self.batchnorm {
                    let g = self.part(p, &format!("bn{}.weight", l + 1));
                    let b = self.part(p, &format!("bn{}.bias", l + 1));
                    for zr in z.chunks_mut(o) {
                        for j in 0..o {
                            let s = 1.0 / (stats.var[l][j] + BN_EPS).sqrt();
                            zr[j] = g[j] * (zr[j] - stats.mean[l][j]) * s + b[j];
                        }
                    }
                }
                z.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            a = z;
        }
        a
    }
}

/// Batch normalisation of each column over the rows (biased batch variance), updating the
/// running statistics; returns x̂ and each column's inverse deviation.
fn batch_norm(
    z: &[f32],
    rows: usize,
    cols: usize,
    mean: &mut [f32],
    var: &mut [f32],
) -> (Vec<f32>, Vec<f32>) {
    let mut xhat = vec![0.0; z.len()];
    let mut inv = vec![0.0; cols];
    for j in 0..cols {
        let m = (0..rows).map(|r| z[r * cols + j]).sum::<f32>() / rows as f32;
        let v = (0..rows)
            .map(|r| (z[r * cols + j] - m).powi(2))
            .sum::<f32>()
            / rows as f32;
        let s = 1.0 / (v + BN_EPS).sqrt();
        for r in 0..rows {
            xhat[r * cols + j] = (z[r * cols + j] - m) * s;
        }
        inv[j] = s;
        let unbiased = if rows > 1 {
            v * rows as f32 / (rows - 1) as f32
        } else {
            v
        };
        mean[j] = (1.0 - BN_MOMENTUM) * mean[j] + BN_MOMENTUM * m;
        var[j] = (1.0 - BN_MOMENTUM) * var[j] + BN_MOMENTUM * unbiased;
    }
    (xhat, inv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::check::directional;

    fn toy(rows: usize, inp: usize, classes: usize) -> (Vec<f32>, Vec<usize>) {
        let x = (0..rows * inp)
            .map(|i| ((i * 7919 % 101) as f32 / 50.0) - 1.0)
            .collect();
        let y = (0..rows).map(|r| r % classes).collect();
        (x, y)
    }

    fn lcg() -> impl FnMut() -> f64 {
        let mut s = 12345u64;
        move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn backward_matches_finite_differences() {
        for bn in [false, true] {
            let mlp = Mlp::new(&[5, 8, 6, 3], bn);
            let p = mlp.init(&mut lcg());
            let (x, y) = toy(12, 5, 3);
            let mut grad = vec![0.0; p.len()];
            mlp.loss_grad(&p, &mut mlp.bn_stats(), &x, &y, &mut grad);
            let mut loss = |q: &[f32]| {
                let mut g = vec![0.0; q.len()];
                mlp.loss_grad(q, &mut mlp.bn_stats(), &x, &y, &mut g)
            };
            // A small step: larger ones cross ReLU kinks of this tiny batch.
            directional(mlp.layout(), &p, &grad, &mut loss, 1e-3);
        }
    }

    #[test]
    fn input_gradient_matches_finite_differences() {
        let mlp = Mlp::new(&[5, 3], false);
        let p = mlp.init(&mut lcg());
        let (x, y) = toy(6, 5, 3);
        let mut grad = vec![0.0; p.len()];
        let (_, dx) = mlp.loss_grad_input(&p, &mut mlp.bn_stats(), &x, &y, &mut grad);
        let dir: Vec<f32> = (0..x.len())
            .map(|i| ((i * 37 % 11) as f32 - 5.0) / 5.0)
            .collect();
        let at = |s: f32| {
            let xs: Vec<f32> = x.iter().zip(&dir).map(|(a, d)| a + s * d).collect();
            mlp.loss_grad(&p, &mut mlp.bn_stats(), &xs, &y, &mut vec![0.0; p.len()])
        };
        let h = 1e-2;
        let fd = (at(h) - at(-h)) / (2.0 * h as f64);
        let an: f64 = dx.iter().zip(&dir).map(|(a, b)| (a * b) as f64).sum();
        assert!((fd - an).abs() < 1e-3 * an.abs().max(1e-2), "{an} vs {fd}");
    }

    #[test]
    fn batchnorm_makes_hidden_weights_scale_invariant() {
        let mlp = Mlp::new(&[5, 8, 3], true);
        let mut p = mlp.init(&mut lcg());
        let (x, y) = toy(16, 5, 3);
        let mut g = vec![0.0; p.len()];
        let l0 = mlp.loss_grad(&p, &mut mlp.bn_stats(), &x, &y, &mut g);
        // The gradient is orthogonal to the weight, and scaling the weight leaves the loss.
        let w = &mlp.layout().slots[mlp.hidden_weights()[0]];
        let r = w.offset..w.offset + w.len;
        let dot: f32 = r.clone().map(|i| p[i] * g[i]).sum();
        let norms = (r.clone().map(|i| p[i] * p[i]).sum::<f32>()
            * r.map(|i| g[i] * g[i]).sum::<f32>())
        .sqrt();
        assert!(dot.abs() < 1e-3 * norms, "cos(w, g) = {}", dot / norms);
        (w.offset..w.offset + w.len).for_each(|i| p[i] *= 3.0);
        let l1 = mlp.loss_grad(&p, &mut mlp.bn_stats(), &x, &y, &mut g);
        // Exact up to the eps = 1e-5 added to the batch variance.
        assert!((l0 - l1).abs() < 1e-3 * l0, "{l0} vs {l1}");
    }
}
