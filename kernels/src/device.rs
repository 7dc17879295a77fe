//! Device detection: the CPU always exists; a CUDA device is looked for at run time.
//!
//! The CUDA driver library is loaded dynamically, so a machine without a driver (every CI
//! machine) builds and runs the whole suite; detection reports the reason instead of panicking.

use std::fmt;

/// A compute device a run can use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Device {
    /// The CPU, with the number of worker threads rayon will use.
    Cpu { threads: usize },
    /// A CUDA device: its ordinal, name, compute capability and the driver's CUDA version.
    Cuda {
        ordinal: usize,
        name: String,
        capability: (i32, i32),
        driver_version: i32,
    },
}

impl Device {
    /// The CPU with rayon's thread count.
    pub fn cpu() -> Self {
        Device::Cpu {
            threads: cpu_threads(),
        }
    }

    /// Whether this is a CUDA device.
    pub fn is_cuda(&self) -> bool {
        matches!(self, Device::Cuda { .. })
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu { threads } => write!(f, "CPU ({threads} threads)"),
            Device::Cuda {
                ordinal,
                name,
                capability,
                driver_version,
            } => write!(
                f,
                "CUDA device {ordinal}: {name} (sm_{}{}, driver CUDA {}.{})",
                capability.0,
                capability.1,
                driver_version / 1000,
                (driver_version % 1000) / 10
            ),
        }
    }
}

/// Looks for the first CUDA device. `Err` carries a one-line reason (no driver library, no
/// device, initialisation failed) suitable for a notice.
pub fn detect_cuda() -> Result<Device, String> {
    crate::cuda::probe()
}

/// Worker threads of the CPU kernels (rayon's global pool).
pub fn cpu_threads() -> usize {
    rayon::current_num_threads()
}

/// The CPU model name from `/proc/cpuinfo`, or `unknown`.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}
