//! Compile check of every CUDA source: NVRTC to PTX for each architecture, then `ptxas -v` to
//! machine code, failing on any compile error or register spill. Needs only the NVRTC library and
//! ptxas (no GPU, no driver); `scripts/check-cuda-kernels.sh` installs both from PyPI and runs this.
//!
//!   cargo run --release -p kernels --example nvrtc_check -- PATH/TO/ptxas

use kernels::cuda::{SOURCES, compile};
use std::process::{Command, ExitCode};

const ARCHES: [(&str, &str); 2] = [("compute_80", "sm_80"), ("compute_90", "sm_90")];

fn main() -> ExitCode {
    let Some(ptxas) = std::env::args().nth(1) else {
        eprintln!("usage: nvrtc_check PATH/TO/ptxas");
        return ExitCode::from(2);
    };
    let dir = std::env::temp_dir().join(format!("nvrtc-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let mut failures = 0;
    for (name, _) in SOURCES {
        for (virt, sm) in ARCHES {
            let ptx = match compile(name, virt) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("FAIL {name} {virt}: {e}");
                    failures += 1;
                    continue;
                }
            };
            let ptx_path = dir.join(format!("{name}.{sm}.ptx"));
            std::fs::write(&ptx_path, &ptx).expect("write PTX");
            let out = Command::new(&ptxas)
                .args(["-v", "-arch", sm, "-o"])
                .arg(dir.join(format!("{name}.{sm}.cubin")))
                .arg(&ptx_path)
                .output();
            let out = match out {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("FAIL cannot run {ptxas}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let log = String::from_utf8_lossy(&out.stderr).to_string()
                + &String::from_utf8_lossy(&out.stdout);
            let spills: Vec<&str> = log
                .lines()
                .filter(|l| {
                    l.contains("spill") && !l.contains(" 0 bytes spill stores, 0 bytes spill loads")
                })
                .collect();
            if !out.status.success() {
                eprintln!("FAIL {name} {sm}: ptxas failed\n{log}");
                failures += 1;
            } else if !spills.is_empty() {
                eprintln!("FAIL {name} {sm}: register spills\n{}", spills.join("\n"));
                failures += 1;
            } else {
                let regs: Vec<&str> = log.lines().filter(|l| l.contains("Used")).collect();
                println!("ok   {name} {sm}: {}", regs.join("; ").trim());
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if failures > 0 {
        eprintln!("{failures} CUDA compile checks failed");
        ExitCode::FAILURE
    } else {
        println!(
            "all CUDA sources compile for {} architectures without spills",
            ARCHES.len()
        );
        ExitCode::SUCCESS
    }
}
