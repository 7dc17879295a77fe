//! 2-D convolutions for small image models, with per-sample weight gradients (what DP-SGD clips).
//!
//! Tensors are NCHW, row-major, f32. [`Conv2d`] is a stride-1 "same" convolution with an odd
//! kernel k and zero padding (k−1)/2, computed per sample by im2col and one GEMM:
//!
//! ```text
//!   cols_s = im2col(x_s)            (c_in k², h w)
//!   y_s    = W cols_s + b           (c_out, h w)
//!   dW_s   = dy_s cols_sᵀ,  db_s = Σ_p dy_s,  dx_s = col2im(Wᵀ dy_s)
//! ```
//!
//! `dW_s` is written per sample into an n × P matrix of flattened per-sample gradients (at the
//! tensor's offset), which is exactly the input of [`crate::privacy::privatize`]; summing its rows
//! gives the ordinary batch gradient. Pooling and activations here are the few the equivariant
//! CNNs need. Zero padding and odd kernels keep the convolution exactly D4-equivariant about the
//! image centre, which [`super::d4`] relies on.

use super::gemm;

/// A stride-1 'same' convolution on h × w images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2d {
    pub c_in: usize,
    pub c_out: usize,
    pub k: usize,
    pub h: usize,
    pub w: usize,
}

/// Where one layer's weight and bias sit in a flattened per-sample gradient row of length `row`.
#[derive(Clone, Copy, Debug)]
pub struct GradSlot {
    pub row: usize,
    pub weight: usize,
    pub bias: usize,
}

impl Conv2d {
    pub fn new(c_in: usize, c_out: usize, k: usize, h: usize, w: usize) -> Self {
        assert!(
            k % 2 == 1,
            "kernel size must be odd for a 'same' convolution"
        );
        Self {
            c_in,
            c_out,
            k,
            h,
            w,
        }
    }

    pub fn weight_len(&self) -> usize {
        self.c_out * self.c_in * self.k * self.k
    }

    fn col_rows(&self) -> usize {
        self.c_in * self.k * self.k
    }

    fn hw(&self) -> usize {
        self.h * self.w
    }

    /// im2col of one sample: row (c, di, dj), column (i, j) holds x[c, i+di−r, j+dj−r] or 0.
    fn im2col(&self, x: &[f32], cols: &mut [f32]) {
        let (k, h, w, r) = (self.k, self.h, self.w, (self.k / 2) as isize);
        for c in 0..self.c_in {
            for di in 0..k {
                for dj in 0..k {
                    let row = &mut cols[((c * k + di) * k + dj) * h * w..][..h * w];
                    for i in 0..h {
                        let si = i as isize + di as isize - r;
                        for j in 0..w {
                            let sj = j as isize + dj as isize - r;
                            row[i * w + j] =
                                if si < 0 || sj < 0 || si >= h as isize || sj >= w as isize {
                                    0.0
                                } else {
                                    x[(c * h + si as usize) * w + sj as usize]
                                };
                        }
                    }
                }
            }
        }
    }

    fn col2im(&self, cols: &[f32], dx: &mut [f32]) {
        let (k, h, w, r) = (self.k, self.h, self.w, (self.k / 2) as isize);
        for c in 0..self.c_in {
            for di in 0..k {
                for dj in 0..k {
                    let row = &cols[((c * k + di) * k + dj) * h * w..][..h * w];
                    for i in 0..h {
                        let si = i as isize + di as isize - r;
                        if si < 0 || si >= h as isize {
                            continue;
                        }
                        for j in 0..w {
                            let sj = j as isize + dj as isize - r;
                            if sj >= 0 && sj < w as isize {
                                dx[(c * h + si as usize) * w + sj as usize] += row[i * w + j];
                            }
                        }
                    }
                }
            }
        }
    }

    /// Forward pass of n samples; returns the output and the im2col buffers the backward needs.
    pub fn forward(
        &self,
        x: &[f32],
        weight: &[f32],
        bias: &[f32],
        n: usize,
    ) -> (Vec<f32>, Vec<f32>) {
        let (cr, hw) = (self.col_rows(), self.hw());
        assert_eq!(
            x.len(),
            n * self.c_in * hw,
            "conv input is not n × c_in × h × w"
        );
        assert!(weight.len() == self.weight_len() && bias.len() == self.c_out);
        let mut cols = vec![0.0; n * cr * hw];
        let mut y = vec![0.0; n * self.c_out * hw];
        for s in 0..n {
            let col = &mut cols[s * cr * hw..][..cr * hw];
            self.im2col(&x[s * self.c_in * hw..][..self.c_in * hw], col);
            let ys = &mut y[s * self.c_out * hw..][..self.c_out * hw];
            for (o, yo) in ys.chunks_mut(hw).enumerate() {
                yo.iter_mut().for_each(|v| *v = bias[o]);
            }
            gemm(self.c_out, cr, hw, weight, false, col, false, 1.0, ys);
        }
        (y, cols)
    }

    /// Backward pass: adds sample s's weight and bias gradients into row s of `psg` (n rows of
    /// `slot.row`), or every sample's into its only row when `psg` holds one row (the ordinary
    /// batch gradient); returns dx.
    pub fn backward(
        &self,
        dy: &[f32],
        cols: &[f32],
        weight: &[f32],
        n: usize,
        psg: &mut [f32],
        slot: GradSlot,
    ) -> Vec<f32> {
        let (cr, hw) = (self.col_rows(), self.hw());
        let shared = psg.len() == slot.row;
        assert!(dy.len() == n * self.c_out * hw && (shared || psg.len() == n * slot.row));
        let mut dx = vec![0.0; n * self.c_in * hw];
        let mut dcols = vec![0.0; cr * hw];
        for s in 0..n {
            let dys = &dy[s * self.c_out * hw..][..self.c_out * hw];
            let col = &cols[s * cr * hw..][..cr * hw];
            let at = if shared { 0 } else { s * slot.row };
            let row = &mut psg[at..][..slot.row];
            let dw = &mut row[slot.weight..slot.weight + self.weight_len()];
            gemm(self.c_out, hw, cr, dys, false, col, true, 1.0, dw);
            for (o, d) in dys.chunks(hw).enumerate() {
                row[slot.bias + o] += d.iter().sum::<f32>();
            }
            gemm(
                cr, self.c_out, hw, weight, true, dys, false, 0.0, &mut dcols,
            );
            self.col2im(&dcols, &mut dx[s * self.c_in * hw..][..self.c_in * hw]);
        }
        dx
    }
}

/// 2×2 average pooling of n·c planes of h × w (h, w even).
pub fn avg_pool2(x: &[f32], planes: usize, h: usize, w: usize) -> Vec<f32> {
    assert!(h.is_multiple_of(2) && w.is_multiple_of(2) && x.len() == planes * h * w);
    let (ho, wo) = (h / 2, w / 2);
    let mut y = vec![0.0; planes * ho * wo];
    for p in 0..planes {
        for i in 0..ho {
            for j in 0..wo {
                let at = |a: usize, b: usize| x[(p * h + 2 * i + a) * w + 2 * j + b];
                y[(p * ho + i) * wo + j] = 0.25 * (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1));
            }
        }
    }
    y
}

/// Backward of [`avg_pool2`]: each input pixel receives a quarter of its block's gradient.
pub fn avg_pool2_back(dy: &[f32], planes: usize, h: usize, w: usize) -> Vec<f32> {
    let (ho, wo) = (h / 2, w / 2);
    let mut dx = vec![0.0; planes * h * w];
    for p in 0..planes {
        for i in 0..h {
            for j in 0..w {
                dx[(p * h + i) * w + j] = 0.25 * dy[(p * ho + i / 2) * wo + j / 2];
            }
        }
    }
    dx
}

/// ReLU in place; returns the mask of positive entries for the backward.
pub fn relu(x: &mut [f32]) -> Vec<bool> {
    x.iter_mut()
        .map(|v| {
            let on = *v > 0.0;
            if !on {
                *v = 0.0;
            }
            on
        })
        .collect()
}

/// Backward of [`relu`] in place.
pub fn relu_back(dy: &mut [f32], mask: &[bool]) {
    dy.iter_mut().zip(mask).for_each(|(d, &m)| {
        if !m {
            *d = 0.0;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn randn(rng: &mut Rng, n: usize, s: f64) -> Vec<f32> {
        (0..n).map(|_| (s * rng.normal()) as f32).collect()
    }

    /// Loss = Σ r ⊙ pool(relu(conv(x))); analytic per-sample gradients against central
    /// differences, and their row sum against the batch gradient.
    #[test]
    fn conv_backward_matches_finite_differences() {
        let mut rng = Rng::new(11);
        let conv = Conv2d::new(2, 3, 3, 6, 4);
        let n = 2;
        let x = randn(&mut rng, n * 2 * 24, 1.0);
        let params = randn(&mut rng, conv.weight_len() + 3, 0.3);
        let r = randn(&mut rng, n * 3 * 6, 1.0);
        let loss = |p: &[f32], x: &[f32]| -> f64 {
            let (mut y, _) = conv.forward(x, &p[..conv.weight_len()], &p[conv.weight_len()..], n);
            relu(&mut y);
            let pooled = avg_pool2(&y, n * 3, 6, 4);
            pooled.iter().zip(&r).map(|(a, b)| f64::from(a * b)).sum()
        };
        let (mut y, cols) = conv.forward(
            &x,
            &params[..conv.weight_len()],
            &params[conv.weight_len()..],
            n,
        );
        let mask = relu(&mut y);
        let mut dy = avg_pool2_back(&r, n * 3, 6, 4);
        relu_back(&mut dy, &mask);
        let row = params.len();
        let slot = GradSlot {
            row,
            weight: 0,
            bias: conv.weight_len(),
        };
        let mut psg = vec![0.0; n * row];
        let dx = conv.backward(&dy, &cols, &params[..conv.weight_len()], n, &mut psg, slot);
        let grad: Vec<f32> = (0..row).map(|j| psg[j] + psg[row + j]).collect();
        let mut batch = vec![0.0; row];
        conv.backward(
            &dy,
            &cols,
            &params[..conv.weight_len()],
            n,
            &mut batch,
            slot,
        );
        let gap = batch
            .iter()
            .zip(&grad)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            gap < 1e-5,
            "the one-row batch gradient is the sum of the per-sample rows ({gap})"
        );
        let layout = crate::optim::Layout::new(&[("weight", &[conv.weight_len()]), ("bias", &[3])]);
        let err =
            crate::nn::check::directional(&layout, &params, &grad, &mut |p| loss(p, &x), 1e-3);
        assert!(err < 1e-2, "parameter gradient error {err}");
        // dx by a directional difference along a random input direction.
        let dir = randn(&mut rng, x.len(), 1.0);
        let h = 1e-3f32;
        let shifted = |s: f32| -> Vec<f32> { x.iter().zip(&dir).map(|(a, b)| a + s * b).collect() };
        let fd = (loss(&params, &shifted(h)) - loss(&params, &shifted(-h))) / (2.0 * f64::from(h));
        let an: f64 = dx.iter().zip(&dir).map(|(a, b)| f64::from(a * b)).sum();
        assert!(
            (fd - an).abs() / an.abs().max(1e-3) < 1e-2,
            "dx: {an} vs {fd}"
        );
    }
}
