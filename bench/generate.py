"""Benchmark `generate`: images/s against a bare forward pass, and batch-1 latency.

Prints JSON. The throughput figure is a ratio to `torch.inference_mode()` forward of the
same module in the same run, so it is stable on a noisy machine.

    python bench/generate.py [--model emoji-gan] [--batch 64] [--repeats 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from studio.models.catalog import resolve_model
from studio.models.checkpoint import load_checkpoint
from studio.pipelines.sample import GenerateRequest, generate_images


def timed(fn, repeats: int) -> list[float]:
    fn()  # warm-up: allocator, kernels
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="emoji-gan")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args()
    model = load_checkpoint(resolve_model(args.model), "cpu")
    module = model.module
    z = module.sample_latents(args.batch, 0)

    def bare() -> None:
        with torch.inference_mode():
            module.decode(z)

    def ours() -> None:
        generate_images(model, GenerateRequest(args.batch, 0, batch=args.batch))

    # Interleave the two so drift in machine load hits both alike.
    bare_t, ours_t = [], []
    for _ in range(3):
        bare_t += timed(bare, args.repeats)
        ours_t += timed(ours, args.repeats)
    z1 = module.sample_latents(1, 0)

    def one() -> None:
        generate_images(model, GenerateRequest(1, 0))

    def bare_one() -> None:
        with torch.inference_mode():
            module.decode(z1)

    lat = timed(one, 50)
    bare_lat = timed(bare_one, 50)
    bare_ips = args.batch / statistics.median(bare_t)
    ours_ips = args.batch / statistics.median(ours_t)
    print(
        json.dumps(
            {
                "model": model.name,
                "batch": args.batch,
                "threads": torch.get_num_threads(),
                "bare_images_per_s": round(bare_ips, 1),
                "generate_images_per_s": round(ours_ips, 1),
                "ratio_generate_to_bare": round(ours_ips / bare_ips, 3),
                "batch1_latency_ms_median": round(statistics.median(lat) * 1000, 2),
                "batch1_bare_forward_ms_median": round(statistics.median(bare_lat) * 1000, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
