"""`noise2image train-model` and `eval-model`: their options, and what each runs.

Kept free of torch at import time, so that `noise2image --help` and the other commands start fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from render.paths import TINY_PRX_DIR
from render.tiny_prx.presets import PRESETS


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _say(message: str) -> None:
    """Progress goes to stderr: stdout carries only the results table."""
    print(message, file=sys.stderr, flush=True)


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `noise2image eval-model`."""
    parser.add_argument(
        "--model", type=Path, default=None, help="tiny-prx model folder (default: the shipped assets/models/tiny-prx)"
    )
    parser.add_argument(
        "--device", default="auto", help="cuda, mps or cpu; auto (default) takes the first of those available"
    )
    parser.add_argument(
        "--prompts", type=positive_int, default=200, help="number of detailed prompts to score (default: 200)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="also write the table to this Markdown file, and the results as JSON beside it (same name, .json)",
    )


def evaluate(args: argparse.Namespace) -> int:
    """`noise2image eval-model`: evaluate a model folder, print the table, write it to `--out`."""
    from render.engine.models import resolve_device
    from render.tiny_prx.evaluate import evaluate_folder, to_markdown

    device = resolve_device(args.device, say=_say)
    results = evaluate_folder(args.model, device=device, n_prompts=args.prompts, log=_say)
    table = to_markdown(results)
    print(table)
    if args.out is not None:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(table + "\n")
        out.with_suffix(".json").write_text(json.dumps(results, indent=1))
    return 0


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `noise2image train-model`."""
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="cpu",
        help="cpu (default): 64 px, at most 90 minutes on 2 cores; gpu: 128 px, 7 minutes on one H100/H200; "
        "smoke: a toy run for tests",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=TINY_PRX_DIR,
        help="model folder to write (default: the shipped assets/models/tiny-prx)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights, scenes and noise (default: 0)")
    parser.add_argument(
        "--device",
        default="auto",
        help="cuda or cpu (any torch device); auto (default): CUDA when available, else the CPU",
    )
    parser.add_argument(
        "--no-resume", action="store_true", help="start from scratch, ignoring the checkpoints in OUT/checkpoints"
    )
    parser.add_argument("--max-steps", type=positive_int, default=None, help="cap both phases' steps (for trial runs)")
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        help="wall-clock cap for both phases together (default: the preset's; none for smoke)",
    )
    parser.add_argument(
        "--eval",
        type=positive_int,
        default=None,
        metavar="N",
        help="after training, evaluate on N prompts: print the table, add it to the model card, write OUT/eval.json",
    )


def train(args: argparse.Namespace) -> int:
    """`noise2image train-model`: train a preset into `--out`, then with `--eval N` evaluate it."""
    from render.tiny_prx.card import write_card
    from render.tiny_prx.devices import default_device
    from render.tiny_prx.train import train_model

    device = None if args.device == "auto" else args.device
    out = Path(args.out)
    meta = train_model(
        args.preset,
        out,
        seed=args.seed,
        resume=not args.no_resume,
        log=_say,
        device=device,
        max_steps=args.max_steps,
        max_minutes=args.max_minutes,
    )
    if args.eval:
        from render.tiny_prx.evaluate import evaluate_folder, to_markdown

        results = evaluate_folder(out, device=device or default_device(), n_prompts=args.eval, seed=args.seed, log=_say)
        table = to_markdown(results)
        print(table)
        write_card(out, meta, table)
        (out / "eval.json").write_text(json.dumps(results, indent=1))
    return 0
