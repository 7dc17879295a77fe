//! One digits run: the backbone and head trained on digits 0–4, then accuracy, class
//! separation and a linear probe on digits 5–9.

use super::{NetPlan, NetRun};
use crate::method::{FEAT, Head, Model, class_separation};
use harness::rng::Rng;
use kernels::data::{Dataset, digits};
use kernels::nn::{Mlp, train::fit};
use kernels::optim::{Adam, GrassmannSgd, Layout, Optimizer, QrSign, Sgd};

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
    let Trained { p, flips, steps } = train_net(&model, &train, qr, plan, &mut rng)?;
    let accuracy = model.accuracy(&p, &test.x, &test.y);
    let separation = class_separation(&model.features(&p, &test.x, test.len()), &test.y, FEAT);
    let probe = linear_probe(&model, &p, &target, plan, &mut rng)?;
    Ok(NetRun {
        accuracy,
        separation,
        probe,
        flips_per_100: flips as f64 * 100.0 / steps as f64,
    })
}

/// A trained network: its parameters, the Grassmann optimizer's sign flips (0 for the softmax
/// head) and the number of steps taken.
struct Trained {
    p: Vec<f32>,
    flips: usize,
    steps: usize,
}

/// The backbone and the head are optimised separately (the head's tensors follow the
/// backbone's in the layout): SGD on the backbone, SGD or Grassmann RSGD on the head.
struct Optimizers {
    /// Where the head's tensors start in the flat buffer.
    split_at: usize,
    backbone: Sgd,
    softmax_head: Option<Sgd>,
    grassmann_head: Option<GrassmannSgd>,
}

impl Optimizers {
    fn new(model: &Model, qr: QrSign, plan: &NetPlan) -> Self {
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
        let backbone = sgd(sub(&["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]));
        let mut softmax_head = None;
        let mut grassmann_head = None;
        match model.head {
            Head::Softmax => softmax_head = Some(sgd(sub(&["head.weight", "head.bias"]))),
            Head::Gcr { k } => {
                grassmann_head =
                    Some(GrassmannSgd::new(sub(&["head.weight"]), plan.grassmann_lr, k).qr(qr))
            }
        }
        Optimizers {
            split_at,
            backbone,
            softmax_head,
            grassmann_head,
        }
    }

    fn step(&mut self, p: &mut [f32], grad: &[f32]) {
        let (pb, ph) = p.split_at_mut(self.split_at);
        let (gb, gh) = grad.split_at(self.split_at);
        self.backbone.step(pb, gb);
        if let Some(o) = self.softmax_head.as_mut() {
            o.step(ph, gh);
        }
        if let Some(o) = self.grassmann_head.as_mut() {
            o.step(ph, gh);
        }
    }

    fn flips(&self) -> usize {
        self.grassmann_head.as_ref().map_or(0, |o| o.flips())
    }
}

/// Trains `model` from its initialisation on `train`.
fn train_net(
    model: &Model,
    train: &Dataset,
    qr: QrSign,
    plan: &NetPlan,
    rng: &mut Rng,
) -> Result<Trained, String> {
    let mut p = model.init(rng);
    let mut opt = Optimizers::new(model, qr, plan);
    let mut grad = vec![0.0; p.len()];
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut steps = 0usize;
    for epoch in 0..plan.epochs {
        rng.shuffle(&mut order);
        for b in order.chunks_exact(plan.batch) {
            let batch = train.rows(b);
            let (loss, _) = model.loss_grad(&p, &batch.x, &batch.y, &mut grad);
            if !loss.is_finite() {
                return Err(format!(
                    "{} diverged in epoch {}",
                    model.head.label(),
                    epoch + 1
                ));
            }
            opt.step(&mut p, &grad);
            steps += 1;
        }
    }
    Ok(Trained {
        p,
        flips: opt.flips(),
        steps,
    })
}

/// The linear probe on frozen features of digits 5–9: its final test accuracy.
fn linear_probe(
    model: &Model,
    p: &[f32],
    target: &Dataset,
    plan: &NetPlan,
    rng: &mut Rng,
) -> Result<f64, String> {
    let feats = Dataset {
        x: model.features(p, &target.x, target.len()),
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
    Ok(epochs.last().unwrap().test_accuracy)
}
