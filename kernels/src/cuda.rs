//! CUDA back end: sources under `kernels/cuda/`, compiled at run time with NVRTC through cudarc.
//!
//! The driver and NVRTC libraries are loaded dynamically, so nothing here needs a CUDA toolkit at
//! build time, and on a machine without a driver [`probe`] returns a reason instead of panicking.
//! Every GPU kernel has a CPU reference in this crate; parity tests live in `kernels/tests/`
//! and are `#[ignore]`d (run them with `--ignored` on a GPU machine).

use crate::device::Device;
use crate::ot::LogSinkhorn;
use cudarc::driver::{
    CudaContext, CudaFunction, CudaSlice, CudaStream, LaunchConfig, PushKernelArg,
};
use cudarc::nvrtc::{CompileOptions, compile_ptx_with_opts};
use std::sync::Arc;

/// Every CUDA C source of the crate, by file name, embedded at build time.
pub const SOURCES: &[(&str, &str)] = &[("sinkhorn.cu", include_str!("../cuda/sinkhorn.cu"))];

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
