//! The SPDNet runs (BiMap frozen at its random orthonormal initialisation, as in the official
//! SPDNet/MAMEM experiment; a normalisation; ReEig; LogEig; a trained linear classifier) and the
//! normalisation check of claim G2.

use crate::method::{
    Design, Norm, Variant, bimap, bw_batch_statistics, bw_normalize, orthonormal, reeig_logeig,
    simulate, simulate_design,
};
use harness::rng::Rng;
use kernels::nn::Mlp;
use kernels::optim::{Adam, Optimizer};
use kernels::spd::{bw_barycenter, bw_distance2, identity};

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
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub train_loss: f64,
    pub accuracy: f64,
}

/// Covariances of `n + 10` draws in the shared design (noisier than the card's `2n`).
pub fn draws(design: Design, n: usize) -> usize {
    match design {
        Design::Separate => 2 * n,
        Design::Shared => n + 10,
    }
}

pub fn run(
    variant: Variant,
    kappa: f64,
    design: Design,
    plan: &Plan,
    seed: u64,
) -> Result<Run, String> {
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
    let w = orthonormal(plan.n, plan.m, &mut rng);
    let (btr, bte) = (
        bimap(&xtr, plan.n, &w, plan.m),
        bimap(&xte, plan.n, &w, plan.m),
    );
    let mut norm = Norm::new(variant, plan.m);
    let feat = plan.m * (plan.m + 1) / 2;
    let clf = Mlp::new(&[feat, plan.classes], false);
    let mut p = clf.init(&mut || rng.uniform());
    let mut stats = clf.bn_stats();
    let mut opt = Adam::new(clf.layout().clone(), plan.lr);
    let mut grad = vec![0.0; p.len()];
    let m2 = plan.m * plan.m;
    let mut order: Vec<usize> = (0..ytr.len()).collect();
    let mut last_loss = f64::NAN;
    for epoch in 0..plan.epochs {
        rng.shuffle(&mut order);
        let (mut total, mut batches) = (0.0, 0);
        for idx in order.chunks_exact(plan.batch) {
            let xb: Vec<f64> = idx
                .iter()
                .flat_map(|&i| btr[i * m2..(i + 1) * m2].iter().copied())
                .collect();
            let yb: Vec<usize> = idx.iter().map(|&i| ytr[i]).collect();
            let f: Vec<f32> = reeig_logeig(&norm.forward(&xb, true), plan.m, 1e-4)
                .iter()
                .map(|&v| v as f32)
                .collect();
            let loss = clf.loss_grad(&p, &mut stats, &f, &yb, &mut grad);
            if !loss.is_finite() {
                return Err(format!(
                    "{} at κ = {kappa:e} diverged in epoch {}",
                    variant.label(),
                    epoch + 1
                ));
            }
            opt.step(&mut p, &grad);
            total += loss;
            batches += 1;
        }
        last_loss = total / batches as f64;
    }
    let f: Vec<f32> = reeig_logeig(&norm.forward(&bte, false), plan.m, 1e-4)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let (_, accuracy) = clf.evaluate(&p, &stats, &f, &yte);
    Ok(Run {
        train_loss: last_loss,
        accuracy,
    })
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
    let out = bw_normalize(&b, m, &g, v, 1.0);
    let mean_of = |x: &[f64]| bw_barycenter(x, m, None, 50, 1e-10).0;
    let d_in = bw_distance2(&mean_of(&b), &id, m).sqrt();
    let d_out = bw_distance2(&mean_of(&out), &id, m).sqrt();
    let count = b.len() / (m * m);
    let about_mean = b.chunks(m * m).map(|x| bw_distance2(x, &g, m)).sum::<f64>() / count as f64;
    (d_out / d_in, v, about_mean)
}
