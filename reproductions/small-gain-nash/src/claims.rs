//! Decision rules for the Small-Gain Nash reproduction; golden values and tolerances from the card
//! (`papers/small-gain-nash.md`), fixed before any run.

use harness::{Check, Claim, PaperValue, Provenance, Report, Rule};

/// The card's independently computed mini-toy values at λ = 1 (a = 10, b = 0.05) [derived].
pub const GOLDEN: [(&str, f64); 8] = [
    ("Euclidean threshold λ", 0.199),
    ("SGN threshold λ (√2)", std::f64::consts::SQRT_2),
    ("α* at λ = 1", 0.2929),
    ("β at λ = 1", 1.7071),
    ("h_SGN at λ = 1", 0.2010),
    ("true Euler threshold at λ = 1", 1.1716),
    ("band lower r", 34.3),
    ("band upper r", 1165.7),
];
/// Golden values are printed to 3–5 significant digits: relative agreement required.
pub const GOLDEN_REL: f64 = 1.5e-3;
/// N5's card values and tolerances.
pub const N5_PEAK: (f64, f64) = (3.19, 0.01);
pub const N5_FINAL: (f64, f64) = (0.239, 0.001);
/// N1: the open λ range of the soundness sweep.
pub const N1_RANGE: (f64, f64) = (0.2, 1.41);
/// N2: step sizes as fractions of h_SGN, and the number of random starts.
pub const N2_FRACTIONS: [f64; 3] = [0.1, 0.5, 1.0];
pub const N2_STARTS: usize = 16;
/// N3: the RK4 guideline's constant C₄ (a heuristic of the official code).
pub const RK4_C4: f64 = 2.5;
/// N4: the couplings beyond √2.
pub const N4_LAMBDAS: [f64; 3] = [1.5, 2.0, 2.5];
/// N5: the official escape-versus-trap settings: weight ratio, Euler step, steps, start.
pub const N5_WEIGHT: f64 = 200.0;
pub const N5_STEP: f64 = 5e-4;
pub const N5_STEPS: usize = 3000;
pub const N5_START: [f64; 2] = [0.15, -0.15];
/// Rounding allowance of the proved inequalities (step ratios, soundness gaps).
const ROUNDING: f64 = 1e-12;

fn derived(value: &str, source: &str) -> PaperValue {
    PaperValue {
        value: value.into(),
        source: source.into(),
        provenance: Provenance::Derived,
    }
}

pub fn claims(report: &mut Report) {
    report.claim(
        Claim::new(
            "N1",
            "Soundness on the mini-toy and the 64-dimensional LQ game: for every λ in (0.2, 1.41), Euclidean monotonicity fails (γ < 0), SGN certifies (α* > 0), and the true monotonicity constant in the certified metric is at least α*.",
            PaperValue {
                value: "SGN certifies strong monotonicity in a weighted metric where Euclidean monotonicity fails".into(),
                source: "abstract".into(),
                provenance: Provenance::Abstract,
            },
        )
        .check(Check::each("n1.gamma_max", Rule::AtMost(0.0)).control())
        .check(Check::each("n1.alpha_min", Rule::AtLeast(0.0)).tie_within(ROUNDING))
        .check(Check::each("n1.soundness_gap_min", Rule::AtLeast(-ROUNDING)))
        .check(Check::each("n1.soundness_gap_min", Rule::AtMost(-ROUNDING)).falsifier())
        .settings(&[N1_RANGE.0, N1_RANGE.1, 64.0]),
    );
    report.claim(
        Claim::new(
            "N2",
            "Per-step contraction on the LQ game at λ = 1: for h ∈ {0.1, 0.5, 1}·h_SGN and 16 random starts, every Euler step shrinks the M-norm by at least √(1 − 2hα* + h²β²).",
            PaperValue {
                value: "projected Euler converges under explicit step-size bounds from the SGN margin".into(),
                source: "abstract".into(),
                provenance: Provenance::Abstract,
            },
        )
        .check(Check::each("n2.worst_ratio_over_bound", Rule::AtMost(1.0 + ROUNDING)))
        .check(Check::each("n3.h_sgn", Rule::AtLeast(0.0)).tie_within(ROUNDING).control())
        .check(
            Check::each("n2.worst_ratio_over_bound", Rule::AtLeast(1.0))
                .tie_within(ROUNDING)
                .falsifier(),
        )
        .settings(&N2_FRACTIONS)
        .settings(&[N2_STARTS as f64, 2.0]),
    );
    report.claim(
        Claim::new(
            "N3",
            "The certified Euler step is safe: h_SGN ≤ the true stability threshold (ratio ≤ 1). The RK4 guideline C₄/β with C₄ = 2.5 is a heuristic and its ratio to the true RK4 threshold is only reported.",
            derived("h_SGN / h_true = 0.2010 / 1.1716 at λ = 1", "card"),
        )
        .check(Check::each("n3.euler_ratio", Rule::AtMost(1.0)))
        // Controls: a certificate exists and the true threshold was found (not the 1e6 cap).
        .check(Check::each("n3.h_sgn", Rule::AtLeast(0.0)).tie_within(ROUNDING).control())
        .check(Check::each("n3.h_true", Rule::AtMost(1e6)).control())
        .check(Check::each("n3.euler_ratio", Rule::AtLeast(1.0)).tie_within(1e-9).falsifier())
        .settings(&[RK4_C4]),
    );
    report.claim(
        Claim::new(
            "N4",
            "Beyond λ = √2 (mini-toy, λ ∈ {1.5, 2, 2.5}) no weight ratio certifies (best α* ≤ 0 over the code's grid) and gradient play diverges (log10 of the norm's growth ≥ 6 within the run); falsified if SGN certifies or the norm does not grow at all.",
            derived("SGN feasible iff μ1 μ2 > L12 L21, i.e. λ < √2 here; tight, since eig(H) = 1 ± λ√(ab)", "card"),
        )
        .check(Check::each("n4.best_alpha", Rule::AtMost(0.0)))
        .check(Check::each("n4.log10_growth", Rule::AtLeast(6.0)))
        .check(Check::each("n4.best_alpha", Rule::AtLeast(0.0)).tie_within(ROUNDING).falsifier())
        .check(Check::each("n4.log10_growth_per_step", Rule::AtMost(0.0)).falsifier())
        .settings(&N4_LAMBDAS)
        .settings(&[2.0]),
    );
    report.claim(
        Claim::new(
            "N5",
            "Escape versus trap (mini-toy, λ = 1, w = (1, 200), Euler h = 5e-4, 3000 steps from (0.15, −0.15)): the Euclidean norm peaks at 3.19 ± 0.01 times its start while the M-norm decreases at every step, ending at 0.239 ± 0.001.",
            derived("peak 3.19×, final M-norm 0.239", "card, re-computed from the official settings"),
        )
        .check(Check::each("n5.euclid_peak", Rule::Between(N5_PEAK.0 - N5_PEAK.1, N5_PEAK.0 + N5_PEAK.1)))
        .check(Check::each("n5.m_final", Rule::Between(N5_FINAL.0 - N5_FINAL.1, N5_FINAL.0 + N5_FINAL.1)))
        .check(Check::each("n5.m_max_step_ratio", Rule::AtMost(1.0)))
        // h is far below h_SGN: an M-norm that grows in any step contradicts the certificate.
        .check(
            Check::each("n5.m_max_step_ratio", Rule::AtLeast(1.0))
                .tie_within(ROUNDING)
                .falsifier(),
        )
        .settings(&[1.0, N5_WEIGHT, N5_STEP, N5_STEPS as f64])
        .settings(&N5_START)
        .settings(&[N5_PEAK.0, N5_PEAK.1, N5_FINAL.0, N5_FINAL.1]),
    );
    report.claim(
        Claim::new(
            "N6",
            "The card's golden values for the mini-toy (thresholds, α*, β, h_SGN, the true Euler threshold and the timescale band at λ = 1) are reproduced to 0.15%.",
            derived("λ < 0.199; λ < √2; α* = 0.2929; β = 1.7071; h_SGN = 0.2010; h_true = 1.1716; band (34.3, 1165.7)", "card"),
        )
        .check(Check::each("n6.rel_diff", Rule::AtMost(GOLDEN_REL)))
        .settings(&[1.0]),
    );
}
