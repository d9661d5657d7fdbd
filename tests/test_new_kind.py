"""A chapter kind is one engine module and one scene module: a kind defined outside the package renders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_video import media_duration, run_cli, save_tiny_prx, storyboard_data, write_storyboard

from render.storyboard import StoryboardError, load_storyboard

CHAPTER = {
    "id": "caption",
    "kind": "caption",
    "title": "A caption",
    "prompt": "a red circle",
    "narration": ["An image and its words.", "The words sit under the picture."],
}


def test_unregistered_kind_is_an_unknown_kind(tmp_path):
    path = write_storyboard(tmp_path / "sb.yaml", storyboard_data(tmp_path / "model", [CHAPTER]))
    with pytest.raises(StoryboardError, match="unknown chapter kind 'caption'"):
        load_storyboard(path)


def test_registered_kind_validates_like_the_others(caption_kind, tmp_path):
    bad = {**CHAPTER, "prompt": "", "colour": "red"}
    path = write_storyboard(tmp_path / "sb.yaml", storyboard_data(tmp_path / "model", [bad]))
    with pytest.raises(StoryboardError) as error:
        load_storyboard(path)
    text = str(error.value)
    assert "chapters[0].prompt: the text '' is empty" in text
    assert "unknown field 'colour'" in text and "Allowed here: id, kind, title, narration, prompt" in text


@pytest.mark.slow
def test_kind_outside_the_package_renders(caption_kind, tmp_path):
    model = save_tiny_prx(tmp_path / "model")
    narration = ["A red circle, in {words} words.", {"say": "It says so below.", "claims": ["short_caption"]}]
    chapters = [
        {**CHAPTER, "narration": narration},
        {**CHAPTER, "id": "denoise", "kind": "denoising", "title": "Denoising"},
    ]
    storyboard = write_storyboard(tmp_path / "sb.yaml", storyboard_data(model, chapters, voice="none"))
    code, log = run_cli("render", storyboard, "--out", tmp_path / "out", "--jobs", "1")
    assert code == 0, log
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    entry = manifest["chapters"]["caption"]
    assert entry["kind"] == "caption"
    info = json.loads((Path(entry["data"]) / "chapter.json").read_text())
    assert info["prompt"] == "a red circle"
    assert info["narration"] == ["A red circle, in three words.", "It says so below."]  # {words} filled in
    assert info["facts"]["words"] == {"value": 3, "words": "three"}
    assert [c["status"] for c in info["claims"]] == ["holds"]
    assert media_duration(tmp_path / "out" / "chapters" / "01-caption.mp4") == pytest.approx(
        entry["timeline"]["total"], abs=0.1
    )
    assert (tmp_path / "out" / "video.mp4").is_file()
