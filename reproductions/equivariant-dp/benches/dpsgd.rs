//! The DP-SGD step against the non-private step for both models of equivariant-dp: batch 64 of
//! 16 × 16 glyphs, one thread (the experiment runs one model per core). DP-SGD is per-sample
//! gradients + `kernels::privacy::privatize`; non-private is the summed gradient from the same
//! backward. Writes `book/data/perf/dpsgd.json`; `scripts/bench-opacus.py` sets Opacus beside it.
//!
//!   cargo bench -p equivariant-dp --bench dpsgd

use criterion::{BenchmarkId, Criterion, Throughput};
use equivariant_dp::method::{Glyphs, Kind, Net, step};
use kernels::perf::{
    PerfFile, criterion_mean_seconds, now_iso8601, publish_perf, this_machine, workspace_root,
};
use kernels::privacy::{DpSgd, privatize};
use kernels::rng::Rng;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const BATCH: usize = 64;
const MODELS: [(&str, Kind, [usize; 3]); 2] = [
    ("A", Kind::Plain, [16, 32, 32]),
    ("B", Kind::Equivariant, [2, 4, 4]),
];

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("dpsgd");
    g.throughput(Throughput::Elements(BATCH as u64));
    let mut rng = Rng::new(7);
    let data = Glyphs::generate(BATCH, &mut rng);
    let idx: Vec<usize> = (0..BATCH).collect();
    let cfg = DpSgd::new(1.0, 1.8).unwrap();
    for (name, kind, widths) in MODELS {
        let net = Net::new(kind, widths);
        let mut p = net.init(&mut rng);
        let mut noise = Rng::new(1);
        g.bench_with_input(BenchmarkId::new("non-private", name), &name, |b, _| {
            b.iter(|| step(&net, &mut p, &data, &idx, 1e-4, None, &mut noise))
        });
        g.bench_with_input(BenchmarkId::new("dp-sgd", name), &name, |b, _| {
            b.iter(|| {
                step(
                    &net,
                    &mut p,
                    &data,
                    &idx,
                    1e-4,
                    Some((&cfg, BATCH as f32)),
                    &mut noise,
                )
            })
        });
        let (x, y) = data.batch(&idx);
        let (_, _, per_sample) = net.gradients(&p, &x, &y, true);
        let z: Vec<f32> = (0..net.params).map(|_| noise.normal() as f32).collect();
        let mut out = vec![0.0; net.params];
        g.bench_with_input(BenchmarkId::new("privatize", name), &name, |b, _| {
            b.iter(|| {
                privatize(
                    &cfg,
                    black_box(&per_sample),
                    net.params,
                    &z,
                    BATCH as f32,
                    &mut out,
                )
            })
        });
    }
    g.finish();
}

fn write_perf(root: &Path, out: &Path) {
    let mut rows = Vec::new();
    for (name, kind, widths) in MODELS {
        let rate = |id: &str| {
            criterion_mean_seconds(out, "dpsgd", &format!("{id}/{name}")).map(|s| BATCH as f64 / s)
        };
        let (Some(np), Some(dp), Some(pv)) =
            (rate("non-private"), rate("dp-sgd"), rate("privatize"))
        else {
            continue;
        };
        rows.push(vec![
            name.to_string(),
            Net::new(kind, widths).params.to_string(),
            format!("{np:.3e}"),
            format!("{dp:.3e}"),
            format!("{:.2}", np / dp),
            format!("{:.1}%", 100.0 * dp / pv),
        ]);
    }
    let perf = PerfFile {
        family: "dpsgd".into(),
        machine: this_machine(),
        date: now_iso8601(),
        limit_name: "compute-bound; the yardstick is the non-private step of the same model".into(),
        limit_unit: "".into(),
        limit_value: 0.0,
        columns: ["model", "parameters", "non-private samples/s", "DP-SGD samples/s", "overhead (time ratio)", "privatize share of the DP step"]
            .map(String::from)
            .to_vec(),
        rows,
        notes: vec![
            "Batch 64 of 16 × 16 glyphs, one thread. Both steps share the forward and the im2col backward; DP-SGD writes one gradient row per sample (and, for B, scatters each row through the tied-weight map) before the fused clip–sum–noise pass.".into(),
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
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    write_perf(&root, &out);
}
