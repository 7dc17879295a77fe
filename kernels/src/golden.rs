//! Golden fixtures of reference implementations that reproductions reuse, exposed through the
//! crate so that no other crate reaches into `kernels/` by a relative path.
//!
//! Each is the JSON text a script in `kernels/fixtures/` wrote with pinned versions; the
//! consumers parse it into their own typed structs.

/// pyRiemann 0.12 on batches of SPD matrices (`kernels/fixtures/generate_spd.py`): BW barycenter,
/// AIRM Karcher mean and distances for sizes 3, 6, 10 and condition numbers up to 1e6.
pub const SPD_PYRIEMANN_JSON: &str = include_str!("../fixtures/spd_pyriemann.json");

/// Opacus 1.6 and dp_accounting 0.6 RDP accountants, and dp_accounting's PLD accountant
/// (`kernels/fixtures/generate_privacy.py`): ε on a (q, steps, δ, σ) grid, the noise-multiplier
/// search, and the equivariant-DP paper's accounted and executed runs.
pub const PRIVACY_REFERENCE_JSON: &str = include_str!("../fixtures/privacy_reference.json");

/// scipy.stats.lognorm for the GBM of `diffusion::gbm` (`kernels/fixtures/generate_gbm.py`): the
/// transition law's log-pdf and CDF from a point, and the noised log-normal mixture's density.
pub const GBM_LOGNORM_JSON: &str = include_str!("../fixtures/gbm_lognorm.json");

/// The official M-FAC code (`kernels/fixtures/generate_mfac.py`, IST-DASLab/M-FAC @ 8116367):
/// sliding-window and static inverse-Fisher products, diagonals and optimizer steps.
pub const MFAC_OFFICIAL_JSON: &str = include_str!("../fixtures/mfac_official.json");

/// The official Muon code (`kernels/fixtures/generate_muon.py`, KellerJordan/Muon @ 857d1ad,
/// bfloat16 cast patched out): Newton–Schulz outputs after 1 and 5 steps and four
/// `SingleDeviceMuon` steps.
pub const MUON_OFFICIAL_JSON: &str = include_str!("../fixtures/muon_official.json");
