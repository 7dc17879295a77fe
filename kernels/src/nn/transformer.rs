//! A small decoder-only transformer: token and position embeddings, pre-LN blocks of causal
//! multi-head self-attention and a GELU MLP (width 4d), a final layer norm and an untied output
//! head, trained with next-token cross-entropy. GPT-2's shapes, at toy size. Long because the
//! forward pass and its hand-written backward are kept side by side, block by block.

use super::{linear, linear_back, normalize_back, normalize_rows, softmax_xent};
use crate::optim::Layout;
use std::collections::HashMap;

const LN_EPS: f32 = 1e-5;

/// Sizes of a [`Transformer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransformerConfig {
    pub vocab: usize,
    pub seq: usize,
    pub d_model: usize,
    pub heads: usize,
    pub layers: usize,
}

/// The model: a layout of GPT-2-named tensors (`h0.attn.qkv.weight`, …) and the sizes.
#[derive(Clone, Debug)]
pub struct Transformer {
    pub cfg: TransformerConfig,
    layout: Layout,
    index: HashMap<String, usize>,
}

/// What the backward pass needs from one block's forward pass.
struct Block {
    x_in: Vec<f32>,
    ln1: (Vec<f32>, Vec<f32>),
    a: Vec<f32>,
    qkv: Vec<f32>,
    probs: Vec<f32>,
    o: Vec<f32>,
    ln2: (Vec<f32>, Vec<f32>),
    c: Vec<f32>,
    u: Vec<f32>,
    r: Vec<f32>,
}

/// Normalised rows and inverse deviations of a layer norm.
type NormCache = (Vec<f32>, Vec<f32>);

/// The logits, the blocks' caches, the final normalised output and its layer-norm cache.
type Forward = (Vec<f32>, Vec<Block>, Vec<f32>, NormCache);

const GELU_C: f32 = 0.797_884_6; // √(2/π)

/// `tanh z = (e^{2z} − 1)/(e^{2z} + 1)` with the exponential in f64 (the cancellation near 0 then
/// costs under 1e-12 relative), the odd series below 1e-3 and ±1 beyond 10: within an ulp or so
/// of libm's `tanhf` (the test says how close) and faster, since glibc's `tanhf` goes through
/// the slow `expm1f` (the two were 38% of a training run's profile).
fn tanh(z: f32) -> f32 {
    if z.abs() < 1e-3 {
        z * (1.0 - z * z / 3.0)
    } else if z.abs() > 10.0 {
        1f32.copysign(z)
    } else {
        let e = (2.0 * f64::from(z)).exp();
        ((e - 1.0) / (e + 1.0)) as f32
    }
}

fn gelu(u: f32) -> f32 {
    0.5 * u * (1.0 + tanh(GELU_C * (u + 0.044715 * u * u * u)))
}

fn gelu_grad(u: f32) -> f32 {
    let t = tanh(GELU_C * (u + 0.044715 * u * u * u));
    0.5 * (1.0 + t) + 0.5 * u * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * 0.044715 * u * u)
}

impl Transformer {
    pub fn new(cfg: TransformerConfig) -> Self {
        assert!(
            cfg.d_model.is_multiple_of(cfg.heads),
            "d_model must be a multiple of heads"
        );
        let (v, t, d) = (cfg.vocab, cfg.seq, cfg.d_model);
        let mut spec: Vec<(String, Vec<usize>)> = vec![
            ("tok_emb".into(), vec![v, d]),
            ("pos_emb".into(), vec![t, d]),
        ];
        for l in 0..cfg.layers {
            for (name, shape) in [
                ("ln1.weight", vec![d]),
                ("ln1.bias", vec![d]),
                ("attn.qkv.weight", vec![3 * d, d]),
                ("attn.qkv.bias", vec![3 * d]),
                ("attn.proj.weight", vec![d, d]),
                ("attn.proj.bias", vec![d]),
                ("ln2.weight", vec![d]),
                ("ln2.bias", vec![d]),
                ("mlp.fc.weight", vec![4 * d, d]),
                ("mlp.fc.bias", vec![4 * d]),
                ("mlp.proj.weight", vec![d, 4 * d]),
                ("mlp.proj.bias", vec![d]),
            ] {
                spec.push((format!("h{l}.{name}"), shape));
            }
        }
        spec.push(("lnf.weight".into(), vec![d]));
        spec.push(("lnf.bias".into(), vec![d]));
        spec.push(("head.weight".into(), vec![v, d]));
        let refs: Vec<(&str, &[usize])> = spec
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_slice()))
            .collect();
        let layout = Layout::new(&refs);
        let index = layout
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        Self { cfg, layout, index }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    fn range(&self, name: &str) -> std::ops::Range<usize> {
        let s = &self.layout.slots[self.index[name]];
        s.offset..s.offset + s.len
    }

    fn t<'a>(&self, p: &'a [f32], name: &str) -> &'a [f32] {
        &p[self.range(name)]
    }

    /// GPT-2's initialisation: weights and embeddings N(0, 0.02²), biases 0, layer-norm gains 1;
    /// normals by Box–Muller from uniform draws in [0, 1).
    pub fn init(&self, uniform: &mut dyn FnMut() -> f64) -> Vec<f32> {
        let mut p = vec![0.0; self.layout.total];
        for s in &self.layout.slots {
            let out = &mut p[s.offset..s.offset + s.len];
            if s.name.contains("ln") && s.name.ends_with("weight") {
                out.fill(1.0);
            } else if s.shape.len() > 1 {
                for v in out.iter_mut() {
                    let (u1, u2) = (1.0 - uniform(), uniform());
                    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                    *v = (0.02 * z) as f32;
                }
            }
        }
        p
    }

    fn layer_norm(&self, x: &[f32], p: &[f32], name: &str) -> ((Vec<f32>, Vec<f32>), Vec<f32>) {
        let d = self.cfg.d_model;
        let (g, b) = (
            self.t(p, &format!("{name}.weight")),
            self.t(p, &format!("{name}.bias")),
        );
        let (xhat, inv) = normalize_rows(x, d, LN_EPS);
        let mut y = xhat.clone();
        for r in y.chunks_mut(d) {
            for j in 0..d {
                r[j] = g[j] * r[j] + b[j];
            }
        }
        ((xhat, inv), y)
    }

    fn layer_norm_back(
        &self,
        dy: &[f32],
        cache: &(Vec<f32>, Vec<f32>),
        p: &[f32],
        grad: &mut [f32],
        name: &str,
    ) -> Vec<f32> {
        let d = self.cfg.d_model;
        let g = self.t(p, &format!("{name}.weight"));
        let (gr, br) = (
            self.range(&format!("{name}.weight")),
            self.range(&format!("{name}.bias")),
        );
        let mut dx = Vec::with_capacity(dy.len());
        for ((dyr, hr), &inv) in dy.chunks(d).zip(cache.0.chunks(d)).zip(&cache.1) {
            let mut dxhat = vec![0.0; d];
            for j in 0..d {
                grad[gr.start + j] += dyr[j] * hr[j];
                grad[br.start + j] += dyr[j];
                dxhat[j] = dyr[j] * g[j];
            }
            dx.extend(normalize_back(&dxhat, hr, inv));
        }
        dx
    }

    /// Causal attention of every (sequence, head): returns the concatenated head outputs and
    /// the attention probabilities (batch × heads × seq × seq, zero above the diagonal).
    fn attention(&self, qkv: &[f32], batch: usize) -> (Vec<f32>, Vec<f32>) {
        let TransformerConfig {
            seq: t,
            d_model: d,
            heads,
            ..
        } = self.cfg;
        let dh = d / heads;
        let scale = 1.0 / (dh as f32).sqrt();
        let mut o = vec![0.0; batch * t * d];
        let mut probs = vec![0.0; batch * heads * t * t];
        for b in 0..batch {
            for h in 0..heads {
                let pr = &mut probs[(b * heads + h) * t * t..][..t * t];
                for i in 0..t {
                    let q = &qkv[(b * t + i) * 3 * d + h * dh..][..dh];
                    let row = &mut pr[i * t..(i + 1) * t];
                    let mut max = f32::NEG_INFINITY;
                    for j in 0..=i {
                        let k = &qkv[(b * t + j) * 3 * d + d + h * dh..][..dh];
                        row[j] = scale * q.iter().zip(k).map(|(a, b)| a * b).sum::<f32>();
                        max = max.max(row[j]);
                    }
                    let mut sum = 0.0;
                    for s in &mut row[..=i] {
                        *s = (*s - max).exp();
                        sum += *s;
                    }
                    let out = &mut o[(b * t + i) * d + h * dh..][..dh];
                    for j in 0..=i {
                        row[j] /= sum;
                        let v = &qkv[(b * t + j) * 3 * d + 2 * d + h * dh..][..dh];
                        out.iter_mut().zip(v).for_each(|(o, v)| *o += row[j] * v);
                    }
                }
            }
        }
        (o, probs)
    }

    fn attention_back(&self, d_o: &[f32], qkv: &[f32], probs: &[f32], batch: usize) -> Vec<f32> {
        let TransformerConfig {
            seq: t,
            d_model: d,
            heads,
            ..
        } = self.cfg;
        let dh = d / heads;
        let scale = 1.0 / (dh as f32).sqrt();
        let mut dqkv = vec![0.0; qkv.len()];
        let at =
            |b: usize, i: usize, part: usize, h: usize| (b * t + i) * 3 * d + part * d + h * dh;
        for b in 0..batch {
            for h in 0..heads {
                let pr = &probs[(b * heads + h) * t * t..][..t * t];
                for i in 0..t {
                    let dout = &d_o[(b * t + i) * d + h * dh..][..dh];
                    let row = &pr[i * t..(i + 1) * t];
                    // dP_ij = dO_i · v_j; dS_ij = P_ij (dP_ij − Σ_j P_ij dP_ij).
                    let mut dp = vec![0.0f32; i + 1];
                    for (j, dpj) in dp.iter_mut().enumerate() {
                        let v = &qkv[at(b, j, 2, h)..][..dh];
                        *dpj = dout.iter().zip(v).map(|(a, b)| a * b).sum();
                    }
                    let mean: f32 = dp.iter().zip(row).map(|(a, b)| a * b).sum();
                    for j in 0..=i {
                        let ds = row[j] * (dp[j] - mean) * scale;
                        for c in 0..dh {
                            // dV_j += P_ij dO_i; dQ_i += dS_ij K_j; dK_j += dS_ij Q_i.
                            dqkv[at(b, j, 2, h) + c] += row[j] * dout[c];
                            dqkv[at(b, i, 0, h) + c] += ds * qkv[at(b, j, 1, h) + c];
                            dqkv[at(b, j, 1, h) + c] += ds * qkv[at(b, i, 0, h) + c];
                        }
                    }
                }
            }
        }
        dqkv
    }

    /// Forward pass: the logits (rows = batch × seq) and, if asked, the caches.
    fn forward(&self, p: &[f32], tokens: &[usize]) -> Forward {
        let TransformerConfig {
            vocab,
            seq: t,
            d_model: d,
            layers,
            ..
        } = self.cfg;
        assert_eq!(tokens.len() % t, 0, "tokens must be whole sequences");
        let n = tokens.len();
        let batch = n / t;
        let (tok, pos) = (self.t(p, "tok_emb"), self.t(p, "pos_emb"));
        let mut x = vec![0.0; n * d];
        for (r, (row, &k)) in x.chunks_mut(d).zip(tokens).enumerate() {
            assert!(k < vocab, "token {k} outside the vocabulary");
            for j in 0..d {
                row[j] = tok[k * d + j] + pos[(r % t) * d + j];
            }
        }
        let mut blocks = Vec::with_capacity(layers);
        for l in 0..layers {
            let w = |s: &str| self.t(p, &format!("h{l}.{s}"));
            let (ln1, a) = self.layer_norm(&x, p, &format!("h{l}.ln1"));
            let qkv = linear(
                &a,
                w("attn.qkv.weight"),
                Some(w("attn.qkv.bias")),
                n,
                d,
                3 * d,
            );
            let (o, probs) = self.attention(&qkv, batch);
            let att = linear(
                &o,
                w("attn.proj.weight"),
                Some(w("attn.proj.bias")),
                n,
                d,
                d,
            );
            let x_in = std::mem::take(&mut x);
            let x_mid: Vec<f32> = x_in.iter().zip(&att).map(|(a, b)| a + b).collect();
            let (ln2, c) = self.layer_norm(&x_mid, p, &format!("h{l}.ln2"));
            let u = linear(&c, w("mlp.fc.weight"), Some(w("mlp.fc.bias")), n, d, 4 * d);
            let r: Vec<f32> = u.iter().map(|&v| gelu(v)).collect();
            let m = linear(
                &r,
                w("mlp.proj.weight"),
                Some(w("mlp.proj.bias")),
                n,
                4 * d,
                d,
            );
            x = x_mid.iter().zip(&m).map(|(a, b)| a + b).collect();
            blocks.push(Block {
                x_in,
                ln1,
                a,
                qkv,
                probs,
                o,
                ln2,
                c,
                u,
                r,
            });
        }
        let (lnf, z) = self.layer_norm(&x, p, "lnf");
        let logits = linear(&z, self.t(p, "head.weight"), None, n, d, vocab);
        (logits, blocks, z, lnf)
    }

    /// Mean next-token cross-entropy of `targets` given `tokens` (whole sequences, row-major).
    pub fn loss(&self, p: &[f32], tokens: &[usize], targets: &[usize]) -> f64 {
        let (logits, ..) = self.forward(p, tokens);
        softmax_xent(&logits, targets, self.cfg.vocab).0
    }

    /// Loss and its gradient (written into `grad`, laid out like the parameters).
    pub fn loss_grad(
        &self,
        p: &[f32],
        tokens: &[usize],
        targets: &[usize],
        grad: &mut [f32],
    ) -> f64 {
        let TransformerConfig {
            vocab,
            seq: t,
            d_model: d,
            layers,
            ..
        } = self.cfg;
        assert_eq!(grad.len(), self.layout.total);
        grad.fill(0.0);
        let n = tokens.len();
        let batch = n / t;
        let (logits, blocks, z, lnf) = self.forward(p, tokens);
        let (loss, dlogits, _) = softmax_xent(&logits, targets, vocab);
        let hr = self.range("head.weight");
        let dz = linear_back(
            &dlogits,
            &z,
            self.t(p, "head.weight"),
            &mut grad[hr],
            None,
            n,
            d,
            vocab,
        );
        let mut dx = self.layer_norm_back(&dz, &lnf, p, grad, "lnf");
        for l in (0..layers).rev() {
            let blk = &blocks[l];
            let name = |s: &str| format!("h{l}.{s}");
            // x_out = x_mid + proj(gelu(fc(ln2(x_mid)))).
            let dr = self.lin_back(&dx, &blk.r, p, grad, &name("mlp.proj"), n, 4 * d, d);
            let du: Vec<f32> = dr
                .iter()
                .zip(&blk.u)
                .map(|(g, &u)| g * gelu_grad(u))
                .collect();
            let dc = self.lin_back(&du, &blk.c, p, grad, &name("mlp.fc"), n, d, 4 * d);
            let dmid = self.layer_norm_back(&dc, &blk.ln2, p, grad, &name("ln2"));
            dx.iter_mut().zip(&dmid).for_each(|(a, b)| *a += b);
            // x_mid = x_in + proj(attention(qkv(ln1(x_in)))).
            let d_o = self.lin_back(&dx, &blk.o, p, grad, &name("attn.proj"), n, d, d);
            let dqkv = self.attention_back(&d_o, &blk.qkv, &blk.probs, batch);
            let da = self.lin_back(&dqkv, &blk.a, p, grad, &name("attn.qkv"), n, d, 3 * d);
            let din = self.layer_norm_back(&da, &blk.ln1, p, grad, &name("ln1"));
            dx.iter_mut().zip(&din).for_each(|(a, b)| *a += b);
            let _ = &blk.x_in;
        }
        let (tr, pr) = (self.range("tok_emb"), self.range("pos_emb"));
        for (r, (row, &k)) in dx.chunks(d).zip(tokens).enumerate() {
            for j in 0..d {
                grad[tr.start + k * d + j] += row[j];
                grad[pr.start + (r % t) * d + j] += row[j];
            }
        }
        loss
    }

    /// Backward of the linear layer `name` (weight then bias, adjacent in the layout).
    #[allow(clippy::too_many_arguments)]
    fn lin_back(
        &self,
        dy: &[f32],
        x: &[f32],
        p: &[f32],
        grad: &mut [f32],
        name: &str,
        rows: usize,
        inp: usize,
        out: usize,
    ) -> Vec<f32> {
        let wr = self.range(&format!("{name}.weight"));
        let br = self.range(&format!("{name}.bias"));
        debug_assert_eq!(wr.end, br.start);
        let (gw, gb) = grad[wr.start..br.end].split_at_mut(wr.len());
        linear_back(dy, x, &p[wr], gw, Some(gb), rows, inp, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::check::directional;

    #[test]
    fn fast_tanh_is_within_two_ulps_of_libm() {
        let worst = (-200_000..=200_000)
            .map(|k| k as f32 * 1e-4)
            .chain([-90.0, -40.0, 40.0, 90.0, f32::MAX, f32::MIN])
            .map(|z| (tanh(z) - z.tanh()).abs() / z.tanh().abs().max(f32::MIN_POSITIVE))
            .fold(0.0f32, f32::max);
        assert!(
            worst <= 2.0 * f32::EPSILON,
            "worst relative |fast − libm| = {worst}"
        );
    }

    #[test]
    fn backward_matches_finite_differences() {
        let cfg = TransformerConfig {
            vocab: 7,
            seq: 5,
            d_model: 8,
            heads: 2,
            layers: 2,
        };
        let model = Transformer::new(cfg);
        let mut s = 99u64;
        let mut uniform = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut p = model.init(&mut uniform);
        // Larger weights than GPT-2's 0.02, so that every path carries signal.
        p.iter_mut()
            .for_each(|v| *v += (uniform() as f32 - 0.5) * 0.6);
        let tokens: Vec<usize> = (0..15).map(|i| (i * 3 + 1) % 7).collect();
        let targets: Vec<usize> = (0..15).map(|i| (i * 5 + 2) % 7).collect();
        let mut grad = vec![0.0; p.len()];
        let l = model.loss_grad(&p, &tokens, &targets, &mut grad);
        assert!((l - model.loss(&p, &tokens, &targets)).abs() < 1e-12);
        let mut loss = |q: &[f32]| model.loss(q, &tokens, &targets);
        directional(model.layout(), &p, &grad, &mut loss, 1e-3);
    }

    #[test]
    fn attention_is_causal() {
        // Changing a later token must not change the loss at earlier positions.
        let cfg = TransformerConfig {
            vocab: 5,
            seq: 4,
            d_model: 4,
            heads: 1,
            layers: 1,
        };
        let model = Transformer::new(cfg);
        let mut s = 7u64;
        let p = model.init(&mut move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        });
        let (a, ..) = model.forward(&p, &[1, 2, 3, 4]);
        let (b, ..) = model.forward(&p, &[1, 2, 3, 0]);
        assert_eq!(&a[..15], &b[..15]);
        assert_ne!(&a[15..], &b[15..]);
    }
}
