"""Which new-GAN settings train fastest on this device: images/s of a few configurations.

Times real training steps (``studio.training.estimate.measure``, the same measurement
the Train panel shows before Start) of a new GAN at 64 × 64 on a folder of about 100
images, for each ``channel_base`` and batch size, plus a fine-tune of a shipped model,
and prints JSON: images/s, seconds per step and the hours 1,000 steps would take.
Figures on a shared machine move with its load; each is the mean of ``--steps`` steps
after a warm-up step, and the load average is printed beside them.

    python bench/train_defaults.py --data DIR [--steps 3] [--bases 512,1024,2048]
                                   [--batches 8,16] [--from emoji-gan]
"""

from __future__ import annotations

import argparse
import json
import os

import torch

from studio.training.estimate import measure


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--bases", default="512,1024,2048")
    ap.add_argument("--batches", default="8,16")
    ap.add_argument("--from", dest="base", default="emoji-gan")
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()
    rows = []
    runs = [(int(cb), int(b), "") for cb in args.bases.split(",") for b in args.batches.split(",")]
    runs += [(0, int(b), args.base) for b in args.batches.split(",") if args.base]
    for cb, batch, base in runs:
        fields = {
            "kind": "gan",
            "data": args.data,
            "batch": batch,
            "steps": 1000,
            "device": args.device,
            "init_from": base,
            "model": {"resolution": 64} | ({"channel_base": cb} if cb else {}),
        }
        est = measure(fields, args.steps)
        rows.append(
            {
                "config": f"fine-tune {base}" if base else f"new GAN, channel_base {cb}",
                "batch": batch,
                "images_per_s": round(est.images_per_s, 2),
                "s_per_step": round(batch / est.images_per_s, 3),
                # Under load, wall time mostly measures the other processes; processor
                # time per image is what the configuration itself costs.
                "images_per_cpu_s": round(1 / est.cpu_s_per_image, 2),
                "hours_per_1000_steps": round(est.seconds / 3600, 3),
                "load_average": round(os.getloadavg()[0], 2),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    info = {"device": est.device, "threads": torch.get_num_threads(), "cores": os.cpu_count()}
    print(json.dumps({"machine": info, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
