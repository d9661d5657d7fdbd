"""Property tests: whatever the file holds, load_storyboard returns a Storyboard or raises
StoryboardError whose problems all carry a position; nothing else escapes."""

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.stages.plan import settings_for
from render.storyboard import Storyboard, StoryboardError, load_storyboard

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((ROOT / "storyboard.yaml").read_text())
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _check(content: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "storyboard.yaml"
        path.write_bytes(content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content)
        try:
            result = load_storyboard(path)
        except StoryboardError as error:
            assert error.problems
            text = str(error)
            for problem in error.problems:
                assert problem.line >= 1 and problem.column >= 1
                assert problem.field and problem.message
                assert str(problem) in text
        else:
            assert isinstance(result, Storyboard)
            for chapter in result.chapters:
                settings = settings_for(result, chapter, 16, 16)
                assert isinstance(settings.seed, int) and isinstance(settings.negative_prompt, str)


# --- random text -----------------------------------------------------------------------------------

YAML_CHARS = st.sampled_from(list(":-[]{},#&*!|>'\"%@`?\t\n ") + ["  ", "\n  ", "\n- ", "---\n"])
yaml_ish_text = st.lists(
    st.one_of(YAML_CHARS, st.text(max_size=8), st.sampled_from(["title", "chapters", "kind", "id", "1e3"])),
    max_size=40,
).map("".join)


@FUZZ
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200), yaml_ish_text))
def test_random_text(content):
    _check(content)


# --- random YAML documents ---------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
keys = st.one_of(st.sampled_from(["title", "chapters", "kind", "id", "prompt", "seeds", "model"]), st.text(max_size=8))
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=5)),
    max_leaves=30,
)


@FUZZ
@given(documents)
def test_random_yaml_documents(document):
    _check(yaml.safe_dump(document, allow_unicode=True))


# --- mutations of the default storyboard --------------------------------------------------------------


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


ALL_PATHS = _paths(DEFAULT)
replacements = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(keys, scalars, max_size=2))
mutation = st.tuples(
    st.sampled_from(["delete", "retype", "rename"]),
    st.sampled_from(ALL_PATHS),
    replacements,
    st.text(min_size=1, max_size=10),
)


def _mutate(document: Any, how: str, path: tuple, new_value: Any, new_name: str) -> None:
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "delete":
        del parent[last]
    elif how == "retype":
        parent[last] = new_value
    elif isinstance(parent, dict):
        parent[new_name] = parent.pop(last)
    else:
        parent[last] = {new_name: parent[last]}


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutations_of_default_storyboard(mutations):
    document = copy.deepcopy(DEFAULT)
    for how, path, new_value, new_name in mutations:
        try:
            _mutate(document, how, path, new_value, new_name)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    _check(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
