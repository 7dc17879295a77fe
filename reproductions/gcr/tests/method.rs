//! The model's backward pass, the class-separation measure and the Grassmann checks.

use gcr::experiment::geometry_checks;
use gcr::method::{Head, IN, Model, class_separation};
use harness::rng::Rng;

#[test]
fn backward_matches_finite_differences_for_both_heads() {
    for head in [Head::Softmax, Head::Gcr { k: 3 }] {
        let model = Model::new(head, 4);
        let mut rng = Rng::new(9);
        let p = model.init(&mut rng);
        let rows = 6;
        let x: Vec<f32> = (0..rows * IN).map(|_| rng.uniform() as f32).collect();
        let y: Vec<usize> = (0..rows).map(|r| r % 4).collect();
        let mut grad = vec![0.0; p.len()];
        model.loss_grad(&p, &x, &y, &mut grad);
        let mut scratch = vec![0.0; p.len()];
        for slot in &model.layout().slots {
            let dir: Vec<f32> = (0..p.len())
                .map(|i| {
                    if (slot.offset..slot.offset + slot.len).contains(&i) {
                        rng.uniform() as f32 - 0.5
                    } else {
                        0.0
                    }
                })
                .collect();
            let h = 2e-4f32;
            let mut at = |s: f32| {
                let q: Vec<f32> = p.iter().zip(&dir).map(|(a, d)| a + s * d).collect();
                model.loss_grad(&q, &x, &y, &mut scratch).0
            };
            let fd = (at(h) - at(-h)) / (2.0 * h as f64);
            let an: f64 = grad
                .iter()
                .zip(&dir)
                .map(|(g, d)| *g as f64 * *d as f64)
                .sum();
            assert!(
                (fd - an).abs() <= 2e-2 * an.abs().max(1e-2),
                "{head:?} {}: {an} vs {fd}",
                slot.name
            );
        }
    }
}

#[test]
fn class_separation_is_one_for_collapsed_classes_and_near_zero_for_noise() {
    // Two classes, each collapsed on one direction: within-class distance 0, so R² = 1.
    let f = [1.0f32, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0];
    assert!((class_separation(&f, &[0, 0, 1, 1], 2) - 1.0).abs() < 1e-12);
    // Labels independent of random features: R² ≈ 0.
    let mut rng = Rng::new(2);
    let f: Vec<f32> = (0..400 * 8).map(|_| rng.normal() as f32).collect();
    let labels: Vec<usize> = (0..400).map(|i| i % 4).collect();
    assert!(class_separation(&f, &labels, 8).abs() < 0.05);
}

#[test]
fn grassmann_checks_pass() {
    let checks = geometry_checks(1);
    assert!(checks.orth < 1e-12, "{}", checks.orth);
    assert!(checks.pymanopt < 1e-12, "{}", checks.pymanopt);
}
