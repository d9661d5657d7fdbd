"""Which model a storyboard names, where it runs, and what identifies its weights.

`builtin:tiny-prx` is the project's own PRX trained on a procedural world (assets/models/tiny-prx);
anything else is a diffusers pipeline: a local folder, or a hub id that must already be in the local
Hugging Face cache (nothing is downloaded at run time).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from render.paths import TINY_PRX_DIR
from render.words import plural

BUILTIN_TINY_PRX = "builtin:tiny-prx"

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".ckpt", ".json", ".txt", ".model")


class ModelError(Exception):
    """The storyboard's model cannot be used here; the message says why and what to do."""


@dataclass
class LoadedModel:
    """A pipeline ready to sample, with what identifies it in cache keys and how its latents are decoded."""

    pipe: Any
    identity: dict[str, Any]
    device: str
    dtype: Any
    is_prx: bool


def model_credit(model_id: str) -> str:
    """Who made the pictures, in one sentence, for the end of the video and the page (no torch)."""
    if model_id != BUILTIN_TINY_PRX:
        return f"Pictures: {Path(model_id).name if Path(model_id).is_dir() else model_id}, run by noise2image."
    try:
        meta = json.loads((TINY_PRX_DIR / "training.json").read_text())
        size = f"{meta['transformer_params'] / 1e6:.1f}-million-parameter "
        seconds, vae_where = meta["total_seconds"], ""
        if meta.get("tiny_vae_hardware", meta["hardware"]) != meta["hardware"]:  # its VAE taught elsewhere
            seconds -= meta["tiny_vae_seconds"]
            vae_where = f" and its VAE on {meta['tiny_vae_hardware']} in {round(meta['tiny_vae_seconds'] / 60)}"
        where = f", on {meta['hardware']} in {plural(round(seconds / 60), 'minute')}{vae_where}"
    except (OSError, ValueError, KeyError, TypeError):
        size, where = "", ""
    return (
        f"Pictures: {BUILTIN_TINY_PRX}, a {size}PRX diffusion model that noise2image trained "
        f"on a procedural world of coloured shapes{where}."
    )


def model_reader(model_id: str):
    """What reads the model's pictures back into the attributes prompts name (render/kinds/base.py
    `Reader`): the procedural world's reader for the embedded model, None for any other model."""
    if model_id == BUILTIN_TINY_PRX:
        from render.tiny_prx.reading import WorldReader

        return WorldReader()
    return None


def model_reader_code(model_id: str) -> list[Path]:
    """The files whose code decides what `model_reader` reads (part of every chapter's analysis key:
    facts are read with it), without importing them."""
    if model_id == BUILTIN_TINY_PRX:
        here = Path(__file__).resolve().parent.parent / "tiny_prx"
        return [here / "reading.py", here / "shapes.py", here / "world.py"]
    return []


@dataclass(frozen=True)
class Runtime:
    """Where a model runs, as far as its numbers are concerned: the device class and the dtype actually used
    (`auto` resolved). Both change the bytes it makes, so both are in every trajectory's key."""

    device: str  # cpu, cuda or mps
    dtype: str  # float32, float16 or bfloat16

    def as_json(self) -> dict[str, str]:
        return {"device": self.device, "dtype": self.dtype}


def local_accelerator() -> str | None:
    """What `device: auto` picks on this machine: "cuda", then "mps", else None (the CPU).

    It needs torch (importing it takes one to two seconds on a CPU machine, more from a cold disk), so it is
    asked only for `auto`: an explicit device costs nothing to resolve."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return None


def dtype_name(requested: str, device: str) -> str:
    """`auto`: bfloat16 on CUDA, float32 elsewhere (the CPU default, and exact for tests); else as asked."""
    if requested == "auto":
        return "bfloat16" if device == "cuda" else "float32"
    return requested


def resolve_runtime(device: str, dtype: str, accelerator: Callable[[], str | None], *, say=print) -> Runtime:
    """The runtime a storyboard's `model.device` and `model.dtype` give, without loading the model: `auto`
    asks `accelerator()` (this machine's, `local_accelerator`, or a cluster's). An explicit device is taken
    as it is; whether it exists is checked where the model loads."""
    if device == "auto":
        device = accelerator() or "cpu"
        if device == "cpu":
            say("noise2image: no GPU found; the model runs on the CPU")
    return Runtime(device, dtype_name(dtype, device))


def resolve_device(requested: str, *, say=print) -> str:
    """`auto` picks CUDA, then MPS, then the CPU (and says so); an explicit device must exist."""
    import torch

    if requested == "auto":
        return resolve_runtime("auto", "auto", local_accelerator, say=say).device
    if requested == "cuda" and not torch.cuda.is_available():
        raise ModelError("model.device is 'cuda' but this machine has no usable CUDA GPU; use 'auto' or 'cpu'")
    if requested == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ModelError("model.device is 'mps' but Apple's Metal backend is not available here; use 'auto' or 'cpu'")
    return requested


def resolve_dtype(requested: str, device: str):
    """The torch dtype of `dtype_name(requested, device)`."""
    import torch

    return getattr(torch, dtype_name(requested, device))


def model_folder(model_id: str) -> Path:
    """The local folder holding a model's weights, without loading it. Raises ModelError if absent."""
    if model_id == BUILTIN_TINY_PRX:
        from render.tiny_prx.load import TinyPrxMissing, check_model_dir

        try:
            return check_model_dir(TINY_PRX_DIR)
        except TinyPrxMissing as e:
            raise ModelError(str(e)) from e
    path = Path(model_id).expanduser()
    if path.is_dir():
        if not (path / "model_index.json").is_file():
            raise ModelError(f"model folder {path} has no model_index.json (not a diffusers pipeline folder)")
        return path
    if path.exists() or model_id.startswith((".", "/", "~")):
        raise ModelError(f"model folder {model_id} does not exist")
    return _hub_snapshot(model_id)


def _hub_snapshot(model_id: str) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(model_id, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError) as e:
        raise ModelError(
            f"model '{model_id}' is not available offline (not in the local Hugging Face cache). "
            f"Fetch it once on a machine with network: `hf download {model_id}` "
            "(or `huggingface-cli download`), or set model.id to a local folder that holds it"
        ) from e


def weights_hash(folder: Path) -> str:
    """sha256 over the names and bytes of every weight and config file under `folder`.

    Hub snapshots are content-addressed already, so their blob names (the link targets) are hashed
    instead of multi-gigabyte contents.
    """
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES):
        rel = path.relative_to(folder).as_posix()
        if rel.startswith(("checkpoints/", ".")):
            continue
        h.update(rel.encode() + b"\0")
        if path.is_symlink():
            h.update(os.readlink(path).encode())
        else:
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        h.update(b"\0")
    return h.hexdigest()


def model_identity(model_id: str) -> dict[str, Any]:
    """What goes into every request's cache key: the model id and a hash of its weights."""
    folder = model_folder(model_id)
    return {"id": model_id, "weights": weights_hash(folder)[:16]}


def native_size(model_id: str) -> tuple[int, int]:
    """The (width, height) a model was made for, read from its configs without loading weights."""
    folder = model_folder(model_id)
    if model_id == BUILTIN_TINY_PRX:
        from render.tiny_prx.load import native_size as tiny_size

        return tiny_size(folder), tiny_size(folder)
    index = _read_json(folder / "model_index.json")
    sample = index.get("default_sample_size")
    if sample:
        return int(sample), int(sample)
    vae = _read_json(folder / "vae" / "config.json")
    if vae.get("sample_size"):
        s = vae["sample_size"]
        return (int(s), int(s)) if isinstance(s, int) else (int(s[1]), int(s[0]))
    return 512, 512


def size_multiple(model_id: str) -> int:
    """Width and height must be multiples of this (VAE downsampling times transformer patch size)."""
    folder = model_folder(model_id)
    vae = _read_json(folder / "vae" / "config.json")
    factor = 2 ** (len(vae.get("block_out_channels", [0, 0, 0, 0])) - 1)
    transformer = folder / "transformer" / "config.json"
    patch = _read_json(transformer).get("patch_size", 1) if transformer.is_file() else 1
    return factor * patch


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}


_LOADED: dict[tuple[str, str, str, str], LoadedModel] = {}


def shared_model(model_id: str, runtime: Runtime, weights: str, *, say=print) -> LoadedModel:
    """The model loaded once per process and kept: in one run, generation's sampler and the analysis's
    prompt encoder use the same copy (a second one of a large model would double the time and memory).
    Keyed by the id, the runtime and the weights' hash (the plan's), so changed weights are loaded anew."""
    key = (model_id, runtime.device, runtime.dtype, weights)
    if key not in _LOADED:
        say(f"loading {model_id}")
        _LOADED[key] = load_model(model_id, runtime.device, runtime.dtype, say=say)
    return _LOADED[key]


def load_model(model_id: str, device: str = "auto", dtype: str = "auto", *, say=print) -> LoadedModel:
    """Load the storyboard's model on its device, offline."""
    import warnings

    import diffusers
    import transformers
    from diffusers import DiffusionPipeline, PRXPipeline

    # Loading is quiet: no per-file progress bars or notices aimed at library authors.
    transformers.logging.set_verbosity_error()
    diffusers.logging.set_verbosity_error()

    identity = model_identity(model_id)
    device = resolve_device(device, say=say)
    torch_dtype = resolve_dtype(dtype, device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # PRXPipeline's own LoraLoaderMixin notice
        if model_id == BUILTIN_TINY_PRX:
            from render.tiny_prx.load import load_tiny_prx

            pipe = load_tiny_prx(TINY_PRX_DIR, device=device, dtype=torch_dtype)
        else:
            folder = model_folder(model_id)
            try:
                pipe = DiffusionPipeline.from_pretrained(folder, torch_dtype=torch_dtype, local_files_only=True)
            except (OSError, ValueError) as e:
                raise ModelError(f"could not load model '{model_id}' from {folder}: {e}") from e
            pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    return LoadedModel(
        pipe=pipe,
        identity=identity,
        device=device,
        dtype=torch_dtype,
        is_prx=isinstance(pipe, PRXPipeline),
    )
