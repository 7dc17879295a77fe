//! CUDA back end: sources under `kernels/cuda/`, compiled at run time with NVRTC through cudarc.
//! (One file: the GPU back ends share the module loading and the error type.)
//!
//! The driver and NVRTC libraries are loaded dynamically, so nothing here needs a CUDA toolkit at
//! build time, and on a machine without a driver [`probe`] returns a reason instead of panicking.
//! Every GPU kernel has a CPU reference in this crate; parity tests live in `kernels/tests/`
//! and are `#[ignore]`d (run them with `--ignored` on a GPU machine).
//!
//! - [`CudaSinkhorn`]: log-domain Sinkhorn half-steps and the plan (`sinkhorn.cu`).
//! - [`CudaOptimizer`]: the element-wise optimizer steps, SGD (momentum, Nesterov, L2),
//!   Adam/AdamW, diffGrad, SGD-SaI and sign-SGD (`optim.cu`). The projected SGDP/AdamP need row
//!   reductions and have no GPU version yet.
//! - [`batch_matfn_gpu`]: a function of many small symmetric matrices at once (batched Jacobi
//!   eigendecomposition, one block per matrix; `spd.cu`).
//! - [`privatize_gpu`]: the DP-SGD clip, sum and noise of [`crate::privacy::privatize`]
//!   (`privacy.cu`).
//! - [`CudaWindow`]: M-FAC's O(d m) products with a window held on the device, and
//!   [`mfac_mul_gpu`], a whole `F⁻¹ x` with the O(m²) part on the host (`mfac.cu`).

use crate::device::Device;
use crate::optim::{Friction, Layout, gsnr};
use crate::ot::LogSinkhorn;
use cudarc::driver::{
    CudaContext, CudaFunction, CudaSlice, CudaStream, LaunchConfig, PushKernelArg,
};
use cudarc::nvrtc::{CompileOptions, compile_ptx_with_opts};
use std::sync::Arc;

/// Every CUDA C source of the crate, by file name, embedded at build time.
pub const SOURCES: &[(&str, &str)] = &[
    ("sinkhorn.cu", include_str!("../cuda/sinkhorn.cu")),
    ("optim.cu", include_str!("../cuda/optim.cu")),
    ("spd.cu", include_str!("../cuda/spd.cu")),
    ("privacy.cu", include_str!("../cuda/privacy.cu")),
    ("mfac.cu", include_str!("../cuda/mfac.cu")),
];

/// The virtual architecture NVRTC targets at run time; the driver JIT-compiles it for newer GPUs.
pub const RUNTIME_ARCH: &str = "compute_80";

/// A CUDA failure, as one line of text.
#[derive(Clone, Debug, PartialEq)]
pub struct CudaError(pub String);

impl std::fmt::Display for CudaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CudaError {}

fn err(context: &str) -> impl Fn(cudarc::driver::DriverError) -> CudaError + '_ {
    move |e| CudaError(format!("{context}: {e:?}"))
}

/// Whether the NVRTC library can be loaded (checked without panicking).
pub fn nvrtc_available() -> bool {
    // SAFETY: only tries to open the shared library by name.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}

/// Finds CUDA device 0, or says why there is none.
pub fn probe() -> Result<Device, String> {
    // SAFETY: only tries to open the shared library by name.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Err("no CUDA driver library (libcuda.so) on this machine".into());
    }
    let count = CudaContext::device_count().map_err(|e| format!("CUDA driver failed: {e:?}"))?;
    if count < 1 {
        return Err("the CUDA driver reports no device".into());
    }
    let ctx = CudaContext::new(0).map_err(|e| format!("cannot open CUDA device 0: {e:?}"))?;
    let name = ctx.name().unwrap_or_else(|_| "unknown GPU".into());
    let capability = ctx.compute_capability().unwrap_or((0, 0));
    let mut driver_version = 0i32;
    // SAFETY: writes one integer.
    unsafe {
        cudarc::driver::sys::cuDriverGetVersion(&mut driver_version);
    }
    Ok(Device::Cuda {
        ordinal: 0,
        name,
        capability,
        driver_version,
    })
}

/// Compiles one embedded source to PTX for `arch` (for example `compute_80`).
pub fn compile(source_name: &str, arch: &'static str) -> Result<String, CudaError> {
    if !nvrtc_available() {
        return Err(CudaError(
            "no NVRTC library (libnvrtc.so) found; set LD_LIBRARY_PATH to its folder".into(),
        ));
    }
    let (_, src) = SOURCES
        .iter()
        .find(|(name, _)| *name == source_name)
        .ok_or_else(|| CudaError(format!("no CUDA source named {source_name}")))?;
    let opts = CompileOptions {
        arch: Some(arch),
        name: Some(source_name.to_string()),
        ..Default::default()
    };
    compile_ptx_with_opts(src, opts)
        .map(|ptx| ptx.to_src())
        .map_err(|e| CudaError(format!("NVRTC failed on {source_name}: {e:?}")))
}

/// Log-domain Sinkhorn on the GPU: the problem's cost, its transpose and the potentials live in
/// device memory; one launch per half-step.
pub struct CudaSinkhorn {
    stream: Arc<CudaStream>,
    half_step: CudaFunction,
    plan_fn: CudaFunction,
    n: usize,
    m: usize,
    eta: f64,
    cost: CudaSlice<f64>,
    cost_t: CudaSlice<f64>,
    log_r: CudaSlice<f64>,
    log_c: CudaSlice<f64>,
    x: CudaSlice<f64>,
    y: CudaSlice<f64>,
    sums_rows: CudaSlice<f64>,
    sums_cols: CudaSlice<f64>,
}

impl CudaSinkhorn {
    /// Uploads `problem` with potentials `x`, `y` to device 0.
    pub fn new(problem: &LogSinkhorn, x: &[f64], y: &[f64]) -> Result<Self, CudaError> {
        probe().map_err(CudaError)?;
        let ctx = CudaContext::new(0).map_err(err("open device"))?;
        let ptx = compile("sinkhorn.cu", RUNTIME_ARCH)?;
        let module = ctx
            .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
            .map_err(err("load module"))?;
        let half_step = module
            .load_function("sinkhorn_half_step")
            .map_err(err("load sinkhorn_half_step"))?;
        let plan_fn = module
            .load_function("sinkhorn_plan")
            .map_err(err("load sinkhorn_plan"))?;
        let stream = ctx.default_stream();
        let up = |v: &[f64]| stream.clone_htod(v).map_err(err("upload"));
        Ok(Self {
            half_step,
            plan_fn,
            n: problem.n(),
            m: problem.m(),
            eta: problem.eta(),
            cost: up(problem.cost())?,
            cost_t: up(problem.cost_t())?,
            log_r: up(problem.log_r())?,
            log_c: up(problem.log_c())?,
            x: up(x)?,
            y: up(y)?,
            sums_rows: stream.alloc_zeros(problem.n()).map_err(err("alloc"))?,
            sums_cols: stream.alloc_zeros(problem.m()).map_err(err("alloc"))?,
            stream,
        })
    }

    fn launch_half(&mut self, rows_first: bool) -> Result<(), CudaError> {
        let (rows, cols) = if rows_first {
            (self.n, self.m)
        } else {
            (self.m, self.n)
        };
        let cfg = LaunchConfig {
            grid_dim: (rows as u32, 1, 1),
            block_dim: (256, 1, 1),
            shared_mem_bytes: 0,
        };
        let (rows_i, cols_i) = (rows as i32, cols as i32);
        let mut b = self.stream.launch_builder(&self.half_step);
        if rows_first {
            b.arg(&self.cost)
                .arg(&self.y)
                .arg(&self.log_r)
                .arg(&self.eta)
                .arg(&rows_i)
                .arg(&cols_i)
                .arg(&mut self.x)
                .arg(&mut self.sums_rows);
        } else {
            b.arg(&self.cost_t)
                .arg(&self.x)
                .arg(&self.log_c)
                .arg(&self.eta)
                .arg(&rows_i)
                .arg(&cols_i)
                .arg(&mut self.y)
                .arg(&mut self.sums_cols);
        }
        // SAFETY: argument types and order match the kernel signature in sinkhorn.cu; buffer
        // lengths match `rows` and `cols`.
        unsafe { b.launch(cfg) }
            .map(|_| ())
            .map_err(err("launch sinkhorn_half_step"))
    }

    /// Runs `iters` Sinkhorn iterations (row then column half-step each).
    pub fn iterate(&mut self, iters: usize) -> Result<(), CudaError> {
        for _ in 0..iters {
            self.launch_half(true)?;
            self.launch_half(false)?;
        }
        self.stream.synchronize().map_err(err("synchronize"))
    }

    /// Current potentials `(x, y)`.
    pub fn potentials(&self) -> Result<(Vec<f64>, Vec<f64>), CudaError> {
        let x = self.stream.clone_dtoh(&self.x).map_err(err("download x"))?;
        let y = self.stream.clone_dtoh(&self.y).map_err(err("download y"))?;
        Ok((x, y))
    }

    /// Row sums of the plan before the last row half-step (the CPU's `update_x` return value).
    pub fn last_row_sums(&self) -> Result<Vec<f64>, CudaError> {
        self.stream
            .clone_dtoh(&self.sums_rows)
            .map_err(err("download sums"))
    }

    /// The plan at the current potentials.
    pub fn plan(&self) -> Result<Vec<f64>, CudaError> {
        let mut plan: CudaSlice<f64> = self
            .stream
            .alloc_zeros(self.n * self.m)
            .map_err(err("alloc plan"))?;
        let cfg = LaunchConfig::for_num_elems((self.n * self.m) as u32);
        let (n, m) = (self.n as i32, self.m as i32);
        let mut b = self.stream.launch_builder(&self.plan_fn);
        b.arg(&self.cost)
            .arg(&self.x)
            .arg(&self.y)
            .arg(&self.eta)
            .arg(&n)
            .arg(&m)
            .arg(&mut plan);
        // SAFETY: argument types and order match `sinkhorn_plan`; `plan` holds n * m values.
        unsafe { b.launch(cfg) }.map_err(err("launch sinkhorn_plan"))?;
        self.stream.clone_dtoh(&plan).map_err(err("download plan"))
    }
}

/// An element-wise optimizer rule for [`CudaOptimizer`], with the semantics of the CPU optimizer
/// of the same name in [`crate::optim`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    Sgd {
        lr: f32,
        momentum: f32,
        dampening: f32,
        nesterov: bool,
        weight_decay: f32,
    },
    /// Adam (`decoupled = false`, L2) or AdamW (`decoupled = true`).
    Adam {
        lr: f32,
        beta1: f32,
        beta2: f32,
        eps: f32,
        weight_decay: f32,
        decoupled: bool,
    },
    DiffGrad {
        lr: f32,
        beta1: f32,
        beta2: f32,
        eps: f32,
        weight_decay: f32,
        friction: Friction,
    },
    /// SGD-SaI with the official g-SNR scale (computed on the host from the first gradient).
    SgdSai {
        lr: f32,
        momentum: f32,
        eps: f32,
        weight_decay: f32,
    },
    SignSgd {
        lr: f32,
    },
}

/// Optimizer steps on device buffers (`kernels/cuda/optim.cu`): state lives on the GPU, one
/// launch per step (per tensor for SGD-SaI).
pub struct CudaOptimizer {
    stream: Arc<CudaStream>,
    module: Arc<cudarc::driver::CudaModule>,
    rule: Rule,
    layout: Layout,
    states: Vec<CudaSlice<f32>>,
    t: i32,
    scales: Vec<f32>,
}

impl CudaOptimizer {
    pub fn new(rule: Rule, layout: Layout) -> Result<Self, CudaError> {
        probe().map_err(CudaError)?;
        let ctx = CudaContext::new(0).map_err(err("open device"))?;
        let ptx = compile("optim.cu", RUNTIME_ARCH)?;
        let module = ctx
            .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
            .map_err(err("load module"))?;
        let stream = ctx.default_stream();
        let buffers = match rule {
            Rule::Sgd { momentum, .. } if momentum != 0.0 => 1,
            Rule::SgdSai { .. } => 1,
            Rule::Adam { .. } => 2,
            Rule::DiffGrad { .. } => 3,
            _ => 0,
        };
        let states = (0..buffers)
            .map(|_| {
                stream
                    .alloc_zeros::<f32>(layout.total)
                    .map_err(err("alloc state"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            stream,
            module,
            rule,
            layout,
            states,
            t: 0,
            scales: Vec::new(),
        })
    }

    pub fn upload(&self, v: &[f32]) -> Result<CudaSlice<f32>, CudaError> {
        self.stream.clone_htod(v).map_err(err("upload"))
    }

    pub fn download(&self, v: &CudaSlice<f32>) -> Result<Vec<f32>, CudaError> {
        self.stream.clone_dtoh(v).map_err(err("download"))
    }

    pub fn synchronize(&self) -> Result<(), CudaError> {
        self.stream.synchronize().map_err(err("synchronize"))
    }

    fn function(&self, name: &str) -> Result<CudaFunction, CudaError> {
        self.module
            .load_function(name)
            .map_err(|e| CudaError(format!("load {name}: {e:?}")))
    }

    /// One step on `p` from `g` (both of the layout's length, on this optimizer's device).
    pub fn step(&mut self, p: &mut CudaSlice<f32>, g: &CudaSlice<f32>) -> Result<(), CudaError> {
        let n = self.layout.total;
        if p.len() != n || g.len() != n {
            return Err(CudaError("buffers do not match the layout".into()));
        }
        self.t += 1;
        let cfg = LaunchConfig::for_num_elems(n.max(1) as u32);
        let n64 = n as i64;
        let first = i32::from(self.t == 1);
        let launch = |b: &mut cudarc::driver::LaunchArgs, cfg| -> Result<(), CudaError> {
            // SAFETY: every launch below pushes arguments in the order and with the types of
            // the kernel's signature in optim.cu, and every buffer holds the layout's length.
            unsafe { b.launch(cfg) }
                .map(|_| ())
                .map_err(err("launch optimizer step"))
        };
        match self.rule {
            Rule::Sgd {
                lr,
                momentum,
                dampening,
                nesterov,
                weight_decay,
            } => {
                let f = self.function("sgd_step")?;
                let mut scratch;
                let buf = match self.states.first_mut() {
                    Some(b) => b,
                    None => {
                        scratch = self.stream.alloc_zeros::<f32>(1).map_err(err("alloc"))?;
                        &mut scratch
                    }
                };
                let nest = i32::from(nesterov);
                let mut b = self.stream.launch_builder(&f);
                b.arg(p).arg(g).arg(buf).arg(&n64).arg(&lr).arg(&momentum);
                b.arg(&dampening).arg(&weight_decay).arg(&nest).arg(&first);
                launch(&mut b, cfg)
            }
            Rule::Adam {
                lr,
                beta1,
                beta2,
                eps,
                weight_decay,
                decoupled,
            } => {
                let f = self.function("adam_step")?;
                let step_size = lr / (1.0 - beta1.powi(self.t));
                let bc2_sqrt = (1.0 - beta2.powi(self.t)).sqrt();
                let (l2, shrink) = if decoupled {
                    (0.0f32, 1.0 - lr * weight_decay)
                } else {
                    (weight_decay, 1.0f32)
                };
                let (m, v) = self.states.split_at_mut(1);
                let mut b = self.stream.launch_builder(&f);
                b.arg(p).arg(g).arg(&mut m[0]).arg(&mut v[0]).arg(&n64);
                b.arg(&step_size)
                    .arg(&beta1)
                    .arg(&beta2)
                    .arg(&eps)
                    .arg(&bc2_sqrt);
                b.arg(&l2).arg(&shrink);
                launch(&mut b, cfg)
            }
            Rule::DiffGrad {
                lr,
                beta1,
                beta2,
                eps,
                weight_decay,
                friction,
            } => {
                let f = self.function("diffgrad_step")?;
                let step_size = lr * (1.0 - beta2.powi(self.t)).sqrt() / (1.0 - beta1.powi(self.t));
                let (constant, xi, remember) = match friction {
                    Friction::Difference => (0, 0.0f32, 1),
                    Friction::Aliased if self.t == 1 => (0, 0.0, 0),
                    Friction::Aliased => (1, 0.5, 0),
                    Friction::Constant(c) => (1, c, 0),
                };
                let (m, rest) = self.states.split_at_mut(1);
                let (v, prev) = rest.split_at_mut(1);
                let mut b = self.stream.launch_builder(&f);
                b.arg(p)
                    .arg(g)
                    .arg(&mut m[0])
                    .arg(&mut v[0])
                    .arg(&mut prev[0]);
                b.arg(&n64)
                    .arg(&step_size)
                    .arg(&beta1)
                    .arg(&beta2)
                    .arg(&eps);
                b.arg(&weight_decay).arg(&constant).arg(&xi).arg(&remember);
                launch(&mut b, cfg)
            }
            Rule::SgdSai {
                lr,
                momentum,
                eps,
                weight_decay,
            } => {
                if self.scales.is_empty() {
                    let host = self.download(g)?;
                    self.scales = self
                        .layout
                        .slots
                        .iter()
                        .map(|s| gsnr(&host[s.offset..s.offset + s.len], eps as f64) as f32)
                        .collect();
                }
                let f = self.function("sgd_sai_step")?;
                let shrink = 1.0 - lr * weight_decay;
                for (slot, &scale) in self.layout.slots.iter().zip(&self.scales) {
                    let (off, len) = (slot.offset as i64, slot.len as i64);
                    let step = lr * scale;
                    let cfg = LaunchConfig::for_num_elems(slot.len.max(1) as u32);
                    let mut b = self.stream.launch_builder(&f);
                    b.arg(&mut *p)
                        .arg(g)
                        .arg(&mut self.states[0])
                        .arg(&off)
                        .arg(&len);
                    b.arg(&step).arg(&momentum).arg(&shrink).arg(&first);
                    launch(&mut b, cfg)?;
                }
                Ok(())
            }
            Rule::SignSgd { lr } => {
                let f = self.function("sign_sgd_step")?;
                let mut b = self.stream.launch_builder(&f);
                b.arg(p).arg(g).arg(&n64).arg(&lr);
                launch(&mut b, cfg)
            }
        }
    }
}

/// `f(X_k)` for every symmetric `n × n` matrix of `xs` on the GPU (one thread block per matrix),
/// the CUDA counterpart of [`crate::spd::batch_matfn`].
pub fn batch_matfn_gpu(xs: &[f64], n: usize, f: crate::spd::MatFn) -> Result<Vec<f64>, CudaError> {
    use crate::spd::MatFn;
    if n == 0 || !xs.len().is_multiple_of(n * n) {
        return Err(CudaError(
            "batch is not a whole number of n × n matrices".into(),
        ));
    }
    probe().map_err(CudaError)?;
    let ctx = CudaContext::new(0).map_err(err("open device"))?;
    let ptx = compile("spd.cu", RUNTIME_ARCH)?;
    let module = ctx
        .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
        .map_err(err("load module"))?;
    let eig = module
        .load_function("spd_eigh")
        .map_err(err("load spd_eigh"))?;
    let apply = module
        .load_function("spd_apply")
        .map_err(err("load spd_apply"))?;
    let stream = ctx.default_stream();
    let batch = xs.len() / (n * n);
    let a = stream.clone_htod(xs).map_err(err("upload"))?;
    let mut work: CudaSlice<f64> = stream.alloc_zeros(xs.len()).map_err(err("alloc"))?;
    let mut vecs: CudaSlice<f64> = stream.alloc_zeros(xs.len()).map_err(err("alloc"))?;
    let mut out: CudaSlice<f64> = stream.alloc_zeros(xs.len()).map_err(err("alloc"))?;
    let threads = (n.next_power_of_two()).clamp(32, 256) as u32;
    let cfg = LaunchConfig {
        grid_dim: (batch as u32, 1, 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: 0,
    };
    let n32 = n as i32;
    let (code, p) = match f {
        MatFn::Sqrt => (0i32, 0.0f64),
        MatFn::InvSqrt => (1, 0.0),
        MatFn::Log => (2, 0.0),
        MatFn::Exp => (3, 0.0),
        MatFn::Pow(p) => (4, p),
        MatFn::ReEigLog(eps) => (5, eps),
        MatFn::Abs => (6, 0.0),
    };
    let mut b = stream.launch_builder(&eig);
    b.arg(&a).arg(&mut work).arg(&mut vecs).arg(&n32);
    // SAFETY: arguments match `spd_eigh(const double*, double*, double*, int)`; every buffer
    // holds batch · n · n values and the block size is a power of two ≤ 256.
    unsafe { b.launch(cfg) }.map_err(err("launch spd_eigh"))?;
    let mut b = stream.launch_builder(&apply);
    b.arg(&work)
        .arg(&vecs)
        .arg(&mut out)
        .arg(&n32)
        .arg(&code)
        .arg(&p);
    // SAFETY: arguments match `spd_apply(const double*, const double*, double*, int, int, double)`.
    unsafe { b.launch(cfg) }.map_err(err("launch spd_apply"))?;
    stream.clone_dtoh(&out).map_err(err("download"))
}

/// The DP-SGD privatisation of [`crate::privacy::privatize`] on the GPU: per-sample norms (one
/// block per sample), then the clipped sum plus `σC z` over `denom` (one thread per coordinate).
/// Host buffers in and out, for parity tests and benches; returns the d outputs.
pub fn privatize_gpu(
    step: &crate::privacy::DpSgd,
    per_sample: &[f32],
    d: usize,
    z: &[f32],
    denom: f32,
) -> Result<Vec<f32>, CudaError> {
    if d == 0 || !per_sample.len().is_multiple_of(d) || z.len() != d {
        return Err(CudaError(
            "per-sample gradients are not n × d, or z does not hold d values".into(),
        ));
    }
    probe().map_err(CudaError)?;
    let ctx = CudaContext::new(0).map_err(err("open device"))?;
    let ptx = compile("privacy.cu", RUNTIME_ARCH)?;
    let module = ctx
        .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
        .map_err(err("load module"))?;
    let norms_fn = module
        .load_function("dp_norms")
        .map_err(err("load dp_norms"))?;
    let sum_fn = module
        .load_function("dp_clip_sum_noise")
        .map_err(err("load dp_clip_sum_noise"))?;
    let stream = ctx.default_stream();
    let n = per_sample.len() / d;
    let g = stream.clone_htod(per_sample).map_err(err("upload"))?;
    let zs = stream.clone_htod(z).map_err(err("upload"))?;
    let mut norms: CudaSlice<f32> = stream.alloc_zeros(n.max(1)).map_err(err("alloc"))?;
    let mut out: CudaSlice<f32> = stream.alloc_zeros(d).map_err(err("alloc"))?;
    let (n32, d32) = (n as i32, d as i32);
    if n > 0 {
        let cfg = LaunchConfig {
            grid_dim: (n as u32, 1, 1),
            block_dim: (256, 1, 1),
            shared_mem_bytes: 0,
        };
        let mut b = stream.launch_builder(&norms_fn);
        b.arg(&g).arg(&n32).arg(&d32).arg(&mut norms);
        // SAFETY: arguments match `dp_norms(const float*, int, int, float*)`; `g` holds n · d
        // values, `norms` n, and the block size is 256 (a power of two).
        unsafe { b.launch(cfg) }.map_err(err("launch dp_norms"))?;
    }
    let (clip, scale) = (step.clip(), step.sigma() * step.clip());
    let mut b = stream.launch_builder(&sum_fn);
    b.arg(&g)
        .arg(&norms)
        .arg(&zs)
        .arg(&n32)
        .arg(&d32)
        .arg(&clip)
        .arg(&scale)
        .arg(&denom)
        .arg(&mut out);
    // SAFETY: arguments match `dp_clip_sum_noise(const float*, const float*, const float*, int,
    // int, float, float, float, float*)`; `out` and `zs` hold d values.
    unsafe { b.launch(LaunchConfig::for_num_elems(d as u32)) }
        .map_err(err("launch dp_clip_sum_noise"))?;
    stream.clone_dtoh(&out).map_err(err("download"))
}

/// An M-FAC window (`m × d`, f64) on the device, for the two O(d m) products of a sliding-window
/// inverse-Fisher product; [`crate::optim::DynamicIhvp`] is the CPU reference.
pub struct CudaWindow {
    stream: Arc<CudaStream>,
    products_fn: CudaFunction,
    combine_fn: CudaFunction,
    g: CudaSlice<f64>,
    m: usize,
    d: usize,
}

impl CudaWindow {
    /// Uploads `grads` (`m × d`, row-major).
    pub fn new(grads: &[f64], m: usize) -> Result<Self, CudaError> {
        if m == 0 || !grads.len().is_multiple_of(m) {
            return Err(CudaError("the window is not m × d".into()));
        }
        probe().map_err(CudaError)?;
        let ctx = CudaContext::new(0).map_err(err("open device"))?;
        let ptx = compile("mfac.cu", RUNTIME_ARCH)?;
        let module = ctx
            .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
            .map_err(err("load module"))?;
        let products_fn = module
            .load_function("mfac_products")
            .map_err(err("load mfac_products"))?;
        let combine_fn = module
            .load_function("mfac_combine")
            .map_err(err("load mfac_combine"))?;
        let stream = ctx.default_stream();
        let g = stream.clone_htod(grads).map_err(err("upload"))?;
        Ok(Self {
            stream,
            products_fn,
            combine_fn,
            g,
            m,
            d: grads.len() / m,
        })
    }

    fn check(&self, x: &[f64]) -> Result<(), CudaError> {
        if x.len() == self.d {
            Ok(())
        } else {
            Err(CudaError(format!(
                "x has {} values, the window d = {}",
                x.len(),
                self.d
            )))
        }
    }

    /// `G x` (m values).
    pub fn products(&self, x: &[f64]) -> Result<Vec<f64>, CudaError> {
        self.check(x)?;
        let xs = self.stream.clone_htod(x).map_err(err("upload"))?;
        let mut out: CudaSlice<f64> = self.stream.alloc_zeros(self.m).map_err(err("alloc"))?;
        let (m32, d64) = (self.m as i32, self.d as i64);
        let cfg = LaunchConfig {
            grid_dim: (self.m as u32, 1, 1),
            block_dim: (256, 1, 1),
            shared_mem_bytes: 0,
        };
        let mut b = self.stream.launch_builder(&self.products_fn);
        b.arg(&self.g).arg(&xs).arg(&m32).arg(&d64).arg(&mut out);
        // SAFETY: arguments match `mfac_products(const double*, const double*, int, long long,
        // double*)`; `g` holds m · d values, `xs` d, `out` m; the block size is 256.
        unsafe { b.launch(cfg) }.map_err(err("launch mfac_products"))?;
        self.stream.clone_dtoh(&out).map_err(err("download"))
    }

    /// `x/λ + Σᵢ cᵢ gᵢ` (d values), `inv_damp` = 1/λ.
    pub fn combine(&self, c: &[f64], x: &[f64], inv_damp: f64) -> Result<Vec<f64>, CudaError> {
        self.check(x)?;
        if c.len() != self.m {
            return Err(CudaError(format!(
                "c has {} values, the window m = {}",
                c.len(),
                self.m
            )));
        }
        let xs = self.stream.clone_htod(x).map_err(err("upload"))?;
        let cs = self.stream.clone_htod(c).map_err(err("upload"))?;
        let mut out: CudaSlice<f64> = self.stream.alloc_zeros(self.d).map_err(err("alloc"))?;
        let (m32, d64) = (self.m as i32, self.d as i64);
        let mut b = self.stream.launch_builder(&self.combine_fn);
        b.arg(&self.g)
            .arg(&cs)
            .arg(&xs)
            .arg(&m32)
            .arg(&d64)
            .arg(&inv_damp)
            .arg(&mut out);
        // SAFETY: arguments match `mfac_combine(const double*, const double*, const double*,
        // int, long long, double, double*)`; `out` and `xs` hold d values, `cs` m.
        unsafe { b.launch(LaunchConfig::for_num_elems(self.d as u32)) }
            .map_err(err("launch mfac_combine"))?;
        self.stream.clone_dtoh(&out).map_err(err("download"))
    }
}

/// `F⁻¹ x` of a sliding window with both O(d m) products on the GPU (the window is uploaded
/// each call: for parity tests; keep a [`CudaWindow`] to amortise it).
pub fn mfac_mul_gpu(w: &crate::optim::DynamicIhvp, x: &[f64]) -> Result<Vec<f64>, CudaError> {
    let gpu = CudaWindow::new(w.window(), w.m)?;
    let gx = gpu.products(x)?;
    gpu.combine(&w.coefficients(&gx), x, w.inv_damp())
}
