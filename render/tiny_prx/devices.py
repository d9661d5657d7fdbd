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


def hardware(dev: torch.device) -> str:
    """The device in words, for the log and training.json: the GPU's name, or the CPU and its threads."""
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
