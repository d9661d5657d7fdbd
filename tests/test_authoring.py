"""Writing a storyboard by hand: the JSON Schema editors check it against, `init`, `preview --watch`.

The schema is generated from the models `check` validates with, so it must accept every storyboard
`check` accepts and reject the bad corpus's structural mistakes; what it cannot say (unique ids,
NaN, fields that depend on each other, the machine) stays with `check`. The watch loop is driven
by the tests' own changes (a generator that edits the file, or a thread waiting on an Event),
never by sleeping.
"""

from __future__ import annotations

import copy
import json
import queue
import tempfile
import threading
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from test_storyboard_fuzz import DEFAULT, _mutate, mutation

from render.cli import main
from render.paths import REPO_ROOT
from render.scaffold import SCHEMA_BESIDE, init, schema_reference, storyboard_path
from render.storyboard import Defaults, ModelConfig, NarrationConfig, StoryboardError, VideoConfig, load_storyboard
from render.storyboard.json_schema import SCHEMA_FILE, schema_text, storyboard_json_schema
from render.storyboard.yaml_positions import compose, read_text
from render.watch import PreviewResult, file_changes, watch

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad_storyboards"
GOOD = [
    REPO_ROOT / "storyboard.yaml",
    *sorted((REPO_ROOT / "storyboards").glob("*.yaml")),
    *sorted((DATA / "good_storyboards").glob("*.yaml")),
]

# The bad corpus's files whose mistake is one of structure: a wrong type, an unknown key, a missing
# field, a number out of range, a value not in a list. The schema must reject each of them.
STRUCTURAL = [
    "03-top-level-list",  # the document must be a mapping
    "04-top-level-text",
    "09-misspelt-key-narraton",  # an unknown key (and narration missing)
    "10-kind-misspelt-denoisng",  # not one of the kinds
    "11-kind-unknown",
    "12-kind-missing",
    "14-chapter-id-with-spaces",  # the id's pattern
    "15-title-missing",
    "16-chapter-title-missing",
    "17-model-id-empty",
    "18-model-unknown-builtin",  # builtin: names only the embedded models
    "19-model-device-unknown",
    "20-empty-prompt",
    "21-blank-prompt",  # only spaces: not blank is a pattern
    "22-prompt-missing",
    "23-guidance-below-one",
    "24-chapter-guidance-zero",
    "26-guidance-as-bool",
    "27-steps-zero",
    "28-steps-a-million",
    "29-steps-as-text",
    "30-steps-as-float",
    "31-seed-negative",
    "32-seed-beyond-64-bits",
    "33-seeds-wrong-type",
    "34-seeds-not-a-list",
    "35-seeds-too-few",
    "36-seeds-repeated",  # uniqueItems
    "37-points-too-small",
    "39-group-with-one-prompt",
    "40-one-group",  # minProperties
    "41-embedding-method-unknown",
    "42-step-counts-out-of-range",
    "43-guidance-scales-below-one",
    "44-prompt-detail-too-many",
    "45-param-of-another-kind",  # a parameter the chapter's kind does not have
    "46-noise-samples-too-many",
    "47-unknown-quality",
    "48-unknown-theme",
    "49-negative-fps",
    "50-width-not-multiple-of-16",
    "51-bad-voice",  # the voice's pattern
    "52-narration-speed-zero",
    "53-empty-chapters-list",
    "54-chapters-missing",
    "55-chapters-a-mapping",
    "56-chapter-not-a-mapping",
    "57-narration-empty-list",
    "58-narration-empty-beat",
    "59-prompt-as-number",
    "60-unknown-top-level-key",
    "64-many-problems",
]
# Files that read as data but whose mistake no JSON Schema can state: `check` alone rejects them.
# (The rest of the corpus is not data at all: YAML syntax, tabs, duplicate keys, aliases, several
# documents, control characters, bytes that are not UTF-8, an empty file.)
BEYOND_SCHEMA = [
    "13-duplicate-chapter-id",  # unique across chapters: one value compared with the others'
    "25-guidance-nan",  # NaN does not exist in JSON, so no keyword excludes it
    "38-interpolation-same-prompts",  # from_prompt != to_prompt: two fields compared
]


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def as_data(path: Path):
    """The YAML as `check` reads it (YAML 1.2 numbers, keys as written), like an editor's YAML 1.2."""
    data, _ = compose(read_text(path, str(path)), str(path))
    return data


def errors(validator: Draft202012Validator, data) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message[:160]}" for e in validator.iter_errors(data)
    ]


# --- the schema ------------------------------------------------------------------------------------


def test_the_schema_file_is_the_commands_output(capsys, schema):
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    assert printed == SCHEMA_FILE.read_text(encoding="utf-8"), (
        "docs/storyboard.schema.json is stale: noise2image schema --out docs/storyboard.schema.json"
    )
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"] == "noise2image storyboard"


def test_schema_out_writes_the_file(tmp_path, capsys):
    out = tmp_path / "s.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == schema_text()
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("path", GOOD, ids=[p.name for p in GOOD])
def test_the_schema_accepts_every_good_storyboard(validator, path):
    load_storyboard(path)  # check accepts it ...
    assert errors(validator, as_data(path)) == []  # ... and so does the schema


@pytest.mark.parametrize("name", STRUCTURAL)
def test_the_schema_rejects_structural_mistakes(validator, name):
    path = BAD / f"{name}.yaml"
    with pytest.raises(StoryboardError):
        load_storyboard(path)
    assert errors(validator, as_data(path)), f"the schema accepts {name}"


@pytest.mark.parametrize("name", BEYOND_SCHEMA)
def test_what_only_check_rejects(validator, name):
    path = BAD / f"{name}.yaml"
    with pytest.raises(StoryboardError):
        load_storyboard(path)
    assert errors(validator, as_data(path)) == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutation, min_size=1, max_size=4))
def test_the_schema_never_rejects_what_check_accepts(validator, mutations):
    """Editors must not mark a storyboard that `check` takes: on mutations of the default one."""
    document = copy.deepcopy(DEFAULT)
    for how, path, new_value, new_name in mutations:
        try:
            _mutate(document, how, path, new_value, new_name)
        except (KeyError, IndexError, TypeError):
            continue
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "storyboard.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
        try:
            load_storyboard(path)
        except StoryboardError:
            return
        assert errors(validator, as_data(path)) == []


def test_every_listed_case_exists():
    names = STRUCTURAL + BEYOND_SCHEMA
    assert len(set(names)) == len(names)
    for name in names:
        assert (BAD / f"{name}.yaml").is_file(), name


def test_the_kinds_examples_are_valid(validator, schema):
    chapters = [example for entry in schema["$defs"].values() for example in entry.get("examples", [])]
    assert len(chapters) == len(schema["properties"]["chapters"]["items"]["oneOf"])
    assert errors(validator, {"title": "All kinds", "chapters": chapters}) == []


def test_narration_shapes(validator):
    def chapter(narration) -> dict:
        chapter = {"id": "a", "kind": "denoising", "title": "A", "prompt": "a star", "narration": narration}
        return {"title": "T", "chapters": [chapter]}

    for good in ("One beat.", ["One.", "Two."], ["One.", {"say": "Two {steps}.", "claims": ["starts_from_noise"]}]):
        assert errors(validator, chapter(good)) == [], good
    for bad in ("", "  ", [], [""], [{"claims": ["x"]}], [{"say": "x", "claim": ["x"]}], [{"say": "x", "claims": "x"}],
                [{"say": "x", "claims": ["Not A Name"]}], [3]):  # fmt: skip
        assert errors(validator, chapter(bad)), bad


def test_model_ids(validator):
    def story(model_id: str) -> dict:
        chapter = {"id": "a", "kind": "summary", "title": "A", "narration": "x", "prompt": "a star"}
        return {"title": "T", "model": {"id": model_id}, "chapters": [chapter]}

    for good in ("builtin:tiny-prx", "Photoroom/prx-256-t2i-sft", "/models/my pipeline"):
        assert errors(validator, story(good)) == [], good
    for bad in ("builtin:tiny", " padded", "padded ", ""):
        assert errors(validator, story(bad)), bad


def test_chapter_help_names_the_kinds_facts_and_claims(schema):
    from render.kinds import KINDS

    for kind in KINDS.values():
        entry = schema["$defs"][kind.chapter.__name__]
        assert all(name in entry["description"] for name in [*kind.facts, *kind.claims]), kind.name
        assert entry["properties"]["kind"]["description"].startswith(f"{kind.name}: ")


def test_a_kind_registered_from_outside_is_in_the_schema(caption_kind):
    from render.kinds import KINDS

    schema = storyboard_json_schema(KINDS)
    assert "CaptionChapter" in schema["$defs"]
    story = {"title": "T", "chapters": [{"id": "c", "kind": "caption", "title": "C", "narration": "x", "prompt": "p"}]}
    assert errors(Draft202012Validator(schema), story) == []


# --- init ------------------------------------------------------------------------------------------


def test_init_outside_the_repository_writes_the_schema_beside(tmp_path, monkeypatch, capsys, validator):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "my-lecture"]) == 0
    path = tmp_path / "my-lecture.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_BESIDE}"
    assert (tmp_path / SCHEMA_BESIDE).read_text(encoding="utf-8") == schema_text()
    assert "noise2image check my-lecture.yaml" in text and "noise2image preview my-lecture.yaml --watch" in text
    capsys.readouterr()

    assert main(["check", "my-lecture.yaml"]) == 0, capsys.readouterr().err
    # valid, and without a warning (a prompt too long, or with words the embedded model does not know)
    assert capsys.readouterr().err.splitlines() == ["my-lecture.yaml: valid (3 chapters, model builtin:tiny-prx)"]
    assert errors(validator, as_data(path)) == []

    storyboard = load_storyboard(path)
    assert storyboard.title == "My lecture"
    assert (storyboard.model, storyboard.defaults, storyboard.video, storyboard.narration) == (
        ModelConfig(),
        Defaults(),
        VideoConfig(),
        NarrationConfig(),
    ), "the scaffold's sections are the defaults"
    assert [c.kind for c in storyboard.chapters] == ["denoising", "seed_comparison", "guidance_comparison"]
    for chapter in storyboard.chapters:
        assert sum("{" in beat for beat in chapter.beats) == 1, chapter.id
        assert len(chapter.stated_claims()) == 1, chapter.id


def test_init_never_overwrites(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "talk.yaml").write_text("mine\n")
    assert main(["init", "talk.yaml"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["init", "talk"]) == 2  # .yaml added: the same file
    assert (tmp_path / "talk.yaml").read_text() == "mine\n"
    assert not (tmp_path / SCHEMA_BESIDE).exists()
    assert main(["init", "no-such-folder/talk"]) == 2
    assert "no folder" in capsys.readouterr().err


def test_init_inside_the_repository_points_at_docs():
    assert schema_reference(REPO_ROOT / "storyboards" / "new.yaml") == ("../docs/storyboard.schema.json", False)
    assert schema_reference(REPO_ROOT / "new.yaml") == ("docs/storyboard.schema.json", False)
    assert schema_reference(REPO_ROOT / "my talks" / "new.yaml") == ("../docs/storyboard.schema.json", False)
    assert storyboard_path("a.yml") == Path("a.yml") and storyboard_path("a") == Path("a.yaml")


def test_init_title_that_needs_quotes(tmp_path):
    path = init(str(tmp_path / "part 1: noise"))
    assert load_storyboard(path).title == "Part 1: noise"


# --- preview --watch ---------------------------------------------------------------------------------

VALID = "title: T\nchapters:\n  - {id: a, kind: summary, title: A, narration: x, prompt: a star}\n"


class FakePreview:
    """A rebuild that validates the storyboard for real and renders nothing; records each build."""

    def __init__(self, path: Path):
        self.path = path
        self.built: list[str] = []
        self.done = threading.Event()

    def __call__(self) -> PreviewResult:
        storyboard = load_storyboard(self.path)
        self.built.append(self.path.read_text())
        self.done.set()
        return PreviewResult(self.path.parent / "preview.png", len(storyboard.chapters), 1, 0.0)


def test_watch_rebuilds_after_each_save_and_survives_an_invalid_one(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(VALID)
    rebuild, said = FakePreview(path), []

    def saves():  # each edit is made after the build before it has finished
        path.write_text(VALID.replace("prompt: a star", "prompt: ''"))
        yield
        path.write_text(VALID.replace("a star", "a ring"))
        yield
        path.write_text(VALID.replace("a star", "a ring"))  # saved again, unchanged
        yield

    watch(path, rebuild, threading.Event(), saves(), say=said.append)
    assert rebuild.built == [VALID, VALID.replace("a star", "a ring")]
    text = "\n".join(said)
    assert text.count("preview ready: ") == 2
    assert f"preview ready: {tmp_path / 'preview.png'} (1 chapter, 1 redone, 0.0 s)" in text
    assert "chapters[0].prompt" in text and "save the storyboard again once it is fixed" in text
    assert "saved without changes" in said[-1]


def test_watch_stops_when_told(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(VALID)
    rebuild, stop = FakePreview(path), threading.Event()

    def saves():
        stop.set()
        yield
        raise AssertionError("watch asked for another change after stop")

    watch(path, rebuild, stop, saves(), say=lambda _: None)
    assert len(rebuild.built) == 1


def test_file_changes_sees_a_save_in_place_and_a_rename_over(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(VALID)
    stop, built = threading.Event(), queue.Queue()

    def rebuild() -> PreviewResult:
        built.put(path.read_text())
        return PreviewResult(tmp_path / "preview.png", 1, 0, 0.0)

    changes = file_changes(path, stop, interval=0.02)
    thread = threading.Thread(target=watch, args=(path, rebuild, stop, changes), kwargs={"say": lambda _: None})
    thread.start()
    try:
        assert built.get(timeout=30) == VALID
        path.write_text(VALID + "# edited in place\n")
        assert built.get(timeout=30).endswith("# edited in place\n")
        new = tmp_path / ".s.yaml.tmp"  # how many editors save: a new file renamed over the old one
        new.write_text(VALID + "# renamed over\n")
        new.replace(path)
        assert built.get(timeout=30).endswith("# renamed over\n")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_preview_watch_on_the_command_line(tmp_path, monkeypatch, capsys):
    import render.run
    import render.watch

    path = tmp_path / "s.yaml"
    path.write_text(VALID)
    monkeypatch.setattr(render.run, "make_preview", lambda *a, **k: PreviewResult(tmp_path / "preview.png", 1, 0, 2.0))
    monkeypatch.setattr(render.watch, "file_changes", lambda *a, **k: iter([]))  # no saves: one build, then done
    assert main(["preview", str(path), "--watch"]) == 0
    err = capsys.readouterr().err
    assert f"preview ready: {tmp_path / 'preview.png'} (1 chapter, 0 redone, 2.0 s)" in err

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(render.run, "make_preview", interrupted)
    assert main(["preview", str(path), "--watch"]) == 130
    assert "interrupted" in capsys.readouterr().err


@pytest.mark.slow
def test_watch_with_a_real_preview_of_an_invalid_then_valid_storyboard(tmp_path, monkeypatch):
    """One tiny chapter (a random 32 px PRX folder, espeak, low quality) previewed for real."""
    from helpers_video import TWO_CHAPTERS, save_tiny_prx, storyboard_data

    from render.engine.cache import CACHE_ENV
    from render.run import make_preview

    monkeypatch.delenv(CACHE_ENV, raising=False)
    model = save_tiny_prx(tmp_path / "tiny-prx")
    good = yaml.safe_dump(storyboard_data(model, TWO_CHAPTERS[:1], steps=2, quality="low", fps=10), sort_keys=False)
    path = tmp_path / "story.yaml"
    path.write_text(good.replace("steps: 2", "steps: 0"))
    said: list[str] = []

    def saves():
        path.write_text(good)
        yield

    def rebuild() -> PreviewResult:
        return make_preview(path, cache=str(tmp_path / "cache"), out=tmp_path / "out", jobs=1)

    watch(path, rebuild, threading.Event(), saves(), say=said.append)
    text = "\n".join(said)
    assert "defaults.steps" in text and "not rebuilt" in text
    assert f"preview ready: {tmp_path / 'out' / 'preview.png'} (1 chapter, 1 redone, " in text
    assert (tmp_path / "out" / "preview.png").is_file()
