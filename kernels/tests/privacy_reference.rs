//! kernels::privacy's accountant against Opacus 1.6 and dp_accounting 0.6
//! (`kernels/fixtures/privacy_reference.json`, written by `kernels/fixtures/generate_privacy.py`):
//! ε on 108 (q, steps, δ, σ) points, the noise-multiplier search, the paper's runs, per-order RDP.

use kernels::golden::PRIVACY_REFERENCE_JSON;
use kernels::privacy::rdp::{Accountant, epsilon, noise_multiplier, rdp_step};
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(PRIVACY_REFERENCE_JSON).expect("privacy fixture parses")
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("fixture field {k}"))
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

#[test]
fn epsilon_matches_both_libraries_on_the_grid() {
    let fx = fixture();
    let grid = fx["grid"].as_array().unwrap();
    assert_eq!(grid.len(), 108);
    let (mut worst_o, mut worst_d) = (0.0f64, 0.0f64);
    for p in grid {
        let (q, s, steps, delta) = (
            f(p, "q"),
            f(p, "sigma"),
            p["steps"].as_u64().unwrap(),
            f(p, "delta"),
        );
        let o = epsilon(q, s, steps, delta, Accountant::Opacus).unwrap().0;
        let d = epsilon(q, s, steps, delta, Accountant::DpAccounting)
            .unwrap()
            .0;
        let (eo, ed) = (rel(o, f(p, "opacus")), rel(d, f(p, "dp_accounting")));
        assert!(eo < 1e-6, "Opacus at {p}: {o} (rel {eo:e})");
        assert!(ed < 1e-6, "dp_accounting at {p}: {d} (rel {ed:e})");
        worst_o = worst_o.max(eo);
        worst_d = worst_d.max(ed);
    }
    eprintln!("worst relative error: Opacus {worst_o:e}, dp_accounting {worst_d:e}");
}

#[test]
fn noise_search_matches_opacus() {
    for s in fixture()["searches"].as_array().unwrap() {
        let sigma = noise_multiplier(
            f(s, "epsilon"),
            f(s, "delta"),
            f(s, "q"),
            s["steps"].as_u64().unwrap(),
            0.01,
        )
        .unwrap();
        assert!(rel(sigma, f(s, "sigma")) < 1e-9, "{s}: σ = {sigma}");
    }
}

#[test]
fn per_order_rdp_matches_opacus() {
    let fx = fixture();
    let p = &fx["per_order"];
    let (q, s) = (f(p, "q"), f(p, "sigma"));
    let orders = p["orders"].as_array().unwrap();
    for (a, r) in orders.iter().zip(p["rdp"].as_array().unwrap()) {
        let (a, r) = (a.as_f64().unwrap(), r.as_f64().unwrap());
        let got = rdp_step(q, s, a, Accountant::Opacus);
        assert!(rel(got, r) < 1e-9, "order {a}: {got} vs {r}");
    }
}

#[test]
fn the_papers_runs_match() {
    for p in fixture()["paper"].as_array().unwrap() {
        let (q, s, steps, delta) = (
            f(p, "q"),
            f(p, "sigma"),
            p["steps"].as_u64().unwrap(),
            f(p, "delta"),
        );
        let o = epsilon(q, s, steps, delta, Accountant::Opacus).unwrap().0;
        let d = epsilon(q, s, steps, delta, Accountant::DpAccounting)
            .unwrap()
            .0;
        assert!(
            rel(o, f(p, "opacus")) < 1e-6 && rel(d, f(p, "dp_accounting")) < 1e-6,
            "{p}"
        );
        // PLD is tighter than RDP: the independent accountant must not exceed it.
        assert!(f(p, "pld") < o, "{p}");
    }
}
