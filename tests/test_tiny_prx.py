"""Loading the embedded model as a real PRXPipeline, offline.

The weights under test are the shared smoke training run (`smoke_model`, tests/conftest.py); the
last test checks the shipped weights in assets/models/tiny-prx.
"""

import argparse
import json

import pytest
import torch
from tiny_models import SMOKE_SIZE

from render.engine.sampling import sample_images
from render.paths import TINY_PRX_DIR
from render.tiny_prx import commands, reading
from render.tiny_prx import evaluate as model_eval
from render.tiny_prx.load import TinyPrxMissing, load_tiny_prx, native_size


@pytest.fixture(scope="module")
def smoke_pipe(smoke_model):
    return load_tiny_prx(smoke_model[0])


@pytest.fixture
def small_evaluation(monkeypatch):
    """The commands' wiring with a small evaluation: few guidances, steps and seeds."""
    full = model_eval.evaluate
    small = {"guidances": (1.0, 4.0), "steps": 2, "step_counts": (1, 2), "n_seeds": 2, "saturation_guidances": (1.0,)}
    monkeypatch.setattr(model_eval, "evaluate", lambda pipe, **kw: full(pipe, **kw, **small))


def test_missing_weights_error(tmp_path):
    with pytest.raises(TinyPrxMissing, match="noise2image train-model --preset cpu"):
        load_tiny_prx(tmp_path)


def test_load_and_generate_offline(smoke_model, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    from diffusers.pipelines.prx.pipeline_prx import PRXPipeline

    smoke_dir = smoke_model[0]
    pipe = load_tiny_prx(smoke_dir)
    assert isinstance(pipe, PRXPipeline)
    assert native_size(smoke_dir) == SMOKE_SIZE == pipe.default_sample_size
    assert pipe.tokenizer.model_max_length == 64
    g = torch.Generator().manual_seed(0)
    out = pipe(
        "a red circle on a blue background",
        guidance_scale=4.0,
        num_inference_steps=3,
        generator=g,
        use_resolution_binning=False,
        output_type="np",
    )
    assert out.images.shape == (1, SMOKE_SIZE, SMOKE_SIZE, 3)


def test_evaluation_samples_with_the_shared_loop(smoke_pipe):
    """Evaluation requests: the model's native size, no negative prompt; a seed gives one image."""
    requests = model_eval.evaluation_requests(smoke_pipe, ["a star"] * 3, [1, 1, 2], steps=3, guidance=4.0)
    assert {(r.width, r.height, r.negative_prompt) for r in requests} == {(SMOKE_SIZE, SMOKE_SIZE, "")}
    images, decoded = sample_images(smoke_pipe, requests, batch_size=2)
    assert images.shape == (3, SMOKE_SIZE, SMOKE_SIZE, 3) and decoded.shape == (3, 3, SMOKE_SIZE, SMOKE_SIZE)
    assert (images[0] == images[1]).all() and not (images[0] == images[2]).all()


def test_evaluate_runs(smoke_pipe):
    res = model_eval.evaluate(
        smoke_pipe,
        n_prompts=3,
        guidances=(1.0, 4.0),
        steps=2,
        step_counts=(1, 2),
        n_step_prompts=2,
        n_seeds=2,
        saturation_guidances=(1.0, 15.0),
        n_sat_prompts=2,
        log=lambda *_: None,
    )
    md = model_eval.to_markdown(res)
    assert "| 4.0 |" in md and set(res["accuracy"]["4.0"]) == set(model_eval.ATTRS)
    # at guidance 4, the breakdown per place: one row per place the prompts name
    places = {attrs["position"] for _, attrs in model_eval.detailed_prompts(3, 0)}
    assert set(res["by_position"]) == places and "At guidance 4, by position:" in md


def _shipped_model_trained() -> bool:
    d = TINY_PRX_DIR
    if not (d / "transformer" / "diffusion_pytorch_model.safetensors").exists():
        return False
    try:
        return json.loads((d / "training.json").read_text())["preset"]["name"] != "smoke"
    except (OSError, KeyError, ValueError):
        return True


@pytest.mark.slow
@pytest.mark.skipif(
    not _shipped_model_trained(),
    reason="no trained weights in assets/models/tiny-prx (missing, or only a smoke run; train them with "
    "`noise2image train-model --preset cpu`, or `noise2image train-model --preset gpu` on a GPU)",
)
def test_shipped_model_follows_background_colour():
    pipe = load_tiny_prx()
    prompt = "a large red circle in the center on a blue background"
    requests = model_eval.evaluation_requests(pipe, [prompt] * 4, [0, 1, 2, 3], steps=28, guidance=4.0)
    imgs, _ = sample_images(pipe, requests)
    for img in imgs:
        assert reading.read_image(img)["background"] == "blue"


@pytest.mark.skipif(not _shipped_model_trained(), reason="no trained weights in assets/models/tiny-prx")
def test_shipped_vae_round_trip_keeps_colours():
    """The ceiling row of the evaluation: the shipped VAE keeps backgrounds and object colours."""
    pipe = load_tiny_prx()
    acc = model_eval.vae_round_trip(pipe, model_eval.detailed_prompts(24, seed=1))
    assert acc["background"] >= 0.95 and acc["color"] >= 0.9 and acc["position"] >= 0.9


def test_eval_model_command(smoke_model, tmp_path, capsys, small_evaluation):
    from render import cli

    out = tmp_path / "eval.md"
    rc = cli.main(
        ["eval-model", "--model", str(smoke_model[0]), "--prompts", "2", "--device", "cpu", "--out", str(out)]
    )
    assert rc == 0
    table = out.read_text()
    assert "| 4.0 |" in table and "ceiling: the ground truth through the VAE" in table
    assert table.strip() in capsys.readouterr().out
    res = json.loads(out.with_suffix(".json").read_text())
    assert set(res["vae_round_trip"]) == set(model_eval.ATTRS) and res["n_prompts"] == 2


def _eval_model_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="noise2image eval-model")
    commands.add_eval_arguments(parser)
    return parser.parse_args(argv)


def test_eval_model_options(capsys):
    args = _eval_model_args([])
    assert (args.model, args.device, args.prompts, args.out) == (None, "auto", 200, None)
    with pytest.raises(SystemExit):
        _eval_model_args(["--prompts", "0"])
    assert "--prompts: must be at least 1" in capsys.readouterr().err


def test_eval_model_run(smoke_model, tmp_path, capsys, small_evaluation):
    """`run(args)` as the command line calls it: the table on stdout and in --out, the results beside it."""
    out = tmp_path / "results" / "eval.md"
    args = _eval_model_args(["--model", str(smoke_model[0]), "--prompts", "2", "--device", "cpu", "--out", str(out)])
    assert commands.evaluate(args) == 0
    table = out.read_text()
    printed = capsys.readouterr()
    assert table.strip() == printed.out.strip() and "VAE round trip" in printed.err
    res = json.loads(out.with_suffix(".json").read_text())
    assert res["n_prompts"] == 2 and set(res["accuracy"]) == {"1.0", "4.0"}


def test_the_readers_code_is_part_of_every_chapters_key():
    """Chapter facts are read with the model's reader: its code is in the analysis key (as the kind's is),
    so a changed reader measures the facts again instead of serving the old ones from the cache."""
    import inspect
    from pathlib import Path

    from render import keys
    from render.engine.models import BUILTIN_TINY_PRX, model_reader, model_reader_code

    files = model_reader_code(BUILTIN_TINY_PRX)
    reader_module = Path(inspect.getfile(type(model_reader(BUILTIN_TINY_PRX))))
    assert reader_module in files and all(f.is_file() for f in files)
    assert model_reader_code("some/hub-model") == []
    common = dict(kind="denoising", title="t", narration=[], params={}, roles={}, basis=None, model={},
                  runtime={}, theme="dark", credit=None, kind_code=[])  # fmt: skip
    assert keys.analysis_key(**common, reader_code=files) != keys.analysis_key(**common, reader_code=files[1:])


def test_model_credit_names_the_machine_of_each_sitting(tmp_path, monkeypatch):
    from render.engine import models

    meta = {"transformer_params": 9_351_040, "hardware": "AMD EPYC (2 threads)", "total_seconds": 6100.0}
    (tmp_path / "training.json").write_text(json.dumps(meta))
    monkeypatch.setattr(models, "TINY_PRX_DIR", tmp_path)
    assert models.model_credit("builtin:tiny-prx").endswith("on AMD EPYC (2 threads) in 102 minutes.")
    meta |= {"tiny_vae_hardware": "Intel Xeon (2 threads)", "tiny_vae_seconds": 438.0}
    (tmp_path / "training.json").write_text(json.dumps(meta))
    credit = models.model_credit("builtin:tiny-prx")
    assert credit.endswith("on AMD EPYC (2 threads) in 94 minutes and its VAE on Intel Xeon (2 threads) in 7.")
