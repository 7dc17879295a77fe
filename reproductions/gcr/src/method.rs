//! The model: an MLP backbone (64 → 128 → 32, ReLU) with either a softmax linear head or the
//! Grassmann class representation (GCR) head `ℓ_i = γ ‖Y_iᵀ x‖`, x = f/‖f‖, with hand-written
//! backward passes on a flat parameter buffer.

use harness::rng::Rng;
use kernels::nn::{linear, linear_back, softmax_xent, uniform_init};
use kernels::optim::{Layout, QrSign, reorthonormalise};

pub const IN: usize = 64;
pub const HIDDEN: usize = 128;
pub const FEAT: usize = 32;
/// The logit scale of every official config.
pub const GAMMA: f32 = 25.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    Softmax,
    Gcr { k: usize },
}

impl Head {
    pub fn key(self) -> String {
        match self {
            Head::Softmax => "softmax".into(),
            Head::Gcr { k } => format!("gcr{k}"),
        }
    }
    pub fn label(self) -> String {
        match self {
            Head::Softmax => "softmax".into(),
            Head::Gcr { k } => format!("GCR k = {k}"),
        }
    }
}

pub struct Model {
    pub head: Head,
    pub classes: usize,
    layout: Layout,
}

impl Model {
    pub fn new(head: Head, classes: usize) -> Self {
        let rows = match head {
            Head::Softmax => classes,
            Head::Gcr { k } => classes * k,
        };
        let mut spec: Vec<(&str, Vec<usize>)> = vec![
            ("fc1.weight", vec![HIDDEN, IN]),
            ("fc1.bias", vec![HIDDEN]),
            ("fc2.weight", vec![FEAT, HIDDEN]),
            ("fc2.bias", vec![FEAT]),
            ("head.weight", vec![rows, FEAT]),
        ];
        if head == Head::Softmax {
            spec.push(("head.bias", vec![classes]));
        }
        let refs: Vec<(&str, &[usize])> = spec.iter().map(|(n, s)| (*n, s.as_slice())).collect();
        Self {
            head,
            classes,
            layout: Layout::new(&refs),
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    fn range(&self, name: &str) -> std::ops::Range<usize> {
        let s = self
            .layout
            .slots
            .iter()
            .find(|s| s.name == name)
            .expect("tensor");
        s.offset..s.offset + s.len
    }

    /// PyTorch's linear initialisation; the GCR head is Gaussian, then each class block is
    /// orthonormalised (QR with positive diagonal).
    pub fn init(&self, rng: &mut Rng) -> Vec<f32> {
        let mut p = vec![0.0; self.layout.total];
        let mut u = || rng.uniform();
        uniform_init(&mut p[self.range("fc1.weight")], IN, &mut u);
        uniform_init(&mut p[self.range("fc1.bias")], IN, &mut u);
        uniform_init(&mut p[self.range("fc2.weight")], HIDDEN, &mut u);
        uniform_init(&mut p[self.range("fc2.bias")], HIDDEN, &mut u);
        match self.head {
            Head::Softmax => {
                uniform_init(&mut p[self.range("head.weight")], FEAT, &mut u);
                uniform_init(&mut p[self.range("head.bias")], FEAT, &mut u);
            }
            Head::Gcr { k } => {
                let r = self.range("head.weight");
                for block in p[r].chunks_mut(k * FEAT) {
                    let mut y: Vec<f64> = (0..k * FEAT).map(|_| rng.normal()).collect();
                    reorthonormalise(&mut y, k, FEAT, QrSign::Positive);
                    block.iter_mut().zip(&y).for_each(|(b, &v)| *b = v as f32);
                }
            }
        }
        p
    }

    /// Penultimate features f (rows × 32), and the hidden activations.
    fn backbone(&self, p: &[f32], x: &[f32], rows: usize) -> (Vec<f32>, Vec<f32>) {
        let mut h = linear(
            x,
            &p[self.range("fc1.weight")],
            Some(&p[self.range("fc1.bias")]),
            rows,
            IN,
            HIDDEN,
        );
        h.iter_mut().for_each(|v| *v = v.max(0.0));
        let mut f = linear(
            &h,
            &p[self.range("fc2.weight")],
            Some(&p[self.range("fc2.bias")]),
            rows,
            HIDDEN,
            FEAT,
        );
        f.iter_mut().for_each(|v| *v = v.max(0.0));
        (f, h)
    }

    /// The penultimate features of `rows` inputs.
    pub fn features(&self, p: &[f32], x: &[f32], rows: usize) -> Vec<f32> {
        self.backbone(p, x, rows).0
    }

    /// Logits and what the head's backward needs (the normalised features and the norms).
    fn head_forward(
        &self,
        p: &[f32],
        f: &[f32],
        rows: usize,
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
        let w = &p[self.range("head.weight")];
        match self.head {
            Head::Softmax => {
                let b = &p[self.range("head.bias")];
                (
                    linear(f, w, Some(b), rows, FEAT, self.classes),
                    Vec::new(),
                    Vec::new(),
                    Vec::new(),
                )
            }
            Head::Gcr { k } => {
                let norms: Vec<f32> = f
                    .chunks(FEAT)
                    .map(|r| r.iter().map(|v| v * v).sum::<f32>().sqrt() + 1e-12)
                    .collect();
                let xn: Vec<f32> = f
                    .chunks(FEAT)
                    .zip(&norms)
                    .flat_map(|(r, n)| r.iter().map(move |v| v / n))
                    .collect();
                let z = linear(&xn, w, None, rows, FEAT, self.classes * k);
                let logits = z
                    .chunks(k)
                    .map(|b| GAMMA * b.iter().map(|v| v * v).sum::<f32>().sqrt())
                    .collect();
                (logits, xn, norms, z)
            }
        }
    }

    /// Mean cross-entropy and its gradient (into `grad`); also the number of correct predictions.
    pub fn loss_grad(&self, p: &[f32], x: &[f32], y: &[usize], grad: &mut [f32]) -> (f64, usize) {
        let rows = y.len();
        grad.fill(0.0);
        let (f, h) = self.backbone(p, x, rows);
        let (logits, xn, norms, z) = self.head_forward(p, &f, rows);
        let (loss, dlogits, correct) = softmax_xent(&logits, y, self.classes);
        let wr = self.range("head.weight");
        let mut df = match self.head {
            Head::Softmax => {
                let br = self.range("head.bias");
                let (gw, gb) = grad[wr.start..br.end].split_at_mut(wr.len());
                linear_back(
                    &dlogits,
                    &f,
                    &p[wr.clone()],
                    gw,
                    Some(gb),
                    rows,
                    FEAT,
                    self.classes,
                )
            }
            Head::Gcr { k } => {
                // dz_i = dℓ_i γ z_i / ‖z_i‖ per class block.
                let mut dz = vec![0.0; z.len()];
                for (b, (zb, dl)) in z.chunks(k).zip(&dlogits).enumerate() {
                    let n = zb.iter().map(|v| v * v).sum::<f32>().sqrt();
                    if n > 0.0 {
                        for (j, zv) in zb.iter().enumerate() {
                            dz[b * k + j] = dl * GAMMA * zv / n;
                        }
                    }
                }
                let dxn = linear_back(
                    &dz,
                    &xn,
                    &p[wr.clone()],
                    &mut grad[wr.clone()],
                    None,
                    rows,
                    FEAT,
                    self.classes * k,
                );
                // Through x = f/‖f‖: df = (dx − x (x·dx)) / ‖f‖.
                let mut df = vec![0.0; f.len()];
                for r in 0..rows {
                    let (xr, dr) = (
                        &xn[r * FEAT..(r + 1) * FEAT],
                        &dxn[r * FEAT..(r + 1) * FEAT],
                    );
                    let dot: f32 = xr.iter().zip(dr).map(|(a, b)| a * b).sum();
                    for j in 0..FEAT {
                        df[r * FEAT + j] = (dr[j] - xr[j] * dot) / norms[r];
                    }
                }
                df
            }
        };
        df.iter_mut().zip(&f).for_each(|(d, &v)| {
            if v <= 0.0 {
                *d = 0.0
            }
        });
        let (w2, b2) = (self.range("fc2.weight"), self.range("fc2.bias"));
        let (gw, gb) = grad[w2.start..b2.end].split_at_mut(w2.len());
        let mut dh = linear_back(&df, &h, &p[w2], gw, Some(gb), rows, HIDDEN, FEAT);
        dh.iter_mut().zip(&h).for_each(|(d, &v)| {
            if v <= 0.0 {
                *d = 0.0
            }
        });
        let (w1, b1) = (self.range("fc1.weight"), self.range("fc1.bias"));
        let (gw, gb) = grad[w1.start..b1.end].split_at_mut(w1.len());
        linear_back(&dh, x, &p[w1], gw, Some(gb), rows, IN, HIDDEN);
        (loss, correct)
    }

    /// Accuracy on a labelled set.
    pub fn accuracy(&self, p: &[f32], x: &[f32], y: &[usize]) -> f64 {
        let f = self.features(p, x, y.len());
        let (logits, ..) = self.head_forward(p, &f, y.len());
        softmax_xent(&logits, y, self.classes).2 as f64 / y.len() as f64
    }
}

/// Kornblith et al.'s class separation on cosine distances: `R² = 1 − d̄_within / d̄_total`,
/// averaging `1 − cos` over all pairs of distinct samples.
pub fn class_separation(f: &[f32], labels: &[usize], dim: usize) -> f64 {
    let unit: Vec<Vec<f64>> = f
        .chunks(dim)
        .map(|r| {
            let n = r
                .iter()
                .map(|&v| (v as f64).powi(2))
                .sum::<f64>()
                .sqrt()
                .max(1e-12);
            r.iter().map(|&v| v as f64 / n).collect()
        })
        .collect();
    let (mut within, mut nw, mut total, mut nt) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..unit.len() {
        for j in i + 1..unit.len() {
            let d = 1.0
                - unit[i]
                    .iter()
                    .zip(&unit[j])
                    .map(|(a, b)| a * b)
                    .sum::<f64>();
            total += d;
            nt += 1.0;
            if labels[i] == labels[j] {
                within += d;
                nw += 1.0;
            }
        }
    }
    1.0 - (within / nw) / (total / nt)
}
