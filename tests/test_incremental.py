"""Edit and render again: only what an edit touches is redone (issue 6).

One render of a two-chapter storyboard (tiny PRX folder at 32 px, espeak narration, low quality,
10 fps) is made once for the module; each test copies its project, storyboard, cache and output
(mtimes kept), edits the storyboard copy, renders through the command line and reads back which
files were written: the cached clips, narration WAVs and trajectories are compared by inode and
mtime, so "not re-rendered" means the very same file.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers_video import ffprobe_json, run_cli, save_tiny_prx, snapshot, storyboard_data, write_storyboard

from render.engine.cache import CACHE_ENV

pytestmark = pytest.mark.slow

FPS = 10  # fixed in the storyboard, so a quality change keeps the frame count and only the size changes
EDITED = "Each seed ends in a picture of its own."


@dataclass
class Project:
    storyboard: Path
    data: dict
    cache: Path
    out: Path

    def write(self, data: dict) -> None:
        self.data = data
        write_storyboard(self.storyboard, data)

    def render(self, *extra: object) -> str:
        code, log = run_cli("render", self.storyboard, "--cache", self.cache, "--out", self.out, "--jobs", "2", *extra)
        assert code == 0 and "Traceback" not in log, log
        return log

    def manifest(self) -> dict:
        return json.loads((self.out / "manifest.json").read_text())

    def clip(self, chapter_id: str) -> Path:
        return Path(self.manifest()["chapters"][chapter_id]["clip"])


def rendered_chapters(log: str) -> list[str]:
    """The chapters a render says it rendered ("render: [k/n] ID: ...")."""
    return re.findall(r"^render: \[\d+/\d+\] (\S+):", log, flags=re.M)


@pytest.fixture(autouse=True)
def no_cache_env(monkeypatch):
    monkeypatch.delenv(CACHE_ENV, raising=False)


@pytest.fixture(scope="module")
def first_render(tmp_path_factory) -> Project:
    root = tmp_path_factory.mktemp("incremental")
    model = save_tiny_prx(root / "tiny-prx")
    project = Project(root / "project" / "story.yaml", {}, root / "cache", root / "out")
    project.write(storyboard_data(model, steps=3, quality="low", fps=FPS, voice="espeak:en-us"))
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(CACHE_ENV, raising=False)
        log = project.render()
    assert sorted(rendered_chapters(log)) == ["denoise", "seeds"], log
    return project


@pytest.fixture
def project(first_render, tmp_path) -> Project:
    """A copy of the first render's storyboard, cache and output (file mtimes kept) to edit."""
    copied = Project(tmp_path / "project" / "story.yaml", copy.deepcopy(first_render.data),
                     tmp_path / "cache", tmp_path / "out")  # fmt: skip
    shutil.copytree(first_render.storyboard.parent, copied.storyboard.parent)
    shutil.copytree(first_render.cache, copied.cache)
    shutil.copytree(first_render.out, copied.out)
    # The manifest names clips by absolute path: point it at the copied cache.
    manifest = copied.out / "manifest.json"
    manifest.write_text(manifest.read_text().replace(str(first_render.cache), str(copied.cache)))
    return copied


def test_a_fully_cached_render_imports_no_heavy_library(first_render):
    """Nothing to make: no model, no scene, so neither torch, transformers, diffusers nor Manim is imported."""
    from test_startup import heavy_imports

    argv = ["render", first_render.storyboard, "--cache", first_render.cache, "--out", first_render.out, "--jobs", 2]
    assert heavy_imports(*argv) == []


def edit_sentence(project: Project) -> dict:
    data = copy.deepcopy(project.data)
    data["chapters"][1]["narration"][1] = EDITED
    return data


def test_a_narration_edit_respeaks_that_beat_and_rerenders_only_that_chapter(project):
    denoise_clip, seeds_clip = project.clip("denoise"), project.clip("seeds")
    clips, narration = snapshot(project.cache / "clips"), snapshot(project.cache / "narration")
    trajectories, data = snapshot(project.cache / "trajectories"), snapshot(project.cache / "chapters")
    video_before = snapshot(project.out)["video.mp4"]

    project.write(edit_sentence(project))
    log = project.render()

    # One new WAV (the edited beat); every other beat's WAV is the same file.
    after = snapshot(project.cache / "narration")
    new = sorted(set(after) - set(narration))
    assert len(new) == 1 and new[0].startswith("each-seed-ends-in-a-picture"), new
    assert {k: after[k] for k in narration} == narration
    # Only `seeds` was rendered; `denoise`'s clip is the very same file, and still the one used.
    assert rendered_chapters(log) == ["seeds"], log
    assert "render: 1 chapter clip to render" in log
    clips_after = snapshot(project.cache / "clips")
    assert clips_after[denoise_clip.name] == clips[denoise_clip.name]
    assert project.clip("denoise") == denoise_clip and project.clip("seeds") != seeds_clip
    assert project.clip("seeds").is_file()
    # No generation; the edited chapter's data bundle (which carries its narration) is made again, alone.
    assert "no model work" in log and re.findall(r"^analyse: \[\d+/\d+\] (\S+)", log, flags=re.M) == ["seeds"], log
    assert snapshot(project.cache / "trajectories") == trajectories
    chapters_after = snapshot(project.cache / "chapters")
    assert {k: v for k, v in chapters_after.items() if k.startswith("denoise-")} == {
        k: v for k, v in data.items() if k.startswith("denoise-")
    }
    # Re-assembled: a new video whose subtitles say the new sentence.
    assert re.search(r"^assemble: [\d.]+ s of video in", log, flags=re.M), log
    assert snapshot(project.out)["video.mp4"] != video_before
    assert EDITED in (project.out / "video.srt").read_text(encoding="utf-8")
    assert EDITED in (project.out / "chapters" / "02-seeds.srt").read_text(encoding="utf-8")


def test_a_render_with_nothing_changed_renders_no_clip_and_says_the_video_is_up_to_date(project):
    before = {name: snapshot(project.cache / name) for name in ("clips", "narration", "trajectories", "chapters")}
    out_before = snapshot(project.out)
    log = project.render()
    assert rendered_chapters(log) == [] and "to render at" not in log, log
    assert "the video is up to date" in log and "no model work" in log
    assert {name: snapshot(project.cache / name) for name in before} == before
    changed = {k for k in out_before if snapshot(project.out).get(k) != out_before[k]}
    assert changed <= {"manifest.json"}, changed


def test_no_subtitle_track_only_reassembles_and_leaves_the_track_out(project):
    clips = snapshot(project.cache / "clips")
    log = project.render("--no-subtitle-track")
    assert rendered_chapters(log) == [] and re.search(r"^assemble: [\d.]+ s of video in", log, flags=re.M), log
    assert snapshot(project.cache / "clips") == clips
    for path in [project.out / "video.mp4", *sorted((project.out / "chapters").glob("*.mp4"))]:
        kinds = [s["codec_type"] for s in ffprobe_json(path, "-show_streams")["streams"]]
        assert kinds.count("video") == kinds.count("audio") == 1 and "subtitle" not in kinds, (path, kinds)
    assert (project.out / "video.srt").is_file() and (project.out / "chapters" / "01-denoise.srt").is_file()


def test_changing_the_quality_rerenders_the_clips_but_generates_nothing(project):
    narration, trajectories = snapshot(project.cache / "narration"), snapshot(project.cache / "trajectories")
    data = snapshot(project.cache / "chapters")
    log = project.render("--quality", "medium")
    assert "no model work" in log and "loading" not in log and "analyse:" not in log, log
    assert re.search(r"^render: \d chapter clips? to render at medium quality", log, flags=re.M), log
    assert sorted(rendered_chapters(log)) == ["denoise", "seeds"]
    assert snapshot(project.cache / "narration") == narration
    assert snapshot(project.cache / "trajectories") == trajectories
    assert snapshot(project.cache / "chapters") == data
    video = ffprobe_json(project.out / "video.mp4", "-show_streams")["streams"][0]
    assert (video["width"], video["height"]) == (1280, 720)
    assert project.manifest()["quality"] == "medium"


def test_reordering_the_chapters_generates_nothing_and_remakes_only_the_clips_the_credit_moves_between(project):
    """The video ends with the credit, drawn at the end of the last chapter's clip: a new order moves it
    from the old last chapter (seeds) to the new one (denoise). Nothing else is made again."""
    clips = snapshot(project.cache / "clips")
    data = copy.deepcopy(project.data)
    data["chapters"].reverse()
    project.write(data)
    log = project.render()
    assert "no model work" in log and "loading" not in log, log
    assert sorted(rendered_chapters(log)) == ["denoise", "seeds"], log
    assert re.search(r"^assemble: [\d.]+ s of video in", log, flags=re.M), log
    assert set(clips) < set(snapshot(project.cache / "clips"))  # the clips of the old order are kept
    data["chapters"].reverse()  # and back: every clip is in the cache
    project.write(data)
    log = project.render()
    assert rendered_chapters(log) == [] and "to render at" not in log, log
    chapters = ffprobe_json(project.out / "video.mp4", "-show_chapters")["chapters"]
    assert [c["tags"]["title"] for c in chapters] == [c["title"] for c in data["chapters"]]


def test_reordering_leaves_no_chapter_clips_of_the_old_order(project):
    data = copy.deepcopy(project.data)
    data["chapters"].reverse()
    project.write(data)
    project.render()
    assert sorted(p.name for p in (project.out / "chapters").iterdir()) == [
        "01-seeds.mp4", "01-seeds.srt", "02-denoise.mp4", "02-denoise.srt"
    ]  # fmt: skip


def test_dry_run_after_an_edit_names_the_chapter_and_the_reason_and_changes_nothing(project):
    before = {name: snapshot(project.cache / name) for name in ("clips", "narration", "trajectories", "chapters")}
    out_before = snapshot(project.out)
    project.write(edit_sentence(project))
    log = project.render("--dry-run")
    assert "render: seeds: 1 narration beat new or edited" in log, log
    assert re.search(r"^render: denoise: up to date", log, flags=re.M), log
    assert "1 of 2 chapters would be re-rendered" in log
    assert "generate: 0 of 3 trajectories to make" in log
    assert {name: snapshot(project.cache / name) for name in before} == before
    assert snapshot(project.out) == out_before


def test_dry_run_after_a_quality_change_gives_the_old_and_new_quality(project):
    log = project.render("--dry-run", "--quality", "medium")
    for chapter in ("denoise", "seeds"):
        assert f"render: {chapter}: quality low@{FPS} -> medium@{FPS}" in log, log
    assert "2 of 2 chapters would be re-rendered" in log


def test_dry_run_after_an_encoder_change_names_it(project):
    """A clip made with other encoder options (or another Manim) is made again, and --dry-run says why."""
    manifest_path = project.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for chapter in manifest["chapters"].values():
        chapter["key_parts"]["encoder"] = {"x264-params": "mbtree=1"}  # as an older noise2image made them
    manifest_path.write_text(json.dumps(manifest))
    for clip in (project.cache / "clips").glob("*.mp4"):  # their keys named other options
        clip.unlink()
    log = project.render("--dry-run")
    for chapter in ("denoise", "seeds"):
        assert re.search(rf"^render: {chapter}: Manim or its encoder settings changed$", log, flags=re.M), log
    assert "2 of 2 chapters would be re-rendered" in log


def test_dry_run_after_a_reorder_says_the_video_will_be_reassembled(project):
    data = copy.deepcopy(project.data)
    data["chapters"].reverse()
    project.write(data)
    log = project.render("--dry-run")
    assert "nothing to redo" not in log and "assembl" in log, log


def test_a_scene_edited_during_a_render_moves_no_clip_key_and_its_clip_is_refused(tmp_path, monkeypatch):
    """The scene code is hashed once per session (the clips stage and the assembly name the same clips),
    and a clip this machine drew with code that changed meanwhile stops the run with what to do."""
    import socket

    from render import keys
    from render.errors import UserFacingError
    from render.session import open_session
    from render.stages.clips import ClipMade, _check_drawn_here

    session = open_session(Path(__file__).parent.parent / "storyboard.yaml", str(tmp_path / "cache"))
    chapter = session.plan.chapters[0]
    before = session.scene_version(chapter)
    assert before == keys.scene_version(chapter.kind.scene.file)
    monkeypatch.setattr(keys, "scene_version", lambda scene_file: "edited-meanwhile")
    assert session.scene_version(chapter) == before
    made = ClipMade(b"", "edited-meanwhile", "0.19", 1.0, socket.gethostname())
    with pytest.raises(UserFacingError, match="scene code changed while this render ran"):
        _check_drawn_here(made, chapter, before, "0.19")
    _check_drawn_here(ClipMade(b"", before, "0.19", 1.0, socket.gethostname()), chapter, before, "0.19")


def test_every_scene_module_a_kind_does_not_own_is_part_of_every_clips_key():
    """A shared scene module (camera, look, widgets, ...) changes every clip's pixels it can: each one is
    hashed into every scene version, so editing it draws every clip again."""
    from render import keys
    from render.kinds import KINDS

    owned = {kind.scene.file.name for kind in KINDS.values()}
    shared = {p.name for p in keys.SCENES_DIR.glob("*.py")} - owned - {"__init__.py"}
    assert shared == set(keys.SHARED_SCENES)


def test_a_chapter_drawn_in_the_shared_latent_basis_chosen_alone_plans_what_the_basis_is_fitted_on(tmp_path):
    """`--chapters latent-space` (render, preview, verify) keeps the requests of every chapter the shared
    PCA basis is fitted on (the seed comparison's too), so the basis is the same as in a whole render; a
    chapter not drawn in it keeps its own requests alone."""
    from render.session import open_session

    storyboard = Path(__file__).parent.parent / "storyboard.yaml"
    session = open_session(storyboard, str(tmp_path / "cache"))
    drawn = [c.id for c in session.plan.chapters if c.kind.uses_latent_basis]
    assert len(drawn) >= 2
    session.plan.only({drawn[0]})
    assert set(session.basis_keys()) <= set(session.plan.requests)
    other = next(c for c in session.plan.chapters if not c.kind.uses_latent_basis)
    own = {key for role_keys in other.roles.values() for key in role_keys}
    assert set(open_session(storyboard, str(tmp_path / "cache")).plan.subset({other.id}).requests) == own
