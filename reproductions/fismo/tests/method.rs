use fismo::method::{condition, loss_and_accuracy};

#[test]
fn condition_number_of_a_known_matrix() {
    // diag(3, 1) rotated: κ = 3; a rank-one matrix: ∞.
    let (c, s) = (0.6f64, 0.8f64);
    let d = [3.0 * c, -s, 3.0 * s, c];
    assert!((condition(&d, 2, 2) - 3.0).abs() < 1e-12);
    assert!(condition(&[1.0, 2.0, 2.0, 4.0], 2, 2).is_infinite());
}

#[test]
fn cross_entropy_and_accuracy_of_known_logits() {
    let mut logits = vec![0.0f32; 20];
    logits[3] = 10.0; // row 0 predicts 3
    let (loss, acc) = loss_and_accuracy(&logits, &[3, 5]);
    let row0 = (10f64.exp() + 9.0).ln() - 10.0;
    let row1 = (10.0f64).ln();
    assert!((loss - 0.5 * (row0 + row1)).abs() < 1e-9);
    assert_eq!(acc, 0.5);
}

/// The Muon and FISMO arms step the three hidden matrices and leave the first and last layers
/// and the biases to AdamW at `aux_lr`, as Muon's README prescribes: a gradient on the first
/// layer alone moves it by AdamW's first step, AdamW's decay moves the other AdamW tensors,
/// and every hidden matrix stays where it was.
#[test]
fn matrix_arms_step_the_hidden_matrices_and_adamw_the_rest() {
    use dfdx_bridge::dfdx::prelude::*;
    use fismo::method::{Arm, HIDDEN, Net, optimizer};
    let dev = Cpu::seed_from_u64(0);
    let net = dev.build_module::<Net<64>, f32>();
    let layout = dfdx_bridge::layout(&net);
    for name in HIDDEN {
        let slot = layout.slots.iter().find(|s| s.name == name);
        assert_eq!(slot.map(|s| s.shape.clone()), Some(vec![64, 64]), "{name}");
    }
    let settings = fismo::plan(harness::Scale::Ci).settings;
    let first = layout
        .slots
        .iter()
        .find(|s| s.name == "0.0.weight")
        .unwrap();
    for arm in [Arm::Muon, Arm::Fismo] {
        let mut p = vec![0.0f32; layout.total];
        dfdx_bridge::read_params(&net, &mut p).unwrap();
        let before = p.clone();
        let mut g = vec![0.0f32; layout.total];
        g[first.offset..first.offset + first.len].fill(1.0);
        optimizer(arm, &layout, 0.02, &settings).step(&mut p, &g);
        for s in &layout.slots {
            for k in s.offset..s.offset + s.len {
                // AdamW's first step: decoupled decay, then −lr · m̂ / (√v̂ + ε) = −lr / (1 + ε)
                // where the gradient is one; the hidden matrices see a zero gradient.
                let decayed = before[k] * (1.0 - settings.aux_lr * settings.weight_decay);
                let want = match s.name.as_str() {
                    "0.0.weight" => decayed - settings.aux_lr / (1.0 + 1e-8),
                    n if HIDDEN.contains(&n) => before[k],
                    _ => decayed,
                };
                assert!((p[k] - want).abs() < 1e-7, "{arm:?} {} [{k}]", s.name);
            }
        }
    }
}
