"""``torchrun --nproc_per_node N -m studio.training RUN [--resume]``: one process's part
of a multi-process run. Create RUN first (``latent-studio train … --nproc N`` does both)."""

from __future__ import annotations

import argparse
import sys

from studio.training.ddp import distributed_env, train_distributed


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m studio.training")
    ap.add_argument("run", help="an existing run folder")
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    env = distributed_env()
    lead = env is None or env[0] == 0
    last = None
    for report in train_distributed(args.run, args.resume):
        last = report
        if lead and (report.checkpointed or report.step == 1):
            print(f"step {report.step}/{report.total} {report.images_per_s:.1f} img/s", flush=True)
    if lead and last is not None:
        print(f"done at step {last.step}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
