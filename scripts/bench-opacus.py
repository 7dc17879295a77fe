#!/usr/bin/env python3
"""Opacus side of the DP-SGD step benchmark (run by hand, never by CI).

Times one training step of equivariant-dp's model A (three 3x3 'same' convolutions 1-16-32-32,
ReLU, 2x2 average pooling after the first two, global mean, linear to 6 classes; 14,246
parameters) on 16x16 inputs, batch 64, with torch's CPU threads set to one (as the Rust bench
runs) and to all cores: non-private (loss.backward + SGD step) and DP-SGD through Opacus'
GradSampleModule and DPOptimizer (per-sample gradients, flat clipping, noise). Writes book/data/perf/dpsgd-opacus.json
in the book's perf format, with the ratio to the Rust step from book/data/perf/dpsgd.json (run
`cargo bench -p equivariant-dp --bench dpsgd` first, on the same machine; separate runs).
Model B, the D4 group CNN, is not timed on the torch side.

    python3 -m venv /tmp/privenv && /tmp/privenv/bin/pip install -r kernels/fixtures/requirements-privacy.txt
    /tmp/privenv/bin/python scripts/bench-opacus.py
"""
import datetime
import json
import os
import platform
import time

import opacus
import torch
from opacus import GradSampleModule
from opacus.optimizers import DPOptimizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH = 64


class ModelA(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(1, 16, 3, padding=1)
        self.c2 = torch.nn.Conv2d(16, 32, 3, padding=1)
        self.c3 = torch.nn.Conv2d(32, 32, 3, padding=1)
        self.head = torch.nn.Linear(32, 6)

    def forward(self, x):
        x = torch.nn.functional.avg_pool2d(torch.relu(self.c1(x)), 2)
        x = torch.nn.functional.avg_pool2d(torch.relu(self.c2(x)), 2)
        x = torch.relu(self.c3(x)).mean(dim=(2, 3))
        return self.head(x)


def timed(step, reps=30):
    for _ in range(5):
        step()
    t = time.perf_counter()
    for _ in range(reps):
        step()
    return (time.perf_counter() - t) / reps


def measure(threads):
    """Seconds per non-private and per DP-SGD step of model A with `threads` torch threads."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.randn(BATCH, 1, 16, 16)
    y = torch.randint(0, 6, (BATCH,))
    loss_fn = torch.nn.CrossEntropyLoss()

    plain = ModelA()
    opt = torch.optim.SGD(plain.parameters(), lr=0.1)

    def plain_step():
        opt.zero_grad()
        loss_fn(plain(x), y).backward()
        opt.step()

    gsm = GradSampleModule(ModelA())
    dpopt = DPOptimizer(torch.optim.SGD(gsm.parameters(), lr=0.1), noise_multiplier=1.8,
                        max_grad_norm=1.0, expected_batch_size=BATCH)

    def dp_step():
        dpopt.zero_grad()
        loss_fn(gsm(x), y).backward()
        dpopt.step()

    return timed(plain_step), timed(dp_step)


def main():
    rust = {}
    path = os.path.join(ROOT, "book/data/perf/dpsgd.json")
    if os.path.exists(path):
        with open(path) as f:
            for row in json.load(f)["rows"]:
                rust[row[0]] = row
    rows = []
    # One thread matches the Rust bench; all cores is what a user of Opacus would run.
    for threads in sorted({1, os.cpu_count()}):
        t_plain, t_dp = measure(threads)
        for label, t, col in [("non-private", t_plain, 2), ("DP-SGD", t_dp, 3)]:
            ours = rust.get("A")
            ratio = f"{float(ours[col]) / (BATCH / t):.2f}" if ours else "—"
            rows.append([f"A, {label}, {threads} thread(s)", f"{BATCH / t:.3e}", ratio])
        rows.append([f"A, DP ÷ non-private time, {threads} thread(s)", f"{t_dp / t_plain:.2f}", "—"])
    out = dict(
        family="dpsgd-opacus",
        machine=f"{platform.machine()} ({os.cpu_count()} threads), torch {torch.__version__}, opacus {opacus.__version__}",
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        limit_name="compute-bound; the yardstick is Opacus on the same machine",
        limit_unit="", limit_value=0.0,
        columns=["step", "samples/s", "Rust (one thread) ÷ Opacus"],
        rows=rows,
        notes=[f"Batch {BATCH} of 16x16 inputs, model A (14,246 parameters); DP-SGD is GradSampleModule + DPOptimizer (σ = 1.8, C = 1). Separate run from the Rust bench; the ratio uses book/data/perf/dpsgd.json as found."],
    )
    with open(os.path.join(ROOT, "book/data/perf/dpsgd-opacus.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
