//! GPU-versus-CPU parity of the CUDA kernels. Ignored by default: run with
//! `cargo test --release -p kernels --test gpu_parity -- --ignored` on a machine with a GPU.

use kernels::cuda::CudaSinkhorn;
use kernels::ot::{LogSinkhorn, l1_diff};

fn problem(n: usize, eta: f64) -> LogSinkhorn {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let cost: Vec<f64> = (0..n * n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    LogSinkhorn::uniform(cost, n, n, eta)
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(u, v)| (u - v).abs() / v.abs().max(1e-3))
        .fold(0.0, f64::max)
}

#[test]
#[ignore = "needs a CUDA device"]
fn sinkhorn_iterations_match_the_cpu() {
    for (n, eta, iters) in [(200, 300.0, 200), (500, 1200.0, 100), (1000, 50.0, 50)] {
        let pb = problem(n, eta);
        let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
        let mut gpu = CudaSinkhorn::new(&pb, &x, &y).expect("GPU set-up");
        for _ in 0..iters {
            pb.iterate(&mut x, &mut y);
        }
        gpu.iterate(iters).expect("GPU iterations");
        let (gx, gy) = gpu.potentials().unwrap();
        assert!(max_rel(&gx, &x) < 1e-10, "x differs at n={n}");
        assert!(max_rel(&gy, &y) < 1e-10, "y differs at n={n}");
        let p_cpu = pb.plan(&x, &y);
        let p_gpu = gpu.plan().unwrap();
        assert!(l1_diff(&p_cpu, &p_gpu) < 1e-9, "plans differ at n={n}");
    }
}

#[test]
fn missing_gpu_is_reported_not_panicked() {
    // On a machine without a driver this must be an Err with a reason; with one, Ok.
    match kernels::device::detect_cuda() {
        Ok(dev) => assert_eq!(dev.kind(), "cuda"),
        Err(reason) => assert!(!reason.is_empty()),
    }
}
