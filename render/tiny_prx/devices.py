"""Where the embedded model trains and renders: choosing a torch device, and moving tensors to it."""

from __future__ import annotations

import platform

import torch

from render.errors import UserFacingError


def to_device(t: torch.Tensor, device) -> torch.Tensor:
    """A CPU tensor on `device`; to a GPU from pinned memory, without waiting for the copy."""
    device = torch.device(device)
    if device.type == "cpu":
        return t
    if device.type == "cuda":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


def default_device() -> str:
    """The device training and evaluation use unless told: CUDA when available, else the CPU."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def training_device(device: str | None) -> torch.device:
    """The device to train on (None: CUDA when available, else the CPU), set up for speed."""
    dev = torch.device(device or default_device())
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise UserFacingError(f"training on {device!r} needs a usable CUDA GPU and there is none; use 'cpu'")
        # TF32 matmuls and cuDNN autotuning: faster, and the bfloat16 autocast dominates the error anyway
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    return dev


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux)."""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_features() -> dict[str, object]:
    """What this CPU computes natively, read at run time: torch's vector capability and the
    bfloat16 instruction sets /proc/cpuinfo lists (machines differ: AVX512-BF16 on some, AMX on others)."""
    flags: set[str] = set()
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    bf16 = sorted(flags & {"avx512_bf16", "amx_bf16"})
    return {"capability": torch.backends.cpu.get_cpu_capability(), "bf16": bf16, "threads": torch.get_num_threads()}


def native_bf16(dev: torch.device) -> bool:
    """True if `dev` computes bfloat16 natively: CUDA, or a CPU with AVX512-BF16 or AMX-BF16."""
    return dev.type == "cuda" or (dev.type == "cpu" and bool(cpu_features()["bf16"]))


def hardware(dev: torch.device) -> str:
    """The device in words, for the log and training.json: the GPU's name, or the CPU and its threads."""
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"{cpu_name()} ({torch.get_num_threads()} threads)"
