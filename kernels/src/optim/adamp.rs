//! SGDP and AdamP (Heo et al., ICLR 2021): momentum methods that remove the radial component of
//! the update on weights that look scale-invariant, so that their norm (and with it the effective
//! step size η/‖w‖²) does not grow. (Long: SGDP, AdamP and their shared projection, with tests.)
//!
//! Semantics of the official `adamp` package 0.3.0. For a tensor of two or more dimensions, the
//! raw gradient is tested in two views, in order: the channel view (one row per output channel,
//! `shape[0]` rows) and the layer view (one row). A view fires when `max_i |cos(g_i, w_i)| < δ/√d`
//! (d = row length); then each row of the update loses its component along `ŵ_i = w_i/(‖w_i‖ + eps)`
//! and the weight decay is scaled by `wd_ratio`. Tensors of one dimension (biases, norm gains) are
//! never projected.
//!
//! Each step makes two passes per tensor: one that updates the moments and accumulates the row
//! statistics (⟨g, w⟩, ‖g‖², ‖w‖², ⟨w, u⟩), and one that applies the (projected) update.

use super::{CHUNK, Layout, Optimizer, check_len};
use rayon::prelude::*;

/// Which view of a tensor the projection used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// One row per output channel (`shape[0]` rows).
    Channel,
    /// The whole tensor as one row.
    Layer,
}

/// The projection's settings (the package's defaults: δ = 0.1, wd_ratio = 0.1, eps = 1e-8).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Projection {
    pub delta: f32,
    pub wd_ratio: f32,
    pub eps: f32,
}

impl Default for Projection {
    fn default() -> Self {
        Self {
            delta: 0.1,
            wd_ratio: 0.1,
            eps: 1e-8,
        }
    }
}

/// Per-row sums, accumulated in f64.
#[derive(Clone, Copy, Debug, Default)]
struct RowStats {
    gw: f64,
    gg: f64,
    ww: f64,
    wu: f64,
}

impl RowStats {
    fn add(&mut self, w: f32, g: f32, u: f32) {
        let (w, g, u) = (w as f64, g as f64, u as f64);
        self.gw += g * w;
        self.gg += g * g;
        self.ww += w * w;
        self.wu += w * u;
    }
    fn merge(self, o: Self) -> Self {
        Self {
            gw: self.gw + o.gw,
            gg: self.gg + o.gg,
            ww: self.ww + o.ww,
            wu: self.wu + o.wu,
        }
    }
    /// |cos(g, w)| with PyTorch's clamping of each norm at eps.
    fn abs_cos(&self, eps: f64) -> f64 {
        self.gw.abs() / (self.gg.sqrt().max(eps) * self.ww.sqrt().max(eps))
    }
    /// The coefficient c with `u − c w = u − ŵ ⟨ŵ, u⟩`, ŵ = w/(‖w‖ + eps).
    fn radial(&self, eps: f64) -> f64 {
        let n = self.ww.sqrt() + eps;
        self.wu / (n * n)
    }
}

/// The four sums of [`RowStats`] over one row (`u` is the row of the update): eight
/// independent `f32` lanes (so the loop vectorises and no addition waits for the previous one),
/// flushed into `f64` every 64 elements so that rows of any length keep `f64`-like accuracy.
fn row_stats(w: &[f32], g: &[f32], u: &[f32]) -> RowStats {
    let mut s = RowStats::default();
    for ((w, g), u) in w.chunks(64).zip(g.chunks(64)).zip(u.chunks(64)) {
        let mut acc = [[0.0f32; 8]; 4];
        let (wc, gc, uc) = (w.chunks_exact(8), g.chunks_exact(8), u.chunks_exact(8));
        let (wr, gr, ur) = (wc.remainder(), gc.remainder(), uc.remainder());
        for ((w, g), u) in wc.zip(gc).zip(uc) {
            for k in 0..8 {
                acc[0][k] += g[k] * w[k];
                acc[1][k] += g[k] * g[k];
                acc[2][k] += w[k] * w[k];
                acc[3][k] += w[k] * u[k];
            }
        }
        let sum = |a: &[f32; 8]| a.iter().map(|&x| x as f64).sum::<f64>();
        s.gw += sum(&acc[0]);
        s.gg += sum(&acc[1]);
        s.ww += sum(&acc[2]);
        s.wu += sum(&acc[3]);
        for ((&w, &g), &u) in wr.iter().zip(gr).zip(ur) {
            s.add(w, g, u);
        }
    }
    s
}

/// Rows of the channel view, if the tensor can be projected (two or more dimensions).
fn channel_rows(shape: &[usize]) -> Option<usize> {
    (shape.len() > 1 && shape[0] > 0).then_some(shape[0])
}

/// The view that fires and the per-row radial coefficients (zero where nothing fires).
fn decide(stats: &[RowStats], row_len: usize, pj: &Projection) -> (Option<View>, Vec<f64>) {
    let eps = pj.eps as f64;
    let delta = pj.delta as f64;
    let channel = stats.iter().map(|s| s.abs_cos(eps)).fold(0.0, f64::max);
    if channel < delta / (row_len as f64).sqrt() {
        return (
            Some(View::Channel),
            stats.iter().map(|s| s.radial(eps)).collect(),
        );
    }
    let total = stats.iter().fold(RowStats::default(), |a, &b| a.merge(b));
    if total.abs_cos(eps) < delta / ((row_len * stats.len()) as f64).sqrt() {
        return (Some(View::Layer), vec![total.radial(eps); stats.len()]);
    }
    (None, vec![0.0; stats.len()])
}

/// [`decide`] for a tensor that may not be projectable, with the weight-decay ratio to apply.
fn outcome(
    stats: &[RowStats],
    row_len: usize,
    projectable: bool,
    pj: &Projection,
) -> (Option<View>, Vec<f64>, f32) {
    let (view, coef) = if projectable {
        decide(stats, row_len, pj)
    } else {
        (None, vec![0.0; stats.len()])
    };
    (view, coef, if view.is_some() { pj.wd_ratio } else { 1.0 })
}

/// The view in which the projection of a tensor of this shape fires for weights `w` and raw
/// gradient `g`, or `None`.
pub fn projection_view(shape: &[usize], w: &[f32], g: &[f32], pj: &Projection) -> Option<View> {
    let rows = channel_rows(shape)?;
    let row_len = w.len() / rows;
    let stats: Vec<RowStats> = w
        .chunks(row_len)
        .zip(g.chunks(row_len))
        .map(|(w, g)| {
            let mut s = RowStats::default();
            w.iter().zip(g).for_each(|(&wi, &gi)| s.add(wi, gi, 0.0));
            s
        })
        .collect();
    decide(&stats, row_len, pj).0
}

/// Removes the radial component of `u` row by row in the given view: `u_i ← u_i − ŵ_i ⟨ŵ_i, u_i⟩`.
pub fn project(shape: &[usize], w: &[f32], u: &mut [f32], view: View, eps: f32) {
    let rows = match view {
        View::Channel => shape[0],
        View::Layer => 1,
    };
    let row_len = w.len() / rows;
    for (w, u) in w.chunks(row_len).zip(u.chunks_mut(row_len)) {
        let mut s = RowStats::default();
        w.iter()
            .zip(u.iter())
            .for_each(|(&wi, &ui)| s.add(wi, 0.0, ui));
        let c = s.radial(eps as f64) as f32;
        u.iter_mut().zip(w).for_each(|(ui, &wi)| *ui -= c * wi);
    }
}

/// How a slot is cut for the two passes: rows of the channel view, or plain chunks.
fn rows_of(shape: &[usize], len: usize) -> (usize, bool) {
    match channel_rows(shape) {
        Some(rows) => (len / rows, true),
        None => (CHUNK.min(len.max(1)), false),
    }
}

/// AdamP: Adam with decoupled weight decay and the projection above, as in `adamp.AdamP`.
#[derive(Clone, Debug)]
pub struct AdamP {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub nesterov: bool,
    pub projection: Projection,
    layout: Layout,
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
    views: Vec<Option<View>>,
}

impl AdamP {
    /// The package's defaults: β = (0.9, 0.999), eps = 1e-8, no weight decay, δ = 0.1,
    /// wd_ratio = 0.1, no Nesterov.
    pub fn new(layout: Layout, lr: f32) -> Self {
        let n = layout.total;
        let slots = layout.slots.len();
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            nesterov: false,
            projection: Projection::default(),
            layout,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
            views: vec![None; slots],
        }
    }
    pub fn betas(mut self, beta1: f32, beta2: f32) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }
    pub fn weight_decay(mut self, wd: f32) -> Self {
        self.weight_decay = wd;
        self
    }
    pub fn nesterov(mut self, on: bool) -> Self {
        self.nesterov = on;
        self
    }
    /// The view each tensor was projected in at the last step (`None`: not projected).
    pub fn views(&self) -> &[Option<View>] {
        &self.views
    }
}

impl Optimizer for AdamP {
    fn name(&self) -> String {
        "AdamP".into()
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        check_len(&self.layout, params, grads);
        self.t += 1;
        let (b1, b2, eps, nesterov) = (self.beta1, self.beta2, self.eps, self.nesterov);
        let bc2_sqrt = (1.0 - b2.powi(self.t)).sqrt();
        let step_size = self.lr / (1.0 - b1.powi(self.t));
        // Branch-free numerator (β1 m + (1 − β1) g with Nesterov, 1·m + 0·g without), so that
        // the element loops vectorise.
        let (cm, cg) = if nesterov { (b1, 1.0 - b1) } else { (1.0, 0.0) };
        let u = move |m: f32, v: f32, g: f32| (cm * m + cg * g) / (v.sqrt() / bc2_sqrt + eps);
        for (k, slot) in self.layout.slots.iter().enumerate() {
            let r = slot.offset..slot.offset + slot.len;
            let (p, g) = (&mut params[r.clone()], &grads[r.clone()]);
            let (m, v) = (&mut self.m[r.clone()], &mut self.v[r]);
            let (row_len, projectable) = rows_of(&slot.shape, slot.len);
            let stats: Vec<RowStats> = p
                .par_chunks(row_len)
                .zip(g.par_chunks(row_len))
                .zip(m.par_chunks_mut(row_len).zip(v.par_chunks_mut(row_len)))
                .map(|((p, g), (m, v))| {
                    for ((&gi, mi), vi) in g.iter().zip(m.iter_mut()).zip(v.iter_mut()) {
                        *mi = b1 * *mi + (1.0 - b1) * gi;
                        *vi = b2 * *vi + (1.0 - b2) * gi * gi;
                    }
                    if !projectable {
                        return RowStats::default();
                    }
                    let step: Vec<f32> = m
                        .iter()
                        .zip(v.iter())
                        .zip(g)
                        .map(|((&mi, &vi), &gi)| u(mi, vi, gi))
                        .collect();
                    row_stats(p, g, &step)
                })
                .collect();
            let (view, coef, ratio) = outcome(&stats, row_len, projectable, &self.projection);
            self.views[k] = view;
            let shrink = 1.0 - self.lr * self.weight_decay * ratio;
            p.par_chunks_mut(row_len)
                .zip(g.par_chunks(row_len))
                .zip(m.par_chunks(row_len).zip(v.par_chunks(row_len)))
                .zip(coef.par_iter())
                .for_each(|(((p, g), (m, v)), &c)| {
                    let c = c as f32;
                    for (((pi, &gi), &mi), &vi) in p.iter_mut().zip(g).zip(m).zip(v) {
                        let d = u(mi, vi, gi) - c * *pi;
                        *pi = *pi * shrink - step_size * d;
                    }
                });
        }
    }

    fn state_bytes(&self) -> usize {
        8 * self.layout.total
    }

    fn bytes_per_step(&self) -> usize {
        // Pass one reads p, g, m, v and writes m, v; pass two reads p, m, v (and g for Nesterov)
        // and writes p.
        let n = self.layout.total;
        if self.nesterov { 44 * n } else { 40 * n }
    }
}

/// SGDP: SGD with momentum and the projection above, as in `adamp.SGDP`. As in the package, the
/// momentum buffer is zero-initialised (`b₁ = (1 − dampening) g`), and without Nesterov the
/// projected update *is* the buffer, so the projection is written back into the momentum.
#[derive(Clone, Debug)]
pub struct Sgdp {
    pub lr: f32,
    pub momentum: f32,
    pub dampening: f32,
    pub weight_decay: f32,
    pub nesterov: bool,
    pub projection: Projection,
    layout: Layout,
    buf: Vec<f32>,
    views: Vec<Option<View>>,
}

impl Sgdp {
    pub fn new(layout: Layout, lr: f32) -> Self {
        let n = layout.total;
        let slots = layout.slots.len();
        Self {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            projection: Projection::default(),
            layout,
            buf: vec![0.0; n],
            views: vec![None; slots],
        }
    }
    pub fn momentum(mut self, momentum: f32, dampening: f32, nesterov: bool) -> Self {
        self.momentum = momentum;
        self.dampening = dampening;
        self.nesterov = nesterov;
        self
    }
    pub fn weight_decay(mut self, wd: f32) -> Self {
        self.weight_decay = wd;
        self
    }
    /// The view each tensor was projected in at the last step (`None`: not projected).
    pub fn views(&self) -> &[Option<View>] {
        &self.views
    }
}

impl Optimizer for Sgdp {
    fn name(&self) -> String {
        "SGDP".into()
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        check_len(&self.layout, params, grads);
        let (mu, damp, nesterov) = (self.momentum, self.dampening, self.nesterov);
        // Branch-free: g + μ b with Nesterov, 0·g + 1·b without (so that the loops vectorise).
        let (cg, cb) = if nesterov { (1.0, mu) } else { (0.0, 1.0) };
        let dir = move |b: f32, g: f32| cg * g + cb * b;
        for (k, slot) in self.layout.slots.iter().enumerate() {
            let r = slot.offset..slot.offset + slot.len;
            let (p, g, buf) = (&mut params[r.clone()], &grads[r.clone()], &mut self.buf[r]);
            let (row_len, projectable) = rows_of(&slot.shape, slot.len);
            let stats: Vec<RowStats> = p
                .par_chunks(row_len)
                .zip(g.par_chunks(row_len))
                .zip(buf.par_chunks_mut(row_len))
                .map(|((p, g), b)| {
                    for (&gi, bi) in g.iter().zip(b.iter_mut()) {
                        *bi = mu * *bi + (1.0 - damp) * gi;
                    }
                    if !projectable {
                        return RowStats::default();
                    }
                    let step: Vec<f32> = b.iter().zip(g).map(|(&bi, &gi)| dir(bi, gi)).collect();
                    row_stats(p, g, &step)
                })
                .collect();
            let (view, coef, ratio) = outcome(&stats, row_len, projectable, &self.projection);
            self.views[k] = view;
            let shrink = 1.0 - self.lr * self.weight_decay * ratio / (1.0 - mu);
            let lr = self.lr;
            p.par_chunks_mut(row_len)
                .zip(g.par_chunks(row_len))
                .zip(buf.par_chunks_mut(row_len))
                .zip(coef.par_iter())
                .for_each(|(((p, g), b), &c)| {
                    let c = c as f32;
                    for ((pi, &gi), bi) in p.iter_mut().zip(g).zip(b) {
                        let d = dir(*bi, gi) - c * *pi;
                        *bi = if nesterov { *bi } else { d };
                        *pi = *pi * shrink - lr * d;
                    }
                });
        }
    }

    fn state_bytes(&self) -> usize {
        4 * self.layout.total
    }

    fn bytes_per_step(&self) -> usize {
        // Pass one reads p, g, b and writes b; pass two reads p, g, b and writes p and b.
        32 * self.layout.total
    }
}
