//! dfdx's own Adam step against `kernels::optim::Adam` on the same model, at about 1e5, 1e6
//! and 1e7 parameters (one `Linear<1000, K>`), beside the machine's rate for Adam's memory
//! traffic measured in the same run (the two-state twin of `kernels::membw`).
//!
//! Three rows per size: dfdx's `Adam::update` on the model and its `Gradients`; the same step
//! through the bridge (gradients and parameters copied out, stepped, parameters copied back),
//! which is what a reproduction on dfdx pays; and `kernels::optim::Adam` on flat buffers alone.
//! Writes `book/data/perf/dfdx-step.json`.
//!
//!   cargo bench -p dfdx-bridge --bench step

use criterion::{BenchmarkId, Criterion};
use dfdx::optim::{Adam as DfdxAdam, AdamConfig, Optimizer as _};
use dfdx::prelude::*;
use dfdx_bridge::{Bridge, read_grads, read_params};
use kernels::membw::{twin_bytes, twin_step};
use kernels::optim::{Adam, Optimizer};
use kernels::perf::{
    PerfFile, criterion_mean_seconds, now_iso8601, publish_perf, this_machine, workspace_root,
};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

/// Adam reads p, g, m, v and writes p, m, v.
const ADAM_BYTES: usize = 28;

fn sizes() -> [(usize, &'static str); 3] {
    [(100_100, "1e5"), (1_001_000, "1e6"), (10_010_000, "1e7")]
}

/// One size: the three steps and the twin, on a `Linear<1000, K>` with its gradients from one
/// backward pass.
fn bench_size<const K: usize>(c: &mut Criterion, label: &str) {
    let dev = Cpu::seed_from_u64(0);
    let mut model = dev.build_module::<Linear<1000, K>, f32>();
    let x: Tensor<Rank2<4, 1000>, f32, Cpu> = dev.sample_normal();
    let grads = model.forward(x.trace(model.alloc_grads())).sum().backward();
    let config = AdamConfig {
        lr: 1e-3,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weight_decay: None,
    };
    let mut g = c.benchmark_group("dfdx-step");
    let mut dfdx_adam = DfdxAdam::new(&model, config);
    dfdx_adam.update(&mut model, &grads).unwrap();
    g.bench_with_input(BenchmarkId::new("dfdx-adam", label), &K, |b, _| {
        b.iter(|| dfdx_adam.update(black_box(&mut model), &grads).unwrap())
    });
    // dfdx's allocation cache (off by default): the bridge's gradient copy reuses one buffer
    // instead of faulting in fresh pages every step.
    dev.enable_cache();
    let mut bridge = Bridge::new(&model);
    let n = bridge.layout.total;
    let mut through = Adam::new(bridge.layout.clone(), 1e-3);
    bridge.step(&mut model, &grads, &mut through).unwrap();
    g.bench_with_input(BenchmarkId::new("bridge-adam", label), &K, |b, _| {
        b.iter(|| {
            bridge
                .step(black_box(&mut model), &grads, &mut through)
                .unwrap()
        })
    });
    let mut params = vec![0.0f32; n];
    let mut flat_grads = vec![0.0f32; n];
    read_params(&model, &mut params).unwrap();
    read_grads(&model, &grads, &mut flat_grads).unwrap();
    let mut flat = Adam::new(bridge.layout.clone(), 1e-3);
    flat.step(&mut params, &flat_grads);
    g.bench_with_input(BenchmarkId::new("kernels-adam", label), &K, |b, _| {
        b.iter(|| flat.step(black_box(&mut params), black_box(&flat_grads)))
    });
    let (mut s1, mut s2) = (vec![0.0f32; n], vec![0.0f32; n]);
    g.bench_with_input(BenchmarkId::new("twin2", label), &K, |b, _| {
        b.iter(|| twin_step(black_box(&mut params), &flat_grads, &mut s1, &mut s2, 2))
    });
    g.finish();
}

fn write_perf(root: &Path, out: &Path) {
    let rows_of = [
        ("dfdx-adam", "dfdx 0.13 Adam (`Adam::update`)"),
        (
            "bridge-adam",
            "kernels::optim::Adam through dfdx-bridge (copies included)",
        ),
        ("kernels-adam", "kernels::optim::Adam on flat buffers"),
    ];
    let mut rows = Vec::new();
    for (n, label) in sizes() {
        let secs = |id: &str| criterion_mean_seconds(out, "dfdx-step", &format!("{id}/{label}"));
        let Some(twin) = secs("twin2") else {
            continue;
        };
        let twin_gbs = twin_bytes(n, 2) as f64 / twin / 1e9;
        for (id, name) in rows_of {
            let Some(s) = secs(id) else {
                continue;
            };
            let gbs = (ADAM_BYTES * n) as f64 / s / 1e9;
            rows.push(vec![
                name.to_string(),
                format!("{n:e}"),
                format!("{:.3}", s * 1e3),
                format!("{gbs:.2}"),
                format!("{twin_gbs:.2}"),
                format!("{:.0}%", 100.0 * gbs / twin_gbs),
            ]);
        }
    }
    let perf = PerfFile {
        family: "dfdx-step".into(),
        machine: this_machine(),
        date: now_iso8601(),
        limit_name: "two-state twin at 1e7 parameters (Adam's 28 bytes per parameter, one add per stream)".into(),
        limit_unit: "GB/s".into(),
        limit_value: twin_limit(out),
        columns: [
            "step",
            "parameters",
            "ms per step",
            "GB/s (28 bytes per parameter)",
            "twin GB/s",
            "of twin speed",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        notes: vec![
            "Model: one dfdx Linear<1000, K> (K = 100, 1000, 10000, with its bias), gradients from one backward pass; every row steps the same tensors with lr 1e-3, β = (0.9, 0.999), ε = 1e-8.".into(),
            "GB/s counts Adam's own traffic (28 bytes per parameter) for every row, so the bridge row's extra copies (gradients and parameters out, parameters back: about 16 bytes per parameter more) show as a lower rate.".into(),
            "The bridge row runs with dfdx's allocation cache enabled (Cpu::enable_cache; off by default), so the gradient copy dfdx 0.13 forces (Gradients::get clones, its by-reference getters are crate-private) reuses one buffer; without the cache each step also faults in fresh pages (about 56 ms instead of 45 at 1e7 in development).".into(),
            "The twin moves the same 28 bytes per parameter with one add per stream (kernels::membw::twin_step), at the same size in the same run.".into(),
        ],
    };
    publish_perf(root, &perf);
}

/// The twin's GB/s at the largest size, the table's headline limit.
fn twin_limit(out: &Path) -> f64 {
    let (n, label) = sizes()[2];
    criterion_mean_seconds(out, "dfdx-step", &format!("twin2/{label}"))
        .map(|s| (twin_bytes(n, 2) as f64 / s / 1e9 * 100.0).round() / 100.0)
        .unwrap_or(f64::NAN)
}

fn main() {
    let root = workspace_root();
    let out = root.join("target/criterion");
    let mut c = Criterion::default()
        .output_directory(&out)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    bench_size::<100>(&mut c, "1e5");
    bench_size::<1000>(&mut c, "1e6");
    bench_size::<10000>(&mut c, "1e7");
    c.final_summary();
    write_perf(&root, &out);
}
