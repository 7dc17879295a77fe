#!/usr/bin/env bash
# Compiles every kernels/cuda/*.cu with NVRTC and assembles it with ptxas for sm_80 and sm_90,
# failing on errors or register spills. NVRTC and ptxas come from PyPI (pinned below) into a
# virtual environment under target/, so no CUDA toolkit or GPU is needed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/cuda-tools"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
  nvidia-cuda-nvrtc-cu12==12.9.86 nvidia-cuda-nvcc-cu12==12.9.86
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
nvrtc_lib="$site/nvidia/cuda_nvrtc/lib"
ptxas="$site/nvidia/cuda_nvcc/bin/ptxas"
[ -f "$nvrtc_lib/libnvrtc.so.12" ] || { echo "libnvrtc.so.12 not found in $nvrtc_lib" >&2; exit 1; }
[ -x "$ptxas" ] || { echo "ptxas not found at $ptxas" >&2; exit 1; }
cd "$root"
LD_LIBRARY_PATH="$nvrtc_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  cargo run --release --quiet -p kernels --example nvrtc_check -- "$ptxas"
