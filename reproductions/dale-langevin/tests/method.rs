//! The two updates are the reverse SDE's Euler–Maruyama steps in log and ambient space, the
//! M-DSM loss is its regression form, and bad input is refused by name.

use dale_langevin::method::{Sampler, mdsm_entry, mdsm_entry_as_regression, sample, step};
use harness::rng::Rng;
use harness::{Ctx, Scale};
use kernels::diffusion::GaussianMixture;
use kernels::diffusion::gbm::Gbm;

fn gbm() -> Gbm {
    Gbm::new(0.32, 0.8).unwrap()
}

#[test]
fn adls_is_euler_maruyama_in_log_space_and_aums_agrees_to_first_order() {
    let g = gbm();
    let (x, s, z) = (1.4, -0.7, 0.3);
    for delta in [1e-2, 1e-3, 1e-4] {
        let adls = step(&g, Sampler::Adls, x, s, delta, z);
        // log-space reverse drift μ − 1.5σ² − σ² s_H, stepped backwards.
        let s2 = g.sigma * g.sigma;
        let want = x.ln() - delta * (g.mu - 1.5 * s2 - s2 * s) + delta.sqrt() * g.sigma * z;
        assert!((adls.ln() - want).abs() < 1e-14, "δ = {delta}");
        let aums = step(&g, Sampler::Aums, x, s, delta, z);
        // The two differ by the Itô term ½(√δ σ z)² x and higher orders: O(δ).
        assert!(
            (aums - adls).abs() < 5.0 * delta * x,
            "δ = {delta}: {aums} vs {adls}"
        );
    }
}

#[test]
fn the_loss_is_its_regression_form() {
    let g = gbm();
    for (s, x, x0, tau) in [
        (0.3, 1.2, 0.9, 0.5),
        (-2.0, 0.2, 0.4, 0.01),
        (5.0, 3.0, 1.0, 1.0),
    ] {
        let (a, b) = (
            mdsm_entry(&g, s, x, x0, tau),
            mdsm_entry_as_regression(&g, s, x, x0, tau),
        );
        assert!((a - b).abs() <= 1e-12 * b.max(1.0), "{a} vs {b}");
    }
}

#[test]
fn more_levels_sample_the_data_better() {
    let (g, gm) = (
        gbm(),
        GaussianMixture {
            dim: 2,
            means: vec![0.0, 0.0, 0.8, -0.4],
            std: 0.15,
        },
    );
    let mut rng = Rng::new(7);
    let start: Vec<f64> = g
        .log_marginal(&gm, 1.0)
        .sample(600, &mut rng)
        .iter()
        .map(|y| y.exp())
        .collect();
    let data = gm.sample(2000, &mut rng);
    let ed = |levels| {
        let out = sample(
            &g,
            &gm,
            Sampler::Adls,
            levels,
            start.clone(),
            &mut Rng::new(1),
        )
        .unwrap();
        assert_eq!(out.non_positive, 0);
        let y: Vec<f64> = out.x.iter().map(|v| v.ln()).collect();
        kernels::diffusion::energy_distance(&y, &data, 2)
    };
    let (coarse, fine) = (ed(5), ed(200));
    assert!(
        fine < coarse / 2.0,
        "200 levels: {fine}, 5 levels: {coarse}"
    );
}

#[test]
fn bad_input_is_named() {
    let (g, gm) = (
        gbm(),
        GaussianMixture {
            dim: 2,
            means: vec![0.0, 0.0],
            std: 0.15,
        },
    );
    let zero = sample(&g, &gm, Sampler::Adls, 0, vec![1.0, 1.0], &mut Rng::new(1)).unwrap_err();
    assert!(zero.to_string().contains("levels"), "{zero}");
    let neg = sample(
        &g,
        &gm,
        Sampler::Aums,
        10,
        vec![1.0, -1.0],
        &mut Rng::new(1),
    )
    .unwrap_err();
    assert!(neg.to_string().contains("positive data"), "{neg}");
    let ctx = Ctx::for_tests("dale-langevin", Scale::Ci, 0);
    let mut plan = dale_langevin::plan(Scale::Ci);
    plan.control_levels = 0;
    let err = dale_langevin::experiment::run(&ctx, &plan).unwrap_err();
    assert!(err.0.contains("at least 1"), "{}", err.0);
    let mut plan = dale_langevin::plan(Scale::Ci);
    plan.sigma = -1.0;
    let err = dale_langevin::experiment::run(&ctx, &plan).unwrap_err();
    assert!(err.0.contains("σ"), "{}", err.0);
}

#[test]
fn the_updates_and_the_loss_match_the_official_code() {
    let (step, loss) = dale_langevin::experiment::official_errors().unwrap();
    assert!(
        step < 1e-12 && loss < 1e-12,
        "steps {step:e}, loss {loss:e}"
    );
}
