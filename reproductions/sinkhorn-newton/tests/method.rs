//! The method against golden values (POT, SciPy) and against its own invariants.

use kernels::ot::Marginals;
use kernels::ot::{LogSinkhorn, linear_assignment};
use sinkhorn_newton::experiment::{compare_with_pot, lap_cost, pot_fixture, unit_checks};
use sinkhorn_newton::method::{
    SnsConfig, marginal_error, sinkhorn, sns, sparsify, top_mass_fraction,
};

/// An `n x n` instance after the 20-step warm-up: problem, plan, marginals, gradient.
fn warm_state(n: usize, seed: u64, eta: f64) -> (LogSinkhorn, Vec<f64>, Marginals, Vec<f64>) {
    let pb = LogSinkhorn::uniform(lap_cost(seed, n), n, n, eta);
    let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
    sinkhorn(&pb, &mut x, &mut y, 0.0, 20, |_| {});
    let p = pb.plan(&x, &y);
    let marg = pb.marginals_of(&p);
    let grad = pb.gradient(&marg);
    (pb, p, marg, grad)
}

#[test]
fn the_fixture_instance_is_recreated_and_matches_pot_and_scipy() {
    let fixture = pot_fixture().unwrap();
    assert_eq!(fixture.versions["POT"], "0.9.5");
    let inst = &fixture.instances[0];
    // The seed the runner derives for this experiment is the fixture's seed.
    assert_eq!(
        harness::rng::derive_seed(0, "sinkhorn-newton", &inst.experiment, inst.repeat).to_string(),
        inst.seed
    );
    assert!(
        inst.pot_marginal_error < 1e-12,
        "POT converged when the fixture was written"
    );
    let c = compare_with_pot(inst, &SnsConfig::default()).unwrap();
    assert!(c.sns_error <= 1e-10);
    assert!(
        c.plan_l1 <= 1e-8,
        "plan differs from POT's by {}",
        c.plan_l1
    );
    assert!(c.lap_diff <= 1e-9 && c.emd_diff <= 1e-12);
    // The assignment itself agrees with SciPy's (unique optimum for continuous random costs).
    let n = inst.n;
    let cost = lap_cost(inst.seed.parse().unwrap(), n);
    let (perm, _) = linear_assignment(&cost, n).unwrap();
    assert_eq!(perm, inst.lap_col_of_row);
}

#[test]
fn newton_direction_is_an_ascent_direction_and_sns_beats_sinkhorn() {
    let n = 60;
    let pb = LogSinkhorn::uniform(lap_cost(11, n), n, n, 400.0);
    let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
    let trace = sns(&pb, &mut x, &mut y, &SnsConfig::default(), |_| {});
    assert!(trace.converged, "{:?}", trace.stalled);
    assert_eq!(trace.errors.len(), trace.total_iters() + 1);
    assert!((marginal_error(&pb, &x, &y) - trace.final_error()).abs() < 1e-15);
    // Every accepted step increased f: the line search only accepts positive gains.
    assert!(trace.steps.iter().all(|&a| a > 0.0 && a <= 1.0));
    let (mut xs, mut ys) = (vec![0.0; n], vec![0.0; n]);
    let sk = sinkhorn(&pb, &mut xs, &mut ys, 1e-10, 100_000, |_| {});
    assert!(sk.sinkhorn_iters > trace.total_iters());
}

#[test]
fn sparsification_respects_its_budget_and_keeps_the_diagonal() {
    let n = 40;
    let (pb, p, marg, _) = warm_state(n, 5, 300.0);
    let s = sparsify(&pb, &p, &marg, 2.0 / n as f64);
    assert_eq!(s.budget, 8 * n);
    // Diagonal present in every row; off-diagonal entries come in symmetric pairs.
    for i in 0..2 * n {
        let cols = &s.matrix.col[s.matrix.row_ptr[i]..s.matrix.row_ptr[i + 1]];
        assert!(cols.contains(&i));
    }
    assert_eq!((s.matrix.nnz() - 2 * n) % 2, 0);
    assert!(
        s.matrix.nnz() <= s.budget + 2 * n,
        "ties aside, no more than the budget plus the diagonal"
    );
    let f = top_mass_fraction(&pb, &p, &marg, 2.0 / n as f64);
    assert!((0.0..=1.0).contains(&f));
    assert!(
        top_mass_fraction(&pb, &p, &marg, 1.0) > 1.0 - 1e-12,
        "all entries carry all mass"
    );
}

#[test]
fn calculus_checks_pass_on_several_instances() {
    for seed in 0..3 {
        let u = unit_checks(seed, 8, 20.0);
        assert!(u.grad_rel_err < 1e-6, "{u:?}");
        assert!(u.hvp_rel_err < 1e-5, "{u:?}");
        assert!(
            u.dd_margin_dense > -1e-12 && u.dd_margin_sparse > -1e-12,
            "{u:?}"
        );
        assert!(u.null_residual < 1e-12, "{u:?}");
    }
}

#[test]
fn a_flipped_hessian_sign_makes_no_progress() {
    // The third-party bug: solving with -M gives -d, a descent direction of the concave f.
    let n = 30;
    let (pb, p, marg, grad) = warm_state(n, 3, 200.0);
    let s = sparsify(&pb, &p, &marg, 2.0 / n as f64);
    let d = kernels::sparse::conjugate_gradient(&s.matrix, &grad, 1e-12, 10_000).x;
    let (dx, dy) = d.split_at(n);
    let neg: Vec<f64> = d.iter().map(|v| -v).collect();
    let (nx, ny) = neg.split_at(n);
    let up = pb.potential_gain(&p, &marg, dx, dy, 1e-3);
    let down = pb.potential_gain(&p, &marg, nx, ny, 1e-3);
    assert!(up > 0.0 && down < 0.0, "ascent {up}, flipped {down}");
}

/// CG on the sparsified Newton matrix against a dense pseudo-inverse solve (nalgebra SVD): the
/// matrix can be singular (null vector (1, -1) on blocks where nothing was dropped), and CG from
/// zero must still return the minimum-norm solution of the consistent system.
#[test]
fn cg_matches_a_dense_pseudo_inverse_solve() {
    use nalgebra::{DMatrix, DVector};
    let n = 25;
    let (pb, p, marg, grad) = warm_state(n, 8, 500.0);
    let s = sparsify(&pb, &p, &marg, 2.0 / n as f64);
    let cg = kernels::sparse::conjugate_gradient(&s.matrix, &grad, 1e-13, 100_000);
    assert!(cg.converged);
    let mut dense = DMatrix::<f64>::zeros(2 * n, 2 * n);
    for i in 0..2 * n {
        for k in s.matrix.row_ptr[i]..s.matrix.row_ptr[i + 1] {
            dense[(i, s.matrix.col[k])] = s.matrix.val[k];
        }
    }
    let svd = dense.clone().svd(true, true);
    let smax = svd.singular_values.max();
    let reference = svd
        .solve(&DVector::from_vec(grad.clone()), 1e-12 * smax)
        .unwrap();
    let d = DVector::from_vec(cg.x.clone());
    let g = DVector::from_vec(grad.clone());
    // CG really solves the system (checked densely, independently of CG's own recurrence).
    let resid = (&dense * &d - &g).amax() / g.amax();
    assert!(resid <= 1e-9, "dense residual of the CG solution {resid:e}");
    assert!(
        svd.singular_values.min() <= 1e-12 * smax,
        "this instance is singular, as argued"
    );
    // It differs from the minimum-norm solution only by a null vector of M_s, which here is the
    // global (1, -1) direction along which f is constant: the Newton step is the same.
    let diff = &d - &reference;
    assert!((&dense * &diff).amax() <= 1e-9 * g.amax());
    let ones: DVector<f64> =
        DVector::from_fn(2 * n, |i, _| if i < n { 1.0 } else { -1.0 }) / ((2 * n) as f64).sqrt();
    let along = diff.dot(&ones);
    let rest = (&diff - &ones * along).amax();
    assert!(
        rest <= 1e-6 * reference.amax(),
        "difference off the (1, -1) direction: {rest:e}"
    );
}

/// The GPU baseline stops where the CPU one does. Needs a CUDA device:
/// `cargo test --release -p sinkhorn-newton --test method -- --ignored`.
#[test]
#[ignore = "needs a CUDA device"]
fn gpu_sinkhorn_baseline_matches_the_cpu() {
    let n = 200;
    let pb = LogSinkhorn::uniform(lap_cost(2, n), n, n, 300.0);
    let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
    let cpu = sinkhorn(&pb, &mut x, &mut y, 1e-10, 50_000, |_| {});
    let gpu = sinkhorn_newton::method::sinkhorn_cuda(&pb, 1e-10, 50_000, |_| {}).expect("GPU run");
    assert!(cpu.converged && gpu.converged);
    assert!(
        cpu.sinkhorn_iters.abs_diff(gpu.sinkhorn_iters) <= 1,
        "{} vs {}",
        cpu.sinkhorn_iters,
        gpu.sinkhorn_iters
    );
}
