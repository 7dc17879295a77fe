//! The LM direction solves the damped system, and DDIM with exact scores reaches the data law as
//! the steps grow (so M2's gaps are the samplers', not the scorer's).

use kernels::diffusion::{GaussianMixture, energy_distance, linear_alphas_cumprod};
use lml::method::{sample, sherman_morrison};

#[test]
fn sherman_morrison_solves_the_damped_system() {
    let g = [0.3, -1.2, 2.0, 0.5];
    let gbar = [1.0, 0.4, -0.7, 0.2];
    let lambda = 0.05;
    let d: Vec<f64> = sherman_morrison(&g, &gbar, lambda)
        .iter()
        .map(|v| v / lambda)
        .collect();
    let dot: f64 = gbar.iter().zip(&d).map(|(a, b)| a * b).sum();
    for i in 0..4 {
        let lhs = lambda * d[i] + gbar[i] * dot;
        assert!((lhs - g[i]).abs() < 1e-12, "row {i}: {lhs} vs {}", g[i]);
    }
}

#[test]
fn ddim_with_exact_scores_converges_to_the_data() {
    let gm = GaussianMixture::circle(2, 8, 2.0, 0.1);
    let abar = linear_alphas_cumprod(1000, 1e-4, 0.02);
    let mut rng = harness::rng::Rng::new(3);
    let x_t: Vec<f64> = (0..800 * 2).map(|_| rng.normal()).collect();
    let data = gm.sample(1600, &mut rng);
    let ed = |nfe| energy_distance(&sample(&gm, &abar, nfe, None, x_t.clone()).0, &data, 2);
    let (coarse, fine) = (ed(5), ed(100));
    assert!(fine < coarse / 3.0, "NFE 100: {fine}, NFE 5: {coarse}");
}

#[test]
fn the_port_matches_diffusers_and_the_official_scheduler() {
    let m4 = lml::experiment::scheduler_check(&lml::plan(harness::Scale::Ci)).unwrap();
    eprintln!("{m4:?}");
    assert_eq!(m4.timestep_mismatches, 0);
    assert!(m4.abar_rel < 1e-12 && m4.ddim_rel < 1e-12, "{m4:?}");
    assert_eq!(m4.lm.len(), 4, "four (κ, λ) runs with freeze 0");
    assert!(m4.lm.iter().all(|r| r.2 < 1e-12), "{m4:?}");
}
