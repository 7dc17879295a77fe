//! What the GCR reproduction runs: subspace recovery by the Grassmann optimizer (C1), and the
//! digits network with each head, its feature variability (C2), transfer by linear probe (C3),
//! in-distribution accuracy (C4) and the QR sign question (C5).

use crate::method::{FEAT, Head, Model, class_separation};
use harness::rng::Rng;
use kernels::data::{Dataset, digits};
use kernels::nn::{Mlp, train::fit};
use kernels::optim::{Adam, GrassmannSgd, Layout, Optimizer, QrSign, Sgd};
use kernels::spd::eigh;

/// C1: minimise f(Y) = −‖AᵀY‖²_F over Gr(k, d) from a random start; returns the largest principal
/// angle (radians, via its sine) to the top-k left singular subspace of A after each of `steps`.
pub fn subspace_recovery(
    d: usize,
    n: usize,
    k: usize,
    steps: usize,
    lr: f32,
    seed: u64,
) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let a: Vec<f64> = (0..d * n).map(|_| rng.normal()).collect();
    // A Aᵀ (d × d) and its top-k eigenvectors.
    let aat: Vec<f64> = (0..d * d)
        .map(|ij| {
            (0..n)
                .map(|l| a[(ij / d) * n + l] * a[(ij % d) * n + l])
                .sum()
        })
        .collect();
    let e = eigh(&aat, d);
    let top: Vec<Vec<f64>> = (d - k..d)
        .map(|c| (0..d).map(|r| e.vectors[r * d + c]).collect())
        .collect();
    let scale = e.values[d - 1];
    let layout = Layout::new(&[("y", &[k, d])]);
    let mut opt = GrassmannSgd::new(layout, lr, k).qr(QrSign::Positive);
    let mut yt: Vec<f64> = (0..k * d).map(|_| rng.normal()).collect();
    kernels::optim::reorthonormalise(&mut yt, k, d, QrSign::Positive);
    let mut p: Vec<f32> = yt.iter().map(|&v| v as f32).collect();
    let mut angles = Vec::with_capacity(steps);
    for _ in 0..steps {
        // Euclidean gradient in row form: G_t = −2 Y_t A Aᵀ, scaled by the top eigenvalue.
        let g: Vec<f32> = (0..k * d)
            .map(|ij| {
                let (row, col) = (ij / d, ij % d);
                (-2.0
                    * (0..d)
                        .map(|l| p[row * d + l] as f64 * aat[l * d + col])
                        .sum::<f64>()
                    / scale) as f32
            })
            .collect();
        opt.step(&mut p, &g);
        // sin θ_max = largest singular value of (I − ŪŪᵀ) Y, from the k × k Gram matrix.
        let resid: Vec<Vec<f64>> = (0..k)
            .map(|row| {
                let y: Vec<f64> = (0..d).map(|c| p[row * d + c] as f64).collect();
                let mut r = y.clone();
                for u in &top {
                    let dot: f64 = u.iter().zip(&y).map(|(a, b)| a * b).sum();
                    r.iter_mut().zip(u).for_each(|(x, ui)| *x -= dot * ui);
                }
                r
            })
            .collect();
        let gram: Vec<f64> = (0..k * k)
            .map(|ab| {
                resid[ab / k]
                    .iter()
                    .zip(&resid[ab % k])
                    .map(|(a, b)| a * b)
                    .sum()
            })
            .collect();
        let s = eigh(&gram, k).values[k - 1].max(0.0).sqrt();
        angles.push(s.min(1.0).asin());
    }
    angles
}

/// Settings of the digits runs, fixed before running.
#[derive(Clone, Copy, Debug)]
pub struct NetPlan {
    pub epochs: usize,
    pub batch: usize,
    pub lr: f32,
    pub grassmann_lr: f32,
    pub probe_epochs: usize,
}

/// One head on one seed.
#[derive(Clone, Debug)]
pub struct NetRun {
    pub accuracy: f64,
    pub separation: f64,
    pub probe: f64,
    pub flips_per_100: f64,
}

fn split(d: &Dataset, keep: impl Fn(usize) -> bool, relabel: usize) -> Dataset {
    let idx: Vec<usize> = (0..d.len()).filter(|&i| keep(d.y[i])).collect();
    let mut out = d.rows(&idx);
    out.y.iter_mut().for_each(|y| *y -= relabel);
    out.classes = 5;
    out
}

/// Test examples of the linear probe (30% of digits 5–9): one of them is the resolution of a
/// probe-accuracy difference.
pub fn probe_test_count() -> usize {
    let target = split(&digits(), |y| y >= 5, 5);
    target.len() - target.len() * 7 / 10
}

/// Trains the backbone and head on digits 0–4 (80% of them), then measures accuracy and class
/// separation on the held-out 0–4 and the linear-probe accuracy on digits 5–9 (frozen features;
/// multinomial logistic regression trained with Adam on 70%, tested on 30%).
pub fn net_run(head: Head, qr: QrSign, plan: &NetPlan, seed: u64) -> Result<NetRun, String> {
    let all = digits();
    let source = split(&all, |y| y < 5, 0);
    let target = split(&all, |y| y >= 5, 5);
    let mut rng = Rng::new(seed);
    let mut idx: Vec<usize> = (0..source.len()).collect();
    rng.shuffle(&mut idx);
    let cut = source.len() * 4 / 5;
    let (train, test) = (source.rows(&idx[..cut]), source.rows(&idx[cut..]));
    let model = Model::new(head, 5);
    let mut p = model.init(&mut rng);
    // The backbone and the head are optimised separately (the head's tensors follow the
    // backbone's in the layout): SGD on the backbone, SGD or Grassmann RSGD on the head.
    let split_at = model
        .layout()
        .slots
        .iter()
        .find(|s| s.name == "head.weight")
        .unwrap()
        .offset;
    let sub = |names: &[&str]| {
        let spec: Vec<(&str, &[usize])> = model
            .layout()
            .slots
            .iter()
            .filter(|s| names.contains(&s.name.as_str()))
            .map(|s| (s.name.as_str(), s.shape.as_slice()))
            .collect();
        Layout::new(&spec)
    };
    let sgd = |l: Layout| {
        Sgd::new(l, plan.lr)
            .momentum(0.9, 0.0, false)
            .weight_decay(5e-4)
    };
    let mut backbone = sgd(sub(&["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]));
    let mut softmax_head = None;
    let mut grassmann_head = None;
    match head {
        Head::Softmax => softmax_head = Some(sgd(sub(&["head.weight", "head.bias"]))),
        Head::Gcr { k } => {
            grassmann_head =
                Some(GrassmannSgd::new(sub(&["head.weight"]), plan.grassmann_lr, k).qr(qr))
        }
    }
    let mut grad = vec![0.0; p.len()];
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut steps = 0usize;
    for epoch in 0..plan.epochs {
        rng.shuffle(&mut order);
        for b in order.chunks_exact(plan.batch) {
            let batch = train.rows(b);
            let (loss, _) = model.loss_grad(&p, &batch.x, &batch.y, &mut grad);
            if !loss.is_finite() {
                return Err(format!("{} diverged in epoch {}", head.label(), epoch + 1));
            }
            let (pb, ph) = p.split_at_mut(split_at);
            let (gb, gh) = grad.split_at(split_at);
            backbone.step(pb, gb);
            if let Some(o) = softmax_head.as_mut() {
                o.step(ph, gh);
            }
            if let Some(o) = grassmann_head.as_mut() {
                o.step(ph, gh);
            }
            steps += 1;
        }
    }
    let flips = grassmann_head.as_ref().map_or(0, |o| o.flips());
    let accuracy = model.accuracy(&p, &test.x, &test.y);
    let separation = class_separation(&model.features(&p, &test.x, test.len()), &test.y, FEAT);
    // Linear probe on frozen features of digits 5–9.
    let feats = Dataset {
        x: model.features(&p, &target.x, target.len()),
        y: target.y.clone(),
        features: FEAT,
        classes: 5,
    };
    let mut tidx: Vec<usize> = (0..feats.len()).collect();
    rng.shuffle(&mut tidx);
    let cut = feats.len() * 7 / 10;
    let (ptrain, ptest) = (feats.rows(&tidx[..cut]), feats.rows(&tidx[cut..]));
    let probe = Mlp::new(&[FEAT, 5], false);
    let mut q = probe.init(&mut || rng.uniform());
    let mut stats = probe.bn_stats();
    let mut adam = Adam::new(probe.layout().clone(), 1e-2);
    let epochs = fit(
        &probe,
        &mut q,
        &mut stats,
        &mut adam,
        &ptrain,
        &ptest,
        plan.probe_epochs,
        32,
        &mut |o| rng.shuffle(o),
        &mut |_, _| {},
    )
    .map_err(|e| format!("linear probe diverged in epoch {e}"))?;
    Ok(NetRun {
        accuracy,
        separation,
        probe: epochs.last().unwrap().test_accuracy,
        flips_per_100: flips as f64 * 100.0 / steps as f64,
    })
}
