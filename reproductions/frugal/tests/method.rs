//! The pieces of the experiment, checked on their own.

use frugal::experiment::{Plan, train};
use frugal::method::{Arm, Stepper, Windows, model, split_sizes, unigram_entropy};
use harness::Scale;
use harness::rng::Rng;
use kernels::text::shakespeare;

#[test]
fn windows_pair_each_token_with_the_next() {
    let tokens: Vec<usize> = (0..100).collect();
    let w = Windows {
        tokens: &tokens,
        seq: 8,
    };
    let (x, y) = w.sample(5, &mut Rng::new(1));
    assert_eq!((x.len(), y.len()), (40, 40));
    assert!(x.iter().zip(&y).all(|(a, b)| b == &(a + 1)));
    let (x, _) = w.evenly(3);
    assert_eq!([x[0], x[8], x[16]], [0, 30, 60]);
}

#[test]
fn unigram_entropy_of_a_uniform_text_is_ln_of_its_alphabet() {
    let tokens: Vec<usize> = (0..400).map(|i| i % 4).collect();
    assert!((unigram_entropy(&tokens, 4) - 4f64.ln()).abs() < 1e-12);
    assert_eq!(unigram_entropy(&[2, 2, 2], 3), 0.0);
}

/// After one step every arm holds the state its definition says, on the ci model.
#[test]
fn each_arm_holds_its_state() {
    let plan: Plan = frugal::plan(Scale::Ci);
    let net = model(plan.model);
    let layout = net.layout().clone();
    let (linear, regular) = split_sizes(&layout);
    assert_eq!(linear + regular, layout.total);
    let mut rng = Rng::new(3);
    let mut p = net.init(&mut || rng.uniform());
    let corpus = shakespeare();
    let w = Windows {
        tokens: &corpus.tokens,
        seq: plan.model.seq,
    };
    let (x, y) = w.sample(4, &mut rng);
    let mut g = vec![0.0f32; p.len()];
    net.loss_grad(&p, &x, &y, &mut g);
    let rho = plan.settings.density;
    for arm in Arm::ALL {
        let mut s = Stepper::new(arm, &layout, 1e-3, &plan.settings, 7);
        s.optimizer().step(&mut p, &g);
        let held = s.moment_floats(&layout);
        let want = match arm {
            Arm::AdamW => 2 * layout.total,
            Arm::FrugalSvd | Arm::GaloreLike => {
                (2.0 * (regular as f64 + rho * linear as f64)) as usize
            }
            // The first refresh activates the last two of the eight matrices (descending):
            // h1.mlp.fc and h1.mlp.proj, 4d² each.
            Arm::FrugalBlocks | Arm::BadamLike => 2 * (regular + 2 * 4 * plan.model.d_model.pow(2)),
            Arm::FrugalZero => 2 * regular,
        };
        assert_eq!(held, want, "{arm:?}");
    }
}

/// A short run learns: the validation loss falls well below ln 65 for AdamW and FRUGAL.
#[test]
fn short_runs_learn() {
    let mut plan: Plan = frugal::plan(Scale::Ci);
    plan.steps = 60;
    plan.curve_every = 30;
    let corpus = shakespeare();
    let (tr, va) = corpus.split(0.1);
    let data = Windows {
        tokens: tr,
        seq: plan.model.seq,
    };
    let val = Windows {
        tokens: va,
        seq: plan.model.seq,
    }
    .evenly(16);
    for arm in [Arm::AdamW, Arm::FrugalBlocks, Arm::FrugalSvd] {
        let out = train(&plan, arm, 1e-2, &data, &val, 11);
        assert_eq!(out.curve.len(), 3, "{arm:?}: steps 0, 30 and the end");
        assert!(
            out.val_loss < 0.85 * 65f64.ln() && out.val_loss < out.curve[0],
            "{arm:?}: {:?}",
            out.curve
        );
    }
}
