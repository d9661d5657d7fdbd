"""Training the embedded model: a few-step smoke run learns and saves a diffusers folder.

The run itself is the session fixture `smoke_model` (tests/conftest.py), shared with
tests/test_tiny_prx.py.
"""

import json
import shutil

import pytest
from tiny_models import SMOKE_SIZE, SMOKE_STEPS, SMOKE_TRAINING

from render import train


def test_smoke_training_decreases_loss(smoke_model):
    out, meta, logs = smoke_model
    losses = [v for _, v in meta["transformer_losses"]]
    assert len(losses) >= 3
    assert losses[-1] < losses[0]
    assert any("steps/s" in line for line in logs)


def test_smoke_saves_diffusers_layout(smoke_model):
    out, meta, _ = smoke_model
    for sub in ("transformer", "vae"):
        assert (out / sub / "config.json").exists()
        assert (out / sub / "diffusion_pytorch_model.safetensors").exists()
    assert (out / "scheduler" / "scheduler_config.json").exists()
    assert (out / "model_card.md").exists()
    vae_cfg = json.loads((out / "vae" / "config.json").read_text())
    assert vae_cfg["scaling_factor"] == pytest.approx(meta["scaling_factor"])
    assert vae_cfg["shift_factor"] == pytest.approx(meta["shift_factor"])
    assert json.loads((out / "training.json").read_text())["size"] == SMOKE_SIZE


def test_resume_continues_from_checkpoint(smoke_model, tmp_path):
    trained, _, _ = smoke_model
    out = shutil.copytree(trained, tmp_path / "tiny-prx")  # the shared run stays as it was
    logs = []
    meta = train.train_model(
        "smoke",
        out,
        seed=0,
        resume=True,
        log=logs.append,
        device="cpu",
        overrides={**SMOKE_TRAINING, "steps": SMOKE_STEPS + 3},
    )
    assert any(f"resumed at step {SMOKE_STEPS}" in line for line in logs)
    assert meta["steps_done"] == SMOKE_STEPS + 3


def test_text_conditioner_matches_pipeline_tokenisation():
    import torch
    from diffusers.pipelines.prx.pipeline_prx import TextPreprocessor

    tc = train.TextConditioner("cpu")
    caps = ["a large orange star in the center on a teal background", ""]
    emb, mask = tc(caps)
    tok = tc.tokenizer(
        [TextPreprocessor().clean_text(c) for c in caps],
        padding="max_length",
        max_length=64,
        truncation=True,
        return_tensors="pt",
    )
    full = tc.encoder(input_ids=tok["input_ids"], attention_mask=tok["attention_mask"])["last_hidden_state"]
    assert emb.shape == (2, 64, 384)
    assert torch.equal(mask, tok["attention_mask"].bool())
    m = mask.unsqueeze(-1)
    assert torch.allclose(emb * m, full * m, atol=2e-3)
