//! kernels::optim against torch.optim trajectories (`kernels/fixtures/optim_torch.json`,
//! written by `kernels/fixtures/generate_optim.py`): every step of 15, every parameter.

use kernels::optim::{Adam, Layout, Optimizer, Sgd};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn build(cfg: &Value, layout: Layout) -> Box<dyn Optimizer> {
    let kw = &cfg["kwargs"];
    let get = |k: &str, default: f64| kw.get(k).and_then(Value::as_f64).unwrap_or(default) as f32;
    let lr = get("lr", 1e-3);
    match cfg["class"].as_str().unwrap() {
        "SGD" => Box::new(
            Sgd::new(layout, lr)
                .momentum(
                    get("momentum", 0.0),
                    get("dampening", 0.0),
                    kw.get("nesterov").and_then(Value::as_bool).unwrap_or(false),
                )
                .weight_decay(get("weight_decay", 0.0)),
        ),
        "Adam" | "AdamW" => {
            let base = if cfg["class"] == "AdamW" {
                Adam::adamw(layout, lr)
            } else {
                Adam::new(layout, lr)
            };
            let (b1, b2) = match kw.get("betas") {
                Some(b) => (b[0].as_f64().unwrap() as f32, b[1].as_f64().unwrap() as f32),
                None => (0.9, 0.999),
            };
            let wd = kw
                .get("weight_decay")
                .and_then(Value::as_f64)
                .map(|w| w as f32)
                .unwrap_or(base.weight_decay);
            Box::new(base.betas(b1, b2).weight_decay(wd))
        }
        other => panic!("no optimizer for {other}"),
    }
}

#[test]
fn every_step_matches_torch() {
    let fx: Value = serde_json::from_str(include_str!("../fixtures/optim_torch.json")).unwrap();
    let shapes: Vec<Vec<usize>> = fx["shapes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s.as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect()
        })
        .collect();
    let names = ["w", "b", "k"];
    let spec: Vec<(&str, &[usize])> = names
        .iter()
        .zip(&shapes)
        .map(|(n, s)| (*n, s.as_slice()))
        .collect();
    let grads: Vec<Vec<f32>> = fx["grads"].as_array().unwrap().iter().map(floats).collect();
    for cfg in fx["configs"].as_array().unwrap() {
        let mut opt = build(cfg, Layout::new(&spec));
        let mut p = floats(&fx["init"]);
        for (t, (g, want)) in grads
            .iter()
            .zip(cfg["trajectory"].as_array().unwrap())
            .enumerate()
        {
            opt.step(&mut p, g);
            let want = floats(want);
            let worst = p
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs() / (1.0 + b.abs()))
                .fold(0.0f32, f32::max);
            assert!(
                worst <= 2e-6,
                "{} step {}: relative difference {worst:e}",
                cfg["key"],
                t + 1
            );
        }
    }
}
