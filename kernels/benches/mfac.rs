//! M-FAC's sliding-window costs (the paper's M2 claim as a benchmark): the product `F⁻¹ x` of
//! `kernels::optim::DynamicIhvp` against `d` at m = 16, with the window out of the last-level
//! cache, as bytes per second of the window against the machine's copy rate measured in the same
//! run; and the time to replace one gradient against `m` at d = 1e4 (a full cycle of the window,
//! since the work depends on the row replaced). Writes `book/data/perf/mfac-product.json` and
//! `book/data/perf/mfac-update.json`, with the fitted log-log slopes in their notes.
//!
//!   cargo bench -p kernels --bench mfac

use criterion::{BenchmarkId, Criterion};
use kernels::membw::copy_bandwidth;
use kernels::optim::DynamicIhvp;
use kernels::perf::{
    PerfFile, criterion_mean_seconds, now_iso8601, publish_perf, this_machine, workspace_root,
};
use kernels::rng::Rng;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const M: usize = 16;
const DIMS: [usize; 3] = [1_000_000, 2_000_000, 4_000_000];
const UPDATE_D: usize = 10_000;
const UPDATE_MS: [usize; 5] = [16, 32, 64, 128, 256];

fn uniforms(rng: &mut Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.uniform() - 0.5).collect()
}

fn bench(c: &mut Criterion) {
    let mut rng = Rng::new(0xfac);
    let mut g = c.benchmark_group("mfac");
    let gpu = kernels::device::detect_cuda().is_ok();
    for d in DIMS {
        let w = DynamicIhvp::new(&uniforms(&mut rng, M * d), M, 1e-3);
        let x = uniforms(&mut rng, d);
        g.bench_with_input(BenchmarkId::new("mul", d), &d, |b, _| {
            b.iter(|| w.mul(black_box(&x)))
        });
        if gpu {
            let cw = kernels::cuda::CudaWindow::new(w.window(), M).expect("GPU window");
            g.bench_with_input(BenchmarkId::new("mul-cuda", d), &d, |b, _| {
                b.iter(|| {
                    let gx = cw.products(black_box(&x)).unwrap();
                    cw.combine(&w.coefficients(&gx), &x, w.inv_damp()).unwrap()
                })
            });
        }
    }
    for m in UPDATE_MS {
        let mut w = DynamicIhvp::new(&uniforms(&mut rng, m * UPDATE_D), m, 1e-3);
        let fresh: Vec<Vec<f64>> = (0..m).map(|_| uniforms(&mut rng, UPDATE_D)).collect();
        g.bench_with_input(BenchmarkId::new("update-cycle", m), &m, |b, _| {
            b.iter(|| fresh.iter().for_each(|v| w.update(black_box(v))))
        });
    }
    g.finish();
}

/// The least-squares slope of `ln y` against `ln x`.
fn log_slope(x: &[f64], y: &[f64]) -> f64 {
    let (lx, ly): (Vec<f64>, Vec<f64>) = x.iter().zip(y).map(|(a, b)| (a.ln(), b.ln())).unzip();
    let n = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = lx.iter().map(|a| (a - mx).powi(2)).sum();
    sxy / sxx
}

fn write_perf(root: &Path, out: &Path, copy: f64) {
    let secs = |id: &str| criterion_mean_seconds(out, "mfac", id);
    let mut rows = Vec::new();
    let (mut ds, mut ts) = (Vec::new(), Vec::new());
    for d in DIMS {
        let Some(s) = secs(&format!("mul/{d}")) else {
            continue;
        };
        // G is read twice (G x, then Gᵀ c); x read twice and the result written are counted too.
        let bytes = (2 * M * d + 3 * d) as f64 * 8.0;
        ds.push(d as f64);
        ts.push(s);
        rows.push(vec![
            d.to_string(),
            M.to_string(),
            format!("{:.3e}", s),
            format!("{:.2}", bytes / s / 1e9),
            format!("{:.2}", bytes / s / copy),
            secs(&format!("mul-cuda/{d}")).map_or("—".into(), |g| format!("{g:.3e}")),
        ]);
    }
    let slope = if ts.len() > 1 {
        log_slope(&ds, &ts)
    } else {
        f64::NAN
    };
    publish_perf(
        root,
        &PerfFile {
            family: "mfac-product".into(),
            machine: this_machine(),
            date: now_iso8601(),
            limit_name: "parallel copy of 2^25 f64 (read + write), same run".into(),
            limit_unit: "GB/s".into(),
            limit_value: copy / 1e9,
            columns: [
                "d",
                "m",
                "seconds per product",
                "GB/s",
                "÷ copy rate",
                "CUDA seconds (with host transfers of x and the result)",
            ]
            .map(String::from)
            .to_vec(),
            rows,
            notes: vec![
                format!("Log-log slope of the product time against d: {slope:.3} (linear time is 1)."),
                "DynamicIhvp::mul in f64: G x (one dot per row, rayon over rows), the O(m²) substitution on the host, then x/λ + Σ cᵢ gᵢ (rayon over blocks of coordinates). The window is 8·m·d bytes, 128–512 MB here, beyond the 105 MB last-level cache of the machine this was written for.".into(),
            ],
        },
    );
    let mut rows = Vec::new();
    let (mut ms, mut us) = (Vec::new(), Vec::new());
    for m in UPDATE_MS {
        let Some(s) = secs(&format!("update-cycle/{m}")) else {
            continue;
        };
        let per = s / m as f64;
        ms.push(m as f64);
        us.push(per);
        rows.push(vec![
            m.to_string(),
            UPDATE_D.to_string(),
            format!("{per:.3e}"),
            format!("{:.3e}", per / (UPDATE_D * m) as f64),
            format!("{:.3e}", per / (m as f64).powi(3)),
        ]);
    }
    let tail = us.len().saturating_sub(2);
    let slope = if us.len() > 2 {
        log_slope(&ms[tail..], &us[tail..])
    } else {
        f64::NAN
    };
    publish_perf(
        root,
        &PerfFile {
            family: "mfac-update".into(),
            machine: this_machine(),
            date: now_iso8601(),
            limit_name: "none: compute-bound, read as cost per d·m and per m³".into(),
            limit_unit: "".into(),
            limit_value: 0.0,
            columns: [
                "m",
                "d",
                "seconds per replaced gradient",
                "÷ (d·m)",
                "÷ m³",
            ]
            .map(String::from)
            .to_vec(),
            rows,
            notes: vec![
                format!("Log-log slope of the update time against m over the two largest windows: {slope:.3} (3 when the m³ term dominates, 1 when d·m does)."),
                "One replacement writes a row of G and of G Gᵀ (O(d m)), then redoes the un-pivoted LU of G Gᵀ/λ + m I (O(m³)) and the rows of B from the replaced index on; each measurement is a full cycle of m replacements, divided by m.".into(),
            ],
        },
    );
}

fn main() {
    let root = workspace_root();
    let out = root.join("target/criterion");
    let copy = copy_bandwidth(1 << 25, 5);
    let mut c = Criterion::default()
        .output_directory(&out)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    write_perf(&root, &out, copy);
}
