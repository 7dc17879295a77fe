//! Gradient-subspace optimizers on flat `f32` buffers: FRUGAL's split of each matrix gradient
//! into a subspace stepped by AdamW (with state) and a residual stepped by sign-SGD (without),
//! and the GaLore-like and BAdam-like baselines it is compared with at equal state memory.
//!
//! Semantics follow the official code (fzmushko/FRUGAL @ c7ebe4c, Apache-2.0,
//! `frugal/proj_optimizer_templates.py`), checked against it on fixed gradients by
//! `kernels/fixtures/generate_frugal.py`, and the SVD projector against `galore-torch` 1.0.
//!
//! **The split.** A tensor is *projectable* when it is the weight of a linear map inside an
//! attention or MLP block ([`projectable`], the official `prepare_proj_params`); everything else
//! (embeddings, norms, biases, the output head) gets plain AdamW. For a projectable `W` with
//! gradient `G` (rows × cols, PyTorch's `[out, in]`), every `T` steps (`update_gap`) the
//! projector is refreshed from the current `G` and, with `reset_statistics`, the subspace's Adam
//! state and step count go back to zero (so bias correction restarts). Then every step
//!
//! `U = P_up(Adam(P_down(G))) + ψ(G − P_up(P_down(G)))`, `W ← W (1 − lr·wd) + U`,
//!
//! with the Adam step at `lr · proj_lr_scale` and ψ the state-free rule at
//! `lr · proj_lr_scale · residual_lr_scale`: `−η sign(R)` ([`Residual::SignSgd`], FRUGAL),
//! `−η R` ([`Residual::Sgd`]) or nothing ([`Residual::Zero`]: GaLore and BAdam, where the
//! complement of the subspace does not move).
//!
//! **Subspaces** ([`Subspace`]):
//! - `Svd` (GaLore's projector, `galore_projector.py`): on the smaller side of `G` ('std'); if
//!   rows ≥ cols, `B` = the top `r = round(ρ·cols)` right singular vectors (rows of `Vᵀ`),
//!   `P_down(G) = G Bᵀ`, `P_up(X) = X B`; otherwise the top `r = round(ρ·rows)` left singular
//!   vectors `A`, `P_down(G) = Aᵀ G`, `P_up(X) = A X`. `round` is Python's (ties to even). The
//!   singular vectors come from the eigenvectors of `GᵀG` or `GGᵀ` in f64, each signed so that
//!   its largest-magnitude entry is positive (a convention, also applied to the reference's SVD
//!   in the fixture, so that moments carried across a refresh can be compared).
//! - `Columns` (`coordinate_projector.py`, the class default): the first `int(ρ·cols)` of a
//!   random permutation of the columns; `P_up` scatters into zeros.
//! - `Blocks` (BAdam-like, `BlockOptimizer`, what `--optimizer frugal` means for pre-training):
//!   `round(ρ·K)` whole projectable tensors of the `K` are active, chosen in descending order
//!   (the official scripts' `block_order`); at every refresh all state is cleared whatever
//!   `reset_statistics` says (the official code ignores it there), active tensors get AdamW with
//!   fresh state, inactive ones the residual rule on the whole gradient.
//!
//! The Adam arithmetic is [`crate::optim::Adam`]'s, operation for operation, so that FRUGAL with
//! ρ = 1 equals AdamW bit for bit until its first refresh (the card's correction: only until
//! then). The projections run in f64 (the basis is held in f64) and round once into the f32
//! moments; the official code runs them in f32.

use crate::optim::{Layout, Optimizer, Slot};
use crate::rng::Rng;
use crate::spd::eigh;

/// The golden values of `kernels/fixtures/generate_frugal.py` (official FRUGAL, galore-torch).
pub const REFERENCE_JSON: &str = include_str!("../fixtures/frugal_reference.json");

/// The names the official `prepare_proj_params` looks for in a linear module's name.
pub const TARGET_MODULES: [&str; 14] = [
    "attn",
    "mlp",
    "q_proj",
    "v_proj",
    "up_proj",
    "down_proj",
    "gate_proj",
    "k_proj",
    "o_proj",
    "query",
    "value",
    "key",
    "intermediate.dense",
    "output.dense",
];

/// Whether each tensor of `layout` is projectable: a 2-D `….weight` whose module name holds one
/// of [`TARGET_MODULES`].
pub fn projectable(layout: &Layout) -> Vec<bool> {
    layout
        .slots
        .iter()
        .map(|s| {
            s.shape.len() == 2
                && s.name
                    .strip_suffix(".weight")
                    .is_some_and(|m| TARGET_MODULES.iter().any(|t| m.contains(t)))
        })
        .collect()
}

/// How the state-full subspace of a projectable tensor is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subspace {
    Svd,
    Columns,
    Blocks,
}

/// The state-free rule on the residual.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Residual {
    SignSgd,
    Sgd,
    Zero,
}

/// Every setting of [`Frugal`]; the constructors give the official defaults of each method.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    /// Decoupled, on every tensor, at the unscaled `lr` (the official `p.mul_(1 − lr·wd)`).
    pub weight_decay: f32,
    /// ρ: the fraction of each tensor (or of the projectable tensors, for blocks) with state.
    pub density: f64,
    /// T: steps between projector refreshes.
    pub update_gap: usize,
    pub reset_statistics: bool,
    pub subspace: Subspace,
    pub residual: Residual,
    pub proj_lr_scale: f32,
    pub residual_lr_scale: f32,
    /// Seeds the column permutations.
    pub seed: u64,
}

impl Config {
    /// FRUGAL as the official class defaults it (sign-SGD residual, state reset every refresh,
    /// β = (0.9, 0.999), eps = 1e-8, no weight decay) with the given subspace, ρ and T.
    pub fn frugal(subspace: Subspace, lr: f32, density: f64, update_gap: usize) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            density,
            update_gap,
            reset_statistics: true,
            subspace,
            residual: Residual::SignSgd,
            proj_lr_scale: 1.0,
            residual_lr_scale: 1.0,
            seed: 0,
        }
    }
    /// GaLore as the official README runs it inside FRUGAL's code: SVD subspace, nothing on
    /// the residual, moments kept across refreshes (rotated bases and all).
    pub fn galore_like(lr: f32, density: f64, update_gap: usize) -> Self {
        Self {
            reset_statistics: false,
            residual: Residual::Zero,
            ..Self::frugal(Subspace::Svd, lr, density, update_gap)
        }
    }
    /// BAdam-like: whole tensors in descending order, nothing on the inactive ones (the card's
    /// correction: the official BAdam baseline degenerates on small models, so this is
    /// FRUGAL-blocks with rule "no").
    pub fn badam_like(lr: f32, density: f64, update_gap: usize) -> Self {
        Self {
            residual: Residual::Zero,
            ..Self::frugal(Subspace::Blocks, lr, density, update_gap)
        }
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// Python's `round`: halves go to the even neighbour.
pub fn round_half_even(x: f64) -> usize {
    x.round_ties_even() as usize
}

/// The top singular vectors of a gradient on its smaller side, as GaLore's 'std' projector.
#[derive(Clone, Debug, PartialEq)]
pub struct SvdBasis {
    pub rows: usize,
    pub cols: usize,
    /// `true`: right singular vectors (rows ≥ cols); `false`: left.
    pub right: bool,
    pub rank: usize,
    /// `rank` unit vectors of length `cols` (right) or `rows` (left), row-major.
    pub basis: Vec<f64>,
}

/// `c = op(a) · op(b)` for row-major f64 matrices, `op` a transpose when asked: `m × k` by
/// `k × n`.
#[allow(clippy::too_many_arguments)]
fn gemm(m: usize, k: usize, n: usize, a: &[f64], ta: bool, b: &[f64], tb: bool, c: &mut [f64]) {
    assert_eq!(a.len(), m * k, "gemm: a");
    assert_eq!(b.len(), k * n, "gemm: b");
    assert_eq!(c.len(), m * n, "gemm: c");
    let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
    let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
    // SAFETY: the asserts above bound every index the strides reach.
    unsafe {
        matrixmultiply::dgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

impl SvdBasis {
    /// The rank GaLore's 'std' side gives a `rows × cols` tensor at density ρ.
    pub fn rank_for(rows: usize, cols: usize, density: f64) -> usize {
        round_half_even(density * rows.min(cols) as f64)
    }

    /// The basis of `g` (rows × cols) at density ρ.
    pub fn top(g: &[f64], rows: usize, cols: usize, density: f64) -> Self {
        let right = rows >= cols;
        let k = if right { cols } else { rows };
        let rank = Self::rank_for(rows, cols, density);
        let mut gram = vec![0.0; k * k];
        if right {
            gemm(k, rows, k, g, true, g, false, &mut gram);
        } else {
            gemm(k, cols, k, g, false, g, true, &mut gram);
        }
        let e = eigh(&gram, k);
        let mut basis = Vec::with_capacity(rank * k);
        for j in (k - rank..k).rev() {
            let mut v: Vec<f64> = (0..k).map(|i| e.vectors[i * k + j]).collect();
            let lead = v.iter().enumerate().fold(
                0,
                |best, (i, x)| if x.abs() > v[best].abs() { i } else { best },
            );
            if v[lead] < 0.0 {
                v.iter_mut().for_each(|x| *x = -*x);
            }
            basis.extend(v);
        }
        Self {
            rows,
            cols,
            right,
            rank,
            basis,
        }
    }

    /// The shape of `P_down(G)`.
    pub fn low_shape(&self) -> (usize, usize) {
        if self.right {
            (self.rows, self.rank)
        } else {
            (self.rank, self.cols)
        }
    }

    /// `G Bᵀ` (right) or `Aᵀ G` (left).
    pub fn down(&self, g: &[f64]) -> Vec<f64> {
        let (m, n) = self.low_shape();
        let mut low = vec![0.0; m * n];
        if self.right {
            gemm(m, self.cols, n, g, false, &self.basis, true, &mut low);
        } else {
            gemm(m, self.rows, n, &self.basis, false, g, false, &mut low);
        }
        low
    }

    /// `X B` (right) or `A X` (left).
    pub fn up(&self, low: &[f64]) -> Vec<f64> {
        let (m, n) = self.low_shape();
        let mut full = vec![0.0; self.rows * self.cols];
        if self.right {
            gemm(m, n, self.cols, low, false, &self.basis, false, &mut full);
        } else {
            gemm(self.rows, m, n, &self.basis, true, low, false, &mut full);
        }
        full
    }
}

/// The selected columns of a `rows × cols` tensor, gathered row by row.
pub fn gather_columns(g: &[f64], cols: usize, idx: &[usize]) -> Vec<f64> {
    g.chunks(cols)
        .flat_map(|row| idx.iter().map(move |&c| row[c]))
        .collect()
}

/// Scatters `low` (rows × idx.len()) into zeros of `rows × cols`.
pub fn scatter_columns(low: &[f64], rows: usize, cols: usize, idx: &[usize]) -> Vec<f64> {
    let mut full = vec![0.0; rows * cols];
    for (frow, lrow) in full.chunks_mut(cols).zip(low.chunks(idx.len().max(1))) {
        for (&c, &x) in idx.iter().zip(lrow) {
            frow[c] = x;
        }
    }
    full
}

/// Adam moments and their own step count (restarted with the state).
#[derive(Clone, Debug)]
struct Moments {
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
}

impl Moments {
    fn zeros(n: usize) -> Self {
        Self {
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    /// Writes Adam's update at `lr` for gradient `g` into `u` (`u = −lr/(1 − β1^t) · m / denom`),
    /// with [`crate::optim::Adam`]'s arithmetic.
    fn update(&mut self, g: &[f32], lr: f32, c: &Config, u: &mut [f32]) {
        self.t += 1;
        let (b1, b2, eps) = (c.beta1, c.beta2, c.eps);
        let bc1 = 1.0 - b1.powi(self.t);
        let bc2_sqrt = (1.0 - b2.powi(self.t)).sqrt();
        let step_size = lr / bc1;
        for (((ui, &gi), mi), vi) in u.iter_mut().zip(g).zip(&mut self.m).zip(&mut self.v) {
            *mi = b1 * *mi + (1.0 - b1) * gi;
            *vi = b2 * *vi + (1.0 - b2) * gi * gi;
            let denom = vi.sqrt() / bc2_sqrt + eps;
            *ui = -(step_size * *mi / denom);
        }
    }
}

/// What a tensor's state is, beyond its moments.
#[derive(Clone, Debug)]
enum Part {
    Regular,
    Svd(Option<SvdBasis>),
    Columns(Vec<usize>),
    Block { active: bool },
}

#[derive(Clone, Debug)]
struct TensorState {
    part: Part,
    moments: Option<Moments>,
}

/// FRUGAL and its baselines, as [`Config`] says (see the module docs for the equations).
#[derive(Clone, Debug)]
pub struct Frugal {
    pub cfg: Config,
    layout: Layout,
    tensors: Vec<TensorState>,
    /// Blocks: how many are active, and where the descending order starts next.
    active_blocks: usize,
    next_block: usize,
    steps: usize,
    rng: Rng,
}

fn dims(s: &Slot) -> (usize, usize) {
    (s.shape[0], s.shape[1])
}

impl Frugal {
    /// The optimizer over `layout`, projecting the tensors marked in `proj` (e.g. by
    /// [`projectable`]).
    ///
    /// # Panics
    /// On a density outside [0, 1], a zero update gap, a negative learning rate or scale, a
    /// mask of the wrong length, or a marked tensor that is not 2-D.
    pub fn new(layout: Layout, proj: &[bool], cfg: Config) -> Self {
        assert!(
            (0.0..=1.0).contains(&cfg.density),
            "FRUGAL: density ρ must lie in [0, 1], got {}",
            cfg.density
        );
        assert!(
            cfg.update_gap > 0,
            "FRUGAL: update_gap T must be at least 1"
        );
        assert!(
            cfg.lr >= 0.0 && cfg.proj_lr_scale >= 0.0 && cfg.residual_lr_scale >= 0.0,
            "FRUGAL: learning rate and scales must be non-negative"
        );
        assert_eq!(
            proj.len(),
            layout.slots.len(),
            "FRUGAL: the projectable mask must have one entry per tensor"
        );
        let tensors = layout
            .slots
            .iter()
            .zip(proj)
            .map(|(s, &p)| {
                assert!(
                    !p || s.shape.len() == 2,
                    "FRUGAL: projectable tensor {} has shape {:?}, not a matrix",
                    s.name,
                    s.shape
                );
                let part = match (p, cfg.subspace) {
                    (false, _) => Part::Regular,
                    (true, Subspace::Svd) => Part::Svd(None),
                    (true, Subspace::Columns) => Part::Columns(vec![]),
                    (true, Subspace::Blocks) => Part::Block { active: false },
                };
                let moments = (!p).then(|| Moments::zeros(s.len));
                TensorState { part, moments }
            })
            .collect();
        let k = proj.iter().filter(|&&p| p).count();
        Self {
            cfg,
            layout,
            tensors,
            active_blocks: round_half_even(cfg.density * k as f64),
            next_block: k.saturating_sub(1),
            steps: 0,
            rng: Rng::new(cfg.seed),
        }
    }

    /// Floats of Adam moments held now (the card's F3 count; projectors excluded).
    pub fn moment_floats(&self) -> usize {
        self.tensors
            .iter()
            .filter_map(|t| t.moments.as_ref())
            .map(|m| m.m.len() + m.v.len())
            .sum()
    }

    /// Entries of the projectors held now: SVD basis entries (f64) or selected column indices.
    pub fn projector_entries(&self) -> usize {
        self.tensors
            .iter()
            .map(|t| match &t.part {
                Part::Svd(Some(b)) => b.basis.len(),
                Part::Columns(idx) => idx.len(),
                _ => 0,
            })
            .sum()
    }

    /// The names of the active blocks (Blocks only; empty otherwise).
    pub fn active_tensors(&self) -> Vec<&str> {
        self.layout
            .slots
            .iter()
            .zip(&self.tensors)
            .filter(|(_, t)| matches!(t.part, Part::Block { active: true }))
            .map(|(s, _)| s.name.as_str())
            .collect()
    }

    /// Refreshes every projector from the current gradients (and resets state as configured).
    fn refresh(&mut self, grads: &[f32]) {
        let (cfg, slots) = (self.cfg, &self.layout.slots);
        let proj: Vec<usize> = (0..slots.len())
            .filter(|&i| !matches!(self.tensors[i].part, Part::Regular))
            .collect();
        if cfg.subspace == Subspace::Blocks {
            let k = proj.len();
            if k == 0 {
                return;
            }
            for &i in &proj {
                self.tensors[i] = TensorState {
                    part: Part::Block { active: false },
                    moments: None,
                };
            }
            for j in 0..self.active_blocks {
                let i = proj[(self.next_block + k * self.active_blocks - j) % k];
                self.tensors[i] = TensorState {
                    part: Part::Block { active: true },
                    moments: Some(Moments::zeros(slots[i].len)),
                };
            }
            self.next_block = (self.next_block + k * self.active_blocks - self.active_blocks) % k;
            return;
        }
        for &i in &proj {
            let s = &slots[i];
            let (rows, cols) = dims(s);
            let t = &mut self.tensors[i];
            let low = match &mut t.part {
                Part::Svd(b) => {
                    let g: Vec<f64> = grads[s.offset..s.offset + s.len]
                        .iter()
                        .map(|&x| f64::from(x))
                        .collect();
                    let basis = SvdBasis::top(&g, rows, cols, cfg.density);
                    let (m, n) = basis.low_shape();
                    *b = Some(basis);
                    m * n
                }
                Part::Columns(idx) => {
                    let mut perm: Vec<usize> = (0..cols).collect();
                    self.rng.shuffle(&mut perm);
                    perm.truncate((cfg.density * cols as f64) as usize);
                    *idx = perm;
                    rows * idx.len()
                }
                _ => unreachable!("regular and block tensors are not refreshed here"),
            };
            if cfg.reset_statistics || t.moments.is_none() {
                t.moments = Some(Moments::zeros(low));
            }
        }
    }

    /// The residual rule's update, added to `u`.
    fn add_residual(&self, r: impl Iterator<Item = f64>, u: &mut [f32]) {
        let c = &self.cfg;
        let lr = c.lr * c.proj_lr_scale * c.residual_lr_scale;
        match c.residual {
            Residual::Zero => {}
            Residual::SignSgd => u.iter_mut().zip(r).for_each(|(ui, ri)| {
                let s = if ri > 0.0 {
                    1.0
                } else if ri < 0.0 {
                    -1.0
                } else {
                    0.0
                };
                *ui += -lr * s;
            }),
            Residual::Sgd => u
                .iter_mut()
                .zip(r)
                .for_each(|(ui, ri)| *ui += -lr * ri as f32),
        }
    }

    /// The update of one projected (SVD or columns) tensor.
    fn projected_update(&mut self, i: usize, g: &[f32], u: &mut [f32]) {
        let c = self.cfg;
        let (rows, cols) = dims(&self.layout.slots[i]);
        let g64: Vec<f64> = g.iter().map(|&x| f64::from(x)).collect();
        let t = &mut self.tensors[i];
        let low = match &t.part {
            Part::Svd(Some(b)) => b.down(&g64),
            Part::Columns(idx) => gather_columns(&g64, cols, idx),
            _ => unreachable!("a projected tensor has a projector after the first refresh"),
        };
        let low32: Vec<f32> = low.iter().map(|&x| x as f32).collect();
        let mut ulow = vec![0.0f32; low.len()];
        t.moments.as_mut().expect("projected moments").update(
            &low32,
            c.lr * c.proj_lr_scale,
            &c,
            &mut ulow,
        );
        let ulow64: Vec<f64> = ulow.iter().map(|&x| f64::from(x)).collect();
        let (up_u, up_g) = match &t.part {
            Part::Svd(Some(b)) => (b.up(&ulow64), b.up(&low)),
            Part::Columns(idx) => (
                scatter_columns(&ulow64, rows, cols, idx),
                scatter_columns(&low, rows, cols, idx),
            ),
            _ => unreachable!(),
        };
        u.iter_mut().zip(&up_u).for_each(|(ui, &x)| *ui = x as f32);
        if c.residual != Residual::Zero {
            let r = g64.iter().zip(&up_g).map(|(a, b)| a - b);
            self.add_residual(r, u);
        }
    }
}

impl Optimizer for Frugal {
    fn name(&self) -> String {
        let c = &self.cfg;
        let sub = match c.subspace {
            Subspace::Svd => "SVD",
            Subspace::Columns => "columns",
            Subspace::Blocks => "blocks",
        };
        let rule = match c.residual {
            Residual::SignSgd => "sign-SGD",
            Residual::Sgd => "SGD",
            Residual::Zero => "no",
        };
        format!("FRUGAL({sub}, ρ = {}, residual {rule})", c.density)
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        assert_eq!(
            params.len(),
            self.layout.total,
            "parameter buffer does not match the layout"
        );
        assert_eq!(
            grads.len(),
            self.layout.total,
            "gradient buffer does not match the layout"
        );
        if self.steps.is_multiple_of(self.cfg.update_gap) {
            self.refresh(grads);
        }
        self.steps += 1;
        let c = self.cfg;
        let shrink = 1.0 - c.lr * c.weight_decay;
        for i in 0..self.tensors.len() {
            let s = &self.layout.slots[i];
            let range = s.offset..s.offset + s.len;
            let (p, g) = (&mut params[range.clone()], &grads[range]);
            let mut u = vec![0.0f32; g.len()];
            let scaled = c.lr * c.proj_lr_scale;
            match self.tensors[i].part {
                Part::Regular => self.tensors[i]
                    .moments
                    .as_mut()
                    .expect("regular moments")
                    .update(g, c.lr, &c, &mut u),
                Part::Block { active: true } => self.tensors[i]
                    .moments
                    .as_mut()
                    .expect("active moments")
                    .update(g, scaled, &c, &mut u),
                Part::Block { active: false } => {
                    self.add_residual(g.iter().map(|&x| f64::from(x)), &mut u)
                }
                Part::Svd(_) | Part::Columns(_) => self.projected_update(i, g, &mut u),
            }
            for (pi, ui) in p.iter_mut().zip(&u) {
                *pi *= shrink;
                *pi += ui;
            }
        }
    }

    /// Moments (4 bytes a float) and projectors (8 bytes an entry: f64 bases, `usize` indices)
    /// held now; the projected parts appear at the first step.
    fn state_bytes(&self) -> usize {
        4 * self.moment_floats() + 8 * self.projector_entries()
    }

    /// Parameters and gradients (12 bytes an element), the moments as Adam moves them (16 bytes
    /// a moment pair), and each SVD basis read twice (down and up, 16 bytes an entry).
    fn bytes_per_step(&self) -> usize {
        let bases: usize = self
            .tensors
            .iter()
            .map(|t| match &t.part {
                Part::Svd(Some(b)) => b.basis.len(),
                _ => 0,
            })
            .sum();
        12 * self.layout.total + 8 * self.moment_floats() + 16 * bases
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Adam;

    fn gaussian(n: usize, seed: u64) -> Vec<f64> {
        let mut r = Rng::new(seed);
        (0..n).map(|_| r.normal()).collect()
    }

    fn layout() -> Layout {
        Layout::new(&[
            ("emb", &[10, 4]),
            ("h0.attn.qkv.weight", &[12, 4]),
            ("h0.attn.qkv.bias", &[12]),
            ("h0.mlp.fc.weight", &[6, 8]),
            ("h0.mlp.proj.weight", &[4, 6]),
            ("head.weight", &[10, 4]),
        ])
    }

    #[test]
    fn the_official_split() {
        assert_eq!(
            projectable(&layout()),
            [false, true, false, true, true, false]
        );
    }

    #[test]
    fn python_rounding() {
        assert_eq!(round_half_even(2.5), 2);
        assert_eq!(round_half_even(3.5), 4);
        assert_eq!(round_half_even(0.5), 0);
        assert_eq!(round_half_even(1.75), 2);
        assert_eq!(SvdBasis::rank_for(12, 4, 0.25), 1);
        assert_eq!(SvdBasis::rank_for(6, 10, 0.25), 2); // 1.5 → 2
        assert_eq!(SvdBasis::rank_for(6, 18, 0.25), 2); // 1.5 → 2, left side
    }

    /// F4: the residual has no component in the SVD subspace, on either side.
    #[test]
    fn svd_residual_is_orthogonal_to_the_subspace() {
        for (rows, cols) in [(24, 9), (7, 20)] {
            let g = gaussian(rows * cols, 3);
            let b = SvdBasis::top(&g, rows, cols, 0.3);
            assert_eq!(b.right, rows >= cols);
            let low = b.down(&g);
            let r: Vec<f64> = g.iter().zip(b.up(&low)).map(|(a, c)| a - c).collect();
            let leak = b.down(&r);
            let norm = |x: &[f64]| x.iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!(
                norm(&leak) <= 1e-12 * norm(&g),
                "{rows}×{cols}: {}",
                norm(&leak)
            );
            // The basis is orthonormal and holds the largest singular directions: the captured
            // energy beats a random orthonormal basis of the same rank by construction.
            let gram: Vec<f64> = (0..b.rank * b.rank)
                .map(|ij| {
                    let (i, j) = (ij / b.rank, ij % b.rank);
                    let k = b.basis.len() / b.rank;
                    (0..k)
                        .map(|t| b.basis[i * k + t] * b.basis[j * k + t])
                        .sum()
                })
                .collect();
            for (ij, v) in gram.iter().enumerate() {
                let want = if ij / b.rank == ij % b.rank { 1.0 } else { 0.0 };
                assert!((v - want).abs() < 1e-12, "gram {ij}: {v}");
            }
        }
    }

    /// F4: the column projector's up∘down is the identity on the chosen columns, zero elsewhere.
    #[test]
    fn column_projection_keeps_only_the_chosen_columns() {
        let (rows, cols) = (3, 5);
        let g = gaussian(rows * cols, 4);
        let idx = [3, 0];
        let back = scatter_columns(&gather_columns(&g, cols, &idx), rows, cols, &idx);
        for (k, (a, b)) in g.iter().zip(&back).enumerate() {
            let want = if idx.contains(&(k % cols)) { *a } else { 0.0 };
            assert_eq!(*b, want, "entry {k}");
        }
    }

    fn run(opt: &mut dyn Optimizer, steps: usize, seed: u64) -> Vec<Vec<f32>> {
        let n = layout().total;
        let mut p: Vec<f32> = gaussian(n, seed).iter().map(|&x| x as f32).collect();
        let mut out = Vec::new();
        for s in 0..steps {
            let g: Vec<f32> = gaussian(n, seed + 1 + s as u64)
                .iter()
                .map(|&x| x as f32)
                .collect();
            opt.step(&mut p, &g);
            out.push(p.clone());
        }
        out
    }

    /// F3: ρ = 1 is AdamW bit for bit until the first refresh, for blocks and columns; after it
    /// the trajectories part (blocks clear their state, columns re-permute the moments).
    #[test]
    fn density_one_is_adamw_until_the_first_refresh() {
        let l = layout();
        let mask = projectable(&l);
        let t = 4;
        let adamw = run(&mut Adam::adamw(l.clone(), 0.01).weight_decay(0.0), 8, 9);
        for sub in [Subspace::Blocks, Subspace::Columns] {
            let mut cfg = Config::frugal(sub, 0.01, 1.0, t).seed(5);
            cfg.reset_statistics = false;
            let mut f = Frugal::new(l.clone(), &mask, cfg);
            let traj = run(&mut f, 8, 9);
            for s in 0..t {
                assert_eq!(traj[s], adamw[s], "{sub:?}: step {s}");
            }
            assert_ne!(
                traj[t], adamw[t],
                "{sub:?}: the refresh changes the trajectory"
            );
        }
    }

    /// F3: the moment counts, per subspace, as the card's corrections state them.
    #[test]
    fn state_counts() {
        let l = layout();
        let mask = projectable(&l);
        let regular: usize = l
            .slots
            .iter()
            .zip(&mask)
            .filter(|(_, p)| !**p)
            .map(|(s, _)| s.len)
            .sum();
        let step = |cfg: Config| {
            let mut f = Frugal::new(l.clone(), &mask, cfg);
            run(&mut f, 1, 2);
            f
        };
        // SVD: 12×4 → right, r = round(1) = 1: 12; 6×8 → left, r = round(1.5) = 2: 16;
        // 4×6 → left, r = 1: 6.
        let f = step(Config::frugal(Subspace::Svd, 0.01, 0.25, 10));
        assert_eq!(f.moment_floats(), 2 * (regular + 12 + 16 + 6));
        assert_eq!(f.projector_entries(), 4 + 2 * 6 + 4);
        // Columns: int(0.25·4) = 1, int(0.25·8) = 2, int(0.25·6) = 1 columns.
        let f = step(Config::frugal(Subspace::Columns, 0.01, 0.25, 10));
        assert_eq!(f.moment_floats(), 2 * (regular + 12 + 12 + 4));
        // Blocks: round(0.25·3) = 1 tensor, the last one first (descending order).
        let f = step(Config::frugal(Subspace::Blocks, 0.01, 0.25, 10));
        assert_eq!(f.active_tensors(), ["h0.mlp.proj.weight"]);
        assert_eq!(f.moment_floats(), 2 * (regular + 24));
        assert_eq!(
            step(Config::badam_like(0.01, 0.0, 10)).moment_floats(),
            2 * regular
        );
    }

    #[test]
    fn blocks_cycle_in_descending_order() {
        let l = layout();
        let mask = projectable(&l);
        let mut f = Frugal::new(
            l.clone(),
            &mask,
            Config::frugal(Subspace::Blocks, 0.1, 0.5, 1),
        );
        let mut seen = Vec::new();
        let (mut p, g) = (vec![0.0f32; l.total], vec![1.0f32; l.total]);
        for _ in 0..3 {
            f.step(&mut p, &g);
            seen.push(f.active_tensors().join(","));
        }
        // K = 3, round(1.5) = 2 active: {2, 1}, then {0, 2}, then {1, 0}.
        assert_eq!(
            seen,
            [
                "h0.mlp.fc.weight,h0.mlp.proj.weight",
                "h0.attn.qkv.weight,h0.mlp.proj.weight",
                "h0.attn.qkv.weight,h0.mlp.fc.weight"
            ]
        );
    }

    #[test]
    fn bad_settings_name_the_argument() {
        let l = layout();
        let mask = projectable(&l);
        let msg = |cfg: Config, mask: Vec<bool>| {
            let l = l.clone();
            std::panic::catch_unwind(move || Frugal::new(l, &mask, cfg))
                .err()
                .and_then(|e| {
                    e.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                })
                .unwrap_or_default()
        };
        let base = Config::frugal(Subspace::Svd, 0.01, 0.25, 10);
        assert!(
            msg(
                Config {
                    density: 1.5,
                    ..base
                },
                mask.clone()
            )
            .contains("density")
        );
        assert!(
            msg(
                Config {
                    update_gap: 0,
                    ..base
                },
                mask.clone()
            )
            .contains("update_gap")
        );
        let mut bias = mask.clone();
        bias[2] = true;
        assert!(msg(base, bias).contains("h0.attn.qkv.bias"));
    }

    fn floats(v: &serde_json::Value) -> Vec<f64> {
        v.as_array()
            .expect("an array")
            .iter()
            .map(|x| x.as_f64().expect("a number"))
            .collect()
    }

    /// The official classes on the fixture's gradients: every parameter after every step.
    #[test]
    fn matches_the_official_code() {
        let r: serde_json::Value = serde_json::from_str(REFERENCE_JSON).expect("fixture");
        // `Module.parameters()` order: the module's own parameters, then its submodules'.
        let l = Layout::new(&[
            ("emb", &[10, 4]),
            ("head", &[10, 4]),
            ("attn.weight", &[12, 4]),
            ("attn.bias", &[12]),
            ("mlp_fc.weight", &[6, 8]),
            ("mlp_proj.weight", &[4, 6]),
        ]);
        let mask = projectable(&l);
        assert_eq!(mask, [false, false, true, false, true, true]);
        let (lr, t) = (0.01, 3);
        let configs = [
            (
                "frugal_blocks",
                Config {
                    weight_decay: 0.1,
                    ..Config::frugal(Subspace::Blocks, lr, 0.5, t)
                },
            ),
            ("frugal_svd", Config::frugal(Subspace::Svd, lr, 0.25, t)),
            (
                "galore_like",
                Config {
                    proj_lr_scale: 0.25,
                    ..Config::galore_like(lr, 0.25, t)
                },
            ),
        ];
        let grads: Vec<Vec<f32>> = r["grads"]
            .as_array()
            .expect("grads")
            .iter()
            .map(|g| floats(g).iter().map(|&x| x as f32).collect())
            .collect();
        for (name, cfg) in configs {
            let case = &r["official"][name];
            let mut p: Vec<f32> = floats(&case["start"]).iter().map(|&x| x as f32).collect();
            let mut opt = Frugal::new(l.clone(), &mask, cfg);
            for (k, (g, want)) in grads
                .iter()
                .zip(case["params"].as_array().expect("params"))
                .enumerate()
            {
                opt.step(&mut p, g);
                for (i, (a, b)) in p.iter().zip(floats(want)).enumerate() {
                    let err = (f64::from(*a) - b).abs();
                    assert!(
                        err <= 2e-6 * (1.0 + b.abs()),
                        "{name}, step {k}, entry {i}: {a} vs {b}"
                    );
                }
            }
        }
    }

    /// galore-torch's projector: `G Bᵀ` or `Aᵀ G` and back, on a tall and a wide matrix.
    #[test]
    fn matches_galore_torch() {
        let r: serde_json::Value = serde_json::from_str(REFERENCE_JSON).expect("fixture");
        for case in r["galore_projector"].as_array().expect("cases") {
            let size = |k: &str| case[k].as_u64().expect("size") as usize;
            let (rows, cols, rank) = (size("rows"), size("cols"), size("rank"));
            let g = floats(&case["grad"]);
            let density = rank as f64 / rows.min(cols) as f64;
            let b = SvdBasis::top(&g, rows, cols, density);
            assert_eq!(b.rank, rank);
            let low = b.down(&g);
            for (got, want) in [
                (low.clone(), floats(&case["low"])),
                (b.up(&low), floats(&case["back"])),
            ] {
                for (a, w) in got.iter().zip(&want) {
                    assert!(
                        (a - w).abs() <= 1e-5 * (1.0 + w.abs()),
                        "{rows}×{cols}: {a} vs {w}"
                    );
                }
            }
        }
    }
}
