//! kernels::optim's Muon against the official code (`kernels/fixtures/muon_official.json`,
//! written by `kernels/fixtures/generate_muon.py` from KellerJordan/Muon @ 857d1ad with only the
//! bfloat16 cast patched out): the Newton–Schulz iteration in f64 for tall, wide and square
//! matrices, and four `SingleDeviceMuon` steps (Nesterov, weight decay) on f32 parameters.

use kernels::optim::{Layout, Muon, Optimizer, QUINTIC, newton_schulz};
use serde_json::Value;

mod common;
use common::floats;

fn fixture() -> Value {
    serde_json::from_str(kernels::golden::MUON_OFFICIAL_JSON).expect("Muon fixture parses")
}

#[test]
fn newton_schulz_matches_the_official_iteration() {
    let f = fixture();
    let scale = f["scale"].as_f64().unwrap();
    for case in f["newton_schulz"].as_array().unwrap() {
        let (rows, cols) = (
            case["rows"].as_u64().unwrap() as usize,
            case["cols"].as_u64().unwrap() as usize,
        );
        let g: Vec<f64> = floats(&case["g"]).iter().map(|v| v / scale).collect();
        for steps in [1, 5] {
            let want = floats(&case["out"][steps.to_string()]);
            let got = newton_schulz(&g, rows, cols, steps, QUINTIC);
            let err = got
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(err < 1e-12, "{rows}×{cols}, {steps} steps: {err}");
        }
    }
}

#[test]
fn optimizer_matches_single_device_muon() {
    let f = fixture();
    let scale = f["scale"].as_f64().unwrap();
    let o = &f["optimizer"];
    let shapes: Vec<Vec<usize>> = o["shapes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| floats(s).iter().map(|&v| v as usize).collect())
        .collect();
    let names: Vec<String> = (0..shapes.len()).map(|i| format!("w{i}")).collect();
    let spec: Vec<(&str, &[usize])> = names
        .iter()
        .zip(&shapes)
        .map(|(n, s)| (n.as_str(), s.as_slice()))
        .collect();
    // The official optimizer sorts its parameters by size; each tensor's step is independent.
    let cat = |v: &Value| -> Vec<f32> {
        v.as_array()
            .unwrap()
            .iter()
            .flat_map(|t| floats(t).into_iter().map(|x| (x / scale) as f32))
            .collect()
    };
    let mut p = cat(&o["init"]);
    let mut opt = Muon::new(Layout::new(&spec), o["lr"].as_f64().unwrap() as f32)
        .momentum(o["momentum"].as_f64().unwrap() as f32, true)
        .weight_decay(o["weight_decay"].as_f64().unwrap() as f32);
    for (k, step) in o["steps"].as_array().unwrap().iter().enumerate() {
        opt.step(&mut p, &cat(&step["grads"]));
        let want: Vec<f64> = step["params"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(floats)
            .collect();
        let err = p
            .iter()
            .zip(&want)
            .map(|(a, b)| (f64::from(*a) - b).abs())
            .fold(0.0, f64::max);
        // The official iteration runs in f32 here, this one in f64: ~1e-7 apart per step.
        assert!(err < 2e-6, "step {}: {err}", k + 1);
    }
}
