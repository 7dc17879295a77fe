#!/usr/bin/env bash
# The device checks in one short run on a GPU machine: the card, the ignored GPU-against-CPU
# parity tests of kernels/tests/gpu_parity.rs (every kernel under kernels/cuda/ has one), and one
# table of their outcomes, all under $OUT (default target/gpu-check). Never run in CI (no GPU):
# CI compiles the same sources with NVRTC and ptxas (scripts/check-cuda-kernels.sh).
#
#   OUT=/some/dir scripts/gpu-check.sh        # exit status: the parity tests'
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${OUT:-$root/target/gpu-check}"
mkdir -p "$out"
cd "$root"
{
  date -u +"date: %Y-%m-%dT%H:%M:%SZ"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/card: /'
} > "$out/card.txt"
cargo test --release -p kernels --test gpu_parity -- --ignored --test-threads=1 > "$out/parity.log" 2>&1
status=$?
{
  echo "| parity test | outcome |"
  echo "|---|---|"
  grep -E '^test .* \.\.\. ' "$out/parity.log" | sed -E 's/^test (.*) \.\.\. (.*)$/| \1 | \2 |/'
} > "$out/table.md"
cat "$out/card.txt" "$out/table.md"
exit $status
