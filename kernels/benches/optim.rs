//! Optimizer steps against the machine's memory bandwidth, measured in the same run.
//!
//! Each step must move a known number of bytes (AdamW reads p, g, m, v and writes p, m, v:
//! 28 bytes per f32 parameter); the table gives elements/s, bytes/s and the fraction of the
//! parallel-copy bandwidth, and is written to `book/data/perf/optim.json` for the book.
//!
//! `cargo bench -p kernels --bench optim` (add `-- --quick` for a fast pass).

use criterion::{BenchmarkId, Criterion, Throughput};
use kernels::membw::{copy_bytes, parallel_copy, twin_bytes, twin_step};
use kernels::optim::{Adam, AdamP, DiffGrad, Layout, Optimizer, Sgd, SgdSai, Sgdp, SignSgd};
use kernels::perf::{
    PerfFile, criterion_mean_seconds, now_iso8601, publish_perf, this_machine, workspace_root,
};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const COPY_LEN: usize = 1 << 24;
const SIZES: [usize; 5] = [10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/// State buffers each optimizer streams, capped at the two of the largest twin (selects the
/// memory-only twin it is compared with).
fn states(key: &str) -> usize {
    match key {
        "sgd-momentum" | "sgd-sai" | "sgdp" => 1,
        "adam" | "adamw" | "diffgrad" | "adamp" => 2,
        _ => 0,
    }
}

/// A matrix layout (rows of 1000, which divides every bench size) for the optimizers whose projection works on rows.
fn matrix(n: usize) -> Layout {
    let cols = 1000.min(n);
    Layout::new(&[("w", &[n / cols, cols])])
}

fn optimizers(n: usize) -> Vec<(&'static str, Box<dyn Optimizer>)> {
    vec![
        (
            "sgd",
            Box::new(Sgd::new(Layout::flat(n), 0.01)) as Box<dyn Optimizer>,
        ),
        (
            "sgd-momentum",
            Box::new(Sgd::new(Layout::flat(n), 0.01).momentum(0.9, 0.0, false)),
        ),
        ("adam", Box::new(Adam::new(Layout::flat(n), 1e-3))),
        ("adamw", Box::new(Adam::adamw(Layout::flat(n), 1e-3))),
        ("sign-sgd", Box::new(SignSgd::new(Layout::flat(n), 1e-3))),
        ("diffgrad", Box::new(DiffGrad::new(Layout::flat(n), 1e-3))),
        ("sgd-sai", Box::new(SgdSai::new(Layout::flat(n), 1e-3))),
        (
            "sgdp",
            Box::new(Sgdp::new(matrix(n), 0.1).momentum(0.9, 0.0, false)),
        ),
        (
            "adamp",
            Box::new(AdamP::new(matrix(n), 1e-3).weight_decay(1e-2)),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("membw");
    let src: Vec<f64> = (0..COPY_LEN).map(|i| i as f64).collect();
    let mut dst = vec![0.0; COPY_LEN];
    g.throughput(Throughput::Bytes(copy_bytes(COPY_LEN) as u64));
    g.bench_function("copy", |b| {
        b.iter(|| parallel_copy(black_box(&src), &mut dst))
    });
    g.finish();
    drop((src, dst));

    let mut g = c.benchmark_group("optim");
    for n in SIZES {
        let mut params: Vec<f32> = (0..n).map(|i| (i % 97) as f32 * 1e-3).collect();
        let grads: Vec<f32> = (0..n).map(|i| ((i % 89) as f32 - 44.0) * 1e-4).collect();
        let (mut s1, mut s2) = (vec![0.0f32; n], vec![0.0f32; n]);
        for k in 0..3 {
            g.throughput(Throughput::Bytes(twin_bytes(n, k) as u64));
            g.bench_with_input(BenchmarkId::new(format!("twin{k}"), n), &n, |b, _| {
                b.iter(|| twin_step(black_box(&mut params), &grads, &mut s1, &mut s2, k))
            });
        }
        drop((s1, s2));
        for (key, mut opt) in optimizers(n) {
            opt.step(&mut params, &grads); // allocate state, touch pages
            g.throughput(Throughput::Bytes(opt.bytes_per_step() as u64));
            g.bench_with_input(BenchmarkId::new(key, n), &n, |b, _| {
                b.iter(|| opt.step(black_box(&mut params), black_box(&grads)))
            });
        }
    }
    g.finish();
}

fn write_perf(root: &Path, out: &Path) {
    let Some(copy_s) = criterion_mean_seconds(out, "membw", "copy") else {
        eprintln!("no copy measurement: the perf table is not written");
        return;
    };
    let copy_bw = copy_bytes(COPY_LEN) as f64 / copy_s / 1e9;
    let mut rows = Vec::new();
    for n in SIZES {
        for (key, opt) in optimizers(16) {
            let Some(s) = criterion_mean_seconds(out, "optim", &format!("{key}/{n}")) else {
                continue;
            };
            let Some(twin) =
                criterion_mean_seconds(out, "optim", &format!("twin{}/{n}", states(key)))
            else {
                continue;
            };
            let per_elt = opt.bytes_per_step() / 16;
            let gbs = (per_elt * n) as f64 / s / 1e9;
            let twin_gbs = twin_bytes(n, states(key)) as f64 / twin / 1e9;
            rows.push(vec![
                opt.name(),
                format!("{n:e}"),
                per_elt.to_string(),
                format!("{:.3e}", n as f64 / s),
                format!("{gbs:.2}"),
                format!("{:.2}", twin_gbs),
                format!("{:.0}%", 100.0 * gbs / twin_gbs),
            ]);
        }
    }
    let perf = PerfFile {
        family: "optim".into(),
        machine: this_machine(),
        date: now_iso8601(),
        limit_name: "parallel copy bandwidth (read + write counted, 128 MiB buffers)".into(),
        limit_unit: "GB/s".into(),
        limit_value: (copy_bw * 100.0).round() / 100.0,
        columns: [
            "optimizer",
            "parameters",
            "bytes per parameter",
            "elements/s",
            "GB/s",
            "twin GB/s",
            "of twin speed",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        notes: vec![
            "Bytes per parameter: SGD reads p, g and writes p (12); with momentum also reads and writes the buffer (20); Adam and AdamW read p, g, m, v and write p, m, v (28); sign-SGD 12; diffGrad also reads and writes the previous gradient (36); SGD-SaI as SGD with momentum (20); SGDP and AdamP make two passes, one for the row statistics and one for the projected update (32 and 40), on a matrix with rows of 1000.".into(),
            "Twin speed: the optimizer's GB/s over the GB/s of the twin with its number of state streams (two for diffGrad and AdamP, whose own patterns have no twin); for a one-pass optimizer with a twin of identical traffic this is the twin's time over the optimizer's.".into(),
            "The twin is a kernel that moves exactly the same bytes with one add per stream (kernels::membw::twin_step), measured at the same size in the same run: \"of twin speed\" is how close the optimizer gets to the machine's speed for its own access pattern. The copy bandwidth above counts read and write but not the copy's read-for-ownership traffic, so multi-stream in-place kernels can exceed it; sizes up to 1e6 fit in cache.".into(),
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
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    write_perf(&root, &out);
}
