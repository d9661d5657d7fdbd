"""Every cache key and output path of a render, computed here and nowhere else.

A stored output is named by a key that hashes what decides its bytes (canonical JSON, sorted keys)
plus the code that makes it, under a readable prefix: `{slug}-{key[:10]}`. The session
(render/session.py) gathers each key's inputs from the storyboard and the plan; the functions below
say what is hashed, so this module reads as the table in docs/architecture.md ("Keys: why a
chapter is redone"). The real run and `--dry-run` call the same functions.

Standard library only (and render/paths.py): the engine, the speech services and the stages all
import it, so it imports none of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from render.paths import FONT_DIR, REPO_ROOT, SCENES_DIR

if TYPE_CHECKING:
    from render.engine.requests import GenerationRequest

# Bump when the bundle's contents or the sampling loop change meaning, so old bundles are not reused.
# 2: only the steps and predictions that chapters show are decoded (`Shown`); every network is
#    called in fixed-size chunks (batch-invariant).
# 3: `previews` shows each state as its decoded prediction mixed with its noise made visible (noise
#    is never decoded by the VAE); the predictions are what is decoded.
TRAJECTORY_FORMAT = 3

NARRATION_FORMAT = 1
"""Bump when the speech normaliser or the WAV layout changes, so old narration beats are not reused."""

CACHE_ENV = "NOISE2IMAGE_CACHE"

# ---- the code each key hashes ---------------------------------------------------------------------

RENDER_DIR = REPO_ROOT / "render"
CHAPTER_DATA_CODE = RENDER_DIR / "chapter_data.py"
# The scene modules every scene imports (through common.py): a change to any of them changes every clip.
SHARED_SCENES = ("camera.py", "common.py", "look.py", "snapshot.py", "texts.py", "widgets.py")
SCENE_CODE = (*(SCENES_DIR / name for name in SHARED_SCENES), CHAPTER_DATA_CODE, FONT_DIR)
PREVIEW_CODE = RENDER_DIR / "stages" / "preview.py"
ASSEMBLY_CODE = RENDER_DIR / "stages" / "assemble.py"
# Code that decides every web figure folder's bytes, besides the kind's own build function.
FIGURE_CODE = (RENDER_DIR / "stages" / "web.py", RENDER_DIR / "web" / "figure.py")


# ---- hashing --------------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the text that cache keys hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_key(value: Any) -> str:
    """sha256 hex digest of the canonical JSON of `value`."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def slugify(text: str, limit: int = 40) -> str:
    """A file-name-safe readable prefix for cache folders."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "item"


def code_version(paths: Iterable[Path | str]) -> str:
    """A hash of source files and folders (relative paths and bytes): outputs of other code get other keys."""
    h = hashlib.sha256()
    for entry in paths:
        entry = Path(entry) if Path(entry).is_absolute() else REPO_ROOT / entry
        files = sorted(entry.rglob("*")) if entry.is_dir() else [entry]
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                name = path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else path.name
                h.update(name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


# ---- where the cache and the outputs are ------------------------------------------------------------


def default_cache_dir(storyboard_path: Path, flag: str | None = None) -> Path:
    """The cache root: the `--cache` flag, else $NOISE2IMAGE_CACHE, else build/cache beside the storyboard."""
    if flag:
        return Path(flag).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(storyboard_path).resolve().parent / "build" / "cache"


def default_out_dir(storyboard_path: Path) -> Path:
    """The output folder: build/<storyboard name> beside the storyboard."""
    return Path(storyboard_path).resolve().parent / "build" / Path(storyboard_path).stem


# ---- generation: cache/trajectories/ ----------------------------------------------------------------


def request_key(request: GenerationRequest, model: dict[str, Any], runtime: dict[str, str]) -> str:
    """A trajectory: the request (prompt or embedding mix, negative prompt, seed, steps, guidance, size), the
    model's identity (its id and weights' hash), where it runs (`runtime`: the device class and the dtype
    actually used, which change the numbers) and the bundle format."""
    return content_key(
        {"request": request.model_dump(mode="json"), "model": model, "runtime": runtime, "format": TRAJECTORY_FORMAT}
    )


def trajectory_folder_name(request: GenerationRequest, key: str) -> str:
    """`{slug}-s{seed}-{key[:10]}`, readable in a directory listing."""
    label = request.prompt if request.embedding is None else f"mix-{request.embedding.from_prompt}"
    return f"{slugify(label or 'empty')}-s{request.seed}-{key[:10]}"


def trajectory_folder(cache_root: Path, folder_name: str) -> Path:
    """A trajectory bundle: cache/trajectories/{folder name}."""
    return Path(cache_root) / "trajectories" / folder_name


def embedding_path(cache_root: Path, model: dict[str, Any], runtime: dict[str, str], prompt: str) -> Path:
    """A pooled prompt embedding (embedding maps): cache/embeddings/{key[:24]}.npy; the key hashes the model,
    where it runs and the prompt."""
    key = content_key({"model": model, "runtime": runtime, "prompt": prompt})
    return Path(cache_root) / "embeddings" / f"{key[:24]}.npy"


# ---- narration: cache/narration/ --------------------------------------------------------------------


def narration_key(text: str, voice: str, speed: float, sentence_silence: float, sample_rate: int, engine: str) -> str:
    """A narration beat: the text, voice, speed, sentence silence, sample rate and the engine's version (with
    its voice file's hash). The timeline's pause is not in it: it only spaces beats, it changes no audio.

    Hashed as `json.dumps` with its default separators (not `canonical_json`): the format narration keys have
    always had, so existing caches stay valid."""
    payload = {
        "text": text,
        "voice": voice,
        "speed": speed,
        "sentence_silence": sentence_silence,
        "sample_rate": sample_rate,
        "engine": engine,
        "format": NARRATION_FORMAT,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def beat_slug(text: str) -> str:
    """A short file-name prefix made of the text's first words."""
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", text).lower())
    return "-".join(words)[:32].strip("-") or "beat"


def narration_wav(narration_dir: Path, text: str, key: str) -> Path:
    """A beat's WAV: cache/narration/{slug}-{key[:10]}.wav."""
    return Path(narration_dir) / f"{beat_slug(text)}-{key[:10]}.wav"


# ---- analysis: cache/chapters/ ----------------------------------------------------------------------


def analysis_key(
    *,
    kind: str,
    title: str,
    narration: list[dict[str, Any]],
    params: dict[str, Any],
    roles: dict[str, list[str]],
    basis: list[str] | None,
    model: dict[str, Any],
    runtime: dict[str, str],
    theme: str,
    credit: str | None,
    kind_code: Iterable[Path],
    reader_code: Iterable[Path] = (),
) -> str:
    """A chapter data bundle: the kind, title, narration, parameters, its trajectories' keys (and the shared
    PCA basis's), the model and where it runs (prompt embeddings), the theme, the credit, and the code of the
    kind's modules, of the model's reader (facts are read with it) and chapter_data.py."""
    return content_key(
        {
            "kind": kind,
            "title": title,
            "narration": narration,
            "params": params,
            "roles": roles,
            "basis": basis,
            "model": model,
            "runtime": runtime,
            "theme": theme,
            "credit": credit,
            "code": code_version([*kind_code, *reader_code, CHAPTER_DATA_CODE]),
        }
    )


def chapter_data_folder(cache_root: Path, chapter_id: str, key: str) -> Path:
    """A chapter data bundle: cache/chapters/{id}-{key[:12]}."""
    return Path(cache_root) / "chapters" / f"{chapter_id}-{key[:12]}"


# ---- clips and previews: cache/clips/, cache/previews/ ----------------------------------------------


def scene_version(scene_file: Path) -> str:
    """A hash of the code that draws a chapter: its scene, the shared scene modules, chapter_data.py, the fonts."""
    return code_version([*SCENE_CODE, scene_file])


def clip_parts(
    data_folder: Path,
    timing: dict[str, Any],
    quality: str,
    fps: int,
    scenes: str,
    manim: str,
    encoder: dict[str, str],
):
    """What a chapter clip's key hashes: its chapter data folder, its timing, the quality and frame rate, the
    scene's code (`scene_version`), Manim's version and its encoder options (recorded in the manifest, so
    `--dry-run` can say which one changed)."""
    return {
        "data": Path(data_folder).name,
        "timing": content_key(timing),
        "quality": quality,
        "fps": fps,
        "scenes": scenes,
        "manim": manim,
        "encoder": encoder,
    }


def clip_path(cache_root: Path, chapter_id: str, parts: dict[str, Any]) -> Path:
    """A silent chapter clip: cache/clips/{id}-{key[:12]}.mp4 (its timing.json beside it)."""
    return Path(cache_root) / "clips" / f"{chapter_id}-{content_key(parts)[:12]}.mp4"


def clip_timing_path(clip: Path) -> Path:
    """The timing.json a clip was rendered to, beside it."""
    return Path(clip).with_suffix(".timing.json")


def preview_parts(clip_parts: dict[str, Any]) -> dict[str, Any]:
    """What a chapter preview's key hashes: its clip's inputs and the preview stage's code."""
    return {**clip_parts, "preview": code_version([PREVIEW_CODE])}


def preview_folder(cache_root: Path, chapter_id: str, parts: dict[str, Any]) -> Path:
    """The last frame of each beat and beats.json: cache/previews/{id}-{key[:12]}/."""
    return Path(cache_root) / "previews" / f"{chapter_id}-{content_key(parts)[:12]}"


# ---- the output folder: build/<name>/ ---------------------------------------------------------------


def assembly_key(title: str, clip_names: list[str], timings: list[dict[str, Any]], subtitle_track: bool) -> str:
    """The assembled video: the title, the clips (their names hold their keys), their timings, whether the
    files carry a subtitle track, the assembly code."""
    return content_key(
        {
            "title": title,
            "subtitle_track": subtitle_track,
            "clips": clip_names,
            "timelines": timings,
            "code": code_version([ASSEMBLY_CODE]),
        }
    )


def out_lock_name(out: Path) -> str:
    """The cache lock that serialises assemblies (and pages) into one output folder."""
    return "assemble-" + content_key(str(Path(out).resolve()))[:16]


def chapter_stem(index: int, chapter_id: str) -> str:
    """`NN-id`, numbered from 01: how a chapter's files are named in chapters/, slides/ and web/clips/."""
    return f"{index + 1:02d}-{chapter_id}"


def manifest_path(out: Path) -> Path:
    return Path(out) / "manifest.json"


def video_path(out: Path) -> Path:
    return Path(out) / "video.mp4"


def narrated_clip_path(out: Path, index: int, chapter_id: str) -> Path:
    """A chapter's narrated clip, as assembly writes it: build/<name>/chapters/NN-id.mp4 (NN-id.srt beside it)."""
    return Path(out) / "chapters" / f"{chapter_stem(index, chapter_id)}.mp4"


def slides_dir(out: Path) -> Path:
    return Path(out) / "slides"


def web_dir(out: Path) -> Path:
    return Path(out) / "web"


def preview_sheet_path(out: Path) -> Path:
    """The contact sheet: build/<name>/preview.png (its frames in build/<name>/preview/)."""
    return Path(out) / "preview.png"


def preview_frames_dir(out: Path) -> Path:
    return Path(out) / "preview"


# ---- the web page: build/<name>/web/ ----------------------------------------------------------------


def figure_version(build_file: Path) -> str:
    """A hash of the code that writes a figure folder: the web stage, sprites, the kind's build function."""
    return code_version([*FIGURE_CODE, build_file])


def figure_folder_name(data_folder: Path, build_file: Path) -> str:
    """`{chapter data folder}-{figure code version[:8]}`: a new name when either changes."""
    return f"{Path(data_folder).name}-{figure_version(build_file)[:8]}"
