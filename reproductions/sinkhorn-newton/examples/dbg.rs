use sinkhorn_newton::experiment::lap_cost;
use sinkhorn_newton::method::*;
use kernels::ot::LogSinkhorn;
fn main() {
    let n = 200; let eta = 1200.0;
    let pb = LogSinkhorn::uniform(lap_cost(0, n), n, n, eta);
    let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
    let cgmax: usize = std::env::args().nth(1).unwrap().parse().unwrap(); let lam: f64 = std::env::args().nth(2).unwrap().parse().unwrap(); let cfg = SnsConfig { max_newton: 40, cg_max_iter: Some(cgmax), lambda_times_n: lam, ..Default::default() };
    let t = sns(&pb, &mut x, &mut y, &cfg, |_| {});
    for k in 0..t.newton_iters { println!("newton {k}: err {:e} cg {} step {} kept {}", t.errors[20+k], t.cg_iters[k], t.steps[k], t.kept[k]); }
    println!("{:?}", t.stalled);
}
