//! Matrix optimizers (Muon, FISMO) per step on one n × n weight, against the machine's
//! matrix-product rate measured in the same run. These steps are bound by dense linear algebra,
//! not memory: Muon's five quintic Newton–Schulz iterations are 15 n × n products, its exact
//! polar factor two Gram passes (a product and an eigendecomposition each), and FISMO adds an
//! eigendecomposition of each Kronecker factor and the products around them. The yardstick is
//! one n × n × n `dgemm` (matrixmultiply, SIMD, one thread, as the optimizers call it), so the
//! table says what a step costs in units of the product it is built from.
//!
//!   cargo bench -p kernels --bench matrix_optim

use criterion::{BenchmarkId, Criterion};
use kernels::optim::{Fismo, Layout, Muon, Optimizer, Orthogonalize, QUINTIC};
use kernels::perf::{
    PerfFile, criterion_mean_seconds, now_iso8601, publish_perf, this_machine, workspace_root,
};
use kernels::rng::Rng;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const SIZES: [usize; 4] = [64, 128, 256, 512];

const NS5: Orthogonalize = Orthogonalize::NewtonSchulz {
    steps: 5,
    coeffs: QUINTIC,
};

fn optimizers(n: usize) -> Vec<(&'static str, Box<dyn Optimizer>)> {
    let layout = || Layout::new(&[("w", &[n, n])]);
    vec![
        (
            "muon-ns5",
            Box::new(Muon::new(layout(), 0.02)) as Box<dyn Optimizer>,
        ),
        (
            "muon-exact",
            Box::new(Muon::new(layout(), 0.02).orthogonalize(Orthogonalize::Exact)),
        ),
        ("fismo-exact", Box::new(Fismo::new(layout(), 0.02))),
        (
            "fismo-ns5",
            Box::new(Fismo::new(layout(), 0.02).orthogonalize(NS5)),
        ),
    ]
}

/// One n × n × n product with matrixmultiply, as the optimizers' `gemm` calls it.
fn dgemm(n: usize, a: &[f64], b: &[f64], c: &mut [f64]) {
    // SAFETY: a, b and c are n × n row-major buffers.
    unsafe {
        matrixmultiply::dgemm(
            n,
            n,
            n,
            1.0,
            a.as_ptr(),
            n as isize,
            1,
            b.as_ptr(),
            n as isize,
            1,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        )
    }
}

fn bench(c: &mut Criterion) {
    let mut rng = Rng::new(0x5eed);
    let mut g = c.benchmark_group("matrix-optim");
    for n in SIZES {
        let a: Vec<f64> = (0..n * n).map(|_| rng.normal()).collect();
        let b: Vec<f64> = (0..n * n).map(|_| rng.normal()).collect();
        let mut out = vec![0.0; n * n];
        g.bench_with_input(BenchmarkId::new("dgemm", n), &n, |bch, _| {
            bch.iter(|| dgemm(n, black_box(&a), &b, &mut out))
        });
        let grads: Vec<f32> = (0..n * n).map(|_| 1e-3 * rng.normal() as f32).collect();
        let mut params = vec![0.0f32; n * n];
        for (key, mut opt) in optimizers(n) {
            opt.step(&mut params, &grads);
            g.bench_with_input(BenchmarkId::new(key, n), &n, |bch, _| {
                bch.iter(|| opt.step(black_box(&mut params), black_box(&grads)))
            });
        }
    }
    g.finish();
}

fn write_perf(root: &Path, out: &Path) {
    let secs = |id: &str| criterion_mean_seconds(out, "matrix-optim", id);
    let mut rows = Vec::new();
    let mut best_gflops: f64 = 0.0;
    for n in SIZES {
        let Some(gemm) = secs(&format!("dgemm/{n}")) else {
            continue;
        };
        let gflops = 2.0 * (n as f64).powi(3) / gemm / 1e9;
        best_gflops = best_gflops.max(gflops);
        for (key, opt) in optimizers(2) {
            let Some(s) = secs(&format!("{key}/{n}")) else {
                continue;
            };
            rows.push(vec![
                opt.name(),
                format!("{n} × {n}"),
                format!("{:.3}", s * 1e3),
                format!("{:.3}", gemm * 1e3),
                format!("{gflops:.1}"),
                format!("{:.1}", s / gemm),
            ]);
        }
    }
    let perf = PerfFile {
        family: "matrix-optim".into(),
        machine: this_machine(),
        date: now_iso8601(),
        limit_name: "best dgemm rate of the run (matrixmultiply, one thread)".into(),
        limit_unit: "GFLOP/s".into(),
        limit_value: (best_gflops * 10.0).round() / 10.0,
        columns: [
            "optimizer",
            "matrix",
            "ms per step",
            "ms per n × n dgemm",
            "dgemm GFLOP/s",
            "step in dgemms",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        notes: vec![
            "One n × n f32 weight with a fixed gradient; Muon at its official defaults (Nesterov, five quintic Newton–Schulz steps, the shape scale), FISMO at β = γ = 0.95, μ = 1e-3. Both compute in f64.".into(),
            "Step in dgemms: the step's time over one n × n × n product's, both measured in this run. Muon NS5's floor is 15 (three products per iteration); the exact polar factor and FISMO add eigendecompositions (kernels::spd::eigh, Householder tridiagonalisation and implicit QL), which cost several products each.".into(),
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
