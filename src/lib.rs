//! The list of every reproduction, shared by the `repro` binary and its tests.

use harness::Reproduction;

pub mod scaffold;

/// Every reproduction, in book order.
pub fn registry() -> Vec<&'static dyn Reproduction> {
    vec![
        &sinkhorn_newton::REPRODUCTION,
        &dp_limits::REPRODUCTION,
        &last_iterate::REPRODUCTION,
        &small_gain_nash::REPRODUCTION,
        &sgd_stability::REPRODUCTION,
        &diffgrad::REPRODUCTION,
        &adamp::REPRODUCTION,
        &sgd_sai::REPRODUCTION,
        &augmented_covariance::REPRODUCTION,
        &gcr::REPRODUCTION,
        &bw_rbn::REPRODUCTION,
        &lml::REPRODUCTION,
        &equivariant_dp::REPRODUCTION,
        &dale_langevin::REPRODUCTION,
        &m_fac::REPRODUCTION,
        &fismo::REPRODUCTION,
        &saf::REPRODUCTION,
        &frugal::REPRODUCTION,
    ]
}
