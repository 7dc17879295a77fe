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
        Ok(dev) => assert!(dev.is_cuda()),
        Err(reason) => assert!(!reason.is_empty()),
    }
}

/// Each element-wise optimizer on the GPU against its CPU reference: 10 steps on three tensors
/// (one of them large enough for many blocks), relative agreement 1e-5 (FMA contraction on the
/// device changes the last bits).
#[test]
#[ignore = "needs a CUDA device"]
fn optimizer_steps_match_the_cpu() {
    use kernels::cuda::{CudaOptimizer, Rule};
    use kernels::optim::{Adam, DiffGrad, Friction, Layout, Optimizer, Sgd, SgdSai, SignSgd};
    let layout = Layout::new(&[("w", &[300, 700]), ("b", &[700]), ("k", &[3, 5, 7])]);
    let n = layout.total;
    let mut s = 0x1234_5678u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let init: Vec<f32> = (0..n).map(|_| next()).collect();
    let grads: Vec<Vec<f32>> = (0..10)
        .map(|_| (0..n).map(|_| 0.1 * next()).collect())
        .collect();
    let cases: Vec<(Rule, Box<dyn Optimizer>)> = vec![
        (
            Rule::Sgd {
                lr: 0.1,
                momentum: 0.9,
                dampening: 0.1,
                nesterov: false,
                weight_decay: 0.01,
            },
            Box::new(
                Sgd::new(layout.clone(), 0.1)
                    .momentum(0.9, 0.1, false)
                    .weight_decay(0.01),
            ),
        ),
        (
            Rule::Sgd {
                lr: 0.05,
                momentum: 0.9,
                dampening: 0.0,
                nesterov: true,
                weight_decay: 0.0,
            },
            Box::new(Sgd::new(layout.clone(), 0.05).momentum(0.9, 0.0, true)),
        ),
        (
            Rule::Sgd {
                lr: 0.1,
                momentum: 0.0,
                dampening: 0.0,
                nesterov: false,
                weight_decay: 0.0,
            },
            Box::new(Sgd::new(layout.clone(), 0.1)),
        ),
        (
            Rule::Adam {
                lr: 1e-2,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                weight_decay: 0.05,
                decoupled: false,
            },
            Box::new(Adam::new(layout.clone(), 1e-2).weight_decay(0.05)),
        ),
        (
            Rule::Adam {
                lr: 1e-2,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                weight_decay: 0.1,
                decoupled: true,
            },
            Box::new(Adam::adamw(layout.clone(), 1e-2).weight_decay(0.1)),
        ),
        (
            Rule::DiffGrad {
                lr: 1e-2,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                weight_decay: 0.0,
                friction: Friction::Difference,
            },
            Box::new(DiffGrad::new(layout.clone(), 1e-2)),
        ),
        (
            Rule::DiffGrad {
                lr: 1e-2,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                weight_decay: 0.01,
                friction: Friction::Aliased,
            },
            Box::new(
                DiffGrad::new(layout.clone(), 1e-2)
                    .weight_decay(0.01)
                    .friction(Friction::Aliased),
            ),
        ),
        (
            Rule::SgdSai {
                lr: 1e-3,
                momentum: 0.9,
                eps: 1e-8,
                weight_decay: 1e-2,
            },
            Box::new(SgdSai::new(layout.clone(), 1e-3)),
        ),
        (
            Rule::SignSgd { lr: 1e-3 },
            Box::new(SignSgd::new(layout.clone(), 1e-3)),
        ),
    ];
    for (rule, mut cpu) in cases {
        let mut gpu = CudaOptimizer::new(rule, layout.clone()).expect("GPU set-up");
        let mut p_cpu = init.clone();
        let mut p_gpu = gpu.upload(&init).unwrap();
        for g in &grads {
            cpu.step(&mut p_cpu, g);
            let g_dev = gpu.upload(g).unwrap();
            gpu.step(&mut p_gpu, &g_dev).unwrap();
        }
        let back = gpu.download(&p_gpu).unwrap();
        let worst = back
            .iter()
            .zip(&p_cpu)
            .map(|(a, b)| (a - b).abs() / (1.0 + b.abs()))
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "{rule:?}: relative difference {worst:e}");
    }
}

#[test]
fn gpu_optimizer_without_a_gpu_is_an_error() {
    use kernels::cuda::{CudaOptimizer, Rule};
    if kernels::device::detect_cuda().is_err() {
        let r = CudaOptimizer::new(Rule::SignSgd { lr: 0.1 }, kernels::optim::Layout::flat(4));
        assert!(r.is_err());
    }
}

/// Batched matrix functions on the GPU against kernels::spd, n = 4 … 64.
#[test]
#[ignore = "needs a CUDA device"]
fn batched_spd_functions_match_the_cpu() {
    use kernels::spd::{MatFn, batch_matfn};
    for n in [4usize, 8, 16, 32, 64] {
        let batch = 200;
        let xs = kernels::spd::gram_batch(
            n,
            batch,
            &mut kernels::rng::Rng::new(0xdead_beef + n as u64),
        );
        for f in [
            MatFn::Sqrt,
            MatFn::InvSqrt,
            MatFn::Log,
            MatFn::Pow(0.3),
            MatFn::ReEigLog(1.5),
            MatFn::Abs,
        ] {
            let cpu = batch_matfn(&xs, n, f);
            let gpu = kernels::cuda::batch_matfn_gpu(&xs, n, f).expect("GPU run");
            let worst = cpu
                .iter()
                .zip(&gpu)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-10, "n = {n}, {f:?}: {worst:e}");
        }
    }
}

/// The DP-SGD clip, sum and noise on the GPU against kernels::privacy::privatize, with the same
/// normal draws; sizes from one sample to a CNN-sized parameter vector.
#[test]
#[ignore = "needs a CUDA device"]
fn dp_sgd_privatisation_matches_the_cpu() {
    use kernels::privacy::{DpSgd, privatize};
    let mut rng = kernels::rng::Rng::new(0x5eed);
    for (n, d) in [(1usize, 7usize), (64, 1000), (256, 14_000)] {
        let g: Vec<f32> = (0..n * d).map(|_| (0.05 * rng.normal()) as f32).collect();
        let z: Vec<f32> = (0..d).map(|_| rng.normal() as f32).collect();
        let step = DpSgd::new(1.0, 1.3).unwrap();
        let mut cpu = vec![0.0; d];
        privatize(&step, &g, d, &z, n as f32, &mut cpu);
        let gpu = kernels::cuda::privatize_gpu(&step, &g, d, &z, n as f32).expect("GPU run");
        let worst = cpu
            .iter()
            .zip(&gpu)
            .map(|(a, b)| (a - b).abs() / a.abs().max(1e-3))
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "n = {n}, d = {d}: {worst:e}");
    }
}

/// M-FAC's O(d m) products on the GPU inside a sliding-window product, against the CPU's
/// `DynamicIhvp::mul` after some window replacements; relative agreement 1e-12 (f64; the
/// reduction order of the dot products differs).
#[test]
#[ignore = "needs a CUDA device"]
fn mfac_products_match_the_cpu() {
    use kernels::optim::DynamicIhvp;
    let mut rng = kernels::rng::Rng::new(0xfac);
    for (m, d) in [(1usize, 5usize), (32, 1000), (64, 300_000)] {
        let g: Vec<f64> = (0..m * d).map(|_| rng.normal()).collect();
        let mut w = DynamicIhvp::new(&g, m, 1e-3);
        for _ in 0..3 {
            w.update(&(0..d).map(|_| rng.normal()).collect::<Vec<_>>());
        }
        let x: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
        let cpu = w.mul(&x);
        let gpu = kernels::cuda::mfac_mul_gpu(&w, &x).expect("GPU run");
        let num: f64 = cpu.iter().zip(&gpu).map(|(a, b)| (a - b).powi(2)).sum();
        let den: f64 = cpu.iter().map(|a| a * a).sum();
        assert!((num / den).sqrt() < 1e-12, "m = {m}, d = {d}");
    }
}

#[test]
fn mfac_window_without_a_gpu_is_an_error() {
    // Bad shapes are refused before any device is touched; without a GPU, a reason comes back.
    let bad = kernels::cuda::CudaWindow::new(&[1.0, 2.0, 3.0], 2);
    assert!(matches!(bad, Err(e) if e.0.contains("m × d")));
    if kernels::device::detect_cuda().is_err() {
        assert!(kernels::cuda::CudaWindow::new(&[1.0; 4], 2).is_err());
    }
}
