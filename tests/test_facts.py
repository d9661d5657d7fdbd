"""Facts and claims: the words they make, each kind's facts on small data with known answers, and
the checks on what a storyboard's narration names."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import base_params, chapter_and_settings, make_trajectory

from render.engine.decoding import state_pictures
from render.engine.requests import GenerationRequest
from render.kinds import KINDS, measures
from render.kinds.base import AnalysisContext, Kind, ModelInfo
from render.kinds.denoising import settled_from
from render.kinds.facts import (
    Claim,
    Fact,
    as_facts,
    check_claims,
    count_of,
    fill,
    in_words,
    number_words,
    placeholders,
    verification_seeds,
)
from render.kinds.prompt_length import appears_from
from render.kinds.step_comparison import settle_index
from render.storyboard import StoryboardError, load_storyboard

# ---- words -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "words"),
    [(8, "eight"), (28, "twenty-eight"), (1.5, "one and a half"), (2.98, "about three"), (3.3, "three point three")],
)
def test_numbers_are_spoken(x, words):
    assert number_words(x) == words


def test_counts_and_placeholders():
    assert count_of(8, 8) == "all eight" and count_of(2, 2) == "both" and count_of(3, 8) == "three of the eight"
    assert placeholders("from {settle_steps} steps, {{not}} {this}") == ["settle_steps", "this"]
    facts = {"settle_steps": Fact.of(8), "this": Fact.of("that")}
    assert fill("from about {settle_steps} steps; {{braces}} stay", facts) == "from about eight steps; {braces} stay"
    assert in_words(29592) == "twenty-nine thousand five hundred ninety-two"


def test_claims_hold_fail_or_cannot_be_checked():
    claims = {
        "all": Claim("every one", "share", lambda v: v == 1.0, "= 1"),
        "more": Claim("more than one", "count", lambda v: v > 1, "> 1"),
    }
    facts = as_facts({"share": 0.75, "count": None})
    results = check_claims([(2, "all"), (3, "more")], claims, facts)
    assert [(r.beat, r.status, r.value) for r in results] == [(3, "fails", 0.75), (4, "cannot check", None)]


def test_verification_seeds_are_fixed_and_avoid_the_chapters_own():
    seeds = verification_seeds("seed_comparison")
    assert len(seeds) == 8 and len(set(seeds)) == 8 and seeds == verification_seeds("seed_comparison")
    assert not set(verification_seeds("seed_comparison", avoid=seeds[:3])) & set(seeds[:3])


# ---- measures --------------------------------------------------------------------------------------


def test_static_has_no_neighbour_correlation_and_smooth_pictures_have_much():
    rng = np.random.default_rng(0)
    static = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    ramp = np.broadcast_to(np.linspace(0, 255, 64)[None, :, None], (64, 64, 3)).astype(np.uint8)
    blotchy = np.kron(rng.integers(0, 256, (4, 4, 3)), np.ones((16, 16, 1))).astype(np.uint8)
    assert abs(measures.neighbour_correlation(static)) < 0.1
    assert measures.neighbour_correlation(ramp) > 0.9 and measures.neighbour_correlation(blotchy) > 0.8
    assert measures.edge_energy(static) > 5 * measures.edge_energy(blotchy)


def test_the_first_state_picture_is_static_and_the_last_the_image():
    rng = np.random.default_rng(1)
    steps, latent = 4, rng.standard_normal((4, 8, 8)).astype(np.float32)
    sigmas = np.linspace(1, 0, steps + 1).astype(np.float32)
    clean = np.zeros_like(latent)
    states = np.stack([s * latent + (1 - s) * clean for s in sigmas])
    predictions = np.stack([clean] * steps)
    decoded = np.full((steps, 32, 32, 3), 128, np.uint8)  # the VAE's smooth picture of the prediction
    final = np.full((32, 32, 3), 77, np.uint8)
    import torch

    pictures = state_pictures(torch.from_numpy(states), torch.from_numpy(predictions), sigmas, decoded, final)
    assert pictures.shape == (steps + 1, 32, 32, 3) and np.array_equal(pictures[-1], final)
    # step 0 is the noise itself: one colour per 4x4 block of pixels, spread over the whole range
    assert abs(measures.neighbour_correlation(pictures[0], lag=4)) < 0.35
    assert pictures[0].min() < 40 and pictures[0].max() > 215
    assert measures.edge_energy(pictures[1]) > measures.edge_energy(pictures[3])  # the noise fades


def test_attribute_variety_counts_the_choices_left_open():
    same = [{"shape": "star", "color": "red"}] * 3
    varied = [{"shape": "star", "color": c} for c in ("red", "blue", "green")]
    assert measures.attribute_variety(same, ("shape", "color")) == 0.0
    assert measures.attribute_variety(varied, ("shape", "color")) == 0.5


# ---- each kind's facts on data with known answers ---------------------------------------------------


def test_settling_steps_are_where_every_later_run_is_close():
    assert settle_index([0.3, 0.1, 0.03, 0.02, 0.0]) == 2
    assert settle_index([0.3, 0.01, 0.2, 0.0]) == 3  # a later run far off: not settled before it
    assert settled_from([1.0, 0.5, 0.2, 0.1, 0.0]) == 3  # 1-based step from which it stays within 25%


def test_an_attribute_appears_from_the_prefix_that_keeps_it():
    readings = [{"shape": s} for s in ("circle", "star", "ring", "star", "star")]
    assert appears_from(readings, "shape", "star") == 3
    assert appears_from(readings[:3], "shape", "star") is None


def chapter_and_settings_for(kind: str, **params):
    return chapter_and_settings(kind, base_params(**params))


def measured_facts(kind_name: str, params: dict) -> dict:
    """A kind's facts measured on the fake generator's runs (the drawn seeds' included), without a reader."""
    kind = KINDS[kind_name]
    chapter, settings = chapter_and_settings(kind_name, params)
    requests = kind.requests(chapter, settings) | kind.verify_requests(chapter, settings, [101, 102])
    runs = {role: [make_trajectory(r) for r in reqs] for role, reqs in requests.items()}
    context = _context(runs, None) if runs else AnalysisContext(ModelInfo(16, 16, 2, 4, 4), None)
    from conftest import fake_encode

    context.encode = fake_encode
    info, arrays = kind.analyse(chapter, settings, runs, context)
    return as_facts(kind.measure(chapter, settings, runs, context, info, arrays))


class ImageReader:
    """A reader that sees what a table says each image (by its bytes) shows."""

    def __init__(self, seen: dict[bytes, dict]):
        self.seen = seen

    def read(self, image):
        return self.seen.get(np.asarray(image).tobytes(), {"shape": None})

    def asked(self, prompt):
        return {"shape": prompt.split()[-1]}


def _context(runs, reader):
    first = next(t for ts in runs.values() for t in ts)
    from render.kinds.latent_basis import fit_latent_basis

    all_runs = [t for ts in runs.values() for t in ts]
    return AnalysisContext(ModelInfo.from_trajectory(first), fit_latent_basis(all_runs), reader=reader)


def test_a_general_claim_true_on_the_shown_seeds_fails_on_the_drawn_ones(fake_trajectory):
    kind = KINDS["seed_comparison"]
    chapter, settings = chapter_and_settings_for("seed_comparison", prompt="a star", seeds=[1, 2, 3])
    requests = kind.requests(chapter, settings)
    requests |= kind.verify_requests(chapter, settings, verification_seeds(kind.name, avoid=[1, 2, 3]))
    runs = {role: [fake_trajectory(r) for r in reqs] for role, reqs in requests.items()}
    shown = {t.image.tobytes(): {"shape": "star"} for t in runs["seeds"]}
    context = _context(runs, ImageReader(shown))
    info, arrays = kind.analyse(chapter, settings, runs, context)
    facts = as_facts(kind.measure(chapter, settings, runs, context, info, arrays))
    assert facts["showing_prompt"].words == "all three"  # every image the chapter shows is a star ...
    (result,) = check_claims([(2, "every_image_shows_prompt")], kind.claims, facts)
    assert result.status == "fails" and result.value == pytest.approx(3 / 11)  # ... but not the drawn seeds'
    assert kind.claims["every_image_shows_prompt"].general

    everything = {t.image.tobytes(): {"shape": "star"} for ts in runs.values() for t in ts}
    context = _context(runs, ImageReader(everything))
    facts = as_facts(kind.measure(chapter, settings, runs, context, info, arrays))
    assert check_claims([(2, "every_image_shows_prompt")], kind.claims, facts)[0].status == "holds"
    assert facts["same_seed_identical"].value is True  # the fake generator repeats a request exactly


def test_a_shape_that_comes_and_goes_is_told_apart_from_one_that_stays(fake_trajectory):
    kind = KINDS["prompt_length"]
    chapter, settings = chapter_and_settings_for("prompt_length", prompt="a red star on the left star")
    runs = {role: [fake_trajectory(r) for r in reqs] for role, reqs in kind.requests(chapter, settings).items()}
    images = [t.image.tobytes() for t in runs["prefixes"]]

    def facts_when(shapes):
        context = _context(runs, ImageReader({b: {"shape": s} for b, s in zip(images, shapes, strict=True)}))
        info, arrays = kind.analyse(chapter, settings, runs, context)
        return as_facts(kind.measure(chapter, settings, runs, context, info, arrays))

    # a, red, star, on, the, left, star: a star at "star", gone at "the" and "left", back at the last word
    wavers = facts_when([None, None, "star", "star", None, "circle", "star"])
    assert (wavers["shape_first"].value, wavers["shape_from"].value) == ("star", "star")
    assert wavers["shape_wavers"].value is True
    assert check_claims([(0, "shape_comes_and_goes")], kind.claims, wavers)[0].status == "holds"
    stays = facts_when([None, None, "star", "star", "star", "star", "star"])
    assert stays["shape_wavers"].value is False and stays["shape_with_its_word"].value is True
    assert check_claims([(0, "shape_comes_and_goes")], kind.claims, stays)[0].status == "fails"
    never = facts_when([None] * 7)
    assert never["shape_first"].value == "never" and never["shape_wavers"].value is False


def test_without_a_reader_the_facts_that_need_one_cannot_be_checked(fake_trajectory):
    kind = KINDS["seed_comparison"]
    chapter, settings = chapter_and_settings_for("seed_comparison", prompt="a star", seeds=[1, 2])
    runs = {role: [fake_trajectory(r) for r in reqs] for role, reqs in kind.requests(chapter, settings).items()}
    context = _context(runs, None)
    info, arrays = kind.analyse(chapter, settings, runs, context)
    facts = as_facts(kind.measure(chapter, settings, runs, context, info, arrays))
    results = check_claims([(0, "every_image_shows_prompt"), (0, "seeds_differ")], kind.claims, facts)
    assert [r.status for r in results] == ["cannot check", "holds"]


def test_colours_clip_when_the_top_scale_has_three_times_the_good_range_share_of_clipped_values(fake_trajectory):
    kind = KINDS["guidance_comparison"]
    chapter, settings = chapter_and_settings_for("guidance_comparison", prompt="a red circle",
                                                 guidance_scales=[1.0, 4.0, 15.0])  # fmt: skip
    runs = {role: [fake_trajectory(r) for r in reqs] for role, reqs in kind.requests(chapter, settings).items()}
    context = _context(runs, None)
    info, arrays = kind.analyse(chapter, settings, runs, context)
    clipped = np.full((8, 8, 3), 128, np.uint8)
    clipped[:2] = 255  # a quarter of the values at the end of the range
    assert measures.clipped_share(clipped) == pytest.approx(0.25)
    for top, status in ((0.031, "holds"), (0.029, "fails")):
        info["clipped"] = [0.0, 0.01, top]  # guidance 1 does not count: 4 is the good range
        facts = as_facts(kind.measure(chapter, settings, runs, context, info, arrays))
        assert facts["top_clipping"].value == pytest.approx(top / 0.01)
        assert check_claims([(0, "too_high_clips")], kind.claims, facts)[0].status == status


def test_noise_counts_follow_the_image_size():
    kind = KINDS["noise_sampling"]
    for size, pages in ((16, 1), (64, 8)):
        chapter, settings = chapter_and_settings_for("noise_sampling", width=size, height=size)
        info, arrays = kind.analyse(chapter, settings, {}, AnalysisContext(ModelInfo(size, size, 4, 8, 8), None))
        facts = as_facts(kind.measure(chapter, settings, {}, None, info, arrays))
        assert facts["pages"].value == pages and facts["pages"].words == in_words(pages)
        assert check_claims([(0, "count_fills_pages")], kind.claims, facts)[0].status == (
            "holds" if pages > 1 else "fails"
        )
        assert abs(facts["samples_correlation"].value) < 0.05


def test_every_kind_declares_the_facts_it_measures_and_claims_on_them():
    for name, kind in KINDS.items():
        for claim_name, claim in kind.claims.items():
            assert claim.fact in kind.facts, f"{name}.{claim_name} reads {claim.fact}, not one of its facts"
        if any(c.general for c in kind.claims.values()):
            assert type(kind).verify_requests is not Kind.verify_requests, name


def test_every_kind_measures_its_facts_on_the_fake_generator():
    for name, kind in KINDS.items():
        facts = measured_facts(name, base_params(**kind.example))
        assert set(facts) <= set(kind.facts), name  # a fact left out is unknown (None)
        json.dumps({k: f.as_json() for k, f in facts.items()})


# ---- the storyboard names only facts and claims its kinds have -------------------------------------


def _story(tmp_path, narration: str) -> str:
    path = tmp_path / "story.yaml"
    path.write_text(
        "title: T\nchapters:\n  - id: steps\n    kind: step_comparison\n    title: Steps\n"
        "    prompt: a star\n    step_counts: [1, 8]\n    narration:\n" + narration
    )
    return str(path)


def test_an_unknown_claim_or_fact_is_a_storyboard_error_at_its_place(tmp_path):
    path = _story(
        tmp_path,
        "      - From {settle_step} steps.\n"
        "      - say: It settles.\n        claims: [settles_from_settle_steps, settles_sometimes]\n",
    )
    with pytest.raises(StoryboardError) as caught:
        load_storyboard(path)
    text = str(caught.value)
    assert (
        ":9:9: chapters[0].narration[0]: {settle_step} is not a fact of step_comparison; did you mean 'settle_steps'?"
        in text
    )
    assert ":11:45: chapters[0].narration[1].claims[1]: 'settles_sometimes' is not a claim of step_comparison" in text


def test_beats_with_claims_and_facts_load(tmp_path):
    path = _story(
        tmp_path,
        "      - From about {settle_steps} steps.\n      - say: It settles.\n        claims: [few_steps_blurry]\n",
    )
    chapter = load_storyboard(path).chapters[0]
    assert chapter.beats == ["From about {settle_steps} steps.", "It settles."]
    assert chapter.stated_claims() == [(1, "few_steps_blurry")]
    assert KINDS["step_comparison"].general_claims_stated(chapter) is False


def test_a_general_claim_plans_the_drawn_seeds(tmp_path):
    from render.stages.plan import make_plan

    path = _story(tmp_path, "      - say: It settles.\n        claims: [settles_from_settle_steps]\n")
    runtime = {"device": "cpu", "dtype": "float32"}
    plan = make_plan(load_storyboard(path), {"id": "m", "weights": "w"}, (32, 32), runtime=runtime)
    (chapter,) = plan.chapters
    assert len(chapter.roles["verify"]) == 8 * 2  # 8 drawn seeds, each at both step counts
    drawn = {plan.requests[k].request.seed for k in chapter.roles["verify"]}
    assert drawn == set(verification_seeds("step_comparison", avoid=[0]))
    assert all(not plan.requests[k].shown.steps for k in chapter.roles["verify"])  # final images only


def test_requests_keep_their_key_fields():
    r = GenerationRequest(prompt="a", seed=1, steps=2, guidance=4.0, width=32, height=32)
    assert r.repeat == 0 and "again" in r.model_copy(update={"repeat": 1}).describe()


# ---- the kinds reference -----------------------------------------------------------------------------


def test_the_kinds_reference_is_the_commands_output_and_its_examples_check(tmp_path):
    import re
    import subprocess
    import sys

    import yaml

    from render.paths import REPO_ROOT as ROOT

    printed = subprocess.run(
        [sys.executable, "-m", "render.cli", "kinds"], capture_output=True, text=True, check=True
    ).stdout
    assert printed == (ROOT / "docs" / "kinds.md").read_text(), (
        "docs/kinds.md is stale: noise2image kinds > docs/kinds.md"
    )
    examples = re.findall(r"Example:\n\n```yaml\n(.*?)```", printed, re.S)
    assert len(examples) == len(KINDS)
    chapters = [c for text in examples for c in yaml.safe_load(text)]
    assert sorted(c["kind"] for c in chapters) == sorted(KINDS)
    path = tmp_path / "all-kinds.yaml"
    path.write_text(yaml.safe_dump({"title": "Every kind", "chapters": chapters}, sort_keys=False))
    storyboard = load_storyboard(path)
    assert all(chapter.stated_claims() for chapter in storyboard.chapters)


def test_each_detail_narrows_only_where_the_bars_shown_fall_too(fake_trajectory):
    """The sentence is said over the chapter's own bars: a row whose shown seeds vary more than the row
    before fails the claim, even when the drawn seeds' wider count falls."""
    kind = KINDS["prompt_detail"]
    chapter, settings = chapter_and_settings_for("prompt_detail", prompts=["a star", "a red star"], seeds=[1, 2])
    requests = kind.requests(chapter, settings)
    requests |= kind.verify_requests(chapter, settings, verification_seeds(kind.name, avoid=[1, 2]))
    runs = {role: [fake_trajectory(r) for r in reqs] for role, reqs in requests.items()}
    grid, drawn = runs["grid"], runs["verify"]  # grid: prompt by prompt, seeds 1 and 2; verify: 8 per prompt

    def reading(colour, position):
        return {"shape": "star", "color": colour, "background": "blue", "position": position, "size": "large"}

    def facts_when(shown_vague_vary: bool):
        seen = {}
        seen[grid[0].image.tobytes()] = reading("red", "left")  # "a star", the chapter's seeds
        seen[grid[1].image.tobytes()] = reading("red", "right" if shown_vague_vary else "left")
        seen[grid[2].image.tobytes()] = reading("red", "left")  # "a red star": seed 1 left, seed 2 right
        seen[grid[3].image.tobytes()] = reading("red", "right")
        for k, t in enumerate(drawn[:8]):  # "a star", drawn seeds: every colour -> the wide count falls
            seen[t.image.tobytes()] = reading(["green", "blue", "yellow", "white"][k % 4], "left")
        for t in drawn[8:]:
            seen[t.image.tobytes()] = reading("red", "left")
        context = _context(runs, ImageReader(seen))
        info, arrays = kind.analyse(chapter, settings, runs, context)
        return info, as_facts(kind.measure(chapter, settings, runs, context, info, arrays))

    info, rising = facts_when(shown_vague_vary=False)
    assert info["variety"][1] > info["variety"][0]  # the bars rise ...
    assert rising["variety_falls"].value == 0.0  # ... so the detail did not narrow, though 10 seeds say it did
    assert check_claims([(0, "each_detail_narrows")], kind.claims, rising)[0].status == "fails"
    info, falling = facts_when(shown_vague_vary=True)
    assert info["variety"][1] <= info["variety"][0]
    assert check_claims([(0, "each_detail_narrows")], kind.claims, falling)[0].status == "holds"
