//! The paper's synthetic one-dimensional functions and the optimizers run on them.
//!
//! F1 is the function of the official `diffGrad_Regression_Loss.ipynb`; F2 and F3 are
//! reconstructed (card `papers/diffgrad.md`) so that the notebook's coded gradients are their
//! derivatives. F2 comes in two versions: the notebook's gradient, which is *not* the derivative
//! of F2 for x > −0.9, and the true derivative.

use kernels::optim::{Adam, DiffGrad, Friction, Layout, Optimizer};

/// A test function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    F1,
    /// F2 with the notebook's gradient `x cos 8x + sin 8x + 3x²` for x > −0.9.
    F2Notebook,
    /// F2 with its true derivative `3x² + sin 8x + 8x cos 8x` for x > −0.9.
    F2True,
    F3,
}

impl Func {
    pub const ALL: [Func; 4] = [Func::F1, Func::F2Notebook, Func::F2True, Func::F3];

    pub fn key(self) -> &'static str {
        match self {
            Func::F1 => "f1",
            Func::F2Notebook => "f2nb",
            Func::F2True => "f2",
            Func::F3 => "f3",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Func::F1 => "F1",
            Func::F2Notebook => "F2, notebook gradient",
            Func::F2True => "F2, true derivative",
            Func::F3 => "F3",
        }
    }

    /// The global minimiser.
    pub fn global_min(self) -> f64 {
        match self {
            Func::F1 => -0.3,
            Func::F2Notebook | Func::F2True => F2_GLOBAL,
            Func::F3 => 0.0,
        }
    }

    pub fn value(self, x: f64) -> f64 {
        match self {
            Func::F1 => {
                if x <= 0.0 {
                    (x + 0.3).powi(2)
                } else {
                    (x - 0.2).powi(2) + 0.05
                }
            }
            Func::F2Notebook | Func::F2True => {
                if x <= -0.9 {
                    -40.0 * x - 35.15
                } else {
                    x.powi(3) + x * (8.0 * x).sin() + 0.85
                }
            }
            Func::F3 => {
                if x <= -0.5 || x > 0.5 {
                    x * x
                } else if x <= -0.4 {
                    0.75 + x
                } else if x <= 0.0 {
                    -7.0 * x / 8.0
                } else if x <= 0.4 {
                    7.0 * x / 8.0
                } else {
                    0.75 - x
                }
            }
        }
    }

    pub fn grad(self, x: f64) -> f64 {
        match self {
            Func::F1 => {
                if x <= 0.0 {
                    2.0 * x + 0.6
                } else {
                    2.0 * x - 0.4
                }
            }
            Func::F2Notebook => {
                if x <= -0.9 {
                    -40.0
                } else {
                    x * (8.0 * x).cos() + (8.0 * x).sin() + 3.0 * x * x
                }
            }
            Func::F2True => {
                if x <= -0.9 {
                    -40.0
                } else {
                    3.0 * x * x + (8.0 * x).sin() + 8.0 * x * (8.0 * x).cos()
                }
            }
            Func::F3 => {
                if x <= -0.5 || x > 0.5 {
                    2.0 * x
                } else if x <= -0.4 {
                    1.0
                } else if x <= 0.0 {
                    -7.0 / 8.0
                } else if x <= 0.4 {
                    7.0 / 8.0
                } else {
                    -1.0
                }
            }
        }
    }
}

/// The global minimiser of F2 on (−0.9, 0): where 3x² + sin 8x + 8x cos 8x = 0, by bisection.
pub const F2_GLOBAL: f64 = -0.642_918_598_915_261_8;

/// The optimizers compared on the functions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Opt {
    Adam,
    DiffGrad,
    /// diffGrad with the official `diffGrad.py`'s aliased previous gradient (ξ = 0.5 from t = 2).
    Aliased,
    /// diffGrad with ξ ≡ 0.5 on every step.
    Half,
}

impl Opt {
    pub fn key(self) -> &'static str {
        match self {
            Opt::Adam => "adam",
            Opt::DiffGrad => "diffgrad",
            Opt::Aliased => "aliased",
            Opt::Half => "half",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Opt::Adam => "Adam",
            Opt::DiffGrad => "diffGrad",
            Opt::Aliased => "diffGrad, aliased g_prev",
            Opt::Half => "diffGrad, ξ ≡ 0.5",
        }
    }

    /// The optimizer on a buffer of `n` parameters with the notebook's (or the given) settings.
    pub fn build(self, n: usize, lr: f32, beta1: f32) -> Box<dyn Optimizer> {
        let layout = Layout::flat(n);
        match self {
            Opt::Adam => Box::new(Adam::new(layout, lr).betas(beta1, 0.999)),
            Opt::DiffGrad => Box::new(DiffGrad::new(layout, lr).betas(beta1, 0.999)),
            Opt::Aliased => Box::new(
                DiffGrad::new(layout, lr)
                    .betas(beta1, 0.999)
                    .friction(Friction::Aliased),
            ),
            Opt::Half => Box::new(
                DiffGrad::new(layout, lr)
                    .betas(beta1, 0.999)
                    .friction(Friction::Constant(0.5)),
            ),
        }
    }
}

/// The notebook's settings: 300 iterates (x₀ and 299 updates), β1 = 0.95, β2 = 0.999.
pub const UPDATES: usize = 299;
pub const BETA1: f32 = 0.95;
pub const BETA2: f64 = 0.999;
pub const EPS: f64 = 1e-8;
/// The notebook's start and learning rate.
pub const NOTEBOOK_X0: f64 = -1.0;
pub const NOTEBOOK_LR: f64 = 0.1;

/// Runs `opt` on `f` from `x0` for [`UPDATES`] steps in double precision, with the notebook's
/// formulas (Adam: `m̂/√(v̂ + eps)`; diffGrad: `ξ m̂/(√v̂ + eps)`); returns the final x.
///
/// Double precision matters on F2: from x₀ = −1 at lr = 0.1 the first step lands within 1e-10
/// of the kink at −0.9, and which side it lands on decides the second gradient (−40 or ≈ 0.7).
pub fn run(f: Func, opt: Opt, x0: f64, lr: f64) -> f64 {
    let (b1, b2, eps) = (BETA1 as f64, BETA2, EPS);
    let (mut x, mut m, mut v, mut prev) = (x0, 0.0f64, 0.0f64, 0.0f64);
    for t in 1..=UPDATES as i32 {
        let g = f.grad(x);
        m = b1 * m + (1.0 - b1) * g;
        v = b2 * v + (1.0 - b2) * g * g;
        let (mh, vh) = (m / (1.0 - b1.powi(t)), v / (1.0 - b2.powi(t)));
        let xi = match opt {
            Opt::Adam => {
                x -= lr * mh / (vh + eps).sqrt();
                continue;
            }
            Opt::DiffGrad => 1.0 / (1.0 + (-(prev - g).abs()).exp()),
            Opt::Aliased if t == 1 => 1.0 / (1.0 + (-g.abs()).exp()),
            Opt::Aliased | Opt::Half => 0.5,
        };
        prev = g;
        x -= lr * xi * mh / (vh.sqrt() + eps);
    }
    x
}

/// The same run with the project's single-precision optimizers (`kernels::optim`, PyTorch's
/// formulas: eps outside the root for Adam).
pub fn run_f32(f: Func, opt: Opt, x0: f64, lr: f32) -> f64 {
    let mut o = opt.build(1, lr, BETA1);
    let mut x = [x0 as f32];
    for _ in 0..UPDATES {
        let g = [f.grad(x[0] as f64) as f32];
        o.step(&mut x, &g);
    }
    x[0] as f64
}
