//! The deterministic checks: G1's geometry and whole-layer gradient checks, and G2's
//! normalisation check. Each draws its own random matrices from its seed.

use super::{Geometry, Normalisation, REEIG, Training};
use crate::method::{
    Norm, Variant, bimap, bw_batch_statistics, orthonormal, reeig_logeig, reeig_logeig_backward,
    reeig_logeig_taped, simulate,
};
use harness::rng::Rng;
use kernels::spd::{
    MatFn, bw_barycenter, bw_distance2, bw_exp, bw_log, bw_metric, bw_transport_identity, eigh,
    identity, matfn, matfn_backward, sym,
};
use serde::Deserialize;

/// G2: on one batch at condition number κ, the BW distance from the identity (the target, B = I)
/// of the BW mean of the outputs, relative to that of the inputs; with the batch mean converged
/// (`iters` ≥ 20) or as the official code computes it (1 iteration). Also the dispersion about the
/// identity (what the code uses) and about the batch mean.
pub fn normalisation_check(kappa: f64, plan: &Training, iters: usize, seed: u64) -> Normalisation {
    let mut rng = Rng::new(seed);
    let (xs, _) = simulate(
        plan.n,
        plan.classes,
        plan.batch / plan.classes,
        kappa,
        &mut rng,
    );
    let w = orthonormal(plan.n, plan.m, &mut rng);
    let b = bimap(&xs, plan.n, &w, plan.m);
    let m = plan.m;
    let id = identity(m);
    let (g, v) = bw_batch_statistics(&b, m, iters, 1.0);
    let mut norm = Norm::new(
        Variant::Bw {
            theta: 1.0,
            learn_m: false,
        },
        m,
        0.0,
    );
    norm.bias = id.clone();
    norm.mean_iters = iters;
    let out = norm.forward(&b, true);
    let mean_of = |x: &[f64]| bw_barycenter(x, m, None, 50, 1e-10).0;
    let d_in = bw_distance2(&mean_of(&b), &id, m).sqrt();
    let d_out = bw_distance2(&mean_of(&out), &id, m).sqrt();
    let count = b.len() / (m * m);
    let about_mean = b.chunks(m * m).map(|x| bw_distance2(x, &g, m)).sum::<f64>() / count as f64;
    Normalisation {
        ratio: d_out / d_in,
        about_identity: v,
        about_mean,
    }
}

/// A random SPD matrix with eigenvalues log-uniform in [1, cond].
fn random_spd(m: usize, cond: f64, rng: &mut Rng) -> Vec<f64> {
    let q = orthonormal(m, m, rng);
    let d: Vec<f64> = (0..m).map(|_| cond.powf(rng.uniform())).collect();
    (0..m * m)
        .map(|k| {
            (0..m)
                .map(|l| q[(k / m) * m + l] * d[l] * q[(k % m) * m + l])
                .sum()
        })
        .collect()
}

fn random_sym(m: usize, rng: &mut Rng) -> Vec<f64> {
    let a: Vec<f64> = (0..m * m).map(|_| rng.normal()).collect();
    (0..m * m)
        .map(|k| 0.5 * (a[k] + a[(k % m) * m + k / m]))
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn along(p: &[f64], d: &[f64], s: f64) -> Vec<f64> {
    p.iter().zip(d).map(|(a, b)| a + s * b).collect()
}

/// The whole layer's hand-written backward (through ReEig/LogEig, both transports, the Lyapunov
/// solve, the exponential, the matrix powers and the congruences by M^{±1/2}) against central
/// differences, for every learned parameter (AIRM-RBN's bias; B, M and s of GBW-RBN at θ = 1
/// and 0.5), with the statistics held fixed (evaluation mode, as the training backward holds
/// them): the largest relative error of a directional derivative.
pub fn layer_gradient_check(seed: u64) -> f64 {
    let (m, count) = (4, 3);
    let mut rng = Rng::new(seed);
    let (xs, _) = simulate(m, count, 1, 50.0, &mut rng);
    let dfeat: Vec<f64> = (0..count * m * (m + 1) / 2).map(|_| rng.normal()).collect();
    let g = random_spd(m, 20.0, &mut rng);
    let (metric, bias) = (random_spd(m, 3.0, &mut rng), random_spd(m, 5.0, &mut rng));
    let (dir_m, dir_b) = (random_sym(m, &mut rng), random_sym(m, &mut rng));
    let dir_x: Vec<f64> = (0..count).flat_map(|_| random_sym(m, &mut rng)).collect();
    let point = LayerPoint {
        m,
        xs: &xs,
        dfeat: &dfeat,
        g: &g,
        metric: &metric,
        bias: &bias,
    };
    let mut worst: f64 = 0.0;
    for variant in [
        Variant::Airm,
        Variant::Bw {
            theta: 1.0,
            learn_m: true,
        },
        Variant::Bw {
            theta: 0.5,
            learn_m: true,
        },
    ] {
        worst = worst.max(point.worst_error(variant, &dir_m, &dir_b, &dir_x));
    }
    worst
}

/// Where [`layer_gradient_check`] differentiates the layer: its input, the upstream gradient of
/// the features, the running mean and the parameters M and B (shift 0.7).
struct LayerPoint<'a> {
    m: usize,
    xs: &'a [f64],
    dfeat: &'a [f64],
    g: &'a [f64],
    metric: &'a [f64],
    bias: &'a [f64],
}

impl LayerPoint<'_> {
    const SHIFT: f64 = 0.7;

    fn layer(&self, variant: Variant, metric: &[f64], bias: &[f64], shift: f64) -> Norm {
        let mut norm = Norm::new(variant, self.m, 0.0);
        norm.running_mean = self.g.to_vec();
        norm.running_var = 40.0;
        norm.metric = metric.to_vec();
        norm.bias = bias.to_vec();
        norm.shift = shift;
        norm
    }

    /// ⟨features of the layer's output, dfeat⟩ at the given input and parameters.
    fn loss(&self, variant: Variant, xs: &[f64], metric: &[f64], bias: &[f64], shift: f64) -> f64 {
        let out = self.layer(variant, metric, bias, shift).forward(xs, false);
        dot(&reeig_logeig(&out, self.m, REEIG), self.dfeat)
    }

    /// The largest relative error of the directional derivatives of one variant (bias and input;
    /// M and s too for the BW layers).
    fn worst_error(&self, variant: Variant, dir_m: &[f64], dir_b: &[f64], dir_x: &[f64]) -> f64 {
        let (xs, metric, bias, s) = (self.xs, self.metric, self.bias, Self::SHIFT);
        let loss = |xs: &[f64], metric: &[f64], bias: &[f64], shift: f64| {
            self.loss(variant, xs, metric, bias, shift)
        };
        let mut norm = self.layer(variant, metric, bias, s);
        let (_, eighs) = reeig_logeig_taped(&norm.forward(xs, false), self.m, REEIG);
        let grads = norm.backward(&reeig_logeig_backward(&eighs, self.dfeat, REEIG), true);
        let h = 1e-6;
        let rel = |an: f64, fd: f64| (an - fd).abs() / an.abs().max(1.0);
        let mut worst: f64 = 0.0;
        let fd_b = (loss(xs, metric, &along(bias, dir_b, h), s)
            - loss(xs, metric, &along(bias, dir_b, -h), s))
            / (2.0 * h);
        worst = worst.max(rel(dot(&grads.bias, dir_b), fd_b));
        let fd_x = (loss(&along(xs, dir_x, h), metric, bias, s)
            - loss(&along(xs, dir_x, -h), metric, bias, s))
            / (2.0 * h);
        worst = worst.max(rel(dot(&grads.input, dir_x), fd_x));
        if variant == Variant::Airm {
            return worst;
        }
        let fd_m = (loss(xs, &along(metric, dir_m, h), bias, s)
            - loss(xs, &along(metric, dir_m, -h), bias, s))
            / (2.0 * h);
        worst = worst.max(rel(dot(&grads.metric, dir_m), fd_m));
        let fd_s = (loss(xs, metric, bias, s + h) - loss(xs, metric, bias, s - h)) / (2.0 * h);
        worst.max(rel(grads.shift, fd_s))
    }
}

/// The kernels' pyRiemann fixture, as far as G1 reads it.
#[derive(Deserialize)]
struct PyriemannFixture {
    cases: Vec<PyriemannCase>,
}

#[derive(Deserialize)]
struct PyriemannCase {
    n: usize,
    xs: Vec<f64>,
    bw_mean_1: Vec<f64>,
}

/// G1's deterministic checks on random SPD matrices: the isometry of T_{P→I}, Exp_P ∘ Log_P,
/// the Daleckii–Krein backward against central differences (sqrt, inverse sqrt, power 0.5, log),
/// and one barycenter iteration against pyRiemann's `mean_wasserstein(maxiter=1)` (the kernels
/// fixture).
pub fn geometry_checks(seed: u64) -> Geometry {
    let mut rng = Rng::new(seed);
    let n = 6;
    let (p, x) = (random_spd(n, 1e3, &mut rng), random_spd(n, 1e3, &mut rng));
    let v = sym(&random_spd(n, 10.0, &mut rng), n);
    let tv = bw_transport_identity(&p, &v, n, true);
    let isometry = (bw_metric(&p, &v, &v, n) - bw_metric(&identity(n), &tv, &tv, n)).abs()
        / bw_metric(&p, &v, &v, n);
    let back = bw_exp(&p, &bw_log(&p, &x, n), n);
    let scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let exp_log = back
        .iter()
        .zip(&x)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
        / scale;
    Geometry {
        isometry,
        exp_log,
        dk: daleckii_krein_check(n, &mut rng),
        barycenter: barycenter_check(),
    }
}

/// The Daleckii–Krein backward of sqrt, inverse sqrt, power 0.5 and log against central
/// differences on a random SPD matrix: the largest relative error.
fn daleckii_krein_check(n: usize, rng: &mut Rng) -> f64 {
    let a = random_spd(n, 30.0, rng);
    let dy = sym(&random_spd(n, 3.0, rng), n);
    let dir = sym(
        &random_spd(n, 2.0, rng)
            .iter()
            .map(|v| v - 1.0)
            .collect::<Vec<_>>(),
        n,
    );
    let mut dk: f64 = 0.0;
    for f in [MatFn::Sqrt, MatFn::InvSqrt, MatFn::Pow(0.5), MatFn::Log] {
        let an: f64 = dot(&matfn_backward(&eigh(&a, n), f, &dy), &dir);
        let h = 1e-6;
        let at = |s: f64| -> f64 { dot(&matfn(&along(&a, &dir, s), n, f), &dy) };
        dk = dk.max(((at(h) - at(-h)) / (2.0 * h) - an).abs() / an.abs().max(1e-12));
    }
    dk
}

/// One BW barycenter iteration against pyRiemann's `mean_wasserstein(maxiter=1)`: the largest
/// error relative to the largest entry of each case.
fn barycenter_check() -> f64 {
    let fx: PyriemannFixture =
        serde_json::from_str(kernels::golden::SPD_PYRIEMANN_JSON).expect("fixture");
    let mut bary: f64 = 0.0;
    for c in &fx.cases {
        let got = bw_barycenter(&c.xs, c.n, None, 1, 0.0).0;
        let s = c.bw_mean_1.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        bary = got
            .iter()
            .zip(&c.bw_mean_1)
            .map(|(a, b)| (a - b).abs() / s)
            .fold(bary, f64::max);
    }
    bary
}
