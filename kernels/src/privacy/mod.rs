//! Differential privacy for training: the DP-SGD step ([`dpsgd`]) and its Rényi-DP accountant
//! ([`rdp`]), matched to Opacus 1.6 and `dp_accounting` 0.6 by the fixture
//! `kernels/fixtures/privacy_reference.json`.

pub mod dpsgd;
pub mod rdp;

pub use dpsgd::{DpSgd, StepStats, poisson_batch, privatize, shuffled_batches};
pub use rdp::{Accountant, PrivacyError, epsilon, noise_multiplier, steps_for_epochs};
