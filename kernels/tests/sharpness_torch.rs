//! kernels::sharpness against PyTorch and timm (`kernels/fixtures/sharpness_torch.json`, written
//! by `kernels/fixtures/generate_sharpness.py`): SAF's trajectory term with the official
//! expression (value and autograd gradient), SAM around torch's SGD with momentum, and timm's
//! `ModelEmaV2`.

use kernels::optim::{Layout, Sgd};
use kernels::sharpness::{Ema, Sam, TORCH_JSON, trajectory_kl};
use serde_json::Value;

mod common;
use common::{floats, floats32};

fn fixture() -> Value {
    serde_json::from_str(TORCH_JSON).expect("sharpness fixture parses")
}

fn scaled(v: &Value, scale: f64) -> Vec<f32> {
    floats(v).iter().map(|x| (x / scale) as f32).collect()
}

#[test]
fn trajectory_kl_matches_the_official_expression() {
    let f = fixture();
    let scale = f["scale"].as_f64().unwrap();
    for case in f["kl"].as_array().unwrap() {
        let classes = case["classes"].as_u64().unwrap() as usize;
        let tau = case["tau"].as_f64().unwrap();
        let kl = trajectory_kl(
            &scaled(&case["past"], scale),
            &scaled(&case["current"], scale),
            classes,
            tau,
        );
        // f64 torch: the same arithmetic up to rounding; f32 torch: the card's 1e-6.
        assert!(kl.value.is_finite() && kl.grad.iter().all(|g| g.is_finite()));
        for (dtype, tol) in [("f64", 1e-12), ("f32", 1e-6)] {
            if case[dtype]["nonfinite"].as_bool() == Some(true) {
                // torch's float32 log(softmax) underflowed; the f64 case still holds.
                assert_eq!(dtype, "f32", "the float64 reference is finite");
                continue;
            }
            let want = case[dtype]["value"].as_f64().unwrap();
            let err = (kl.value - want).abs() / want.abs().max(1e-3);
            assert!(
                err < tol,
                "τ = {tau}, {dtype}: value {} vs {want}",
                kl.value
            );
            let g = floats(&case[dtype]["grad"]);
            let gmax = g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            for (a, b) in kl.grad.iter().zip(&g) {
                let err = (f64::from(*a) - b).abs() / gmax;
                // The gradient is stored in f32 here: 6e-8 relative at best.
                assert!(err < tol.max(2e-7), "τ = {tau}, {dtype}: grad {a} vs {b}");
            }
        }
    }
}

#[test]
fn sam_matches_the_reference_around_torch_sgd() {
    let f = fixture();
    let scale = f["scale"].as_f64().unwrap();
    let c = &f["sam"];
    let a = scaled(&c["a"], scale);
    let b = scaled(&c["b"], scale);
    let mut w = scaled(&c["w0"], scale);
    let base = Sgd::new(Layout::flat(3), c["lr"].as_f64().unwrap() as f32).momentum(
        c["momentum"].as_f64().unwrap() as f32,
        0.0,
        false,
    );
    let mut sam = Sam::new(Box::new(base), c["rho"].as_f64().unwrap());
    // ∇ ½ mean((A w − b)²) = Aᵀ (A w − b) / m.
    let grad = |w: &[f32]| -> Vec<f32> {
        let r: Vec<f32> = (0..8)
            .map(|i| (0..3).map(|j| a[i * 3 + j] * w[j]).sum::<f32>() - b[i])
            .collect();
        (0..3)
            .map(|j| (0..8).map(|i| a[i * 3 + j] * r[i]).sum::<f32>() / 8.0)
            .collect()
    };
    for (k, want) in c["trajectory"].as_array().unwrap().iter().enumerate() {
        let g = grad(&w);
        sam.ascend(&mut w, &g).unwrap();
        let g2 = grad(&w);
        sam.step(&mut w, &g2);
        for (x, y) in w.iter().zip(floats32(want)) {
            assert!(
                (x - y).abs() <= 1e-6 * y.abs().max(1.0),
                "step {k}: {x} vs {y}"
            );
        }
    }
}

#[test]
fn ema_matches_timm_model_ema_v2_bit_for_bit() {
    let f = fixture();
    let scale = f["scale"].as_f64().unwrap();
    let c = &f["ema"];
    let mut ema = Ema::new(&floats32(&c["start"]), c["decay"].as_f64().unwrap());
    for (p, want) in c["params"]
        .as_array()
        .unwrap()
        .iter()
        .zip(c["shadows"].as_array().unwrap())
    {
        ema.update(&scaled(p, scale));
        assert_eq!(ema.shadow, floats32(want));
    }
}
