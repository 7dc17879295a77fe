use sinkhorn_newton::experiment::{lap_cost, run_instance};
use sinkhorn_newton::method::SnsConfig;
fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    let (n, eta, cap) = (args[0], args[1] as f64, args[2]);
    for seed in 0..args[3] as u64 {
        let r = run_instance(lap_cost(seed, n), n, eta, seed, &SnsConfig::default(), cap, || {});
        println!("seed {seed}: sns {}+{} err {:e} {:.3}s stalled {:?} | sinkhorn {} conv {} err {:e} {:.2}s | mass {:.5} cost {:.6} lap {:.6} bound {:.6}",
          r.sns.sinkhorn_iters, r.sns.newton_iters, r.sns.final_error(), r.sns_seconds, r.sns.stalled,
          r.sinkhorn.sinkhorn_iters, r.sinkhorn.converged, r.sinkhorn.final_error(), r.sinkhorn_seconds,
          r.top_mass, r.sns_cost, r.lap_cost_over_n, (n as f64).ln()/eta);
    }
}
#[allow(dead_code)]
fn unused() {}
