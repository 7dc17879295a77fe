//! Shared compute for the reproductions.
//!
//! Every kernel has a CPU implementation, which is the reference, and where a GPU helps, a CUDA C
//! source under `kernels/cuda/` compiled at run time with NVRTC (see [`cuda`]). Kernels take plain
//! slices and sizes: they know nothing about papers, reports or seeds.
//!
//! Families:
//! - [`ot`]: log-domain Sinkhorn updates, transport plans, marginals and the dual potential;
//!   exact linear assignment (the LAP optimum used as ground truth).
//! - [`sparse`]: CSR matrices and conjugate gradients.
//! - [`optim`]: optimizer steps on flat f32 buffers (SGD, Adam, AdamW, sign-SGD), one fused pass each.
//! - [`membw`]: a memory-bandwidth probe, the yardstick of every throughput number.
//! - [`device`]: which compute devices exist on this machine.
//! - [`rng`]: the suite's one random-number generator and seed derivation.
//! - [`perf`]: the benchmark record the benches write and the book reads.
//! - [`files`]: atomic writes, folder swaps and advisory locks (results, records, the book).
//! - [`diffusion`]: VP schedules, Gaussian mixtures with exact noise predictions, DDIM, sample distances.
//! - [`sharpness`]: SAM's two-pass step, SAF's trajectory loss, MESA's EMA teacher, λ_max by power
//!   iteration on Hessian-vector products.
//! - [`subspace`]: FRUGAL's gradient split (an AdamW subspace by SVD, columns or whole tensors, a
//!   sign-SGD residual) and the GaLore-like and BAdam-like baselines.
//! - [`text`]: vendored text (Tiny Shakespeare) tokenised by characters.
//! - [`golden`]: golden fixtures of reference implementations that reproductions reuse.

pub mod cuda;
pub mod data;
pub mod device;
pub mod diffusion;
pub mod files;
pub mod golden;
pub mod membw;
pub mod nn;
pub mod optim;
pub mod ot;
pub mod perf;
pub mod privacy;
pub mod rng;
pub mod sharpness;
pub mod sparse;
pub mod spd;
pub mod subspace;
pub mod text;
