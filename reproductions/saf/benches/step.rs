//! One training step of each arm (SGD, SAF, SAM, MESA) on the SAF miniature's MLP at the two
//! widths the plans use (128 at ci, 256 at full), batch 64, with the trajectory term on. The
//! experiment counts passes (V1); this bench is where their wall-clock cost is measured, as the
//! card asks, and SGD is the yardstick: each arm's time is divided by SGD's of the same width.
//! Writes `book/data/perf/saf-step.json`.
//!
//!   cargo bench -p saf --bench step

use criterion::{BenchmarkId, Criterion, Throughput};
use harness::Scale;
use harness::rng::Rng;
use kernels::perf::{
    PerfFile, criterion_mean_seconds, now_iso8601, publish_perf, this_machine, workspace_root,
};
use saf::method::{Arm, Trainer, clusters};
use std::path::Path;
use std::time::Duration;

const WIDTHS: [usize; 2] = [128, 256];

/// A trainer for `arm` that has run enough epochs on the batch for the KL term to be on (SAF's
/// buffer holds the logits of `lag` epochs back), and the epoch to step in.
fn warmed<const H: usize>(arm: Arm, idx: &[usize]) -> (Trainer<H>, kernels::data::Dataset, usize) {
    let plan = saf::plan(Scale::Ci);
    let mut rng = Rng::new(1);
    let (train, _) = clusters(&mut rng, plan.train, 10, plan.spread, plan.noise);
    let mut t = Trainer::<H>::new(arm, plan.settings, 1, plan.train);
    let epoch = plan.settings.start_epoch + plan.settings.lag + 1;
    for e in 0..=epoch {
        t.step(&train, idx, e).expect("a finite warm-up step");
    }
    (t, train, epoch)
}

fn bench_width<const H: usize>(
    g: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>,
) {
    let idx: Vec<usize> = (0..64).collect();
    for arm in Arm::ALL {
        let (mut t, train, epoch) = warmed::<H>(arm, &idx);
        g.bench_with_input(BenchmarkId::new(arm.key(), H), &H, |b, _| {
            b.iter(|| t.step(&train, &idx, epoch).expect("a finite step"))
        });
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("saf-step");
    g.throughput(Throughput::Elements(64));
    bench_width::<128>(&mut g);
    bench_width::<256>(&mut g);
    g.finish();
}

fn write_perf(root: &Path, out: &Path) {
    let mut rows = Vec::new();
    for h in WIDTHS {
        let ms = |arm: Arm| {
            criterion_mean_seconds(out, "saf-step", &format!("{}/{h}", arm.key())).map(|s| s * 1e3)
        };
        let Some(sgd) = ms(Arm::Sgd) else { continue };
        for arm in Arm::ALL {
            let Some(t) = ms(arm) else { continue };
            rows.push(vec![
                h.to_string(),
                arm.label().to_string(),
                format!("{t:.3}"),
                format!("{:.2}", t / sgd),
            ]);
        }
    }
    let perf = PerfFile {
        family: "saf-step".into(),
        machine: this_machine(),
        date: now_iso8601(),
        limit_name: "the base optimizer: each arm's step time is divided by SGD's".into(),
        limit_unit: "".into(),
        limit_value: 0.0,
        columns: ["width H", "arm", "ms per step", "time ÷ SGD's"]
            .map(String::from)
            .to_vec(),
        rows,
        notes: vec![
            "32 → H → H → 10 ReLU MLP on dfdx's CPU device, batch 64, the KL term on. SGD and SAF make one forward and one backward pass; SAM two of each; MESA one extra tape-free forward through its EMA teacher.".into(),
        ],
    };
    publish_perf(root, &perf);
}

fn main() {
    let root = workspace_root();
    let out = root.join("target/criterion");
    let mut c = Criterion::default()
        .output_directory(&out)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    write_perf(&root, &out);
}
