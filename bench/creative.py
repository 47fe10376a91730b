"""Benchmark the creative tools: 8 variations against the bare batched forward.

Prints JSON. ``variations`` is the whole pipeline call (the parent's latent, the seeded
steps through the mapping network, one batched synthesis, uint8 conversion); ``bare``
is ``inference_mode`` mapping + synthesis of the same number of latents in one batch.
The two alternate, one of each per round, so both see the same machine load; the
headline is the ratio of their medians (the issue asks for ≤ 1.3).

    python bench/creative.py [--model emoji-gan] [--count 8] [--rounds 40] [--threads N]
                              [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import CpuWatch, git_state, now, r, summary_ms  # noqa: E402

from studio.models.catalog import resolve_model  # noqa: E402
from studio.models.checkpoint import load_checkpoint  # noqa: E402
from studio.pipelines.render import Recipe  # noqa: E402
from studio.pipelines.variations import VariationRecipe, render_variations  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="emoji-gan")
    ap.add_argument("--count", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = load_checkpoint(resolve_model(args.model), torch.device("cpu"))
    module = model.module
    parent = Recipe(model.name, 7)
    recipe = VariationRecipe(model.name, parent, 0.5, 1, args.count)
    z = module.sample_latents(args.count, 1)

    def variations() -> None:
        render_variations(model, recipe)

    @torch.inference_mode()
    def bare() -> None:
        module.synthesize(module.map(z))

    for _ in range(3):  # warm-up: allocator, kernels
        variations()
        bare()
    times: dict[str, list[float]] = {"variations": [], "bare": []}
    watch = CpuWatch()
    for i in range(args.rounds):
        # Alternate which goes first, so neither always runs right after the other.
        order = (("variations", variations), ("bare", bare))
        for name, fn in order if i % 2 == 0 else order[::-1]:
            t0 = now()
            fn()
            times[name].append(now() - t0)
    load = watch.stop()
    ratio = statistics.median(times["variations"]) / statistics.median(times["bare"])
    report = {
        "bench": "creative",
        "model": model.name,
        "resolution": int(module.resolution),
        "count": args.count,
        "rounds": args.rounds,
        "torch_threads": torch.get_num_threads(),
        "variations_ms": summary_ms(times["variations"]),
        "bare_batched_forward_ms": summary_ms(times["bare"]),
        "headline": {"variations_over_bare": r(ratio, 3), "target": 1.3, "met": ratio <= 1.3},
        "machine": load,
        "git": git_state(),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
