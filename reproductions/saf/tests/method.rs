//! The SAF miniature's pieces, each against something independent of it: λ = 0 against SGD bit
//! for bit, the pass counter against each arm's loop, the dense Hessian against finite
//! differences of a separately written gradient, the label noise against its rate, and a
//! diverging step against the weights it must leave alone.

use harness::Scale;
use harness::rng::Rng;
use kernels::data::Dataset;
use saf::experiment::softmax_hessian;
use saf::method::{Arm, CLASSES, DIM, Passes, Trainer, clusters};

const H: usize = 16;

fn data() -> Dataset {
    let plan = saf::plan(Scale::Ci);
    clusters(&mut Rng::new(3), 200, 10, plan.spread, plan.noise).0
}

/// Runs `epochs` epochs of fixed batches of 20 and returns the trainer.
fn trained(arm: Arm, lambda: Option<f64>, epochs: usize) -> Trainer<H> {
    let mut s = saf::plan(Scale::Ci).settings;
    s.start_epoch = 1;
    s.lag = 1;
    if let Some(l) = lambda {
        s.saf_lambda = l;
        s.mesa_lambda = l;
    }
    let tr = data();
    let mut t = Trainer::<H>::new(arm, s, 5, tr.len());
    for e in 0..epochs {
        for b in 0..tr.len() / 20 {
            let idx: Vec<usize> = (b * 20..(b + 1) * 20).collect();
            t.step(&tr, &idx, e).expect("finite");
        }
    }
    t
}

#[test]
fn saf_and_mesa_with_lambda_zero_are_sgd_bit_for_bit() {
    let sgd = trained(Arm::Sgd, None, 5).weights();
    for arm in [Arm::Saf, Arm::Mesa] {
        let w = trained(arm, Some(0.0), 5).weights();
        assert!(
            sgd.iter().zip(&w).all(|(a, b)| a.to_bits() == b.to_bits()),
            "{arm:?}"
        );
        // The control: with λ on, the same run moves away from SGD's.
        let on = trained(arm, None, 5).weights();
        let gap = sgd
            .iter()
            .zip(&on)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            gap > 1e-4,
            "{arm:?}: λ > 0 left the weights at SGD's ({gap})"
        );
    }
}

#[test]
fn each_arm_makes_the_passes_its_loop_says() {
    // Two epochs; the term is on from epoch 2 (start_epoch = 1), so count one step there.
    let per_step = |arm: Arm| {
        let before = trained(arm, None, 2).passes;
        let after = trained(arm, None, 3).passes;
        let steps = 200 / 20;
        Passes {
            forward: (after.forward - before.forward) / steps,
            backward: (after.backward - before.backward) / steps,
        }
    };
    let p = |forward, backward| Passes { forward, backward };
    assert_eq!(per_step(Arm::Sgd), p(1, 1));
    assert_eq!(per_step(Arm::Saf), p(1, 1));
    assert_eq!(per_step(Arm::Sam), p(2, 2));
    assert_eq!(per_step(Arm::Mesa), p(2, 1));
}

/// Softmax regression's mean cross-entropy gradient, written out independently: weight C × D
/// row-major, then the bias.
fn softmax_gradient(tr: &Dataset, w: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; w.len()];
    for r in 0..tr.len() {
        let x = &tr.x[r * DIM..(r + 1) * DIM];
        let z: Vec<f64> = (0..CLASSES)
            .map(|c| {
                w[CLASSES * DIM + c]
                    + (0..DIM)
                        .map(|j| w[c * DIM + j] * f64::from(x[j]))
                        .sum::<f64>()
            })
            .collect();
        let s: f64 = z.iter().map(|v| v.exp()).sum();
        for c in 0..CLASSES {
            let d = z[c].exp() / s - if c == tr.y[r] { 1.0 } else { 0.0 };
            for j in 0..DIM {
                g[c * DIM + j] += d * f64::from(x[j]) / tr.len() as f64;
            }
            g[CLASSES * DIM + c] += d / tr.len() as f64;
        }
    }
    g
}

#[test]
fn the_dense_softmax_hessian_matches_finite_differences_of_its_gradient() {
    let tr = data();
    let n = CLASSES * DIM + CLASSES;
    let mut rng = Rng::new(9);
    let w: Vec<f32> = (0..n).map(|_| (0.1 * rng.normal()) as f32).collect();
    let h = softmax_hessian(&tr, &w);
    let w64: Vec<f64> = w.iter().map(|&v| f64::from(v)).collect();
    for col in [0, 7, DIM + 3, CLASSES * DIM - 1, CLASSES * DIM, n - 1] {
        let eps = 1e-5;
        let shifted = |s: f64| {
            let mut v = w64.clone();
            v[col] += s;
            softmax_gradient(&tr, &v)
        };
        let (up, down) = (shifted(eps), shifted(-eps));
        for row in 0..n {
            let fd = (up[row] - down[row]) / (2.0 * eps);
            let exact = h[row * n + col];
            assert!(
                (fd - exact).abs() < 1e-6,
                "H[{row},{col}] = {exact}, FD {fd}"
            );
        }
    }
}

#[test]
fn label_noise_flips_the_stated_fraction_of_training_labels_only() {
    let (tr, te) = clusters(&mut Rng::new(11), 20_000, 1000, 0.5, 0.2);
    let flipped =
        tr.y.iter()
            .enumerate()
            .filter(|&(i, &y)| y != i % CLASSES)
            .count();
    let rate = flipped as f64 / tr.len() as f64;
    assert!((rate - 0.2).abs() < 0.01, "flip rate {rate}");
    assert!(te.y.iter().enumerate().all(|(i, &y)| y == i % CLASSES));
    let (clean, _) = clusters(&mut Rng::new(11), 1000, 10, 0.5, 0.0);
    assert!(clean.y.iter().enumerate().all(|(i, &y)| y == i % CLASSES));
}

#[test]
fn a_diverging_step_is_refused_with_a_message_and_keeps_the_weights() {
    let mut tr = data();
    for arm in Arm::ALL {
        let mut t = trained(arm, None, 2);
        let before = t.weights();
        let keep = tr.x[0];
        tr.x[0] = f32::INFINITY;
        let idx: Vec<usize> = (0..20).collect();
        let err = t
            .step(&tr, &idx, 2)
            .expect_err("an infinite input must not step");
        tr.x[0] = keep;
        assert!(err.contains("not finite"), "{arm:?}: {err}");
        let after = t.weights();
        assert!(
            before
                .iter()
                .zip(&after)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{arm:?}: a refused step changed the weights"
        );
    }
}
