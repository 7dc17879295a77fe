//! One optimizer step of each arm on the parameter layout of the suite's decoder (2 layers,
//! vocabulary 65, sequence 64) at d = 128, 256 and 512 (0.4M, 1.6M and 6.3M parameters), on
//! fixed gradients, ρ = 0.25. The step is timed between refreshes (T is made long); a refresh
//! (the SVD of every projectable gradient, or a new block choice) is timed separately, as its
//! cost is paid once every T steps. AdamW (`kernels::optim::Adam`) is the yardstick: each arm's
//! time is divided by its time on the same layout. Writes `book/data/perf/frugal-step.json`.
//!
//!   cargo bench -p frugal --bench step

use criterion::{BenchmarkId, Criterion};
use frugal::method::{Arm, ArmSettings, Stepper};
use harness::rng::Rng;
use kernels::nn::{Transformer, TransformerConfig};
use kernels::optim::Layout;
use kernels::perf::{
    PerfFile, criterion_mean_seconds, now_iso8601, publish_perf, this_machine, workspace_root,
};
use std::path::Path;
use std::time::Duration;

const WIDTHS: [usize; 3] = [128, 256, 512];
const NEVER: usize = 1 << 40;

fn layout(d: usize) -> Layout {
    Transformer::new(TransformerConfig {
        vocab: 65,
        seq: 64,
        d_model: d,
        heads: 4,
        layers: 2,
    })
    .layout()
    .clone()
}

fn settings(update_gap: usize) -> ArmSettings {
    ArmSettings {
        density: 0.25,
        update_gap,
        galore_lr_scale: 0.25,
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("frugal-step");
    for d in WIDTHS {
        let l = layout(d);
        let mut rng = Rng::new(2);
        let grads: Vec<f32> = (0..l.total).map(|_| rng.normal() as f32 * 1e-2).collect();
        for arm in Arm::ALL {
            let mut p = vec![0.1f32; l.total];
            let mut s = Stepper::new(arm, &l, 1e-3, &settings(NEVER), 1);
            s.optimizer().step(&mut p, &grads); // the one refresh
            g.bench_with_input(BenchmarkId::new(arm.key(), d), &d, |b, _| {
                b.iter(|| s.optimizer().step(&mut p, &grads))
            });
        }
        for arm in [Arm::FrugalSvd, Arm::FrugalBlocks] {
            let mut p = vec![0.1f32; l.total];
            let mut s = Stepper::new(arm, &l, 1e-3, &settings(1), 1);
            g.bench_with_input(
                BenchmarkId::new(format!("refresh-{}", arm.key()), d),
                &d,
                |b, _| b.iter(|| s.optimizer().step(&mut p, &grads)),
            );
        }
    }
    g.finish();
}

fn write_perf(root: &Path, out: &Path) {
    let mut rows = Vec::new();
    for d in WIDTHS {
        let l = layout(d);
        let ms = |id: &str| {
            criterion_mean_seconds(out, "frugal-step", &format!("{id}/{d}")).map(|s| s * 1e3)
        };
        let Some(adamw) = ms(Arm::AdamW.key()) else {
            continue;
        };
        for arm in Arm::ALL {
            let Some(t) = ms(arm.key()) else { continue };
            let mut s = Stepper::new(arm, &l, 1e-3, &settings(NEVER), 1);
            let mut p = vec![0.0f32; l.total];
            s.optimizer().step(&mut p, &vec![1e-2; l.total]);
            let (state, bytes) = (s.optimizer().state_bytes(), s.optimizer().bytes_per_step());
            rows.push(vec![
                l.total.to_string(),
                arm.label().to_string(),
                format!("{t:.3}"),
                format!("{:.2}", t / adamw),
                format!("{:.2}", 1e6 * t / l.total as f64),
                format!("{:.1}", state as f64 / 1e6),
                format!("{:.1}", bytes as f64 / (t * 1e-3) / 1e9),
            ]);
        }
        for arm in [Arm::FrugalSvd, Arm::FrugalBlocks] {
            let Some(t) = ms(&format!("refresh-{}", arm.key())) else {
                continue;
            };
            rows.push(vec![
                l.total.to_string(),
                format!("{}: refresh + step", arm.label()),
                format!("{t:.3}"),
                format!("{:.2}", t / adamw),
                format!("{:.2}", 1e6 * t / l.total as f64),
                "".into(),
                "".into(),
            ]);
        }
    }
    let perf = PerfFile {
        family: "frugal-step".into(),
        machine: this_machine(),
        date: now_iso8601(),
        limit_name: "AdamW: each arm's step time is divided by kernels::optim::Adam's on the same layout".into(),
        limit_unit: "".into(),
        limit_value: 0.0,
        columns: [
            "parameters",
            "arm",
            "ms per step",
            "time ÷ AdamW's",
            "ns per parameter",
            "state (MB)",
            "GB/s (bytes_per_step ÷ time)",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        notes: vec![
            "ρ = 0.25 on the attention and MLP matrices of a 2-layer decoder; embeddings, norms, biases and head get AdamW. Between refreshes; the refresh rows time one step that refreshes (SVD of every projectable gradient from the eigenvectors of an f64 Gram matrix, or a new block choice), paid once every T steps (T = 200 in the official recipe).".into(),
            "kernels::optim::Adam runs one fused pass over rayon chunks; kernels::subspace steps tensor by tensor on one thread, the projections in f64.".into(),
        ],
    };
    publish_perf(root, &perf);
}

fn main() {
    let root = workspace_root();
    let out = root.join("target/criterion");
    let mut c = Criterion::default()
        .output_directory(&out)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    write_perf(&root, &out);
}
