//! One SPDNet training run: its data, its network and its batch step.

use super::{REEIG, Run, Training};
use crate::method::{
    Design, Norm, Variant, bimap, bimap_backward, orthonormal, reeig_logeig, reeig_logeig_backward,
    reeig_logeig_taped, simulate_design, stiefel_step,
};
use harness::rng::Rng;
use kernels::nn::{BnStats, Mlp};
use kernels::optim::{Adam, Optimizer};
use kernels::spd::{airm_distance, identity};

/// Covariances of `n + 10` draws in the shared design (noisier than the card's `2n`).
pub fn draws(design: Design, n: usize) -> usize {
    match design {
        Design::Separate => 2 * n,
        Design::Shared => n + 10,
    }
}

/// The training and the test set of one run.
struct Data {
    xtr: Vec<f64>,
    ytr: Vec<usize>,
    xte: Vec<f64>,
    yte: Vec<usize>,
}

/// Draws the training set from `rng` (seeded with `seed`) and the test set from a second
/// generator with the same seed.
fn data(kappa: f64, design: Design, plan: &Training, seed: u64, rng: &mut Rng) -> Data {
    let t = draws(design, plan.n);
    let (xtr, ytr) = simulate_design(
        plan.n,
        plan.classes,
        plan.train_per_class,
        kappa,
        design,
        t,
        rng,
    );
    // The same seed draws the same class means and, sample for sample, the same training set as
    // its prefix; the samples after it are the test set.
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
    Data {
        xtr,
        ytr,
        xte: all[skip..].to_vec(),
        yte: labels[plan.train_per_class * plan.classes..].to_vec(),
    }
}

/// What one run trains: BiMap's weight (and the frozen BiMap of the training set), the
/// normalisation and the linear classifier with its optimizer.
struct Net {
    w: Vec<f64>,
    btr: Vec<f64>,
    norm: Norm,
    clf: Mlp,
    p: Vec<f32>,
    stats: BnStats,
    opt: Adam,
    grad: Vec<f32>,
}

impl Net {
    fn new(variant: Variant, xtr: &[f64], plan: &Training, rng: &mut Rng) -> Self {
        let w = orthonormal(plan.n, plan.m, rng);
        let btr = bimap(xtr, plan.n, &w, plan.m);
        let norm = Norm::new(variant, plan.m, plan.lr as f64);
        let feat = plan.m * (plan.m + 1) / 2;
        let clf = Mlp::new(&[feat, plan.classes], false);
        let p = clf.init(&mut || rng.uniform());
        let stats = clf.bn_stats();
        let opt = Adam::new(clf.layout().clone(), plan.lr);
        let grad = vec![0.0; p.len()];
        Net {
            w,
            btr,
            norm,
            clf,
            p,
            stats,
            opt,
            grad,
        }
    }

    /// One training step on the samples `idx`: the batch loss, or why the run diverged.
    fn step(
        &mut self,
        data: &Data,
        idx: &[usize],
        plan: &Training,
        train_bimap: bool,
    ) -> Result<f64, String> {
        let (m2, n2) = (plan.m * plan.m, plan.n * plan.n);
        let raw: Vec<f64> = if train_bimap {
            idx.iter()
                .flat_map(|&i| data.xtr[i * n2..(i + 1) * n2].iter().copied())
                .collect()
        } else {
            Vec::new()
        };
        let xb: Vec<f64> = if train_bimap {
            bimap(&raw, plan.n, &self.w, plan.m)
        } else {
            idx.iter()
                .flat_map(|&i| self.btr[i * m2..(i + 1) * m2].iter().copied())
                .collect()
        };
        let yb: Vec<usize> = idx.iter().map(|&i| data.ytr[i]).collect();
        let (f, eighs) = reeig_logeig_taped(&self.norm.forward(&xb, true), plan.m, REEIG);
        let f: Vec<f32> = f.iter().map(|&v| v as f32).collect();
        let (loss, dx) =
            self.clf
                .loss_grad_input(&self.p, &mut self.stats, &f, &yb, &mut self.grad);
        if !loss.is_finite() {
            return Err("the loss is not finite".into());
        }
        if self.norm.variant != Variant::None || train_bimap {
            let dx: Vec<f64> = dx.iter().map(|&v| v as f64).collect();
            let grads = self
                .norm
                .backward(&reeig_logeig_backward(&eighs, &dx, REEIG), train_bimap);
            self.norm.step(&grads)?;
            if train_bimap {
                let dw = bimap_backward(&raw, plan.n, &self.w, plan.m, &grads.input);
                self.w = stiefel_step(&self.w, &dw, plan.n, plan.m, plan.lr as f64);
                if self.w.iter().any(|v| !v.is_finite()) {
                    return Err("BiMap's weight is not finite".into());
                }
            }
        }
        self.opt.step(&mut self.p, &self.grad);
        Ok(loss)
    }
}

/// One training run. With `train_bimap` BiMap is trained too (the official Stiefel step, as the
/// paper presumably intends; the official SPDNet code leaves it frozen).
pub fn train(
    variant: Variant,
    kappa: f64,
    design: Design,
    plan: &Training,
    train_bimap: bool,
    seed: u64,
) -> Run {
    let mut rng = Rng::new(seed);
    let data = data(kappa, design, plan, seed, &mut rng);
    let mut net = Net::new(variant, &data.xtr, plan, &mut rng);
    let mut order: Vec<usize> = (0..data.ytr.len()).collect();
    let mut last_loss = f64::NAN;
    for epoch in 0..plan.epochs {
        rng.shuffle(&mut order);
        let (mut total, mut batches) = (0.0, 0);
        for idx in order.chunks_exact(plan.batch) {
            match net.step(&data, idx, plan, train_bimap) {
                Ok(loss) => {
                    total += loss;
                    batches += 1;
                }
                Err(why) => {
                    return Run {
                        train_loss: (plan.classes as f64).ln(),
                        accuracy: 1.0 / plan.classes as f64,
                        diverged: Some(format!(
                            "{} at κ = {kappa:e} ({design:?} design, seed {seed}) diverged in epoch {}: {why}",
                            variant.label(),
                            epoch + 1
                        )),
                        shift: f64::NAN,
                        metric_distance: f64::NAN,
                        bias_distance: f64::NAN,
                    };
                }
            }
        }
        last_loss = total / batches as f64;
    }
    let bte = bimap(&data.xte, plan.n, &net.w, plan.m);
    let f: Vec<f32> = reeig_logeig(&net.norm.forward(&bte, false), plan.m, REEIG)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let (_, accuracy) = net.clf.evaluate(&net.p, &net.stats, &f, &data.yte);
    Run {
        train_loss: last_loss,
        accuracy,
        diverged: None,
        shift: net.norm.shift,
        metric_distance: airm_distance(&identity(plan.m), &net.norm.metric, plan.m),
        bias_distance: airm_distance(&identity(plan.m), &net.norm.bias, plan.m),
    }
}
