"""Training the embedded model: a few-step smoke run learns and saves a diffusers folder.

The run itself is the session fixture `smoke_model` (tests/conftest.py), shared with
tests/test_tiny_prx.py.
"""

import argparse
import json
import shutil

import pytest
from tiny_models import SMOKE_SIZE, SMOKE_STEPS, SMOKE_TRAINING

from render.paths import TINY_PRX_DIR
from render.tiny_prx import commands, evaluate, networks, text, train, world
from render.tiny_prx.presets import PRESETS


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


def _pipeline_states(tc, captions):
    """What PRXPipeline feeds the transformer: clean_text, padding to 64, the encoder's states."""
    from diffusers.pipelines.prx.pipeline_prx import TextPreprocessor

    tok = tc.tokenizer(
        [TextPreprocessor().clean_text(c) for c in captions],
        padding="max_length",
        max_length=64,
        truncation=True,
        return_tensors="pt",
    )
    states = tc.encoder(input_ids=tok["input_ids"], attention_mask=tok["attention_mask"])["last_hidden_state"]
    return states, tok["attention_mask"].bool()


@pytest.fixture(scope="module")
def conditioner():
    return text.TextConditioner("cpu")


def test_world_captions_tokenise_like_the_pipeline(conditioner):
    """The per-word shortcut gives exactly the pipeline's ids, and clean_text leaves world captions alone."""
    import torch
    from diffusers.pipelines.prx.pipeline_prx import TextPreprocessor

    clean = TextPreprocessor().clean_text
    _, caps, _ = world.sample_batch(3000, 8, torch.Generator().manual_seed(5), "cpu")
    caps = list(dict.fromkeys(caps))
    assert len(caps) > 1000 and "" in caps and any("," in c for c in caps)
    for c in caps:
        assert clean(c) == c
        assert conditioner.token_ids(c) == conditioner.tokenizer(c, truncation=True, max_length=64)["input_ids"], c
    odd = "A  <b>LARGE</b> Star!! https://example.com " + "very " * 80
    assert conditioner.token_ids(odd) == conditioner.tokenizer(clean(odd), truncation=True, max_length=64)["input_ids"]


def test_text_conditioner_matches_pipeline_encoding(conditioner):
    import torch

    caps = ["a large orange star in the center on a teal background", "", "a star", "A Star, on TEAL!"]
    emb, mask = conditioner(caps)
    full, full_mask = _pipeline_states(conditioner, caps)
    n = emb.shape[1]
    assert emb.shape == (4, n, 384) and n == int(full_mask.sum(1).max())  # trimmed to the longest caption
    assert torch.equal(mask, full_mask[:, :n])
    assert not full_mask[:, n:].any()
    m = mask.unsqueeze(-1)
    assert torch.allclose(emb * m, full[:, :n] * m, atol=2e-3)
    assert torch.all(emb[~mask] == 0)
    again, again_mask = conditioner(list(reversed(caps)))  # now from the cache, in another order
    assert torch.equal(again, emb.flip(0)) and torch.equal(again_mask, mask.flip(0))


def test_text_conditioner_when_the_cache_is_full():
    import torch

    tc = text.TextConditioner("cpu", max_cache=2)
    caps = ["a red circle", "a blue ring on pink", "a star", "a red circle", "a green heart at the top"]
    emb, mask = tc(caps)
    assert len(tc.slots) == 2
    full, full_mask = _pipeline_states(tc, caps)
    n = emb.shape[1]
    assert torch.equal(mask, full_mask[:, :n])
    assert torch.allclose(emb * mask.unsqueeze(-1), full[:, :n] * mask.unsqueeze(-1), atol=2e-3)
    assert torch.equal(tc(caps)[0], emb)


def test_trimmed_text_gives_the_transformer_the_same_result(conditioner):
    """Training feeds text trimmed to the batch's longest caption; the pipeline pads to 64 tokens."""
    import torch

    model = networks.make_transformer(PRESETS["smoke"]).eval()
    caps = ["a large orange star in the center on a teal background", "", "a star"]
    emb, mask = conditioner(caps)
    full, full_mask = _pipeline_states(conditioner, caps)
    x = torch.randn(3, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    t = torch.tensor([0.2, 0.5, 0.9])
    with torch.no_grad():
        a = model(hidden_states=x, timestep=t, encoder_hidden_states=emb, attention_mask=mask)[0]
        b = model(hidden_states=x, timestep=t, encoder_hidden_states=full, attention_mask=full_mask)[0]
    assert torch.allclose(a, b, atol=1e-4)


def _train_model_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="noise2image train-model")
    commands.add_train_arguments(parser)
    return parser.parse_args(argv)


def test_train_model_options():
    args = _train_model_args([])
    assert (args.preset, args.out, args.seed, args.device) == ("cpu", TINY_PRX_DIR, 0, "auto")
    assert (args.no_resume, args.max_steps, args.max_minutes, args.eval) == (False, None, None, None)
    argv = "--preset gpu --out m --seed 3 --device cuda --no-resume --max-steps 9 --max-minutes 2.5 --eval 40"
    args = _train_model_args(argv.split())
    assert (args.preset, str(args.out), args.seed, args.device, args.no_resume) == ("gpu", "m", 3, "cuda", True)
    assert (args.max_steps, args.max_minutes, args.eval) == (9, 2.5, 40)


def test_train_model_run_with_eval(tmp_path, capsys, monkeypatch):
    """`run(args)`: a two-step smoke run, then `--eval` prints the table and adds it to the card and eval.json."""
    full = evaluate.evaluate  # a small evaluation
    small = {"guidances": (4.0,), "steps": 2, "step_counts": (1,), "n_seeds": 2, "saturation_guidances": (1.0,)}
    monkeypatch.setattr(evaluate, "evaluate", lambda pipe, **kw: full(pipe, **kw, **small))
    out = tmp_path / "tiny-prx"
    args = _train_model_args(f"--preset smoke --out {out} --device cpu --no-resume --max-steps 2 --eval 1".split())
    assert commands.train(args) == 0
    printed = capsys.readouterr()
    assert "[transformer] phase done: 2 steps" in printed.err
    table = printed.out.strip()
    assert "| 4.0 |" in table and table in (out / "model_card.md").read_text()
    assert json.loads((out / "eval.json").read_text())["n_prompts"] == 1
    assert json.loads((out / "training.json").read_text())["steps_done"] == 2


def test_a_resumed_run_counts_the_time_it_trained_before(smoke_model, tmp_path):
    """The time cap is for the whole run: a run resumed after it used up its minutes takes no more
    steps (its checkpoints hold the seconds trained), and the learning rate's clock goes on from there."""
    import torch

    from render.tiny_prx.loop import Deadline, seconds_in

    trained, meta, _ = smoke_model
    out = shutil.copytree(trained, tmp_path / "tiny-prx")
    checkpoint = out / "checkpoints" / "transformer.pt"
    assert seconds_in(checkpoint) > 0
    state = torch.load(checkpoint, weights_only=False)
    torch.save({**state, "seconds": 3600.0}, checkpoint)  # as if it had trained for an hour
    logs = []
    resumed = train.train_model(
        "smoke", out, seed=0, resume=True, log=logs.append, device="cpu", max_minutes=30.0,
        overrides={**SMOKE_TRAINING, "steps": SMOKE_STEPS + 50},
    )  # fmt: skip
    assert resumed["steps_done"] == SMOKE_STEPS
    assert resumed["stopped"] == "time cap"
    assert resumed["total_seconds"] >= 3600

    # 5 of 10 minutes spent: the cosine is half-way at the start of the resumed phase
    assert Deadline(10.0, spent=300.0).clock(before=300.0)() == pytest.approx(0.5, abs=0.01)
    assert Deadline(None).clock(before=300.0)() == 0.0


def test_time_shift_moves_the_training_noise_levels_and_the_sampler():
    """With `time_shift` the noise levels drawn for training move by log(shift) in logit space (more
    training at high noise), and the saved scheduler samples with the same shift."""
    import math
    from dataclasses import replace

    import torch
    from tiny_models import tiny_vae

    vae = tiny_vae()
    x = torch.rand(8, 3, 16, 16) * 2 - 1
    emb, mask = torch.zeros(8, 3, 384), torch.ones(8, 3, dtype=torch.bool)
    levels = {}

    def fake_transformer(hidden_states, timestep, **_):
        levels[shift] = timestep.clone()
        return (torch.zeros_like(hidden_states),)

    for shift in (1.0, 3.0):
        gen = torch.Generator().manual_seed(0)
        train.transformer_loss(fake_transformer, vae, x, emb, mask, gen, amp=False, time_shift=shift)
    logit = lambda s: torch.log(s / (1 - s))  # noqa: E731
    assert torch.allclose(logit(levels[3.0]) - logit(levels[1.0]), torch.full((8,), math.log(3.0)), atol=1e-4)

    for shift in (1.0, 3.0):
        assert networks.scheduler(replace(PRESETS["cpu"], time_shift=shift)).config.shift == shift


def test_tiny_vae_phase_ships_a_norm_free_vae_on_the_same_latents(smoke_model, tmp_path):
    """With `tiny_vae_steps` a run teaches an `AutoencoderTiny` the autoencoder's latent space and ships it as the
    pipeline's VAE, with the same latent normalisation, so the transformer samples for it unchanged."""
    from diffusers import AutoencoderTiny

    from render.tiny_prx.load import load_tiny_prx

    trained, meta, _ = smoke_model
    out = shutil.copytree(trained, tmp_path / "tiny-prx")
    logs = []
    taught = train.train_model(
        "smoke", out, seed=0, resume=True, log=logs.append, device="cpu",
        overrides={**SMOKE_TRAINING, "tiny_vae_steps": 3},
    )  # fmt: skip
    assert any("[tiny_vae] phase done: 3 steps" in line for line in logs)
    assert taught["steps_done"] == meta["steps_done"]  # the transformer: resumed at its end, no step more
    assert taught["tiny_vae_round_trip"].keys() == meta["vae_round_trip"].keys()
    config = json.loads((out / "vae" / "config.json").read_text())
    assert config["_class_name"] == "AutoencoderTiny"
    normalisation = (config["scaling_factor"], config["shift_factor"])
    assert normalisation == pytest.approx((meta["scaling_factor"], meta["shift_factor"]))
    pipe = load_tiny_prx(out)
    assert isinstance(pipe.vae, AutoencoderTiny) and not any("Norm" in type(m).__name__ for m in pipe.vae.modules())
    size = {"height": SMOKE_SIZE, "width": SMOKE_SIZE, "output_type": "np"}
    image = pipe("a red circle", num_inference_steps=2, use_resolution_binning=False, **size).images[0]
    assert image.shape == (SMOKE_SIZE, SMOKE_SIZE, 3)
    assert "AutoencoderTiny" in (out / "model_card.md").read_text()


def test_add_tiny_vae_gives_a_trained_folder_the_phase_once(smoke_model, tmp_path):
    trained, meta, _ = smoke_model
    out = shutil.copytree(trained, tmp_path / "tiny-prx")
    transformer = (out / "transformer" / "diffusion_pytorch_model.safetensors").read_bytes()
    added = train.add_tiny_vae(out, "smoke", log=lambda _: None, overrides={"tiny_vae_steps": 2})
    assert added["tiny_vae_steps_done"] == 2 and added["steps_done"] == meta["steps_done"]
    assert json.loads((out / "training.json").read_text())["tiny_vae_steps_done"] == 2
    assert json.loads((out / "vae" / "config.json").read_text())["_class_name"] == "AutoencoderTiny"
    assert (out / "transformer" / "diffusion_pytorch_model.safetensors").read_bytes() == transformer
    with pytest.raises(ValueError, match="has one already"):
        train.add_tiny_vae(out, "smoke", log=lambda _: None, overrides={"tiny_vae_steps": 2})


def test_blurred_noise_keeps_unit_variance_and_correlates_neighbours():
    import torch

    gen = torch.Generator().manual_seed(0)
    blurred = train._blurred_noise((8, 4, 32, 32), 0.8, gen, "cpu")
    white = train._blurred_noise((8, 4, 32, 32), 0.0, gen, "cpu")

    def lag1(x):
        return float((x[..., 1:] * x[..., :-1]).mean() / x.square().mean())

    assert float(blurred.std()) == pytest.approx(1.0, abs=0.05)
    assert lag1(blurred) > 0.35 and abs(lag1(white)) < 0.05


def test_captions_name_wrong_shapes_only_from_the_share_of_the_phase_the_preset_says(tmp_path, monkeypatch):
    """`wrong_shape_from` 0.5 of 12 steps: the first six batches' captions are all right, the last six are
    drawn with `wrong_shape_share` of them naming another shape; the card says so."""
    told_wrong = []
    sample = world.sample_batch_with_masks

    def recording(*args, **kwargs):
        told_wrong.append(args[5] if len(args) > 5 else kwargs.get("wrong_shape", 0.0))
        return sample(*args, **kwargs)

    monkeypatch.setattr(world, "sample_batch_with_masks", recording)
    settings = {**SMOKE_TRAINING, "wrong_shape_share": 0.4, "wrong_shape_from": 0.5}
    train.train_model("smoke", tmp_path, seed=0, resume=False, log=lambda _: None, device="cpu", overrides=settings)
    autoencoder, transformer = told_wrong[:-SMOKE_STEPS], told_wrong[-SMOKE_STEPS:]  # the phases in turn
    assert autoencoder and set(autoencoder) == {0.0}
    assert transformer == [0.0] * (SMOKE_STEPS // 2) + [0.4] * (SMOKE_STEPS // 2)
    card = (tmp_path / "model_card.md").read_text()
    assert "40% of the captions that name the object's colour or place name another shape" in card


def test_a_deadline_keeps_its_reserve_for_what_follows(monkeypatch):
    """The run's cap less a share kept for saving: 1% of 10 minutes leaves 594 s, after 300 s spent 294 s."""
    from render.tiny_prx import loop

    monkeypatch.setattr(loop.time, "monotonic", lambda: 1000.0)
    assert loop.Deadline(10.0, reserve=0.01).left() == pytest.approx(594.0)
    assert loop.Deadline(10.0, spent=300.0, reserve=0.01).left() == pytest.approx(294.0)
    assert loop.Deadline(10.0).left() == pytest.approx(600.0)
