//! kernels::spd against pyRiemann 0.12 (`kernels/fixtures/spd_pyriemann.json`, written by
//! `kernels/fixtures/generate_spd.py`): every quantity to 1e-8, relative to the matrix's scale.

use kernels::spd::*;
use serde_json::Value;

mod common;
use common::floats;

fn rel(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
        / scale
}

#[test]
fn spd_geometry_matches_pyriemann() {
    let fx: Value = serde_json::from_str(include_str!("../fixtures/spd_pyriemann.json")).unwrap();
    for case in fx["cases"].as_array().unwrap() {
        let n = case["n"].as_u64().unwrap() as usize;
        let xs = floats(&case["xs"]);
        let (a, b) = (&xs[..n * n], &xs[n * n..2 * n * n]);
        let v = floats(&case["v"]);
        let tag = format!("n = {n}, cond = {}", case["cond"]);
        let check = |name: &str, got: Vec<f64>, tol: f64| {
            let want = floats(&case[name]);
            let e = rel(&got, &want);
            assert!(e < tol, "{tag}, {name}: relative error {e:e}");
        };
        check("sqrtm", sqrtm(a, n), 1e-8);
        check("invsqrtm", invsqrtm(a, n), 1e-8);
        check("logm", logm(a, n), 1e-8);
        check("expm", expm(&v, n), 1e-8);
        check("powm_0.3", powm(a, n, 0.3), 1e-8);
        check("bw_log", bw_log(a, b, n), 1e-8);
        check("bw_exp", bw_exp(a, &v, n), 1e-8);
        check("bw_geodesic_0.3", bw_geodesic(a, b, n, 0.3), 1e-8);
        check("bw_mean_1", bw_barycenter(&xs, n, None, 1, 0.0).0, 1e-8);
        check("bw_mean", bw_barycenter(&xs, n, None, 500, 1e-12).0, 1e-8);
        check("airm_mean", airm_mean(&xs, n, 500, 1e-12).0, 1e-8);
        check("airm_mean_3", airm_mean(&xs, n, 3, 0.0).0, 1e-8);
        let d = bw_distance2(a, b, n).sqrt();
        let want = case["bw_distance"].as_f64().unwrap();
        assert!(
            (d - want).abs() < 1e-8 * want.max(1.0),
            "{tag}: BW distance {d} vs {want}"
        );
        let d = airm_distance(a, b, n);
        let want = case["airm_distance"].as_f64().unwrap();
        assert!(
            (d - want).abs() < 1e-8 * want.max(1.0),
            "{tag}: AIRM distance {d} vs {want}"
        );
    }
}
