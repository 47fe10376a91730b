"""Training over several processes (GPUs, or CPU processes with gloo) under torchrun.

Each process takes its shard of every global batch (``BatchOrder``, which reads the
rank's share from torch's ``DistributedSampler``) and gradients are averaged across
processes after every backward pass (``loop.sync_gradients``). Only rank 0 writes
checkpoints, previews and logs; the saved state is global, so a run can
resume with a different number of processes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import torch

from studio.training.run import Run, StepReport


def distributed_env() -> tuple[int, int, int] | None:
    """(rank, world size, local rank) when started by torchrun, else None."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return None
    return (
        int(os.environ["RANK"]),
        int(os.environ["WORLD_SIZE"]),
        int(os.environ.get("LOCAL_RANK", os.environ["RANK"])),
    )


def init_process(local_rank: int, world: int) -> torch.device:
    """Join the process group: NCCL on CUDA GPUs, gloo on CPUs."""
    import torch.distributed as dist

    if torch.cuda.is_available():
        device = torch.device("cuda", local_rank % torch.cuda.device_count())
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        device = torch.device("cpu")
        backend = "gloo"
        # Share the machine's cores rather than oversubscribing them.
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return device


def train_distributed(run_dir: str | Path, resume: bool) -> Iterator[StepReport]:
    """This process's part of a torchrun-launched run (yields steps on every rank)."""
    import torch.distributed as dist

    from studio.training.loop import train
    from studio.training.session import TRAINERS

    env = distributed_env()
    if env is None:
        raise RuntimeError("Start distributed training with torchrun (or --nproc N).")
    rank, world, local_rank = env
    device = init_process(local_rank, world)
    run = Run(run_dir)
    try:
        kind = run.read_config().kind
        yield from train(run, TRAINERS[kind], resume, rank=rank, world=world, device=device)
        dist.barrier()
    finally:
        dist.destroy_process_group()


def torchrun_command(run_dir: str | Path, nproc: int, resume: bool) -> list[str]:
    """The command that trains ``run_dir`` on ``nproc`` processes of this machine."""
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        "-m",
        "studio.training",
        str(run_dir),
    ]
    return cmd + (["--resume"] if resume else [])
