"""Shared fixtures: small fake but consistent trajectories, analysis runs and chapter bundles.

`make_trajectory(request)` builds a Trajectory whose arrays fit together like a real recording:
latents go from seeded noise (sigma 1) to a prompt-dependent target (sigma 0) along the
flow-matching line x_t = sigma * noise + (1 - sigma) * x0, and previews are a fixed "decoder"
(latent channels -> colours, upsampled) of those latents. Same request, same arrays.

Fixtures:
- `fake_trajectory`: the factory `make_trajectory(request, ...)`;
- `analyse_kind`: `(kind, params) -> (info, arrays)` runs the kind's requests through the fake
  generator and its analysis with a fitted shared basis and a fake `encode`;
- `chapter_bundle`: `(kind, params, narration, theme="dark") -> (chapter_dir, timing)`
  writes a chapter data bundle under tmp_path and estimates its narration timing;
- `caption_kind`: tests/data/outside_kind's `caption` kind (defined outside the package, no web
  figure) registered for one test; `outside_caption_kind()` does the same for a block;
- `smoke_model` (session): `(folder, meta, logs)` of one real training run of the embedded model
  (render/tiny_prx/train.py) at toy size, shared by tests/test_train.py and tests/test_tiny_prx.py. Treat the
  folder as read-only; copy it to change it.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from render.chapter_data import Timing, estimate_timing, write_chapter_data
from render.engine.requests import GenerationRequest
from render.engine.trajectory import Trajectory
from render.kinds import KINDS, register
from render.kinds.base import AnalysisContext, ModelInfo, Settings
from render.kinds.latent_basis import fit_latent_basis

FAKE_SIZE = 16  # image pixels
FAKE_LATENT = 4  # latent pixels
FAKE_CHANNELS = 2  # latent channels
FAKE_EMBED_DIM = 8


def pytest_configure(config: pytest.Config) -> None:
    """One intra-op thread for torch, here and in the CLI subprocesses the tests start.

    The test networks and arrays are tiny, so extra threads gain nothing; on a busy 2-core machine
    (CI runners, or a render running beside the tests) OpenMP threads waiting for each other made
    training steps about 30x slower. OMP_NUM_THREADS set by the caller wins."""
    import torch
    from threadpoolctl import threadpool_limits

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    threads = int(os.environ["OMP_NUM_THREADS"])
    torch.set_num_threads(threads)
    threadpool_limits(threads)  # the OpenMP and BLAS pools already loaded (scikit-learn's t-SNE, numpy)


def _seed_of(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def _decode(latents: np.ndarray, size: int) -> np.ndarray:
    """Fake VAE decode: [n, C, h, w] -> uint8 [n, size, size, 3]."""
    x = latents.astype(np.float32)
    r = x[:, 0]
    g = x[:, 1 % x.shape[1]]
    b = -(r + g) / 2
    rgb = np.stack([r, g, b], axis=-1)  # [n, h, w, 3]
    k = size // x.shape[-1]
    rgb = rgb.repeat(k, axis=1).repeat(k, axis=2)
    return np.clip((rgb * 0.5 + 0.5) * 255, 0, 255).astype(np.uint8)


def make_trajectory(
    request: GenerationRequest,
    channels: int = FAKE_CHANNELS,
    latent: int = FAKE_LATENT,
    size: int | None = None,
) -> Trajectory:
    """A consistent fake recording of `request` (steps from the request; image size = its width)."""
    size = size or request.width
    n = request.steps
    noise = np.random.default_rng(request.seed).standard_normal((channels, latent, latent)).astype(np.float32)
    if request.embedding is not None:
        e = request.embedding
        a = np.random.default_rng(_seed_of(e.from_prompt)).uniform(-1, 1, (channels, latent, latent))
        b = np.random.default_rng(_seed_of(e.to_prompt)).uniform(-1, 1, (channels, latent, latent))
        target = (1 - e.t) * a + e.t * b
        text = e.from_prompt
    else:
        text = request.prompt or ""
        target = np.random.default_rng(_seed_of(text)).uniform(-1, 1, (channels, latent, latent))
    # guidance pushes the target outwards (more saturated), like real CFG at high scales
    target = (target * (0.5 + request.guidance / 8) + 0.1 * noise).astype(np.float32)
    sigmas = np.linspace(1.0, 0.0, n + 1).astype(np.float32)
    latents = sigmas[:, None, None, None] * noise + (1 - sigmas[:, None, None, None]) * target
    x0 = np.stack([target + 0.3 * sigmas[i] * noise for i in range(n)]).astype(np.float32)
    previews = _decode(latents, size)
    t = Trajectory(
        request=request.model_dump(mode="json"),
        model={"id": "fake"},
        sigmas=sigmas,
        timesteps=(sigmas[:-1] * 1000).astype(np.float32),
        latents=latents.astype(np.float16),
        x0=x0.astype(np.float16),
        previews=previews,
        x0_previews=_decode(x0, size),
        image=previews[-1].copy(),
        prompt_embeds=fake_encode([text])[0][None, :].repeat(3, axis=0).astype(np.float16),
        prompt_mask=np.ones(3, bool),
        pooled=fake_encode([text])[0].astype(np.float16),
    )
    t.check()
    return t


def fake_encode(prompts: list[str]) -> np.ndarray:
    """Deterministic pooled 'embeddings' [n, 8]: prompts sharing words land close together."""
    out = np.zeros((len(prompts), FAKE_EMBED_DIM), np.float32)
    for i, p in enumerate(prompts):
        for word in p.lower().split():
            out[i] += np.random.default_rng(_seed_of(word)).standard_normal(FAKE_EMBED_DIM)
        out[i] += 0.01 * np.random.default_rng(_seed_of(p)).standard_normal(FAKE_EMBED_DIM)
    return out


def base_params(**kind_params: Any) -> dict[str, Any]:
    """Resolved chapter params for a 16 px fake model with 4 steps, plus the kind's own."""
    params = {"seed": 0, "steps": 4, "guidance": 4.0, "negative_prompt": "", "width": FAKE_SIZE, "height": FAKE_SIZE}
    params.update(kind_params)
    return params


SETTINGS_FIELDS = ("seed", "steps", "guidance", "negative_prompt", "width", "height")


def chapter_and_settings(kind: str, params: dict[str, Any]):
    """The typed storyboard chapter of `kind` and its Settings, from resolved params (see base_params)."""
    own = {k: v for k, v in params.items() if k not in SETTINGS_FIELDS}
    chapter = KINDS[kind].chapter.model_validate(
        {"id": "test", "kind": kind, "title": kind.replace("_", " ").title(), "narration": ["A beat."], **own}
    )
    return chapter, Settings(**{k: params[k] for k in SETTINGS_FIELDS})


def run_analysis(kind: str, params: dict[str, Any]) -> tuple[dict, dict[str, np.ndarray]]:
    """Generate the kind's requests with the fake generator and analyse them."""
    spec = KINDS[kind]
    chapter, settings = chapter_and_settings(kind, params)
    requests = spec.requests(chapter, settings)
    trajectories = {role: [make_trajectory(r) for r in reqs] for role, reqs in requests.items()}
    everything = [t for ts in trajectories.values() for t in ts]
    basis_source = everything or [
        make_trajectory(GenerationRequest(prompt="x", seed=0, steps=4, guidance=4.0, width=FAKE_SIZE, height=FAKE_SIZE))
    ]
    context = AnalysisContext(
        model=ModelInfo.from_trajectory(basis_source[0]),
        latent_basis=fit_latent_basis(basis_source),
        encode=fake_encode,
    )
    return spec.analyse(chapter, settings, trajectories, context)


@pytest.fixture
def fake_trajectory():
    return make_trajectory


@pytest.fixture
def analyse_kind():
    return run_analysis


@pytest.fixture
def chapter_bundle(tmp_path: Path):
    def build(
        kind: str, params: dict[str, Any], narration: list[str], theme: str = "dark", title: str | None = None
    ) -> tuple[Path, Timing]:
        info, arrays = run_analysis(kind, params)
        info = {
            **info,
            "kind": kind,
            "title": title or kind.replace("_", " ").title(),
            "params": params,
            "theme": theme,
            "narration": narration,
        }
        chapter = write_chapter_data(tmp_path / f"chapter-{kind}", info, arrays)
        return chapter, estimate_timing(narration)

    return build


@pytest.fixture
def params_for():
    """`params_for(**kind_params)`: resolved params for the fake 16 px, 4-step model."""
    return base_params


OUTSIDE_KIND = Path(__file__).parent / "data" / "outside_kind"


@contextmanager
def outside_caption_kind() -> Iterator:
    """The `caption` kind of tests/data/outside_kind, registered while the block runs, then forgotten."""
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(OUTSIDE_KIND))
        from caption import Caption  # tests/data/outside_kind/caption.py

        kind = register(Caption())
        try:
            yield kind
        finally:
            KINDS.pop(kind.name)
            sys.modules.pop("caption", None)


@pytest.fixture
def caption_kind():
    with outside_caption_kind() as kind:
        yield kind


@pytest.fixture(scope="session")
def smoke_model(tmp_path_factory) -> tuple[Path, dict, list[str]]:
    """One real, tiny training run of the embedded model: (diffusers folder, metrics, log lines)."""
    from tiny_models import SMOKE_TRAINING

    from render.tiny_prx import train

    out = tmp_path_factory.mktemp("tiny-prx-smoke")
    logs: list[str] = []
    meta = train.train_model(
        "smoke", out, seed=0, resume=False, log=logs.append, device="cpu", overrides=SMOKE_TRAINING
    )
    return out, meta, logs
