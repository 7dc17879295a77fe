//! The pieces of an SPDNet with Riemannian batch normalisation: the data, BiMap, the two
//! normalisations (AIRM-RBN of Brooks et al.; BW-RBN as the GBWBN code computes it), ReEig and
//! LogEig. All matrices are f64, row-major; a batch is `count · m · m` values.
//!
//! Over 400 lines because the BW layer's forward and its hand-written backward (both transports,
//! the Lyapunov solve, the exponential, the matrix powers, the congruences by M^{±1/2}) and the
//! official SPD update are one unit, kept beside the AIRM layer they are compared with.

use harness::rng::Rng;
use kernels::optim::{Adam, Layout, Optimizer};
use kernels::spd::{
    Eigh, MatFn, Pairwise, airm_exp, airm_geodesic, airm_mean, bw_barycenter, bw_distance2, bw_exp,
    bw_geodesic, congruence_backward, eigh, identity, matfn, matfn_backward, matmul, pairwise,
    pairwise_backward, sym,
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
    gram_schmidt((0..rows * cols).map(|_| rng.normal()).collect(), rows, cols)
}

/// The Q factor of `q` (rows × cols, row-major) by Gram–Schmidt, as the official Stiefel
/// retraction computes it (R with a positive diagonal).
pub fn gram_schmidt(mut q: Vec<f64>, rows: usize, cols: usize) -> Vec<f64> {
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

/// The vectorisation of LogEig's output: the upper triangle, off-diagonal entries scaled by √2
/// (so the Euclidean norm is the Frobenius norm).
fn vectorise(l: &[f64], m: usize) -> Vec<f64> {
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
}

/// Gradient of BiMap's weight: `Σ_i 2 X_i W sym(dY_i)` for `Y_i = Wᵀ X_i W`.
pub fn bimap_backward(xs: &[f64], n: usize, w: &[f64], m: usize, d_out: &[f64]) -> Vec<f64> {
    let mut dw = vec![0.0; n * m];
    for (x, dy) in xs.chunks(n * n).zip(d_out.chunks(m * m)) {
        let dy = sym(dy, m);
        // X W (n × m), then (X W) dY.
        let xw: Vec<f64> = (0..n * m)
            .map(|k| (0..n).map(|j| x[(k / m) * n + j] * w[j * m + k % m]).sum())
            .collect();
        for i in 0..n {
            for b in 0..m {
                dw[i * m + b] += 2.0 * (0..m).map(|a| xw[i * m + a] * dy[a * m + b]).sum::<f64>();
            }
        }
    }
    dw
}

/// The official Stiefel step (`StiefelOptim`): project the gradient, `G − W Gᵀ W`, step, and
/// retract by Gram–Schmidt.
pub fn stiefel_step(w: &[f64], dw: &[f64], n: usize, m: usize, lr: f64) -> Vec<f64> {
    // Gᵀ W is m × m.
    let gtw: Vec<f64> = (0..m * m)
        .map(|k| (0..n).map(|i| dw[i * m + k / m] * w[i * m + k % m]).sum())
        .collect();
    let moved: Vec<f64> = (0..n * m)
        .map(|k| {
            let (i, b) = (k / m, k % m);
            let wgw: f64 = (0..m).map(|a| w[i * m + a] * gtw[a * m + b]).sum();
            w[k] - lr * (dw[k] - wgw)
        })
        .collect();
    gram_schmidt(moved, n, m)
}

/// ReEig (eigenvalues clamped at `eps`) then LogEig, vectorised (the upper triangle, off-diagonal entries scaled by √2).
pub fn reeig_logeig(xs: &[f64], m: usize, eps: f64) -> Vec<f64> {
    xs.chunks(m * m)
        .flat_map(|x| vectorise(&matfn(x, m, MatFn::ReEigLog(eps)), m))
        .collect()
}

/// [`reeig_logeig`] keeping each matrix's eigendecomposition for [`reeig_logeig_backward`].
pub fn reeig_logeig_taped(xs: &[f64], m: usize, eps: f64) -> (Vec<f64>, Vec<Eigh>) {
    let eighs: Vec<Eigh> = xs.chunks(m * m).map(|x| eigh(x, m)).collect();
    let f = eighs
        .iter()
        .flat_map(|e| vectorise(&e.apply(|v| MatFn::ReEigLog(eps).f(v)), m))
        .collect();
    (f, eighs)
}

/// Gradient with respect to the input matrices of [`reeig_logeig`], given that of the features.
pub fn reeig_logeig_backward(eighs: &[Eigh], dfeat: &[f64], eps: f64) -> Vec<f64> {
    let m = eighs.first().map_or(0, |e| e.n);
    let per = m * (m + 1) / 2;
    eighs
        .iter()
        .zip(dfeat.chunks(per))
        .flat_map(|(e, d)| {
            // dF/dY with Y's entries independent: the √2 entry sits in the upper triangle only
            // (the backward symmetrises).
            let mut dy = vec![0.0; m * m];
            let mut k = 0;
            for i in 0..m {
                for j in i..m {
                    dy[i * m + j] = if i == j {
                        d[k]
                    } else {
                        std::f64::consts::SQRT_2 * d[k]
                    };
                    k += 1;
                }
            }
            matfn_backward(e, MatFn::ReEigLog(eps), &dy)
        })
        .collect()
}

/// The normalisation layers compared.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Variant {
    None,
    /// Brooks et al.: centre by the (one-step) Karcher mean, then bias:
    /// `B^{1/2} G^{−1/2} X G^{−1/2} B^{1/2}`; no variance.
    Airm,
    /// GBWBN's layer with matrix power θ, learned bias B and shift s; with `learn_m` the metric
    /// parameter M is learned too (GBW-RBN), otherwise M = I (BW-RBN).
    Bw {
        theta: f64,
        learn_m: bool,
    },
}

impl Variant {
    pub fn key(self) -> String {
        match self {
            Variant::None => "none".into(),
            Variant::Airm => "airm".into(),
            Variant::Bw { theta, learn_m } => {
                let stem = if learn_m { "gbw" } else { "bw" };
                if theta == 1.0 {
                    stem.into()
                } else {
                    format!("{stem}{theta}")
                }
            }
        }
    }
    pub fn label(self) -> String {
        match self {
            Variant::None => "no normalisation".into(),
            Variant::Airm => "AIRM-RBN".into(),
            Variant::Bw {
                theta,
                learn_m: false,
            } => format!("BW-RBN, θ = {theta}"),
            Variant::Bw {
                theta,
                learn_m: true,
            } => format!("GBW-RBN, θ = {theta}"),
        }
    }
}

const BN_EPS: f64 = 1e-5;
const BN_MOMENTUM: f64 = 0.1;

/// What a training forward pass keeps for the backward pass.
enum Tape {
    None,
    Airm {
        /// `G^{−1/2} X G^{−1/2}` per sample.
        centred: Vec<Vec<f64>>,
        /// `G^{−1/2}`.
        g_isqrt: Vec<f64>,
        bias_eigh: Eigh,
        bias_sqrt: Vec<f64>,
    },
    Bw(Box<BwTape>),
}

/// The BW layer's intermediates: per batch (parameters and statistics) and per sample.
struct BwTape {
    theta: f64,
    m_eigh: Eigh,
    m_isqrt: Vec<f64>,
    m_sqrt: Vec<f64>,
    b_eigh: Eigh,
    b_pow: Vec<f64>,
    bt: Vec<f64>,
    bt_eigh: Eigh,
    g_eigh: Eigh,
    g_sqrt: Vec<f64>,
    g_isqrt: Vec<f64>,
    /// `1/√(v + eps)`.
    inv_sd: f64,
    scale: f64,
    samples: Vec<BwSample>,
}

struct BwSample {
    x_pow: Vec<f64>,
    /// The input's eigendecomposition when θ ≠ 1 (for the backward of X^θ).
    x_eigh: Option<Eigh>,
    z_eigh: Eigh,
    /// Eigendecomposition of `H = I + ½ T_{G→I}(Log_G X̃)`, and `C^{1/2} = |H|`.
    h_eigh: Eigh,
    c_sqrt: Vec<f64>,
    /// Eigendecomposition of `K = I + scale (C^{1/2} − I)` (`S^{1/2} = |K|`).
    k_eigh: Eigh,
    u: Vec<f64>,
    w: Vec<f64>,
    l: Vec<f64>,
    o: Vec<f64>,
    y_eigh: Option<Eigh>,
}

/// Gradients of the loss with respect to the layer's parameters.
pub struct Grads {
    /// With respect to the layer's inputs (empty unless asked for).
    pub input: Vec<f64>,
    pub bias: Vec<f64>,
    pub metric: Vec<f64>,
    pub shift: f64,
}

/// A normalisation layer with its parameters and running statistics (mean, dispersion), as in
/// the official code: batch statistics in training (no gradient through them), running
/// statistics in evaluation.
pub struct Norm {
    pub variant: Variant,
    pub m: usize,
    pub running_mean: Vec<f64>,
    pub running_var: f64,
    /// Barycenter iterations on each batch (the official code: 1).
    pub mean_iters: usize,
    /// SPD bias B (BW: the code's `I + diag(1..m)·1e-7`; AIRM: I).
    pub bias: Vec<f64>,
    /// SPD metric parameter M of GBW (I, and not trained, for BW-RBN).
    pub metric: Vec<f64>,
    /// The scalar shift s (initial 1); trained by Adam like the classifier.
    pub shift: f64,
    lr: f64,
    shift_opt: Adam,
    tape: Tape,
}

impl Norm {
    /// A layer at the official initialisation; `lr` is the step of every parameter (the
    /// official code shares one learning rate).
    pub fn new(variant: Variant, m: usize, lr: f64) -> Self {
        let mut bias = identity(m);
        if matches!(variant, Variant::Bw { .. }) {
            (0..m).for_each(|i| bias[i * m + i] += (i + 1) as f64 * 1e-7);
        }
        Self {
            variant,
            m,
            running_mean: identity(m),
            running_var: 1.0,
            mean_iters: 1,
            bias,
            metric: identity(m),
            shift: 1.0,
            shift_opt: Adam::new(Layout::flat(1), lr as f32),
            lr,
            tape: Tape::None,
        }
    }

    /// The layer on a batch: batch statistics (which update the running ones) when `train`,
    /// running statistics otherwise. Keeps what [`Norm::backward`] needs.
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
                let bias_eigh = eigh(&self.bias, m);
                let bias_sqrt = bias_eigh.apply(f64::sqrt);
                let centred: Vec<Vec<f64>> = xs
                    .chunks(m * m)
                    .map(|x| matmul(&matmul(&gi, x, m), &gi, m))
                    .collect();
                let out = centred
                    .iter()
                    .flat_map(|z| matmul(&matmul(&bias_sqrt, z, m), &bias_sqrt, m))
                    .collect();
                self.tape = Tape::Airm {
                    centred,
                    g_isqrt: gi,
                    bias_eigh,
                    bias_sqrt,
                };
                out
            }
            Variant::Bw { theta, .. } => {
                let m_eigh = eigh(&self.metric, m);
                let m_isqrt = m_eigh.apply(|l| 1.0 / l.sqrt());
                let x_eighs: Vec<Option<Eigh>> = xs
                    .chunks(m * m)
                    .map(|x| (theta != 1.0).then(|| eigh(x, m)))
                    .collect();
                let x_pows: Vec<Vec<f64>> = xs
                    .chunks(m * m)
                    .zip(&x_eighs)
                    .map(|(x, e)| match e {
                        None => x.to_vec(),
                        Some(e) => e.apply(|l| MatFn::Pow(theta).f(l)),
                    })
                    .collect();
                let xt: Vec<f64> = x_pows
                    .iter()
                    .flat_map(|x| matmul(&matmul(&m_isqrt, x, m), &m_isqrt, m))
                    .collect();
                let (g, v) = if train {
                    let (g, v) = bw_batch_statistics(&xt, m, self.mean_iters, theta);
                    self.running_mean = bw_geodesic(&self.running_mean, &g, m, BN_MOMENTUM);
                    self.running_var = (1.0 - BN_MOMENTUM) * self.running_var + BN_MOMENTUM * v;
                    (g, v)
                } else {
                    (self.running_mean.clone(), self.running_var)
                };
                let tape = bw_forward(self, theta, m_eigh, m_isqrt, x_pows, x_eighs, &xt, &g, v);
                let out = tape
                    .samples
                    .iter()
                    .flat_map(|s| match &s.y_eigh {
                        None => matmul(&matmul(&tape.m_sqrt, &s.o, m), &tape.m_sqrt, m),
                        Some(e) => e.apply(|l| l.powf(1.0 / theta)),
                    })
                    .collect();
                self.tape = Tape::Bw(Box::new(tape));
                out
            }
        }
    }

    /// Gradients of the parameters from the gradient of the loss with respect to the last
    /// [`Norm::forward`]'s outputs (batch statistics held constant, as in the official code).
    /// With `input`, also the gradient with respect to the inputs (for a trained BiMap).
    pub fn backward(&self, d_out: &[f64], input: bool) -> Grads {
        let m = self.m;
        let mut grads = Grads {
            input: Vec::new(),
            bias: vec![0.0; m * m],
            metric: vec![0.0; m * m],
            shift: 0.0,
        };
        match &self.tape {
            Tape::None => {
                if input {
                    grads.input = d_out.to_vec();
                }
            }
            Tape::Airm {
                centred,
                g_isqrt,
                bias_eigh,
                bias_sqrt,
            } => {
                let mut d_sqrt = vec![0.0; m * m];
                for (z, dy) in centred.iter().zip(d_out.chunks(m * m)) {
                    let (da, dz) = congruence_backward(bias_sqrt, z, dy, m);
                    d_sqrt.iter_mut().zip(&da).for_each(|(a, b)| *a += b);
                    if input {
                        grads
                            .input
                            .extend(matmul(&matmul(g_isqrt, &dz, m), g_isqrt, m));
                    }
                }
                grads.bias = matfn_backward(bias_eigh, MatFn::Sqrt, &d_sqrt);
            }
            Tape::Bw(t) => bw_backward(t, m, d_out, input, &mut grads),
        }
        grads
    }

    /// One update: the SPD parameters by the official `SPDOptim` rule (Riemannian gradient
    /// `P sym(∇) P`, then the BW exponential for the BW layer; the AIRM exponential for AIRM-RBN,
    /// as Brooks et al.), the shift by Adam.
    pub fn step(&mut self, grads: &Grads) -> Result<(), String> {
        let (m, lr) = (self.m, self.lr);
        let riemannian = |p: &[f64], g: &[f64]| -> Vec<f64> {
            let xi = matmul(&matmul(p, &sym(g, m), m), p, m);
            xi.iter().map(|v| -lr * v).collect()
        };
        match self.variant {
            Variant::None => {}
            Variant::Airm => {
                self.bias = sym(
                    &airm_exp(&self.bias, &riemannian(&self.bias, &grads.bias), m),
                    m,
                );
            }
            Variant::Bw { learn_m, .. } => {
                self.bias = sym(
                    &bw_exp(&self.bias, &riemannian(&self.bias, &grads.bias), m),
                    m,
                );
                if learn_m {
                    self.metric = sym(
                        &bw_exp(&self.metric, &riemannian(&self.metric, &grads.metric), m),
                        m,
                    );
                }
                let mut s = [self.shift as f32];
                self.shift_opt.step(&mut s, &[grads.shift as f32]);
                self.shift = s[0] as f64;
            }
        }
        let finite =
            self.shift.is_finite() && self.bias.iter().chain(&self.metric).all(|v| v.is_finite());
        if finite {
            Ok(())
        } else {
            Err(format!(
                "{}: a normalisation parameter is not finite",
                self.variant.label()
            ))
        }
    }
}

/// The forward pass of the BW layer on `X̃ = M^{−1/2} X^θ M^{−1/2}` with statistics (G, v):
/// `C = (I + ½ T_{G→I}(Log_G X̃))²`, `S = (I + scale (C^{1/2} − I))²` with
/// `scale = s/√(v + eps)`, `O = Exp_B̃(T_{I→B̃}(Log_I S))` with `B̃ = M^{−1/2} B^θ M^{−1/2}`, and
/// the output `(M^{1/2} O M^{1/2})^{1/θ}`.
#[allow(clippy::too_many_arguments)]
fn bw_forward(
    norm: &Norm,
    theta: f64,
    m_eigh: Eigh,
    m_isqrt: Vec<f64>,
    x_pows: Vec<Vec<f64>>,
    x_eighs: Vec<Option<Eigh>>,
    xt: &[f64],
    g: &[f64],
    v: f64,
) -> BwTape {
    let m = norm.m;
    let id = identity(m);
    let m_sqrt = m_eigh.apply(f64::sqrt);
    let b_eigh = eigh(&norm.bias, m);
    let b_pow = if theta == 1.0 {
        norm.bias.clone()
    } else {
        b_eigh.apply(|l| l.powf(theta))
    };
    let bt = sym(&matmul(&matmul(&m_isqrt, &b_pow, m), &m_isqrt, m), m);
    let bt_eigh = eigh(&bt, m);
    let g_eigh = eigh(g, m);
    let (g_sqrt, g_isqrt) = (g_eigh.apply(f64::sqrt), g_eigh.apply(|l| 1.0 / l.sqrt()));
    let inv_sd = 1.0 / (v + BN_EPS).sqrt();
    let scale = norm.shift * inv_sd;
    let samples = x_pows
        .into_iter()
        .zip(x_eighs)
        .zip(xt.chunks(m * m))
        .map(|((x_pow, x_eigh), x)| {
            let z_eigh = eigh(&matmul(&matmul(&g_sqrt, x, m), &g_sqrt, m), m);
            let t1 = matmul(&matmul(&g_sqrt, &z_eigh.apply(f64::sqrt), m), &g_isqrt, m);
            let lg: Vec<f64> = (0..m * m)
                .map(|k| t1[k] + t1[(k % m) * m + k / m] - 2.0 * g[k])
                .collect();
            let t = pairwise(&g_eigh, Pairwise::ToIdentity, &lg);
            // C = H² and C^{1/2} = |H|, taken from H's own eigendecomposition: the same values
            // as the code's square root of H², with a bounded backward where H is singular
            // (the fold of Exp_I).
            let h: Vec<f64> = id.iter().zip(&t).map(|(a, b)| a + 0.5 * b).collect();
            let h_eigh = eigh(&h, m);
            let c_sqrt = h_eigh.apply(f64::abs);
            let k: Vec<f64> = id
                .iter()
                .zip(&c_sqrt)
                .map(|(i, c)| i + scale * (c - i))
                .collect();
            let k_eigh = eigh(&k, m);
            let u: Vec<f64> = k_eigh
                .apply(f64::abs)
                .iter()
                .zip(&id)
                .map(|(r, i)| 2.0 * r - 2.0 * i)
                .collect();
            let w = pairwise(&bt_eigh, Pairwise::FromIdentity, &u);
            let l = pairwise(&bt_eigh, Pairwise::Lyapunov, &w);
            let lbl = matmul(&matmul(&l, &bt, m), &l, m);
            let o: Vec<f64> = (0..m * m).map(|q| bt[q] + w[q] + lbl[q]).collect();
            let y_eigh =
                (theta != 1.0).then(|| eigh(&matmul(&matmul(&m_sqrt, &o, m), &m_sqrt, m), m));
            BwSample {
                x_pow,
                x_eigh,
                z_eigh,
                h_eigh,
                c_sqrt,
                k_eigh,
                u,
                w,
                l,
                o,
                y_eigh,
            }
        })
        .collect();
    BwTape {
        theta,
        m_eigh,
        m_isqrt,
        m_sqrt,
        b_eigh,
        b_pow,
        bt,
        bt_eigh,
        g_eigh,
        g_sqrt,
        g_isqrt,
        inv_sd,
        scale,
        samples,
    }
}

/// Reverse of [`bw_forward`], accumulating into `grads`.
fn bw_backward(t: &BwTape, m: usize, d_out: &[f64], input: bool, grads: &mut Grads) {
    let id = identity(m);
    let mm = |a: &[f64], b: &[f64]| matmul(a, b, m);
    let add = |acc: &mut Vec<f64>, x: &[f64]| acc.iter_mut().zip(x).for_each(|(a, b)| *a += b);
    let mut d_msqrt = vec![0.0; m * m];
    let mut d_misqrt = vec![0.0; m * m];
    let mut d_bt = vec![0.0; m * m];
    let mut d_scale = 0.0;
    for (s, dout) in t.samples.iter().zip(d_out.chunks(m * m)) {
        let dy = match &s.y_eigh {
            None => sym(dout, m),
            Some(e) => matfn_backward(e, MatFn::Pow(1.0 / t.theta), dout),
        };
        let (dms, d_o) = congruence_backward(&t.m_sqrt, &s.o, &dy, m);
        add(&mut d_msqrt, &dms);
        // O = B̃ + W + L B̃ L.
        add(&mut d_bt, &d_o);
        let mut d_w = d_o.clone();
        let (d_l, d_bt_lbl) = congruence_backward(&s.l, &t.bt, &d_o, m);
        add(&mut d_bt, &d_bt_lbl);
        let (dw_l, dbt_l) = pairwise_backward(&t.bt_eigh, Pairwise::Lyapunov, &s.w, &d_l);
        add(&mut d_w, &dw_l);
        add(&mut d_bt, &dbt_l);
        let (d_u, dbt_w) = pairwise_backward(&t.bt_eigh, Pairwise::FromIdentity, &s.u, &d_w);
        add(&mut d_bt, &dbt_w);
        // U = 2|K| − 2I.
        let d_k = matfn_backward(
            &s.k_eigh,
            MatFn::Abs,
            &d_u.iter().map(|v| 2.0 * v).collect::<Vec<_>>(),
        );
        // K = I + scale (|H| − I).
        d_scale += d_k
            .iter()
            .zip(s.c_sqrt.iter().zip(&id))
            .map(|(d, (c, i))| d * (c - i))
            .sum::<f64>();
        let d_csqrt: Vec<f64> = d_k.iter().map(|v| t.scale * v).collect();
        // H = I + T/2.
        let d_t: Vec<f64> = matfn_backward(&s.h_eigh, MatFn::Abs, &d_csqrt)
            .iter()
            .map(|v| 0.5 * v)
            .collect();
        let d_lg = pairwise(&t.g_eigh, Pairwise::ToIdentity, &sym(&d_t, m));
        // Log_G X̃ = R Z R⁻¹ + R⁻¹ Z R − 2G with R = G^{1/2}, Z = (R X̃ R)^{1/2}.
        let d_z: Vec<f64> = {
            let a = mm(&mm(&t.g_sqrt, &d_lg), &t.g_isqrt);
            let b = mm(&mm(&t.g_isqrt, &d_lg), &t.g_sqrt);
            a.iter().zip(&b).map(|(x, y)| x + y).collect()
        };
        let d_rxr = matfn_backward(&s.z_eigh, MatFn::Sqrt, &d_z);
        let d_xt = mm(&mm(&t.g_sqrt, &d_rxr), &t.g_sqrt);
        let (dmi, d_xpow) = congruence_backward(&t.m_isqrt, &s.x_pow, &d_xt, m);
        add(&mut d_misqrt, &dmi);
        if input {
            grads.input.extend(match &s.x_eigh {
                None => d_xpow,
                Some(e) => matfn_backward(e, MatFn::Pow(t.theta), &d_xpow),
            });
        }
    }
    // B̃ = M^{−1/2} B^θ M^{−1/2}.
    let (dmi, d_bpow) = congruence_backward(&t.m_isqrt, &t.b_pow, &d_bt, m);
    add(&mut d_misqrt, &dmi);
    grads.bias = if t.theta == 1.0 {
        sym(&d_bpow, m)
    } else {
        matfn_backward(&t.b_eigh, MatFn::Pow(t.theta), &d_bpow)
    };
    let mut d_m = matfn_backward(&t.m_eigh, MatFn::InvSqrt, &d_misqrt);
    add(&mut d_m, &matfn_backward(&t.m_eigh, MatFn::Sqrt, &d_msqrt));
    grads.metric = d_m;
    grads.shift = d_scale * t.inv_sd;
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
