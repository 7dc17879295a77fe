//! The pieces of `method` against closed forms and a dense inverse.

use m_fac::method::{
    Oracle, fisher_diagonal, fit_two_terms, lowest, prune_diagonal, prune_magnitude, prune_obs,
    rel_err,
};

fn lcg(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    }
}

/// Gauss–Jordan inverse with partial pivoting (small n).
fn inverse(a: &[f64], n: usize) -> Vec<f64> {
    let mut m: Vec<f64> = a.to_vec();
    let mut inv = vec![0.0; n * n];
    (0..n).for_each(|i| inv[i * n + i] = 1.0);
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| m[i * n + c].abs().total_cmp(&m[j * n + c].abs()))
            .unwrap();
        for k in 0..n {
            m.swap(c * n + k, p * n + k);
            inv.swap(c * n + k, p * n + k);
        }
        let piv = m[c * n + c];
        for k in 0..n {
            m[c * n + k] /= piv;
            inv[c * n + k] /= piv;
        }
        for r in (0..n).filter(|&r| r != c) {
            let f = m[r * n + c];
            for k in 0..n {
                m[r * n + k] -= f * m[c * n + k];
                inv[r * n + k] -= f * inv[c * n + k];
            }
        }
    }
    inv
}

/// `λ I + (1/m) Gᵀ G`, dense.
fn fisher(g: &[f64], m: usize, damp: f64) -> Vec<f64> {
    let d = g.len() / m;
    let mut f = vec![0.0; d * d];
    for row in g.chunks(d) {
        for i in 0..d {
            for j in 0..d {
                f[i * d + j] += row[i] * row[j] / m as f64;
            }
        }
    }
    (0..d).for_each(|i| f[i * d + i] += damp);
    f
}

fn matvec(a: &[f64], x: &[f64]) -> Vec<f64> {
    a.chunks(x.len())
        .map(|r| r.iter().zip(x).map(|(p, q)| p * q).sum())
        .collect()
}

#[test]
fn oracle_equals_a_dense_inverse() {
    let (m, d, damp) = (5, 12, 0.3);
    let mut r = lcg(1);
    let g: Vec<f64> = (0..m * d).map(|_| r()).collect();
    let inv = inverse(&fisher(&g, m, damp), d);
    let oracle = Oracle::new(&g, m, damp);
    for _ in 0..3 {
        let x: Vec<f64> = (0..d).map(|_| r()).collect();
        assert!(rel_err(&oracle.mul(&x), &matvec(&inv, &x)) < 1e-13);
    }
    let dense_diag: Vec<f64> = (0..d).map(|i| inv[i * d + i]).collect();
    assert!(rel_err(&oracle.diag(), &dense_diag) < 1e-13);
}

#[test]
fn oracle_is_exact_inside_the_span() {
    // x = Gᵀc is mapped to the solution of F y = x: check F·(F⁻¹x) = x, at a damping where
    // κ(F) ≈ 100 (the error grows like κ ε, see the module docs).
    let (m, d, damp) = (4, 50, 1e-2);
    let mut r = lcg(2);
    let g: Vec<f64> = (0..m * d).map(|_| r()).collect();
    let mut x = vec![0.0; d];
    for row in g.chunks(d) {
        let c = r();
        x.iter_mut().zip(row).for_each(|(xi, gi)| *xi += c * gi);
    }
    let y = Oracle::new(&g, m, damp).mul(&x);
    let err = rel_err(&matvec(&fisher(&g, m, damp), &y), &x);
    assert!(err < 1e-12, "{err}");
}

#[test]
fn pruning_rules() {
    let w = [0.5, -0.1, 2.0, 0.05];
    assert_eq!(lowest(&[3.0, 1.0, 2.0, 1.0], 2), vec![1, 3]);
    assert_eq!(prune_magnitude(&w, 2), vec![0.5, 0.0, 2.0, 0.0]);
    // A large Fisher entry protects a small weight: scores w²F = 0.25, 1.0, 4.0, 0.0025.
    assert_eq!(
        prune_diagonal(&w, &[1.0, 100.0, 1.0, 1.0], 2),
        vec![0.0, -0.1, 2.0, 0.0]
    );
    // With a diagonal inverse, OBS is the diagonal rule and changes nothing else.
    let h = [1.0, 0.01, 1.0, 1.0];
    let mul = |u: &[f64]| u.iter().zip(&h).map(|(a, b)| a * b).collect::<Vec<_>>();
    assert_eq!(prune_obs(&w, &h, mul, 2), vec![0.0, -0.1, 2.0, 0.0]);
}

#[test]
fn obs_compensates_through_correlations() {
    // Two perfectly correlated weights under F = I + g gᵀ with g = (1, 1): dropping w₀ moves
    // its mass onto w₁ by −[F⁻¹]₁₀/[F⁻¹]₀₀ · w₀ = w₀/2 (F⁻¹ = I − g gᵀ/3).
    let inv = [2.0 / 3.0, -1.0 / 3.0, -1.0 / 3.0, 2.0 / 3.0];
    let mul = |u: &[f64]| matvec(&inv, u);
    let out = prune_obs(&[0.3, 1.0], &[2.0 / 3.0, 2.0 / 3.0], mul, 1);
    assert_eq!(out[0], 0.0);
    assert!((out[1] - 1.15).abs() < 1e-15);
}

#[test]
fn fisher_diagonal_and_two_term_fit() {
    assert_eq!(fisher_diagonal(&[1.0, 2.0, 3.0, 0.0], 2), vec![5.0, 2.0]);
    let (x, y) = ([1.0, 2.0, 3.0, 4.0], [1.0, 8.0, 27.0, 64.0]);
    let t: Vec<f64> = x.iter().zip(&y).map(|(a, b)| 0.5 * a + 0.25 * b).collect();
    let (a, b, res) = fit_two_terms(&x, &y, &t);
    assert!((a - 0.5).abs() < 1e-12 && (b - 0.25).abs() < 1e-12 && res < 1e-12);
}
