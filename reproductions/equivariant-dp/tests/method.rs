//! Bad input reaches the user as a named reason, before any training.

use equivariant_dp::{experiment, plan};
use harness::{Ctx, Scale};

fn refused(p: &experiment::Plan) -> String {
    let ctx = Ctx::for_tests("equivariant-dp", Scale::Ci, 0);
    experiment::run(&ctx, p)
        .expect_err("the plan must be refused")
        .0
}

#[test]
fn bad_plans_are_refused_with_their_reason() {
    let ci = plan(Scale::Ci);
    let msg = refused(&experiment::Plan {
        clip: 0.0,
        ..ci.clone()
    });
    assert!(msg.contains("clipping norm"), "{msg}");
    let msg = refused(&experiment::Plan {
        q: 1.5,
        ..ci.clone()
    });
    assert!(msg.contains("sampling rate"), "{msg}");
    let msg = refused(&experiment::Plan {
        delta: 1.0,
        ..ci.clone()
    });
    assert!(msg.contains('δ'), "{msg}");
    let msg = refused(&experiment::Plan {
        epsilon: 0.01,
        ..ci.clone()
    });
    assert!(msg.contains("unreachable"), "{msg}");
    let msg = refused(&experiment::Plan { seeds: 1, ..ci });
    assert!(msg.contains("two seeds"), "{msg}");
}
