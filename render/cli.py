"""The `noise2image` command. Each subcommand is one stage (or all of them, `render`).

Exit codes (every failure is a message on stderr, without a traceback):

    0    done
    1    a run-time failure: what was asked for exists but could not be made (a model that does not
         load, a folder that cannot be written, ffmpeg or a scene failing); `verify`: a claim fails
    2    a usage error: the command asked for something wrong or missing: a bad option or value
         (argparse), an unknown chapter id in `--chapters`, `--executor ray` without Ray installed,
         a storyboard that is invalid or names what this machine lacks (`check` lists every problem)
    130  interrupted (Ctrl-C); finished work is kept in the cache
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from render.errors import UserFacingError
from render.executors import EXECUTORS, RAY_MISSING, open_executor, ray_installed
from render.progress import available_cores, say
from render.storyboard.schema import QUALITY_PRESETS


def _version() -> str:
    """The installed package's version (its metadata), for `--version` and the manifest."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("noise2image")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _at_least(minimum: int):
    """An argparse type: a whole number of at least `minimum`; anything else is a usage error (exit 2)."""

    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return whole_number


def build_parser() -> argparse.ArgumentParser:
    from render.tiny_prx import commands

    parser = argparse.ArgumentParser(
        prog="noise2image",
        description="Render a narrated explainer video of how text-to-image diffusion works, from storyboard.yaml.",
    )
    parser.add_argument("--version", action="version", version=f"noise2image {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def storyboard_command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("storyboard", type=Path, help="the storyboard file (YAML)")
        p.add_argument("--cache", help="cache folder (default: $NOISE2IMAGE_CACHE, else build/cache beside it)")
        return p

    def executor_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--executor",
            choices=EXECUTORS,
            default="local",
            help="where generation, clips and encodes run: this machine (default) or a Ray cluster",
        )
        p.add_argument("--ray-address", help="the Ray cluster to join with --executor ray (default: $RAY_ADDRESS; "
                       "without either, a local Ray instance is started and stopped)")  # fmt: skip

    sub.add_parser("kinds", help="the chapter kinds: parameters, phases, facts, claims, examples (Markdown)",
                   description="Print the reference of every chapter kind (docs/kinds.md is this output).")  # fmt: skip
    storyboard_command("check", "validate a storyboard without loading the model")
    help = "print the storyboard's JSON Schema, for editors (docs/storyboard.schema.json is this output)"
    s = sub.add_parser("schema", help=help, description=help)
    s.add_argument("--out", type=Path, metavar="FILE", help="write it to this file instead")
    help = "start a new storyboard: the editor modeline, the defaults and three chapters to edit"
    i = sub.add_parser("init", help=help, description=help)
    i.add_argument("name", help="the new file, e.g. my-lecture or my-lecture.yaml (never overwritten)")
    storyboard_command("plan", "list the generation requests and which chapters use them")
    g = storyboard_command("generate", "record every planned trajectory that is not in the cache")
    executor_options(g)
    g.add_argument("--batch-size", type=_at_least(1), help="requests per batch (default: 16 on CPU, 32 on CUDA)")

    c = storyboard_command("verify", "check every claim the narration states against what the model made")
    c.add_argument("--chapters", help="comma-separated chapter ids (default: all)")
    c.add_argument("--strict", action="store_true", help="also fail on claims that cannot be checked")
    executor_options(c)

    r = storyboard_command("render", "make the video: generate, analyse, narrate, render chapters, assemble")
    r.add_argument("--chapters", help="comma-separated chapter ids to render (default: all)")
    r.add_argument("--quality", choices=list(QUALITY_PRESETS), help="overrides video.quality")
    r.add_argument("--jobs", type=_at_least(1), default=available_cores(),
                   help="clips rendered in parallel (default: cores)")  # fmt: skip
    r.add_argument("--out", type=Path, help="output folder (default: build/<storyboard name> beside it)")
    r.add_argument("--dry-run", action="store_true", help="say what would be redone and why, do nothing")
    r.add_argument("--slides", action="store_true", help="also export clips for slides (see `export`)")
    r.add_argument("--batch-size", type=_at_least(1), help="requests per generation batch")
    r.add_argument("--web", action="store_true", help="also write the interactive web page (see `export --web`)")
    r.add_argument("--no-clips", action="store_true", help="with --web: leave the narrated clips out (a light page)")
    r.add_argument("--strict", action="store_true",
                   help="stop before rendering clips if a stated claim fails or cannot be checked")  # fmt: skip
    r.add_argument("--no-subtitle-track", action="store_true",
                   help="no soft subtitle track in video.mp4 and the chapter clips (.srt, .vtt are made)")  # fmt: skip
    executor_options(r)

    v = storyboard_command("preview", "the last frame of every beat and a contact sheet (preview.png), no video")
    v.add_argument("--chapters", help="comma-separated chapter ids (default: all)")
    v.add_argument("--quality", choices=list(QUALITY_PRESETS), help="overrides video.quality")
    v.add_argument("--jobs", type=_at_least(1), default=available_cores(), help="worker processes (default: cores)")
    v.add_argument("--out", type=Path, help="output folder (default: build/<storyboard name> beside it)")
    v.add_argument("--watch", action="store_true",
                   help="then make it again each time the storyboard is saved (Ctrl-C stops)")  # fmt: skip

    e = storyboard_command("export", "export slide clips (MP4, WebM, GIF, poster PNG) and a PowerPoint deck")
    e.add_argument("--out", type=Path, help="output folder (default: build/<storyboard name> beside it)")
    e.add_argument("--width", type=_at_least(16), help="width of the slide clips in pixels (default: the video's)")
    e.add_argument("--fps", type=_at_least(1), help="frame rate of the slide clips (default: the video's)")
    e.add_argument("--no-audio", action="store_true", help="slide clips without narration")
    e.add_argument("--no-deck", action="store_true", help="skip the PowerPoint deck")
    e.add_argument("--web", action="store_true", help="instead of slides: the interactive web page, in <out>/web/")
    e.add_argument("--no-clips", action="store_true", help="with --web: leave the narrated clips out (a light page)")
    executor_options(e)

    help = "train the embedded model builtin:tiny-prx"
    commands.add_train_arguments(sub.add_parser("train-model", help=help, description=help))
    help = "measure the embedded model's behaviour (prints a table)"
    commands.add_eval_arguments(sub.add_parser("eval-model", help=help, description=help))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "no_clips", False) and not args.web:
        parser.error("--no-clips goes with --web (it leaves the clips out of the web page)")
    if getattr(args, "ray_address", None) and args.executor != "ray":
        parser.error("--ray-address needs --executor ray")
    if getattr(args, "executor", "local") == "ray" and not ray_installed():
        say(f"noise2image: {RAY_MISSING}")
        return 2
    # Quiet library loading: no per-file "Loading weights" bars (read when transformers is imported).
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        return _main(args)
    except KeyboardInterrupt:  # the stage that was running has said what it finished
        say("noise2image: interrupted; finished work is kept in the cache, run the same command to resume")
        return 130


def _main(args) -> int:
    from render.engine.models import ModelError
    from render.storyboard import StoryboardError

    try:
        return _run(args)
    except StoryboardError as e:
        say(str(e))
        return 2
    except UserFacingError as e:  # a UsageError (an unknown chapter id) is 2, a run-time failure 1
        say(f"noise2image: {e}")
        return e.exit_code
    except ModelError as e:
        say(f"noise2image: {e}")
        return 1
    except OSError as e:
        if e.filename:
            say(f"noise2image: {e.strerror or e}: {e.filename}")
            return 1
        raise


def _run(args) -> int:
    from render.tiny_prx import commands

    if args.command == "train-model":
        return commands.train(args)
    if args.command == "eval-model":
        return commands.evaluate(args)
    if args.command == "kinds":
        from render.kinds import KINDS
        from render.kinds.reference import kinds_reference

        print(kinds_reference(KINDS), end="")
        return 0
    if args.command == "schema":
        return _schema(args.out)
    if args.command == "init":
        from render.scaffold import init

        path = shlex.quote(str(init(args.name)))
        say(f"{path}: written; next: noise2image check {path}, then noise2image preview {path} --watch")
        return 0
    from render import run  # after the model commands: the GPU image that trains has no scikit-learn

    if args.command == "check":
        run.check(args.storyboard)
    elif args.command == "plan":
        print(run.plan_text(args.storyboard, cache=args.cache))
    elif args.command == "preview":  # on this machine: its workers are local processes
        chapters = args.chapters.split(",") if args.chapters else None
        run.preview(args.storyboard, cache=args.cache, out=args.out, chapters=chapters, quality=args.quality,
                    jobs=max(1, args.jobs), watch=args.watch)  # fmt: skip
    else:  # the commands that do the heavy work, on this machine or a Ray cluster
        with open_executor(args.executor, address=args.ray_address, cpus=getattr(args, "jobs", None)) as executor:
            return _run_stages(args, run, executor)
    return 0


def _schema(out: Path | None) -> int:
    """The JSON Schema on stdout, or written to `out`."""
    from render.media.files import atomic_write
    from render.storyboard.json_schema import schema_text

    text = schema_text()
    if out is None:
        sys.stdout.write(text)
    else:
        atomic_write(out, text)
        say(f"{out}: the storyboard's JSON Schema")
    return 0


def _run_stages(args, run, executor) -> int:
    if args.command == "verify":
        chapters = args.chapters.split(",") if args.chapters else None
        return run.verify(args.storyboard, cache=args.cache, chapters=chapters, strict=args.strict, executor=executor)
    if args.command == "generate":
        session = run.open_session(args.storyboard, args.cache, executor=executor)
        run.generate(session, batch_size=args.batch_size, executor=executor)
    elif args.command == "render":
        options = run.RenderOptions(
            cache=args.cache,
            out=args.out,
            chapters=tuple(args.chapters.split(",")) if args.chapters else None,
            quality=args.quality,
            jobs=max(1, args.jobs),
            dry_run=args.dry_run,
            slides=args.slides,
            batch_size=args.batch_size,
            web=args.web,
            web_clips=not args.no_clips,
            strict=args.strict,
            subtitle_track=not args.no_subtitle_track,
        )
        run.render(args.storyboard, options, executor)
    elif args.command == "export" and args.web:
        run.export_web(args.storyboard, cache=args.cache, out=args.out, clips=not args.no_clips)
    elif args.command == "export":
        run.export(args.storyboard, cache=args.cache, out=args.out, width=args.width, fps=args.fps,
                   audio=not args.no_audio, deck=not args.no_deck, executor=executor)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
