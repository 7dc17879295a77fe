#!/usr/bin/env python3
"""PyTorch side of the optimizer benchmark (run by hand, never by CI).

Times one optimizer step of torch.optim (foreach and fused implementations), torch_optimizer's
DiffGrad, the adamp package and sgd-sai on a single CPU tensor of 1e4 .. 1e8 float32 parameters,
with as many threads as `cargo bench` uses (all cores), and writes book/data/perf/optim-torch.json
in the book's perf format, with the ratio to kernels::optim's time from book/data/perf/optim.json
(run `cargo bench -p kernels --bench optim` first, on the same machine; the two are separate
runs, and the book says so).

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install -r kernels/fixtures/requirements.txt
    /tmp/torchenv/bin/python scripts/bench-torch-optim.py
"""
import datetime
import json
import os
import platform
import time

import numpy as np
import torch
import torch_optimizer
import adamp
import sgd_sai

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = [10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]

# (label, name in optim.json, bytes per parameter, factory, 2-D shape?)
CASES = [
    ("SGD (foreach)", "SGD(momentum 0)", 12, lambda p: torch.optim.SGD(p, lr=0.01, foreach=True), False),
    ("SGD momentum (foreach)", "SGD(momentum 0.9)", 20,
     lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, foreach=True), False),
    ("Adam (foreach)", "Adam", 28, lambda p: torch.optim.Adam(p, lr=1e-3, foreach=True), False),
    ("Adam (fused)", "Adam", 28, lambda p: torch.optim.Adam(p, lr=1e-3, fused=True), False),
    ("AdamW (foreach)", "AdamW", 28, lambda p: torch.optim.AdamW(p, lr=1e-3, foreach=True), False),
    ("AdamW (fused)", "AdamW", 28, lambda p: torch.optim.AdamW(p, lr=1e-3, fused=True), False),
    ("DiffGrad (torch_optimizer)", "diffGrad", 36, lambda p: torch_optimizer.DiffGrad(p, lr=1e-3), False),
    ("SGD_sai (sgd-sai)", "SGD-SaI", 20, lambda p: sgd_sai.SGD_sai(p, lr=1e-3), False),
    ("SGDP (adamp)", "SGDP", 32, lambda p: adamp.SGDP(p, lr=0.1, momentum=0.9), True),
    ("AdamP (adamp)", "AdamP", 40, lambda p: adamp.AdamP(p, lr=1e-3, weight_decay=1e-2), True),
]


def time_step(factory, n, matrix):
    shape = (n // 1000, 1000) if matrix else (n,)
    p = torch.nn.Parameter(torch.rand(shape) * 1e-2)
    opt = factory([p])
    p.grad = (torch.rand(shape) - 0.5) * 1e-3
    for _ in range(3):
        opt.step()
    reps, elapsed = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            opt.step()
        elapsed = time.perf_counter() - t0
        if elapsed > 0.5 or reps >= 1 << 16:
            return elapsed / reps
        reps *= 4


def copy_bandwidth():
    a = np.random.rand(1 << 24)
    b = np.empty_like(a)
    np.copyto(b, a)
    t0 = time.perf_counter()
    for _ in range(10):
        np.copyto(b, a)
    s = (time.perf_counter() - t0) / 10
    return 2 * a.nbytes / s / 1e9


def main():
    torch.set_num_threads(os.cpu_count())
    rust = {}
    path = os.path.join(ROOT, "book", "data", "perf", "optim.json")
    if os.path.exists(path):
        for row in json.load(open(path))["rows"]:
            # optimizer, parameters, bytes, elements/s, ...
            rust[(row[0], float(row[1]))] = float(row[3])
    rows = []
    for n in SIZES:
        for label, rust_name, bpp, factory, matrix in CASES:
            s = time_step(factory, n, matrix)
            eps = n / s
            r = rust.get((rust_name, float(n)))
            rows.append([label, f"{n:.0e}".replace("e+0", "e"), str(bpp), f"{eps:.3e}",
                         f"{bpp * eps / 1e9:.2f}", f"{r / eps:.2f}" if r else "—"])
            print(rows[-1], flush=True)
    out = {
        "family": "optim-torch",
        "machine": f"{platform.processor() or platform.machine()} ({os.cpu_count()} threads), "
                   f"torch {torch.__version__}",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "limit_name": "numpy copy bandwidth (read + write counted, 128 MiB buffers)",
        "limit_unit": "GB/s",
        "limit_value": round(copy_bandwidth(), 2),
        "columns": ["optimizer", "parameters", "bytes per parameter", "elements/s", "GB/s",
                    "kernels::optim speed ÷ this"],
        "rows": rows,
        "notes": [
            "One tensor of n float32 parameters (SGDP and AdamP: n/1000 rows of 1000), one step "
            "timed over repeated calls after 3 warm-up steps, torch.set_num_threads(all cores).",
            "Bytes per parameter are those the update must move, as in the kernels::optim table; "
            "the last column divides kernels::optim's elements/s (book/data/perf/optim.json, a "
            "separate run) by PyTorch's: above 1 means the Rust kernel is faster.",
        ],
    }
    with open(os.path.join(ROOT, "book", "data", "perf", "optim-torch.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
