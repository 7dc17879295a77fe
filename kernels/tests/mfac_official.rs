//! kernels::optim's M-FAC against the official code (`kernels/fixtures/mfac_official.json`,
//! written by `kernels/fixtures/generate_mfac.py` from IST-DASLab/M-FAC @ 8116367 with only
//! `torch.lu(pivot=False)` and `parallel_apply` patched for the CPU).
//!
//! The dynamic window (`HInvFastUpMulti`) filled from zeros, after replacements and its
//! `update_mul` outputs; the static full (`HInvFastSwap`) and blocked (`HInvFastBlock`) products
//! and diagonals; ten steps of the `MFAC` optimizer with momentum and weight decay. Gradients are
//! integers / 64, rebuilt exactly here.

use kernels::optim::{BlockedIhvp, DynamicIhvp, Layout, Mfac, Optimizer, StaticIhvp};
use serde_json::Value;

mod common;
use common::floats;

const FIXTURE: &str = kernels::golden::MFAC_OFFICIAL_JSON;

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).expect("M-FAC fixture parses")
}

/// Integers scaled by the case's `scale`.
fn scaled(case: &Value, key: &str) -> Vec<f64> {
    let s = case["scale"].as_f64().expect("a scale");
    floats(&case[key]).iter().map(|v| v / s).collect()
}

fn usize_of(case: &Value, key: &str) -> usize {
    case[key].as_u64().expect("an integer") as usize
}

/// ‖a − b‖ / ‖b‖.
fn rel(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    (num / b.iter().map(|y| y * y).sum::<f64>()).sqrt()
}

#[test]
fn the_sliding_window_matches_hinv_fast_up_multi() {
    for case in fixture()["dynamic"].as_array().expect("cases") {
        let (m, d, damp) = (
            usize_of(case, "m"),
            usize_of(case, "d"),
            case["damp"].as_f64().unwrap(),
        );
        let (first, more, x) = (
            scaled(case, "first"),
            scaled(case, "more"),
            scaled(case, "x"),
        );
        let mut w = DynamicIhvp::zeros(m, d, damp);
        first.chunks(d).for_each(|g| w.update(g));
        // Errors relative to ‖x‖/λ, the size of the terms the product cancels: `F⁻¹g` for a
        // g in the window is far smaller than g/λ, so its own norm would measure the cancellation.
        let err = |ours: &[f64], x: &[f64], want: &Value| {
            let diff: f64 = ours
                .iter()
                .zip(floats(want))
                .map(|(a, b)| (a - b).powi(2))
                .sum();
            diff.sqrt() * damp / x.iter().map(|v| v * v).sum::<f64>().sqrt()
        };
        let e = err(&w.mul(&x), &x, &case["mul_after_fill"]);
        assert!(e < 1e-14, "λ = {damp}: filled window differs by {e:.1e}");
        // The official naive Woodbury, a dense d × d matrix.
        let e = err(&w.mul(&x), &x, &case["slow_after_fill"]);
        assert!(e < 1e-13, "λ = {damp}: HInvSlow differs by {e:.1e}");
        for (k, g) in more.chunks(d).enumerate() {
            let u = w.update_mul(g);
            if let Some(want) = case["update_mul"].get(k.to_string()) {
                let e = err(&u, g, want);
                assert!(e < 1e-14, "λ = {damp}: update_mul {k} differs by {e:.1e}");
            }
        }
        let e = err(&w.mul(&x), &x, &case["mul_after_replacements"]);
        assert!(e < 1e-14, "λ = {damp}: after replacements {e:.1e}");
    }
}

#[test]
fn static_products_and_diagonals_match_the_pruner() {
    for case in fixture()["static"].as_array().expect("cases") {
        let (m, damp, bs) = (
            usize_of(case, "m"),
            case["damp"].as_f64().unwrap(),
            usize_of(case, "blocksize"),
        );
        let (g, x) = (scaled(case, "grads"), scaled(case, "x"));
        let full = StaticIhvp::new(&g, m, damp);
        let blocked = BlockedIhvp::new(&g, m, damp, bs);
        for (name, ours, key) in [
            ("full mul", full.mul(&x), "full_mul"),
            ("full diag", full.diag(), "full_diag"),
            ("blocked mul", blocked.mul(&x), "blocked_mul"),
            ("blocked diag", blocked.diag(), "blocked_diag"),
        ] {
            let err = rel(&ours, &floats(&case[key]));
            assert!(err < 1e-12, "λ = {damp}, {name}: {err:.1e}");
        }
    }
}

#[test]
fn ten_optimizer_steps_match_mfac() {
    let case = &fixture()["optimizer"];
    let (d, n, rows) = (
        usize_of(case, "d"),
        usize_of(case, "n"),
        usize_of(case, "rows_per_step"),
    );
    let (a, b, w0) = (scaled(case, "a"), scaled(case, "b"), scaled(case, "w0"));
    let f = |k: &str| case[k].as_f64().expect("a number");
    let mut opt = Mfac::new(
        Layout::flat(d),
        f("lr") as f32,
        usize_of(case, "m"),
        f("damp"),
    )
    .with_momentum(f("momentum") as f32)
    .with_weight_decay(f("weight_decay") as f32);
    let mut w: Vec<f32> = w0.iter().map(|&v| v as f32).collect();
    for (s, want) in case["trajectory"]
        .as_array()
        .expect("steps")
        .iter()
        .enumerate()
    {
        // The gradient of ½‖A_S w − b_S‖² over this step's rows S.
        let lo = (rows * s) % n;
        let mut grad = vec![0.0f32; d];
        for r in lo..lo + rows {
            let row = &a[r * d..(r + 1) * d];
            let resid: f32 =
                row.iter().zip(&w).map(|(x, y)| *x as f32 * y).sum::<f32>() - b[r] as f32;
            grad.iter_mut()
                .zip(row)
                .for_each(|(g, x)| *g += resid * *x as f32);
        }
        opt.step(&mut w, &grad);
        let ours: Vec<f64> = w.iter().map(|&v| f64::from(v)).collect();
        let err = rel(&ours, &floats(want));
        // The fixture runs in f64; our parameters are rounded to f32 after every step.
        assert!(err < 1e-6, "step {s}: {err:.1e}");
    }
}
