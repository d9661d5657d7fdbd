"""A hub-hosted PRX model, offline: a tiny stand-in for `Photoroom/prx-256-t2i-sft` in a fake HF cache.

The stand-in has the real model's component classes (read from diffusers' PRX pipeline and its
`scripts/convert_prx_to_diffusers.py`, which wrote the hub repos): `PRXTransformer2DModel` (patch 2,
16 input channels), the `FlowMatchEulerDiscreteScheduler` (shift 3), a `T5GemmaEncoder` whose
`config.json` is the composite `T5GemmaConfig` (diffusers' `prx.T5GemmaEncoder` reads `.encoder` from
it), a `GemmaTokenizerFast` (256 tokens), and an `AutoencoderKL` with 16 latent channels, Flux's
scaling and shift factors and 8x downsampling; `model_index.json` names them as the real one does
and says `default_sample_size: 256`. Every network is a few thousand parameters and the tokenizer
is a small BPE built here, so nothing is downloaded.

The pipeline is saved to a folder and also laid out as the Hugging Face hub cache does
(`models--Photoroom--prx-256-t2i-sft/{blobs,snapshots/<commit>,refs/main}`, snapshot files linking
to content-named blobs); the cache root is swapped in for the tests, so `load_model(hub id)` goes
through the same `snapshot_download(local_files_only=True)` path as a real user's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from render.engine import models
from render.engine.models import ModelError, load_model, model_identity, native_size, size_multiple
from render.engine.requests import EmbeddingRecipe, GenerationRequest
from render.engine.sampling import initial_noise, sample_prx
from render.stages.check import environment_problems
from render.storyboard import StoryboardError, load_storyboard

HUB_ID = "Photoroom/prx-256-t2i-sft"
REPO_ROOT = Path(__file__).resolve().parent.parent
PRX_STORYBOARD = REPO_ROOT / "storyboards" / "prx-256.yaml"
pytestmark = pytest.mark.filterwarnings("ignore:.*LoraLoaderMixin:FutureWarning")

SIZE = 64  # pixels sampled in the tests: 8x VAE -> 8x8 latent -> 4x4 patches (native size stays 256)
WORDS = (
    "a an the of in on at with red fox snowy forest dawn cat dog golden retriever puppy beach car "
    "coffee cup wooden table country road"
).split()


# ---- the tiny stand-in --------------------------------------------------------------------------


def tiny_gemma_tokenizer():
    """A `GemmaTokenizerFast` (the real model's class) over a small BPE: letters plus a few words."""
    from transformers import GemmaTokenizerFast

    vocab = {t: i for i, t in enumerate(["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"])}
    for ch in "abcdefghijklmnopqrstuvwxyz▁,.-":
        vocab.setdefault(ch, len(vocab))
    merges: list[tuple[str, str]] = []
    for word in WORDS:
        current = "▁"
        for ch in word:
            if (current, ch) not in merges:
                merges.append((current, ch))
            current += ch
            vocab.setdefault(current, len(vocab))
    tokenizer = GemmaTokenizerFast(vocab=vocab, merges=merges, add_bos_token=True)  # <bos> first, as Gemma does
    tokenizer.model_max_length = 256  # as convert_prx_to_diffusers.py sets for the real one
    return tokenizer


def tiny_t5gemma_config(vocab_size: int):
    from transformers.models.t5gemma.configuration_t5gemma import T5GemmaConfig, T5GemmaModuleConfig

    module = dict(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        query_pre_attn_scalar=16,
        max_position_embeddings=512,
        sliding_window=64,
    )
    config = T5GemmaConfig(
        encoder=T5GemmaModuleConfig(**module), decoder=T5GemmaModuleConfig(**module), vocab_size=vocab_size
    )
    config.architectures = ["T5GemmaEncoder"]
    return config


def tiny_real_like_prx(seed: int = 0):
    """(pipeline, composite text-encoder config): PRX-256's component classes at toy size."""
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, PRXPipeline
    from diffusers.models.transformers.transformer_prx import PRXTransformer2DModel
    from transformers.models.t5gemma.modeling_t5gemma import T5GemmaEncoder

    tokenizer = tiny_gemma_tokenizer()
    te_config = tiny_t5gemma_config(len(tokenizer) + 8)
    torch.manual_seed(seed)
    text_encoder = T5GemmaEncoder(te_config.encoder).eval()
    torch.manual_seed(seed)
    transformer = PRXTransformer2DModel(
        in_channels=16,
        patch_size=2,
        context_in_dim=32,
        hidden_size=32,
        mlp_ratio=2.0,
        num_heads=2,
        depth=2,
        axes_dim=[8, 8],
    )
    torch.manual_seed(seed)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        block_out_channels=[8, 8, 16, 16],
        layers_per_block=1,
        latent_channels=16,
        norm_num_groups=4,
        sample_size=256,
        scaling_factor=0.3611,  # the Flux VAE's
        shift_factor=0.1159,
        use_quant_conv=False,
        use_post_quant_conv=False,
    )
    pipe = PRXPipeline(
        transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        vae=vae,
        default_sample_size=256,
    )
    return pipe, te_config


def save_like_the_hub(pipe, te_config, folder: Path) -> Path:
    """save_pretrained, then make the files say what the real repo's say."""
    pipe.save_pretrained(folder)
    te_config.save_pretrained(folder / "text_encoder")  # the composite config, as on the hub
    index = json.loads((folder / "model_index.json").read_text())
    index["text_encoder"] = ["prx", "T5GemmaEncoder"]
    index["tokenizer"] = ["transformers", "GemmaTokenizerFast"]
    (folder / "model_index.json").write_text(json.dumps(index, indent=2))
    return folder


def install_in_hub_cache(folder: Path, cache: Path, repo_id: str = HUB_ID) -> Path:
    """Lay `folder` out as `hf download repo_id` leaves it in the cache at `cache`; returns the snapshot."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    commit = hashlib.sha1(b"".join(p.read_bytes() for p in files)).hexdigest()
    snapshot = repo / "snapshots" / commit
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        blob = repo / "blobs" / digest
        blob.parent.mkdir(parents=True, exist_ok=True)
        if not blob.exists():
            shutil.copyfile(path, blob)
        link = snapshot / path.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    """(local folder, hub cache root): the tiny PRX-256 saved both ways."""
    root = tmp_path_factory.mktemp("prx256")
    folder = save_like_the_hub(*tiny_real_like_prx(), root / "local")
    cache = root / "hub"
    install_in_hub_cache(folder, cache)
    return folder, cache


@pytest.fixture
def hub_cache(stand_in, monkeypatch):
    """Point huggingface_hub at the fake cache (what HF_HUB_CACHE does for a fresh process)."""
    import huggingface_hub.constants

    _, cache = stand_in
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache


@pytest.fixture(scope="module")
def loaded(stand_in):
    import huggingface_hub.constants

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(stand_in[1]))
        return load_model(HUB_ID, "cpu", "auto", say=lambda *_: None)


def req(prompt="a red fox in a snowy forest at dawn", seed=0, guidance=5.0, steps=3, **kw):
    return GenerationRequest(prompt=prompt, seed=seed, steps=steps, guidance=guidance, width=SIZE, height=SIZE, **kw)


# ---- loading ------------------------------------------------------------------------------------


def test_hub_id_loads_offline_with_the_real_component_classes(loaded, hub_cache):
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, PRXPipeline
    from diffusers.models.transformers.transformer_prx import PRXTransformer2DModel
    from transformers import GemmaTokenizerFast
    from transformers.models.t5gemma.modeling_t5gemma import T5GemmaEncoder

    pipe = loaded.pipe
    assert loaded.is_prx and isinstance(pipe, PRXPipeline)
    assert loaded.device == "cpu" and loaded.dtype == torch.float32
    assert isinstance(pipe.transformer, PRXTransformer2DModel)
    assert isinstance(pipe.text_encoder, T5GemmaEncoder)
    assert pipe.text_encoder.config.hidden_size == 32  # the saved encoder, not T5Gemma's 2B defaults
    assert isinstance(pipe.tokenizer, GemmaTokenizerFast) and pipe.tokenizer.model_max_length == 256
    assert isinstance(pipe.vae, AutoencoderKL) and pipe.vae.config.latent_channels == 16
    assert pipe.vae_scale_factor == 8
    assert isinstance(pipe.scheduler, FlowMatchEulerDiscreteScheduler)
    assert pipe.config.default_sample_size == 256
    assert loaded.identity == model_identity(HUB_ID)


def test_local_folder_loads_too(stand_in):
    folder, _ = stand_in
    model = load_model(str(folder), "cpu", say=lambda *_: None)
    assert model.is_prx and model.identity["id"] == str(folder)
    assert model.pipe.vae.config.latent_channels == 16


def test_native_size_and_multiple_come_from_the_configs(hub_cache, stand_in):
    assert native_size(HUB_ID) == (256, 256)
    assert size_multiple(HUB_ID) == 16  # 8x VAE times patch 2, as for the real model
    assert native_size(str(stand_in[0])) == (256, 256)


# ---- sampling -----------------------------------------------------------------------------------


def test_sample_prx_records_16_channel_trajectories(loaded):
    pipe = loaded.pipe
    requests = [
        req(seed=1),
        req(prompt="a cat", seed=2, guidance=1.0),
        req(prompt=None, seed=3, embedding=EmbeddingRecipe(from_prompt="a cat", to_prompt="a dog", t=0.5)),
    ]
    out = sample_prx(pipe, requests, model_identity=loaded.identity)
    assert len(out) == 3
    latent = SIZE // 8
    for t, r in zip(out, requests, strict=True):
        assert t.latents.shape == (4, 16, latent, latent) and t.latents.dtype == np.float16
        assert t.x0.shape == (3, 16, latent, latent)
        assert t.previews.shape == (4, SIZE, SIZE, 3) and t.x0_previews.shape == (3, SIZE, SIZE, 3)
        assert t.image.shape == (SIZE, SIZE, 3) and t.image.dtype == np.uint8
        assert t.sigmas[0] == pytest.approx(1.0) and t.sigmas[-1] == pytest.approx(0.0)
        assert len(t.timesteps) == 3
        assert t.prompt_embeds.shape == (256, 32) and t.prompt_mask.shape == (256,)
        assert 0 < t.prompt_mask.sum() < 256
        assert np.isfinite(t.latents.astype(np.float32)).all()
        assert t.model == loaded.identity
        noise = initial_noise(r, 16, latent, latent)[0].numpy()
        np.testing.assert_allclose(t.latents[0].astype(np.float32), noise, atol=1e-2)
    # x0 = x_t - sigma * v, and the Euler step moves x_t along the same v
    t = out[0]
    for i in range(3):
        x_t, x0 = t.latents[i].astype(np.float32), t.x0[i].astype(np.float32)
        v = (x_t - x0) / t.sigmas[i]
        np.testing.assert_allclose(t.latents[i + 1], x_t + (t.sigmas[i + 1] - t.sigmas[i]) * v, atol=2e-2)
    assert not np.allclose(out[0].latents[-1], out[1].latents[-1])


def test_sample_prx_matches_the_pipelines_own_call(loaded):
    """One guided request through the engine's loop and through PRXPipeline.__call__ (no binning)."""
    pipe = loaded.pipe
    r = req(seed=5, guidance=4.0, steps=2)
    ours = sample_prx(pipe, [r], model_identity=loaded.identity)[0]
    theirs = pipe(
        prompt=r.prompt,
        num_inference_steps=r.steps,
        guidance_scale=r.guidance,
        height=SIZE,
        width=SIZE,
        latents=initial_noise(r, 16, SIZE // 8, SIZE // 8),
        output_type="latent",
        use_resolution_binning=False,
    ).images
    np.testing.assert_allclose(ours.latents[-1].astype(np.float32), theirs[0].float().numpy(), atol=2e-2, rtol=1e-2)


# ---- identity -----------------------------------------------------------------------------------


def test_identity_is_stable_and_follows_the_weights(stand_in, hub_cache, tmp_path, monkeypatch):
    import huggingface_hub.constants

    first = model_identity(HUB_ID)
    assert first["id"] == HUB_ID and len(first["weights"]) == 16
    assert model_identity(HUB_ID) == first

    # the same files fetched into another cache: same identity
    install_in_hub_cache(stand_in[0], tmp_path / "other-cache")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "other-cache"))
    assert model_identity(HUB_ID) == first

    # new transformer weights (a new revision of the repo): a new identity
    changed = tmp_path / "changed"
    shutil.copytree(stand_in[0], changed)
    retrained, _ = tiny_real_like_prx(seed=1)
    retrained.transformer.save_pretrained(changed / "transformer")
    install_in_hub_cache(changed, tmp_path / "other-cache")
    second = model_identity(HUB_ID)
    assert second["id"] == HUB_ID and second["weights"] != first["weights"]


def test_hub_id_missing_from_the_cache_says_how_to_fetch_it(hub_cache):
    with pytest.raises(ModelError) as e:
        models.model_folder("Photoroom/prx-512-t2i-sft")
    message = str(e.value)
    assert "'Photoroom/prx-512-t2i-sft' is not available offline" in message
    assert "`hf download Photoroom/prx-512-t2i-sft`" in message


# ---- storyboards --------------------------------------------------------------------------------


def write_storyboard(tmp_path: Path, **defaults) -> Path:
    data = yaml.safe_load(PRX_STORYBOARD.read_text())
    data["defaults"].update(defaults)
    data["narration"]["voice"] = "none"
    path = tmp_path / "sb.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_prx_storyboard_without_the_model_names_only_the_missing_model(tmp_path, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty"))
    sb = load_storyboard(write_storyboard(tmp_path))
    assert [c.kind for c in sb.chapters] == [
        "noise_sampling",
        "denoising",
        "latent_space",
        "embedding_map",
        "seed_comparison",
        "step_comparison",
        "prompt_detail",
        "prompt_length",
        "interpolation",
        "guidance_comparison",
        "summary",
    ]
    problems, _ = environment_problems(sb)
    assert len(problems) == 1 and problems[0].field == "model.id"
    assert f"`hf download {HUB_ID}`" in problems[0].message


def test_prx_storyboard_passes_with_the_model_in_the_cache(hub_cache, tmp_path):
    sb = load_storyboard(write_storyboard(tmp_path))
    problems, warnings = environment_problems(sb)
    assert problems == [] and warnings == []
    sb = load_storyboard(write_storyboard(tmp_path, width=256, height=256))
    assert environment_problems(sb)[0] == []


def test_sizes_off_the_models_multiple_are_storyboard_problems(hub_cache, tmp_path, stand_in):
    # PRX-256's multiple (8x VAE, patch 2) is 16, which the storyboard schema itself enforces
    with pytest.raises(StoryboardError) as e:
        load_storyboard(write_storyboard(tmp_path, width=250))
    assert [p.field for p in e.value.problems] == ["defaults.width"]
    assert "multiple of 16" in e.value.problems[0].message

    # a model with a coarser grid (patch 4: multiples of 32) is checked against its configs
    coarse = tmp_path / "coarse"
    shutil.copytree(stand_in[0], coarse)
    config = json.loads((coarse / "transformer" / "config.json").read_text())
    (coarse / "transformer" / "config.json").write_text(json.dumps(config | {"patch_size": 4}))
    path = write_storyboard(tmp_path, width=48, height=64)
    path.write_text(path.read_text().replace(f"id: {HUB_ID}", f"id: {coarse}"))
    sb = load_storyboard(path)
    problems, _ = environment_problems(sb)
    assert [p.field for p in problems] == ["defaults.width"]
    assert "48 px: this model takes multiples of 32 (e.g. 32 or 64); its native size is 256x256" in problems[0].message
    assert problems[0].line > 0


def test_noise2image_check_on_the_prx_storyboard(hub_cache):
    """The command a user runs, in a fresh process that finds the model through HF_HUB_CACHE."""
    cli = Path(sys.executable).with_name("noise2image")
    result = subprocess.run(
        [str(cli), "check", str(PRX_STORYBOARD)], capture_output=True, text=True, env=os.environ.copy(), timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"valid (11 chapters, model {HUB_ID})" in result.stdout + result.stderr
