//! The two models and the data of the miniature, and one DP-SGD or ordinary SGD step.
//!
//! Model A is a plain CNN, model B a D4 group CNN of the same depth (lifting convolution, two
//! group convolutions, an invariant pool); both are three 3×3 'same' convolutions with ReLU, 2×2
//! average pooling after the first two, a global mean and a linear classifier. B's convolution
//! weights are gathered from fewer free parameters ([`kernels::nn::d4::Tied`]); A's are their own
//! parameters (the identity gather), so both run through the same code, and the per-sample
//! gradients DP-SGD clips come out of [`kernels::nn::conv::Conv2d::backward`].

use kernels::nn::conv::{Conv2d, GradSlot, avg_pool2, avg_pool2_back, relu, relu_back};
use kernels::nn::d4::{Tied, act_planes};
use kernels::nn::{softmax_xent, uniform_init};
use kernels::privacy::{DpSgd, StepStats, privatize};
use kernels::rng::Rng;

/// Image side and number of classes of the glyph data.
pub const SIDE: usize = 16;
pub const CLASSES: usize = 6;
const K: usize = 3;

/// Which network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Plain CNN with the given channels per layer.
    Plain,
    /// D4 group CNN with the given regular fields per layer (8 channels each).
    Equivariant,
}

/// One convolution layer: the convolution on expanded channels, how its weight is gathered, and
/// how many output channels share one bias (8 for a regular field).
struct Layer {
    conv: Conv2d,
    tied: Tied,
    group: usize,
    pool: bool,
}

impl Layer {
    fn theta_len(&self) -> usize {
        self.tied.theta_len + self.conv.c_out / self.group
    }
}

/// A network and the offsets of its tensors in the flat parameter vector.
pub struct Net {
    pub kind: Kind,
    layers: Vec<Layer>,
    offsets: Vec<usize>,
    features: usize,
    head: usize,
    pub params: usize,
}

fn identity(len: usize) -> Tied {
    Tied {
        map: (0..len).collect(),
        theta_len: len,
    }
}

impl Net {
    /// Three layers of `widths` channels (A) or fields (B) on 16 × 16 single-channel images.
    pub fn new(kind: Kind, widths: [usize; 3]) -> Self {
        let mut layers = Vec::new();
        let (mut c_in, mut side) = (1usize, SIDE);
        for (l, &w) in widths.iter().enumerate() {
            let (c_out, tied, group) = match kind {
                Kind::Plain => (w, identity(w * c_in * K * K), 1),
                Kind::Equivariant if l == 0 => (8 * w, Tied::lifting(w, c_in, K), 8),
                Kind::Equivariant => (8 * w, Tied::group(w, c_in / 8, K), 8),
            };
            let pool = l < 2;
            layers.push(Layer {
                conv: Conv2d::new(c_in, c_out, K, side, side),
                tied,
                group,
                pool,
            });
            c_in = c_out;
            if pool {
                side /= 2;
            }
        }
        let features = widths[2];
        let mut offsets = Vec::new();
        let mut at = 0;
        for l in &layers {
            offsets.push(at);
            at += l.theta_len();
        }
        let head = at;
        let params = head + features * CLASSES + CLASSES;
        Self {
            kind,
            layers,
            offsets,
            features,
            head,
            params,
        }
    }

    /// PyTorch-style uniform initialisation by the expanded fan-in; biases zero.
    pub fn init(&self, rng: &mut Rng) -> Vec<f32> {
        let mut p = vec![0.0; self.params];
        let mut u = || rng.uniform();
        for (l, &off) in self.layers.iter().zip(&self.offsets) {
            let fan_in = l.conv.c_in * K * K;
            uniform_init(&mut p[off..off + l.tied.theta_len], fan_in, &mut u);
        }
        let h = self.head;
        uniform_init(
            &mut p[h..h + self.features * CLASSES],
            self.features,
            &mut u,
        );
        p
    }

    /// Logits of n images (n × 256 pixels).
    pub fn logits(&self, p: &[f32], x: &[f32], n: usize) -> Vec<f32> {
        self.forward(p, x, n).logits
    }

    fn forward(&self, p: &[f32], x: &[f32], n: usize) -> Cache {
        let mut h = x.to_vec();
        let mut steps = Vec::new();
        for (l, &off) in self.layers.iter().zip(&self.offsets) {
            let w = l.tied.expand(&p[off..off + l.tied.theta_len]);
            let beta = &p[off + l.tied.theta_len..off + l.theta_len()];
            let b: Vec<f32> = beta.iter().flat_map(|&v| vec![v; l.group]).collect();
            let (mut y, cols) = l.conv.forward(&h, &w, &b, n);
            let mask = relu(&mut y);
            let planes = n * l.conv.c_out;
            h = if l.pool {
                avg_pool2(&y, planes, l.conv.h, l.conv.w)
            } else {
                y
            };
            steps.push((w, cols, mask));
        }
        let last = &self.layers[2];
        let per = last.group * last.conv.h * last.conv.w;
        let feat: Vec<f32> = h
            .chunks(per)
            .map(|c| c.iter().sum::<f32>() / per as f32)
            .collect();
        let hw = &p[self.head..self.head + self.features * CLASSES];
        let hb = &p[self.head + self.features * CLASSES..];
        let logits = kernels::nn::linear(&feat, hw, Some(hb), n, self.features, CLASSES);
        Cache {
            steps,
            feat,
            logits,
        }
    }

    /// Loss, correct count and gradients of n labelled images: one row per sample when
    /// `per_sample` (n × params, for DP-SGD), else the summed gradient (one row).
    pub fn gradients(
        &self,
        p: &[f32],
        x: &[f32],
        y: &[usize],
        per_sample: bool,
    ) -> (f64, usize, Vec<f32>) {
        let n = y.len();
        let c = self.forward(p, x, n);
        let (loss, mut dlogits, correct) = softmax_xent(&c.logits, y, CLASSES);
        dlogits.iter_mut().for_each(|v| *v *= n as f32); // per-sample losses, not their mean
        let rows = if per_sample { n } else { 1 };
        let mut g = vec![0.0f32; rows * self.params];
        let row_of = |s: usize| if per_sample { s * self.params } else { 0 };
        let (f, hw) = (
            self.features,
            &p[self.head..self.head + self.features * CLASSES],
        );
        let mut dfeat = vec![0.0f32; n * f];
        for s in 0..n {
            let dl = &dlogits[s * CLASSES..][..CLASSES];
            let ft = &c.feat[s * f..][..f];
            let r = &mut g[row_of(s)..][..self.params];
            for (k, &d) in dl.iter().enumerate() {
                for (j, &v) in ft.iter().enumerate() {
                    r[self.head + k * f + j] += d * v;
                }
                r[self.head + f * CLASSES + k] += d;
                for (j, df) in dfeat[s * f..][..f].iter_mut().enumerate() {
                    *df += d * hw[k * f + j];
                }
            }
        }
        let last = &self.layers[2];
        let per = last.group * last.conv.h * last.conv.w;
        let mut dh: Vec<f32> = dfeat
            .iter()
            .flat_map(|&d| vec![d / per as f32; per])
            .collect();
        for (li, l) in self.layers.iter().enumerate().rev() {
            let (w, cols, mask) = &c.steps[li];
            let mut dy = if l.pool {
                avg_pool2_back(&dh, n * l.conv.c_out, l.conv.h, l.conv.w)
            } else {
                dh
            };
            relu_back(&mut dy, mask);
            let wl = l.conv.weight_len();
            let slot = GradSlot {
                row: wl + l.conv.c_out,
                weight: 0,
                bias: wl,
            };
            let mut expanded = vec![0.0f32; rows * slot.row];
            dh = l.conv.backward(&dy, cols, w, n, &mut expanded, slot);
            let off = self.offsets[li];
            for r in 0..rows {
                let e = &expanded[r * slot.row..][..slot.row];
                let row = &mut g[r * self.params..][..self.params];
                l.tied
                    .reduce(&e[..wl], &mut row[off..off + l.tied.theta_len]);
                for (o, chunk) in e[wl..].chunks(l.group).enumerate() {
                    row[off + l.tied.theta_len + o] += chunk.iter().sum::<f32>();
                }
            }
        }
        (loss, correct, g)
    }
}

struct Cache {
    steps: Vec<(Vec<f32>, Vec<f32>, Vec<bool>)>,
    feat: Vec<f32>,
    logits: Vec<f32>,
}

/// One training step on the batch `idx`: DP-SGD (clip, noise, divide by the expected batch
/// size `denom`) when `dp` is given, else SGD on the mean gradient. Returns the step's DP stats.
#[allow(clippy::too_many_arguments)]
pub fn step(
    net: &Net,
    p: &mut [f32],
    data: &Glyphs,
    idx: &[usize],
    lr: f32,
    dp: Option<(&DpSgd, f32)>,
    noise: &mut Rng,
) -> Option<StepStats> {
    let (x, y) = data.batch(idx);
    match dp {
        Some((cfg, denom)) => {
            let (_, _, g) = net.gradients(p, &x, &y, true);
            let z: Vec<f32> = (0..net.params).map(|_| noise.normal() as f32).collect();
            let mut out = vec![0.0; net.params];
            let stats = privatize(cfg, &g, net.params, &z, denom, &mut out);
            p.iter_mut().zip(&out).for_each(|(w, d)| *w -= lr * d);
            Some(stats)
        }
        None if idx.is_empty() => None,
        None => {
            let (_, _, g) = net.gradients(p, &x, &y, false);
            let scale = lr / idx.len() as f32;
            p.iter_mut().zip(&g).for_each(|(w, d)| *w -= scale * d);
            None
        }
    }
}

/// Test accuracy in batches of 250.
pub fn accuracy(net: &Net, p: &[f32], data: &Glyphs) -> f64 {
    let idx: Vec<usize> = (0..data.len()).collect();
    let correct: usize = idx
        .chunks(250)
        .map(|c| {
            let (x, y) = data.batch(c);
            let (_, _, right) = softmax_xent(&net.logits(p, &x, c.len()), &y, CLASSES);
            right
        })
        .sum();
    correct as f64 / data.len() as f64
}

/// Procedural glyphs: 6 binary 16 × 16 templates, each drawn with a random D4 element, a shift
/// of up to ±2 pixels and N(0, 0.3²) pixel noise.
pub struct Glyphs {
    pub x: Vec<f32>,
    pub y: Vec<usize>,
}

/// The six templates: bar, cross, ring, square outline, L, diagonal.
pub fn template(class: usize) -> Vec<f32> {
    let mut t = vec![0.0f32; SIDE * SIDE];
    for i in 0..SIDE {
        for j in 0..SIDE {
            let (fi, fj) = (i as f64 - 7.5, j as f64 - 7.5);
            let r = (fi * fi + fj * fj).sqrt();
            let inside = |a: usize, b: usize, lo: usize, hi: usize| {
                (lo..=hi).contains(&a) && (3..=12).contains(&b)
            };
            let on = match class {
                0 => (7..=8).contains(&j) && (3..=12).contains(&i),
                1 => inside(i, j, 7, 8) || inside(j, i, 7, 8),
                2 => (3.5..=5.5).contains(&r),
                3 => {
                    let band = |a: usize| a == 4 || a == 11;
                    (4..=11).contains(&i) && (4..=11).contains(&j) && (band(i) || band(j))
                }
                4 => {
                    ((4..=5).contains(&j) && (3..=12).contains(&i))
                        || ((11..=12).contains(&i) && (4..=11).contains(&j))
                }
                _ => (3..=12).contains(&i) && i.abs_diff(j) <= 1,
            };
            if on {
                t[i * SIDE + j] = 1.0;
            }
        }
    }
    t
}

impl Glyphs {
    /// n images, classes uniform.
    pub fn generate(n: usize, rng: &mut Rng) -> Self {
        let templates: Vec<Vec<f32>> = (0..CLASSES).map(template).collect();
        let mut x = Vec::with_capacity(n * SIDE * SIDE);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let c = rng.below(CLASSES as u64) as usize;
            let g = rng.below(8) as usize;
            let t = act_planes(g, &templates[c], SIDE);
            let (di, dj) = (rng.below(5) as isize - 2, rng.below(5) as isize - 2);
            for i in 0..SIDE as isize {
                for j in 0..SIDE as isize {
                    let (si, sj) = (i - di, j - dj);
                    let v = if (0..SIDE as isize).contains(&si) && (0..SIDE as isize).contains(&sj)
                    {
                        t[si as usize * SIDE + sj as usize]
                    } else {
                        0.0
                    };
                    x.push(v + (0.3 * rng.normal()) as f32);
                }
            }
            y.push(c);
        }
        Self { x, y }
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Pixels and labels of the indexed images.
    pub fn batch(&self, idx: &[usize]) -> (Vec<f32>, Vec<usize>) {
        let px = SIDE * SIDE;
        let x = idx
            .iter()
            .flat_map(|&i| self.x[i * px..][..px].iter().copied())
            .collect();
        (x, idx.iter().map(|&i| self.y[i]).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_sample_rows_sum_to_the_batch_gradient() {
        let mut rng = Rng::new(1);
        let data = Glyphs::generate(5, &mut rng);
        for kind in [Kind::Plain, Kind::Equivariant] {
            let net = Net::new(kind, [2, 2, 3]);
            let p = net.init(&mut rng);
            let (x, y) = data.batch(&[0, 1, 2, 3, 4]);
            let (_, _, ps) = net.gradients(&p, &x, &y, true);
            let (_, _, batch) = net.gradients(&p, &x, &y, false);
            for j in 0..net.params {
                let sum: f32 = (0..5).map(|s| ps[s * net.params + j]).sum();
                assert!(
                    (sum - batch[j]).abs() < 1e-4 * (1.0 + batch[j].abs()),
                    "{kind:?} param {j}"
                );
            }
        }
    }

    /// Summed cross-entropy in f64 from f32 logits (the f32 loss is too coarse for a
    /// difference quotient).
    fn loss64(logits: &[f32], y: &[usize]) -> f64 {
        logits
            .chunks(CLASSES)
            .zip(y)
            .map(|(z, &c)| {
                let z: Vec<f64> = z.iter().map(|&v| f64::from(v)).collect();
                let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                z.iter().map(|v| (v - m).exp()).sum::<f64>().ln() + m - z[c]
            })
            .sum()
    }

    /// Along the gradient of each layer's parameters (the most sensitive direction, so f32
    /// rounding stays small against it).
    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(2);
        let data = Glyphs::generate(3, &mut rng);
        for kind in [Kind::Plain, Kind::Equivariant] {
            let net = Net::new(kind, [2, 2, 2]);
            let p = net.init(&mut rng);
            let (x, y) = data.batch(&[0, 1, 2]);
            let (_, _, g) = net.gradients(&p, &x, &y, false);
            let mut bounds: Vec<usize> = net.offsets.clone();
            bounds.extend([net.head, net.params]);
            for w in bounds.windows(2) {
                let mut dir = vec![0.0f32; net.params];
                dir[w[0]..w[1]].copy_from_slice(&g[w[0]..w[1]]);
                let norm = dir.iter().map(|v| v * v).sum::<f32>().sqrt();
                dir.iter_mut().for_each(|v| *v /= norm);
                // One-sided and central differences: a ReLU kink within h on one side spoils that side
                // and the centre, the curvature of many kinks spoils the sides; one must agree.
                let h = 3e-4f32;
                let at =
                    |s: f32| -> Vec<f32> { p.iter().zip(&dir).map(|(a, b)| a + s * b).collect() };
                let loss = |q: &[f32]| loss64(&net.logits(q, &x, 3), &y);
                let l0 = loss(&p);
                let fwd = (loss(&at(h)) - l0) / f64::from(h);
                let bwd = (l0 - loss(&at(-h))) / f64::from(h);
                let an = f64::from(norm);
                let central = 0.5 * (fwd + bwd);
                let err = [fwd, bwd, central]
                    .iter()
                    .map(|d| (d - an).abs())
                    .fold(f64::INFINITY, f64::min)
                    / an;
                assert!(err < 2e-2, "{kind:?} params {w:?}: {an} vs {fwd} / {bwd}");
            }
        }
    }

    #[test]
    fn the_group_cnn_is_invariant_and_the_plain_one_is_not() {
        let mut rng = Rng::new(3);
        let t = template(4);
        for (kind, invariant) in [(Kind::Equivariant, true), (Kind::Plain, false)] {
            let net = Net::new(kind, [2, 4, 4]);
            let p = net.init(&mut rng);
            let base = net.logits(&p, &t, 1);
            let worst = (1..8)
                .map(|g| {
                    let l = net.logits(&p, &act_planes(g, &t, SIDE), 1);
                    l.iter()
                        .zip(&base)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0f32, f32::max)
                })
                .fold(0.0f32, f32::max);
            assert_eq!(worst < 1e-5, invariant, "{kind:?}: {worst}");
        }
    }

    #[test]
    fn templates_are_distinct_orbits() {
        for a in 0..CLASSES {
            for b in 0..CLASSES {
                if a != b {
                    let tb = template(b);
                    assert!(
                        (0..8).all(|g| act_planes(g, &template(a), SIDE) != tb),
                        "{a} {b}"
                    );
                }
            }
        }
    }
}
