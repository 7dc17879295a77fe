//! The pieces of an SPDNet with Riemannian batch normalisation: the data, BiMap, the two
//! normalisations (AIRM-RBN of Brooks et al.; BW-RBN as the GBWBN code computes it), ReEig and
//! LogEig. All matrices are f64, row-major; a batch is `count · m · m` values.

use harness::rng::Rng;
use kernels::spd::{
    MatFn, airm_geodesic, airm_mean, bw_barycenter, bw_distance2, bw_geodesic, bw_log,
    bw_transport_identity, eigh, identity, matfn, matmul, powm, transpose,
};

/// How the class means differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Design {
    /// Each class has its own random eigenbasis and spectrum (the card's sketch; easy).
    Separate,
    /// All classes share one eigenbasis and one log-uniform spectrum; each class perturbs the
    /// log-eigenvalues by N(0, 0.5²) (harder: classes differ only in their spectra).
    Shared,
}

/// The card's design: separate class means, covariances of `2n` draws.
pub fn simulate(
    n: usize,
    classes: usize,
    per_class: usize,
    kappa: f64,
    rng: &mut Rng,
) -> (Vec<f64>, Vec<usize>) {
    simulate_design(n, classes, per_class, kappa, Design::Separate, 2 * n, rng)
}

/// Procedural SPD data: class c has a mean C_c = Q_c diag(λ_c) Q_cᵀ with eigenvalues spread over
/// [1, κ] (see [`Design`]); each sample is the covariance of `draws` Gaussian draws from
/// N(0, C_c). The separate design draws exactly the random numbers it always drew.
pub fn simulate_design(
    n: usize,
    classes: usize,
    per_class: usize,
    kappa: f64,
    design: Design,
    draws: usize,
    rng: &mut Rng,
) -> (Vec<f64>, Vec<usize>) {
    let shared = (design == Design::Shared).then(|| {
        let q = orthonormal(n, n, rng);
        let u: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
        (q, u)
    });
    let means: Vec<Vec<f64>> = (0..classes)
        .map(|_| {
            let (q, d): (Vec<f64>, Vec<f64>) = match &shared {
                None => {
                    let q = orthonormal(n, n, rng);
                    (q, (0..n).map(|_| kappa.powf(rng.uniform())).collect())
                }
                Some((q, u)) => (
                    q.clone(),
                    u.iter()
                        .map(|&u| kappa.powf(u) * (0.5 * rng.normal()).exp())
                        .collect(),
                ),
            };
            let mut c = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    c[i * n + j] = (0..n).map(|k| q[i * n + k] * d[k] * q[j * n + k]).sum();
                }
            }
            matfn(&c, n, MatFn::Sqrt)
        })
        .collect();
    let t = draws;
    let mut xs = Vec::with_capacity(classes * per_class * n * n);
    let mut ys = Vec::new();
    for _ in 0..per_class {
        for (c, root) in means.iter().enumerate() {
            let mut x = vec![0.0; n * n];
            for _ in 0..t {
                let g: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
                let z: Vec<f64> = (0..n)
                    .map(|i| (0..n).map(|k| root[i * n + k] * g[k]).sum())
                    .collect();
                for i in 0..n {
                    for j in 0..n {
                        x[i * n + j] += z[i] * z[j] / t as f64;
                    }
                }
            }
            xs.extend(x);
            ys.push(c);
        }
    }
    (xs, ys)
}

/// An `rows × cols` matrix with orthonormal columns (QR of a Gaussian matrix), row-major.
pub fn orthonormal(rows: usize, cols: usize, rng: &mut Rng) -> Vec<f64> {
    let mut q: Vec<f64> = (0..rows * cols).map(|_| rng.normal()).collect();
    for j in 0..cols {
        for k in 0..j {
            let d: f64 = (0..rows).map(|i| q[i * cols + j] * q[i * cols + k]).sum();
            (0..rows).for_each(|i| q[i * cols + j] -= d * q[i * cols + k]);
        }
        let norm = (0..rows)
            .map(|i| q[i * cols + j].powi(2))
            .sum::<f64>()
            .sqrt();
        (0..rows).for_each(|i| q[i * cols + j] /= norm);
    }
    q
}

/// BiMap `Wᵀ X W` for W (n × m) with orthonormal columns.
pub fn bimap(xs: &[f64], n: usize, w: &[f64], m: usize) -> Vec<f64> {
    xs.chunks(n * n)
        .flat_map(|x| {
            let mut out = vec![0.0; m * m];
            for a in 0..m {
                for b in 0..m {
                    out[a * m + b] = (0..n)
                        .map(|i| {
                            w[i * m + a] * (0..n).map(|j| x[i * n + j] * w[j * m + b]).sum::<f64>()
                        })
                        .sum();
                }
            }
            out
        })
        .collect()
}

/// ReEig (eigenvalues clamped at `eps`) then LogEig, vectorised as the upper triangle with
/// off-diagonal entries scaled by √2 (so the Euclidean norm is the Frobenius norm).
pub fn reeig_logeig(xs: &[f64], m: usize, eps: f64) -> Vec<f64> {
    xs.chunks(m * m)
        .flat_map(|x| {
            let l = eigh(x, m).apply(|v| v.max(eps).ln());
            let mut out = Vec::with_capacity(m * (m + 1) / 2);
            for i in 0..m {
                for j in i..m {
                    out.push(if i == j {
                        l[i * m + j]
                    } else {
                        std::f64::consts::SQRT_2 * l[i * m + j]
                    });
                }
            }
            out
        })
        .collect()
}

/// The normalisation layers compared.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Variant {
    None,
    /// Brooks et al.: centre by the (one-step) Karcher mean, G^{−1/2} X G^{−1/2}; no variance.
    Airm,
    /// GBWBN's layer with M = I and bias B = I, matrix power θ.
    Bw {
        theta: f64,
    },
}

impl Variant {
    pub fn key(self) -> String {
        match self {
            Variant::None => "none".into(),
            Variant::Airm => "airm".into(),
            Variant::Bw { theta: 1.0 } => "bw".into(),
            Variant::Bw { theta } => format!("bw{theta}"),
        }
    }
    pub fn label(self) -> String {
        match self {
            Variant::None => "no normalisation".into(),
            Variant::Airm => "AIRM-RBN".into(),
            Variant::Bw { theta } => format!("BW-RBN, θ = {theta}"),
        }
    }
}

const BN_EPS: f64 = 1e-5;
const BN_MOMENTUM: f64 = 0.1;

/// A normalisation layer with its running statistics (mean, dispersion), as in the official
/// code: batch statistics in training (no gradient), running statistics in evaluation.
pub struct Norm {
    pub variant: Variant,
    pub m: usize,
    pub running_mean: Vec<f64>,
    pub running_var: f64,
    /// Barycenter iterations on each batch (the official code: 1).
    pub mean_iters: usize,
}

impl Norm {
    pub fn new(variant: Variant, m: usize) -> Self {
        Self {
            variant,
            m,
            running_mean: identity(m),
            running_var: 1.0,
            mean_iters: 1,
        }
    }

    pub fn forward(&mut self, xs: &[f64], train: bool) -> Vec<f64> {
        let m = self.m;
        match self.variant {
            Variant::None => xs.to_vec(),
            Variant::Airm => {
                let g = if train {
                    let g = airm_mean(xs, m, self.mean_iters, 0.0).0;
                    self.running_mean = airm_geodesic(&self.running_mean, &g, m, BN_MOMENTUM);
                    g
                } else {
                    self.running_mean.clone()
                };
                let gi = matfn(&g, m, MatFn::InvSqrt);
                xs.chunks(m * m)
                    .flat_map(|x| matmul(&matmul(&gi, x, m), &gi, m))
                    .collect()
            }
            Variant::Bw { theta } => {
                let xt: Vec<f64> = xs.chunks(m * m).flat_map(|x| powm(x, m, theta)).collect();
                let (g, v) = if train {
                    let (g, v) = bw_batch_statistics(&xt, m, self.mean_iters, theta);
                    self.running_mean = bw_geodesic(&self.running_mean, &g, m, BN_MOMENTUM);
                    self.running_var = (1.0 - BN_MOMENTUM) * self.running_var + BN_MOMENTUM * v;
                    (g, v)
                } else {
                    (self.running_mean.clone(), self.running_var)
                };
                bw_normalize(&xt, m, &g, v, 1.0)
                    .chunks(m * m)
                    .flat_map(|o| powm(o, m, 1.0 / theta))
                    .collect()
            }
        }
    }
}

/// The official batch statistics: the BW barycenter after `iters` fixed-point steps from the
/// arithmetic mean, and the dispersion `mean d²_BW(X_i, I) / θ²` about the **identity**.
pub fn bw_batch_statistics(xt: &[f64], m: usize, iters: usize, theta: f64) -> (Vec<f64>, f64) {
    let g = bw_barycenter(xt, m, None, iters, 0.0).0;
    let id = identity(m);
    let count = xt.len() / (m * m);
    let v = xt
        .chunks(m * m)
        .map(|x| bw_distance2(x, &id, m))
        .sum::<f64>()
        / count as f64
        / (theta * theta);
    (g, v)
}

/// `S_i = Exp_I(s/√(v + eps) · Log_I((I + ½ T_{G→I}(Log_G X_i))²))` with
/// `Exp_I(V) = (I + V/2)²`, `Log_I(X) = 2X^{1/2} − 2I`; bias B = I makes the last transport and
/// exponential the identity map.
pub fn bw_normalize(xt: &[f64], m: usize, g: &[f64], v: f64, shift: f64) -> Vec<f64> {
    let scale = shift / (v + BN_EPS).sqrt();
    xt.chunks(m * m)
        .flat_map(|x| {
            let t = bw_transport_identity(g, &bw_log(g, x, m), m, true);
            let mut h = identity(m);
            h.iter_mut().zip(&t).for_each(|(a, b)| *a += 0.5 * b);
            let c = matmul(&h, &h, m);
            let c12 = matfn(&c, m, MatFn::Sqrt);
            // Exp_I(scale · (2 C^{1/2} − 2I)) = (I + scale (C^{1/2} − I))².
            let mut k = identity(m);
            for i in 0..m * m {
                k[i] += scale * (c12[i] - identity_at(i, m));
            }
            let kt = transpose(&k, m);
            matmul(&kt, &k, m)
        })
        .collect()
}

fn identity_at(i: usize, m: usize) -> f64 {
    if i / m == i % m { 1.0 } else { 0.0 }
}
