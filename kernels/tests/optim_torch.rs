//! kernels::optim against the reference optimizers' trajectories
//! (`kernels/fixtures/optim_torch.json`, written by `kernels/fixtures/generate_optim.py`):
//! torch.optim SGD/Adam/AdamW, torch_optimizer.DiffGrad, adamp.AdamP/SGDP, sgd_sai.SGD_sai;
//! every step of 15, every parameter.

use kernels::optim::{Adam, AdamP, DiffGrad, Layout, Optimizer, Sgd, SgdSai, Sgdp, View};
use serde_json::Value;

mod common;
use common::floats32;

fn betas(kw: &Value) -> (f32, f32) {
    match kw.get("betas") {
        Some(b) => (b[0].as_f64().unwrap() as f32, b[1].as_f64().unwrap() as f32),
        None => (0.9, 0.999),
    }
}

fn build(cfg: &Value, layout: Layout) -> Box<dyn Optimizer> {
    let kw = &cfg["kwargs"];
    let get = |k: &str, default: f64| kw.get(k).and_then(Value::as_f64).unwrap_or(default) as f32;
    let lr = get("lr", 1e-3);
    let flag = |k: &str| kw.get(k).and_then(Value::as_bool).unwrap_or(false);
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
            let (b1, b2) = betas(kw);
            let wd = kw
                .get("weight_decay")
                .and_then(Value::as_f64)
                .map(|w| w as f32)
                .unwrap_or(base.weight_decay);
            Box::new(base.betas(b1, b2).weight_decay(wd))
        }
        "DiffGrad" => {
            let (b1, b2) = betas(kw);
            Box::new(
                DiffGrad::new(layout, lr)
                    .betas(b1, b2)
                    .weight_decay(get("weight_decay", 0.0)),
            )
        }
        "AdamP" => {
            let (b1, b2) = betas(kw);
            Box::new(
                AdamP::new(layout, lr)
                    .betas(b1, b2)
                    .weight_decay(get("weight_decay", 0.0))
                    .nesterov(flag("nesterov")),
            )
        }
        "SGDP" => Box::new(
            Sgdp::new(layout, lr)
                .momentum(
                    get("momentum", 0.0),
                    get("dampening", 0.0),
                    flag("nesterov"),
                )
                .weight_decay(get("weight_decay", 0.0)),
        ),
        "SGD_sai" => Box::new(
            SgdSai::new(layout, lr)
                .momentum(get("momentum", 0.9))
                .weight_decay(get("weight_decay", 1e-2)),
        ),
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
    let shared: Vec<Vec<f32>> = fx["grads"]
        .as_array()
        .unwrap()
        .iter()
        .map(floats32)
        .collect();
    let mut keys = Vec::new();
    for cfg in fx["configs"].as_array().unwrap() {
        keys.push(cfg["key"].as_str().unwrap().to_string());
        // Configurations that make the projection fire carry the gradients they used.
        let grads: Vec<Vec<f32>> = match cfg.get("grads") {
            Some(g) => g.as_array().unwrap().iter().map(floats32).collect(),
            None => shared.clone(),
        };
        let mut opt = build(cfg, Layout::new(&spec));
        let mut p = floats32(&fx["init"]);
        for (t, (g, want)) in grads
            .iter()
            .zip(cfg["trajectory"].as_array().unwrap())
            .enumerate()
        {
            opt.step(&mut p, g);
            let want = floats32(want);
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
    for family in [
        "sgd", "adam", "adamw", "diffgrad", "adamp", "sgdp", "sgd_sai",
    ] {
        assert!(
            keys.iter()
                .any(|k| k == family || k.starts_with(&format!("{family}_"))),
            "fixture has no {family} configuration"
        );
    }
}

/// The "orthogonal" fixtures exercise both views: the 4x3 tensor in the channel view, the
/// 2x2x2 tensor in the layer view (in the channel view on steps where its rows happen to pass
/// that test too: one step of 15), the bias never.
#[test]
fn orthogonal_fixtures_fire_the_channel_and_layer_views() {
    let fx: Value = serde_json::from_str(include_str!("../fixtures/optim_torch.json")).unwrap();
    let cfg = fx["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "adamp_orthogonal")
        .unwrap();
    let layout = Layout::new(&[("w", &[4, 3]), ("b", &[5]), ("k", &[2, 2, 2])]);
    let mut opt = AdamP::new(layout, 1e-2).weight_decay(0.1);
    let mut p = floats32(&fx["init"]);
    let mut layer = 0;
    for g in cfg["grads"].as_array().unwrap() {
        opt.step(&mut p, &floats32(g));
        let views = opt.views();
        assert_eq!(&views[..2], &[Some(View::Channel), None]);
        assert!(views[2].is_some());
        layer += usize::from(views[2] == Some(View::Layer));
    }
    assert_eq!(layer, 14);
}
