//! The SPDNet runs (BiMap frozen at its random orthonormal initialisation, as in the official
//! SPDNet/MAMEM experiment; a normalisation; ReEig; LogEig; a trained linear classifier) and the
//! normalisation check of claim G2.

use crate::method::{
    Design, Norm, Variant, bimap, bimap_backward, bw_batch_statistics, orthonormal, reeig_logeig,
    reeig_logeig_backward, reeig_logeig_taped, simulate, simulate_design, stiefel_step,
};
use harness::rng::Rng;
use kernels::nn::Mlp;
use kernels::optim::{Adam, Optimizer};
use kernels::spd::{airm_distance, bw_barycenter, bw_distance2, identity};

/// ReEig's threshold.
const REEIG: f64 = 1e-4;

/// Sizes and training length, fixed before running.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub n: usize,
    pub m: usize,
    pub classes: usize,
    pub train_per_class: usize,
    pub test_per_class: usize,
    pub epochs: usize,
    pub batch: usize,
    pub lr: f32,
}

/// Final-epoch mean training loss and test accuracy of one variant at condition number κ.
/// A run whose loss or normalisation parameters stop being finite ends there and counts as a
/// uniform predictor (chance accuracy, loss ln(classes)), with the reason in `diverged`.
#[derive(Clone, Debug)]
pub struct Run {
    pub train_loss: f64,
    pub accuracy: f64,
    pub diverged: Option<String>,
    /// The learned parameters at the end: shift s, and the AIRM distances from I of M and B.
    pub shift: f64,
    pub metric_distance: f64,
    pub bias_distance: f64,
}

/// Covariances of `n + 10` draws in the shared design (noisier than the card's `2n`).
pub fn draws(design: Design, n: usize) -> usize {
    match design {
        Design::Separate => 2 * n,
        Design::Shared => n + 10,
    }
}

/// One training run. With `train_bimap` BiMap is trained too (the official Stiefel step, as the
/// paper presumably intends; the official SPDNet code leaves it frozen).
pub fn run(
    variant: Variant,
    kappa: f64,
    design: Design,
    plan: &Plan,
    train_bimap: bool,
    seed: u64,
) -> Run {
    let mut rng = Rng::new(seed);
    let t = draws(design, plan.n);
    let (xtr, ytr) = simulate_design(
        plan.n,
        plan.classes,
        plan.train_per_class,
        kappa,
        design,
        t,
        &mut rng,
    );
    let (xte, yte) = {
        // The same seed draws the same class means and, sample for sample, the same training
        // set as its prefix; the samples after it are the test set.
        let mut r2 = Rng::new(seed);
        let (all, labels) = simulate_design(
            plan.n,
            plan.classes,
            plan.train_per_class + plan.test_per_class,
            kappa,
            design,
            t,
            &mut r2,
        );
        let skip = plan.train_per_class * plan.classes * plan.n * plan.n;
        (
            all[skip..].to_vec(),
            labels[plan.train_per_class * plan.classes..].to_vec(),
        )
    };
    let mut w = orthonormal(plan.n, plan.m, &mut rng);
    let btr = bimap(&xtr, plan.n, &w, plan.m);
    let mut norm = Norm::new(variant, plan.m, plan.lr as f64);
    let feat = plan.m * (plan.m + 1) / 2;
    let clf = Mlp::new(&[feat, plan.classes], false);
    let mut p = clf.init(&mut || rng.uniform());
    let mut stats = clf.bn_stats();
    let mut opt = Adam::new(clf.layout().clone(), plan.lr);
    let mut grad = vec![0.0; p.len()];
    let (m2, n2) = (plan.m * plan.m, plan.n * plan.n);
    let mut order: Vec<usize> = (0..ytr.len()).collect();
    let mut last_loss = f64::NAN;
    for epoch in 0..plan.epochs {
        rng.shuffle(&mut order);
        let (mut total, mut batches) = (0.0, 0);
        for idx in order.chunks_exact(plan.batch) {
            let raw: Vec<f64> = if train_bimap {
                idx.iter()
                    .flat_map(|&i| xtr[i * n2..(i + 1) * n2].iter().copied())
                    .collect()
            } else {
                Vec::new()
            };
            let xb: Vec<f64> = if train_bimap {
                bimap(&raw, plan.n, &w, plan.m)
            } else {
                idx.iter()
                    .flat_map(|&i| btr[i * m2..(i + 1) * m2].iter().copied())
                    .collect()
            };
            let yb: Vec<usize> = idx.iter().map(|&i| ytr[i]).collect();
            let (f, eighs) = reeig_logeig_taped(&norm.forward(&xb, true), plan.m, REEIG);
            let f: Vec<f32> = f.iter().map(|&v| v as f32).collect();
            let (loss, dx) = clf.loss_grad_input(&p, &mut stats, &f, &yb, &mut grad);
            let diverged = |why: &str| {
                format!(
                    "{} at κ = {kappa:e} ({design:?} design, seed {seed}) diverged in epoch {}: {why}",
                    variant.label(),
                    epoch + 1
                )
            };
            let uniform = |why: String| Run {
                train_loss: (plan.classes as f64).ln(),
                accuracy: 1.0 / plan.classes as f64,
                diverged: Some(why),
                shift: f64::NAN,
                metric_distance: f64::NAN,
                bias_distance: f64::NAN,
            };
            if !loss.is_finite() {
                return uniform(diverged("the loss is not finite"));
            }
            if variant != Variant::None || train_bimap {
                let dx: Vec<f64> = dx.iter().map(|&v| v as f64).collect();
                let grads = norm.backward(&reeig_logeig_backward(&eighs, &dx, REEIG), train_bimap);
                if let Err(e) = norm.step(&grads) {
                    return uniform(diverged(&e));
                }
                if train_bimap {
                    let dw = bimap_backward(&raw, plan.n, &w, plan.m, &grads.input);
                    w = stiefel_step(&w, &dw, plan.n, plan.m, plan.lr as f64);
                    if w.iter().any(|v| !v.is_finite()) {
                        return uniform(diverged("BiMap's weight is not finite"));
                    }
                }
            }
            opt.step(&mut p, &grad);
            total += loss;
            batches += 1;
        }
        last_loss = total / batches as f64;
    }
    let bte = bimap(&xte, plan.n, &w, plan.m);
    let f: Vec<f32> = reeig_logeig(&norm.forward(&bte, false), plan.m, REEIG)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let (_, accuracy) = clf.evaluate(&p, &stats, &f, &yte);
    Run {
        train_loss: last_loss,
        accuracy,
        diverged: None,
        shift: norm.shift,
        metric_distance: airm_distance(&identity(plan.m), &norm.metric, plan.m),
        bias_distance: airm_distance(&identity(plan.m), &norm.bias, plan.m),
    }
}

/// G2: on one batch at condition number κ, the BW distance from the identity (the target, B = I)
/// of the BW mean of the outputs, relative to that of the inputs; with the batch mean converged
/// (`iters` ≥ 20) or as the official code computes it (1 iteration). Also the dispersion about the
/// identity (what the code uses) and about the batch mean.
pub fn normalisation_check(kappa: f64, plan: &Plan, iters: usize, seed: u64) -> (f64, f64, f64) {
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
    (d_out / d_in, v, about_mean)
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
    let dot = |a: &[f64], b: &[f64]| -> f64 { a.iter().zip(b).map(|(x, y)| x * y).sum() };
    let along = |p: &[f64], d: &[f64], s: f64| -> Vec<f64> {
        p.iter().zip(d).map(|(a, b)| a + s * b).collect()
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
        let layer = |metric: &[f64], bias: &[f64], shift: f64| {
            let mut norm = Norm::new(variant, m, 0.0);
            norm.running_mean = g.clone();
            norm.running_var = 40.0;
            norm.metric = metric.to_vec();
            norm.bias = bias.to_vec();
            norm.shift = shift;
            norm
        };
        let loss = |metric: &[f64], bias: &[f64], shift: f64| -> f64 {
            let out = layer(metric, bias, shift).forward(&xs, false);
            dot(&reeig_logeig(&out, m, REEIG), &dfeat)
        };
        let mut norm = layer(&metric, &bias, 0.7);
        let (_, eighs) = reeig_logeig_taped(&norm.forward(&xs, false), m, REEIG);
        let grads = norm.backward(&reeig_logeig_backward(&eighs, &dfeat, REEIG), true);
        let h = 1e-6;
        let rel = |an: f64, fd: f64| (an - fd).abs() / an.abs().max(1.0);
        let fd_b = (loss(&metric, &along(&bias, &dir_b, h), 0.7)
            - loss(&metric, &along(&bias, &dir_b, -h), 0.7))
            / (2.0 * h);
        worst = worst.max(rel(dot(&grads.bias, &dir_b), fd_b));
        let of_input = |xs: &[f64]| -> f64 {
            let out = layer(&metric, &bias, 0.7).forward(xs, false);
            dot(&reeig_logeig(&out, m, REEIG), &dfeat)
        };
        let fd_x =
            (of_input(&along(&xs, &dir_x, h)) - of_input(&along(&xs, &dir_x, -h))) / (2.0 * h);
        worst = worst.max(rel(dot(&grads.input, &dir_x), fd_x));
        if variant == Variant::Airm {
            continue;
        }
        let fd_m = (loss(&along(&metric, &dir_m, h), &bias, 0.7)
            - loss(&along(&metric, &dir_m, -h), &bias, 0.7))
            / (2.0 * h);
        worst = worst.max(rel(dot(&grads.metric, &dir_m), fd_m));
        let fd_s = (loss(&metric, &bias, 0.7 + h) - loss(&metric, &bias, 0.7 - h)) / (2.0 * h);
        worst = worst.max(rel(grads.shift, fd_s));
    }
    worst
}
