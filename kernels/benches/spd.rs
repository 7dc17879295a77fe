//! Batched SPD matrix functions: `kernels::spd::batch_matfn` (Householder tridiagonalisation +
//! implicit QL per matrix, rayon over the batch) and the cyclic Jacobi it replaced (the CUDA
//! kernel's algorithm) against nalgebra's `SymmetricEigen` (Householder tridiagonalisation + QR),
//! one matrix at a time and with rayon over the batch. Throughput in matrices per second for
//! n ∈ {4, 8, 16, 32, 64}; writes `book/data/perf/spd.json`.
//!
//!   cargo bench -p kernels --bench spd

use criterion::{BenchmarkId, Criterion, Throughput};
use kernels::perf::{
    PerfFile, criterion_mean_seconds, now_iso8601, publish_perf, this_machine, workspace_root,
};
use kernels::spd::{MatFn, batch_matfn, eigh_jacobi};
use nalgebra::{DMatrix, SymmetricEigen};
use rayon::prelude::*;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

/// Matrix sizes and batch sizes (1e4 where a batch takes under a second, fewer for the largest).
const PLAN: [(usize, usize); 5] = [
    (4, 10_000),
    (8, 10_000),
    (16, 10_000),
    (32, 1_000),
    (64, 250),
];

fn batch(n: usize, count: usize) -> Vec<f64> {
    kernels::spd::gram_batch(n, count, &mut kernels::rng::Rng::new(0x5eed + n as u64))
}

/// sqrt of one matrix with nalgebra.
fn nalgebra_sqrt(x: &[f64], n: usize) -> DMatrix<f64> {
    let e = SymmetricEigen::new(DMatrix::from_row_slice(n, n, x));
    let d = DMatrix::from_diagonal(&e.eigenvalues.map(f64::sqrt));
    &e.eigenvectors * d * e.eigenvectors.transpose()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("spd");
    for (n, count) in PLAN {
        let xs = batch(n, count);
        g.throughput(Throughput::Elements(count as u64));
        g.bench_with_input(BenchmarkId::new("ql-rayon", n), &n, |b, _| {
            b.iter(|| batch_matfn(black_box(&xs), n, MatFn::Sqrt))
        });
        g.bench_with_input(BenchmarkId::new("jacobi-rayon", n), &n, |b, _| {
            b.iter(|| {
                xs.par_chunks(n * n)
                    .map(|x| eigh_jacobi(black_box(x), n).apply(f64::sqrt))
                    .collect::<Vec<_>>()
            })
        });
        g.bench_with_input(BenchmarkId::new("nalgebra-loop", n), &n, |b, _| {
            b.iter(|| {
                xs.chunks(n * n)
                    .map(|x| nalgebra_sqrt(black_box(x), n))
                    .collect::<Vec<_>>()
            })
        });
        g.bench_with_input(BenchmarkId::new("nalgebra-rayon", n), &n, |b, _| {
            b.iter(|| {
                xs.par_chunks(n * n)
                    .map(|x| nalgebra_sqrt(black_box(x), n))
                    .collect::<Vec<_>>()
            })
        });
        if kernels::device::detect_cuda().is_ok() {
            g.bench_with_input(BenchmarkId::new("cuda", n), &n, |b, _| {
                b.iter(|| kernels::cuda::batch_matfn_gpu(black_box(&xs), n, MatFn::Sqrt).unwrap())
            });
        }
    }
    g.finish();
}

fn write_perf(root: &Path, out: &Path) {
    let mut rows = Vec::new();
    for (n, count) in PLAN {
        let rate = |id: &str| {
            criterion_mean_seconds(out, "spd", &format!("{id}/{n}")).map(|s| count as f64 / s)
        };
        let (Some(ours), Some(jacobi), Some(lp), Some(par)) = (
            rate("ql-rayon"),
            rate("jacobi-rayon"),
            rate("nalgebra-loop"),
            rate("nalgebra-rayon"),
        ) else {
            continue;
        };
        rows.push(vec![
            n.to_string(),
            count.to_string(),
            format!("{ours:.3e}"),
            format!("{jacobi:.3e}"),
            format!("{lp:.3e}"),
            format!("{par:.3e}"),
            format!("{:.2}", ours / par),
            rate("cuda").map_or("—".into(), |r| format!("{r:.3e}")),
        ]);
    }
    let perf = PerfFile {
        family: "spd".into(),
        machine: this_machine(),
        date: now_iso8601(),
        limit_name: "compute-bound, so the yardstick is nalgebra on the same machine".into(),
        limit_unit: "".into(),
        limit_value: 0.0,
        columns: [
            "n",
            "batch",
            "kernels::spd (QL) matrices/s",
            "Jacobi + rayon",
            "nalgebra loop",
            "nalgebra + rayon",
            "ours ÷ nalgebra + rayon",
            "CUDA matrices/s",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        notes: vec![
            "Each matrix: eigendecomposition and the square root V diag(√λ) Vᵀ of G Gᵀ + I (G uniform in ±0.5), in f64. kernels::spd uses Householder tridiagonalisation and implicit QL (EISPACK's tred2/tql2 pair, written for row-major slices, the rotations applied to contiguous rows); cyclic Jacobi is the CUDA kernel's algorithm and was the CPU path until 2026-12-03; nalgebra uses Householder tridiagonalisation and implicit QR.".into(),
            "The batch is 1e4 matrices up to n = 16, then 1,000 (n = 32) and 250 (n = 64) so that one measurement stays under a few seconds on two cores; throughput is per matrix either way.".into(),
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
