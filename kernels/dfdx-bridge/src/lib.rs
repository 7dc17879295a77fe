//! The one bridge between dfdx models and `kernels::optim`.
//!
//! dfdx is the suite's autodiff engine for models whose backward pass would otherwise be
//! written by hand; `kernels::optim` holds the suite's optimizers, which step one flat `f32`
//! buffer described by a [`Layout`]. This crate connects the two: [`layout`] names every
//! trainable tensor of a dfdx model (dfdx's own dotted path, e.g. `2.weight`, and its shape),
//! [`read_params`] / [`write_params`] / [`read_grads`] copy between the model and the flat
//! buffers in that order, and [`Bridge`] does one optimizer step on a model from dfdx's
//! [`Gradients`].
//!
//! A dfdx `Linear<I, O>` stores its weight as `O × I` row-major, as `torch.nn.Linear` does, so
//! per-matrix optimizers (Muon, FISMO) see rows = outputs, the convention of their references.
//!
//! Only the CPU device and `f32` are bridged: the optimizers' state and the suite's CUDA paths
//! live in `kernels`, not in dfdx.
//!
//! dfdx itself is re-exported ([`dfdx`]), so a reproduction depends on this crate alone and the
//! workspace has one way in to dfdx, at one version and one feature set.

pub use dfdx;

use dfdx::nn::tensor_collection::{
    RecursiveWalker, TensorCollection, TensorOptions, TensorVisitor, ViewTensorMut, ViewTensorName,
    ViewTensorRef,
};
use dfdx::prelude::{Cpu, Gradients, HasShape, Shape, Tensor};
use kernels::optim::{Layout, Optimizer};

/// Why a bridge step did not run.
#[derive(Debug, Clone, PartialEq)]
pub enum BridgeError {
    /// A trainable tensor has no gradient (it did not take part in the traced forward pass).
    MissingGradient { tensor: String },
    /// A gradient holds NaN or ±∞: the step is skipped and the parameters are left as they were.
    NonFinite { tensor: String, index: usize },
    /// The model's tensors no longer match the layout the bridge was built with.
    LayoutMismatch { expected: usize, found: usize },
}

impl std::fmt::Display for BridgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingGradient { tensor } => write!(
                f,
                "tensor {tensor} has no gradient: it was not used in the traced forward pass"
            ),
            Self::NonFinite { tensor, index } => write!(
                f,
                "the gradient of {tensor} is not finite at element {index}: step skipped, parameters unchanged"
            ),
            Self::LayoutMismatch { expected, found } => write!(
                f,
                "the model has {found} trainable parameters, the bridge's layout {expected}"
            ),
        }
    }
}

impl std::error::Error for BridgeError {}

/// Collects name and shape of every trainable tensor, in dfdx's visiting order.
struct Names(Vec<(String, Vec<usize>)>);

impl TensorVisitor<f32, Cpu> for Names {
    type Viewer = (ViewTensorRef, ViewTensorName);
    type Err = BridgeError;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, Cpu>,
        (t, name): (&Tensor<S, f32, Cpu>, String),
    ) -> Result<Option<Tensor<S, f32, Cpu>>, BridgeError> {
        if opts.do_gradient_update {
            self.0
                .push((name, t.shape().concrete().into_iter().collect()));
        }
        Ok(None)
    }
}

/// The flat layout of `model`'s trainable tensors, named by their dfdx paths.
pub fn layout<M: TensorCollection<f32, Cpu>>(model: &M) -> Layout {
    let mut names = Names(Vec::new());
    M::iter_tensors(&mut RecursiveWalker {
        m: (model, String::new()),
        f: &mut names,
    })
    .expect("collecting names cannot fail");
    let owned: Vec<(&str, &[usize])> = names
        .0
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_slice()))
        .collect();
    Layout::new(&owned)
}

/// Copies trainable tensors into (or out of) a flat buffer, in layout order.
struct Copy<'b> {
    buf: &'b mut [f32],
    at: usize,
    grads: Option<&'b Gradients<f32, Cpu>>,
}

impl Copy<'_> {
    fn take(&mut self, n: usize) -> Result<std::ops::Range<usize>, BridgeError> {
        let r = self.at..self.at + n;
        if r.end > self.buf.len() {
            return Err(BridgeError::LayoutMismatch {
                expected: self.buf.len(),
                found: r.end,
            });
        }
        self.at = r.end;
        Ok(r)
    }
}

/// Reads parameters or their gradients into the buffer.
struct Reader<'b>(Copy<'b>);

impl TensorVisitor<f32, Cpu> for Reader<'_> {
    type Viewer = (ViewTensorRef, ViewTensorName);
    type Err = BridgeError;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, Cpu>,
        (t, name): (&Tensor<S, f32, Cpu>, String),
    ) -> Result<Option<Tensor<S, f32, Cpu>>, BridgeError> {
        if !opts.do_gradient_update {
            return Ok(None);
        }
        let r = self.0.take(t.shape().num_elements())?;
        match self.0.grads {
            None => t.copy_into(&mut self.0.buf[r]),
            Some(g) => {
                // dfdx 0.13 has no public checked getter: `get` unwraps, so a missing
                // gradient is caught as that panic and reported by name.
                let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.get(t)));
                match got {
                    Err(_) => return Err(BridgeError::MissingGradient { tensor: name }),
                    Ok(v) => v.copy_into(&mut self.0.buf[r]),
                }
            }
        }
        Ok(None)
    }
}

/// Writes the buffer into the parameters.
struct Writer<'b> {
    src: &'b [f32],
    at: usize,
}

impl TensorVisitor<f32, Cpu> for Writer<'_> {
    type Viewer = ViewTensorMut;
    type Err = BridgeError;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, Cpu>,
        t: &mut Tensor<S, f32, Cpu>,
    ) -> Result<Option<Tensor<S, f32, Cpu>>, BridgeError> {
        if opts.do_gradient_update {
            let n = t.shape().num_elements();
            let end = self.at + n;
            if end > self.src.len() {
                return Err(BridgeError::LayoutMismatch {
                    expected: self.src.len(),
                    found: end,
                });
            }
            t.copy_from(&self.src[self.at..end]);
            self.at = end;
        }
        Ok(None)
    }
}

fn copier<'a>(buf: &'a mut [f32], grads: Option<&'a Gradients<f32, Cpu>>) -> Copy<'a> {
    Copy { buf, at: 0, grads }
}

fn finish(c: &Copy<'_>) -> Result<(), BridgeError> {
    if c.at == c.buf.len() {
        Ok(())
    } else {
        Err(BridgeError::LayoutMismatch {
            expected: c.buf.len(),
            found: c.at,
        })
    }
}

/// `model`'s trainable parameters into `out` (of the layout's length).
pub fn read_params<M: TensorCollection<f32, Cpu>>(
    model: &M,
    out: &mut [f32],
) -> Result<(), BridgeError> {
    let mut r = Reader(copier(out, None));
    M::iter_tensors(&mut RecursiveWalker {
        m: (model, String::new()),
        f: &mut r,
    })?;
    finish(&r.0)
}

/// The gradients of `model`'s trainable parameters into `out`, in layout order.
pub fn read_grads<M: TensorCollection<f32, Cpu>>(
    model: &M,
    grads: &Gradients<f32, Cpu>,
    out: &mut [f32],
) -> Result<(), BridgeError> {
    let mut r = Reader(copier(out, Some(grads)));
    M::iter_tensors(&mut RecursiveWalker {
        m: (model, String::new()),
        f: &mut r,
    })?;
    finish(&r.0)
}

/// `src` (of the layout's length) into `model`'s trainable parameters.
pub fn write_params<M: TensorCollection<f32, Cpu>>(
    model: &mut M,
    src: &[f32],
) -> Result<(), BridgeError> {
    let mut w = Writer { src, at: 0 };
    M::iter_tensors(&mut RecursiveWalker {
        m: model,
        f: &mut w,
    })?;
    if w.at == src.len() {
        Ok(())
    } else {
        Err(BridgeError::LayoutMismatch {
            expected: src.len(),
            found: w.at,
        })
    }
}

/// A `kernels::optim` optimizer stepping a dfdx model: the flat parameter and gradient
/// buffers live here, the optimizer's state in the optimizer.
pub struct Bridge {
    pub layout: Layout,
    params: Vec<f32>,
    grads: Vec<f32>,
}

impl Bridge {
    pub fn new<M: TensorCollection<f32, Cpu>>(model: &M) -> Self {
        let layout = layout(model);
        let n = layout.total;
        Self {
            layout,
            params: vec![0.0; n],
            grads: vec![0.0; n],
        }
    }

    /// One step of `opt` (built on [`Bridge::layout`]) on `model` from `grads`. A non-finite
    /// gradient skips the step and leaves the model untouched.
    pub fn step<M: TensorCollection<f32, Cpu>>(
        &mut self,
        model: &mut M,
        grads: &Gradients<f32, Cpu>,
        opt: &mut dyn Optimizer,
    ) -> Result<(), BridgeError> {
        read_grads(model, grads, &mut self.grads)?;
        if let Some(i) = self.grads.iter().position(|g| !g.is_finite()) {
            let slot = self
                .layout
                .slots
                .iter()
                .find(|s| (s.offset..s.offset + s.len).contains(&i))
                .expect("the layout covers the buffer");
            return Err(BridgeError::NonFinite {
                tensor: slot.name.clone(),
                index: i - slot.offset,
            });
        }
        read_params(model, &mut self.params)?;
        opt.step(&mut self.params, &self.grads);
        write_params(model, &self.params)
    }

    /// The flat gradient of the last [`Bridge::step`] (or [`Bridge::gradients`]) call.
    pub fn last_grads(&self) -> &[f32] {
        &self.grads
    }

    /// The flat gradient of `model` without stepping.
    pub fn gradients<M: TensorCollection<f32, Cpu>>(
        &mut self,
        model: &M,
        grads: &Gradients<f32, Cpu>,
    ) -> Result<&[f32], BridgeError> {
        read_grads(model, grads, &mut self.grads)?;
        Ok(&self.grads)
    }
}
