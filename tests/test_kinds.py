"""Each chapter kind's requests and analysis on small fake trajectories (tests/conftest.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import chapter_and_settings

from render.chapter_data import estimate_timing, load_chapter_data, make_timing, write_chapter_data
from render.kinds import KINDS
from render.kinds.latent_basis import fit_latent_basis
from scenes.common import IMAGE_STYLE, VECTOR_STYLE, Fade, Restyle, frames_time, plan_slots

KIND_PARAMS = {name: kind.example for name, kind in KINDS.items()}


def test_every_kind_has_an_example_that_validates():
    for name, kind in KINDS.items():
        chapter_and_settings(name, {**kind.example, "seed": 0, "steps": 4, "guidance": 4.0, "negative_prompt": "",
                                    "width": 16, "height": 16})  # fmt: skip


@pytest.mark.parametrize("kind", sorted(KIND_PARAMS))
def test_analysis_is_json_and_uint8_images(kind, analyse_kind, params_for, tmp_path):
    info, arrays = analyse_kind(kind, params_for(**KIND_PARAMS[kind]))
    for name, a in arrays.items():
        assert isinstance(a, np.ndarray), name
        if a.ndim >= 3 and a.shape[-1] == 3:
            assert a.dtype == np.uint8, name
    full = {**info, "kind": kind, "title": kind, "params": params_for(**KIND_PARAMS[kind]), "theme": "dark"}
    back_info, back_arrays = load_chapter_data(write_chapter_data(tmp_path / kind, full, arrays))
    assert back_info["kind"] == kind
    assert set(back_arrays) == set(arrays)


def test_noise_sampling_exponent_for_64px(analyse_kind, params_for):
    info, arrays = analyse_kind("noise_sampling", params_for(samples=4, width=64, height=64))
    assert info["exponent"] == pytest.approx(64 * 64 * 3 * math.log10(256))
    # 12,288 values of 256 levels: 256^12288 = 10^29592.5 (19728.3 would be 8,192 bytes, i.e. 2^65536)
    assert info["exponent"] == pytest.approx(29592.5, abs=0.05)
    assert info["digits"] == 29593
    # said as "about 10^29,592: a 1 followed by 29,592 zeros", and written out as pages of 4,000 digits
    assert info["power"] == 29592
    assert info["digits_words"] == "about twenty-nine thousand six hundred"
    assert info["pages"] == 8
    assert info["atoms_digits"] == 81
    assert arrays["samples"].shape == (4, 64, 64, 3)
    again = analyse_kind("noise_sampling", params_for(samples=4, width=64, height=64))[1]["samples"]
    np.testing.assert_array_equal(arrays["samples"], again)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (19, "nineteen"),
        (81, "eighty-one"),
        (1000, "one thousand"),
        (118370, "about one hundred eighteen thousand"),
        (473480, "about four hundred seventy-three thousand"),
        (1234567, "about one million two hundred thirty thousand"),
    ],
)
def test_digit_counts_in_words(n, words):
    from render.kinds.noise_sampling import approximate_in_words

    assert approximate_in_words(n) == words


def test_noise_sampling_needs_no_generation(params_for):
    assert KINDS["noise_sampling"].requests(*chapter_and_settings("noise_sampling", params_for(samples=4))) == {}


def test_summary_pictures_default_to_other_seeds_steps_and_scales(params_for):
    chapter, settings = chapter_and_settings("summary", params_for(prompt="a red circle", seed=3, steps=28))
    roles = KINDS["summary"].requests(chapter, settings)
    assert [r.seed for r in roles["seeds"]] == [3, 4]
    assert [r.steps for r in roles["steps"]] == [2, 8, 28]
    assert [r.guidance for r in roles["guidance"]] == [1.0, 4.0, 15.0]
    # the main run is the same request as the steps picture at the chapter's own step count
    assert roles["main"][0] == roles["steps"][-1]


def test_summary_has_a_picture_per_control(analyse_kind, params_for):
    params = params_for(prompt="a red circle", seeds=[5, 9], step_counts=[1, 4], guidance_scales=[1.0, 7.5])
    info, arrays = analyse_kind("summary", params)
    assert (info["seeds"], info["step_counts"], info["guidance_scales"]) == ([5, 9], [1, 4], [1.0, 7.5])
    assert arrays["seed_noise"].shape == arrays["seed_images"].shape == (2, 16, 16, 3)
    assert arrays["step_images"].shape[0] == arrays["guidance_images"].shape[0] == 2
    assert not np.array_equal(arrays["seed_images"][0], arrays["seed_images"][1])
    assert arrays["previews"].shape == (5, 16, 16, 3)


def test_denoising_keeps_every_step(analyse_kind, params_for):
    info, arrays = analyse_kind("denoising", params_for(prompt="a red circle"))
    assert arrays["previews"].shape == (5, 16, 16, 3)
    assert arrays["x0_previews"].shape == (4, 16, 16, 3)
    assert info["sigmas"][0] == 1.0 and info["sigmas"][-1] == 0.0


def test_latent_space_sizes_and_colours(analyse_kind, params_for):
    info, arrays = analyse_kind("latent_space", params_for(prompt="a red circle"))
    assert info["latent_shape"] == [2, 4, 4]
    assert info["ratio"] == pytest.approx(16 * 16 * 3 / 32)
    assert arrays["latent_colour"].shape == (5, 4, 4, 3)
    assert arrays["path"].shape == (5, 2)


def test_embedding_map_groups_and_highlight(analyse_kind, params_for):
    info, arrays = analyse_kind("embedding_map", params_for(**KIND_PARAMS["embedding_map"]))
    assert info["group_of"] == [0, 0, 1, 1, -1]  # the highlight is in no group
    assert info["highlight"] == 4
    assert arrays["coords"].shape == (5, 2)
    assert arrays["images"].shape[:1] == (5,) and len(info["neighbours"][4]) == 3
    assert np.abs(arrays["coords"]).max() == pytest.approx(1.0)
    np.testing.assert_allclose(arrays["coords"], arrays["tsne"])
    chapter, _ = chapter_and_settings("embedding_map", params_for(**KIND_PARAMS["embedding_map"]))
    assert chapter.map_prompts() == info["prompts"]


def test_seed_comparison_paths_diverge_from_different_starts(analyse_kind, params_for):
    info, arrays = analyse_kind("seed_comparison", params_for(**KIND_PARAMS["seed_comparison"]))
    assert arrays["previews"].shape == (3, 5, 16, 16, 3)
    assert arrays["paths"].shape == (3, 5, 2)
    assert arrays["spread"][0] == pytest.approx(1.0)
    assert info["image_distance"][0][1] > 0 and info["image_distance"][1][1] == 0


def test_step_comparison_runs_per_count(analyse_kind, params_for):
    info, arrays = analyse_kind("step_comparison", params_for(**KIND_PARAMS["step_comparison"]))
    assert info["step_counts"] == [1, 3]
    assert arrays["previews_0"].shape[0] == 2 and arrays["previews_1"].shape[0] == 4


def test_prompt_detail_variety_per_prompt(analyse_kind, params_for):
    info, arrays = analyse_kind("prompt_detail", params_for(**KIND_PARAMS["prompt_detail"]))
    assert arrays["images"].shape == (2, 2, 16, 16, 3)
    assert len(info["variety"]) == 2 and all(v > 0 for v in info["variety"])


def test_prompt_length_one_request_per_prefix(params_for):
    reqs = KINDS["prompt_length"].requests(*chapter_and_settings("prompt_length", params_for(prompt="a red circle")))
    reqs = reqs["prefixes"]
    assert [r.prompt for r in reqs] == ["a", "a red", "a red circle"]


def test_interpolation_recipes(params_for):
    chapter, settings = chapter_and_settings("interpolation", params_for(**KIND_PARAMS["interpolation"]))
    reqs = KINDS["interpolation"].requests(chapter, settings)["path"]
    assert [r.embedding.t for r in reqs] == [0.0, 0.5, 1.0]
    assert all(r.prompt is None for r in reqs)


def test_guidance_saturation_grows_with_scale(analyse_kind, params_for):
    info, _ = analyse_kind("guidance_comparison", params_for(**KIND_PARAMS["guidance_comparison"]))
    assert info["saturation"] == sorted(info["saturation"])


def test_latent_basis_is_deterministic_and_sign_fixed(fake_trajectory, params_for):
    from render.engine.requests import GenerationRequest

    ts = [
        fake_trajectory(GenerationRequest(prompt="a red circle", seed=s, steps=4, guidance=4.0, width=16, height=16))
        for s in range(3)
    ]
    a, b = fit_latent_basis(ts), fit_latent_basis(list(ts))
    np.testing.assert_array_equal(a.path_components, b.path_components)
    for comp in a.colour_components[:2]:
        assert comp[np.argmax(np.abs(comp))] > 0


def test_slots_partition_the_timing():
    timing = make_timing([1.0, 2.0, 1.5], ["a", "b", "c"])
    for n in (1, 2, 3, 5, 7):
        slots = plan_slots(timing, n)
        assert slots[0].start == 0 and slots[-1].end == pytest.approx(timing.total)
        assert all(x.end == pytest.approx(y.start) for x, y in zip(slots, slots[1:], strict=False))
    assert plan_slots(timing, 3)[1].start == timing.beats[1].start
    assert estimate_timing(["one two three"]).beats[0].duration == pytest.approx(3 / 2.6)


@pytest.mark.parametrize("fps", [15, 30, 60])
def test_a_play_of_n_frames_draws_n_frames_and_manim_keeps_its_run_time(fps):
    from manim import Scene, tempconfig

    with tempconfig({"frame_rate": fps}):
        for frames in range(1, 40):
            run_time = frames_time(frames, fps)
            assert Scene.validate_run_time(run_time, Scene.play) == run_time  # not raised to one frame's time
            assert len(np.arange(0, run_time, 1 / fps)) == frames  # how Manim steps an animation's time


@pytest.mark.parametrize("method, value", [("set_opacity", 0.0), ("set_opacity", 0.35), ("set_opacity", 1.0),
                                           ("set_color", "#ff8800")])  # fmt: skip
def test_restyle_draws_what_apply_method_draws(method, value):
    from manim import ApplyMethod, Dot, Text, VGroup, there_and_back

    def made():
        dimmed = Text("dimmed", font_size=20).set_opacity(0.5)
        return VGroup(Dot(), VGroup(Text("a label", font_size=20), dimmed))

    for rate_func in (None, there_and_back):
        kwargs = {"rate_func": rate_func} if rate_func else {}
        a, b = made(), made()
        theirs, ours = ApplyMethod(getattr(a, method), value, **kwargs), Restyle(getattr(b, method), value, **kwargs)
        theirs.begin(), ours.begin()
        for t in np.linspace(0, 1, 11):
            theirs.interpolate(t), ours.interpolate(t)
            for x, y in zip(a.family_members_with_points(), b.family_members_with_points(), strict=True):
                for attr in ("points", *VECTOR_STYLE):
                    assert np.array_equal(getattr(x, attr), getattr(y, attr)), (t, attr)
                    assert type(getattr(x, attr)) is type(getattr(y, attr)), (t, attr)


def test_restyle_refuses_a_method_that_moves_the_mobject():
    from manim import Dot

    dot = Dot()
    with pytest.raises(ValueError, match="use ApplyMethod"):
        Restyle(dot.shift, np.array([1.0, 0.0, 0.0])).begin()


def assert_parts_equal(a, b, when) -> None:
    for x, y in zip(a.family_members_with_points(), b.family_members_with_points(), strict=True):
        names = IMAGE_STYLE if hasattr(x, "pixel_array") else VECTOR_STYLE
        for attr in ("points", *names):
            assert np.array_equal(getattr(x, attr), getattr(y, attr)), (when, type(x).__name__, attr)
            assert type(getattr(x, attr)) is type(getattr(y, attr)), (when, attr)


@pytest.mark.parametrize("out", [False, True])
@pytest.mark.parametrize("kwargs", [{}, {"shift": np.array([0.2, -0.1, 0.0])}, {"scale": 1.6}, {"scale": 0.5}])
def test_fade_draws_what_manims_fade_in_and_out_draw(out, kwargs):
    """The copy-free fade against Manim's FadeIn / FadeOut on text, nested groups, a dimmed line, a
    stroked shape, an image and an arrow: the same points and style at every time, and the same look after."""
    from manim import (
        Arrow,
        Dot,
        FadeIn,
        FadeOut,
        Group,
        ImageMobject,
        MarkupText,
        Scene,
        Square,
        Text,
        VGroup,
        there_and_back,
    )

    def made():
        dimmed = Text("dimmed", font_size=20).set_opacity(0.5)
        square = Square(0.5, color="#ff8800", fill_opacity=0.3, stroke_width=3)
        pixels = np.arange(4 * 6 * 4, dtype=np.uint8).reshape(4, 6, 4) * 2
        picture = ImageMobject(pixels).scale(0.7).shift(np.array([1.0, 0.5, 0.0]))
        words = VGroup(Text("a label", font_size=20), dimmed, MarkupText("<b>bold</b> too", font_size=16))
        return Group(Dot(), words.arrange(), square, picture)

    def arrow():  # alone: its own `scale` takes its tip off and puts it back
        return Arrow(np.array([-1.0, -1.0, 0.0]), np.array([0.5, -1.0, 0.0]), stroke_width=2)

    for rate_func, make in ((None, made), (there_and_back, made), (None, arrow)):
        more = {"rate_func": rate_func} if rate_func else {}
        a, b = make(), make()
        theirs = (FadeOut if out else FadeIn)(a, **kwargs, **more)
        ours = Fade(b, out=out, **kwargs, **more)
        assert (ours.is_introducer(), ours.is_remover()) == (theirs.is_introducer(), theirs.is_remover())
        theirs.begin(), ours.begin()
        for t in np.linspace(0, 1, 11):
            theirs.interpolate(t), ours.interpolate(t)
            assert_parts_equal(a, b, t)
        theirs.finish(), ours.finish()
        theirs.clean_up_from_scene(Scene()), ours.clean_up_from_scene(Scene())
        assert_parts_equal(a, b, "after")


def test_the_chapter_camera_draws_every_frame_as_manims_camera_does(monkeypatch):
    """ChapterCamera builds a frame's paths in one pass: the same pixels as Manim's Camera in every frame,
    for texts (glyphs with holes), broken and open paths, paths closed within Manim's tolerance and just
    outside it, gradients, and a shape whose points are not finite (left to Manim's own code, and only that
    one)."""
    import numpy as np
    from manim import (
        DOWN,
        LEFT,
        PI,
        RIGHT,
        UP,
        Arc,
        Camera,
        DashedLine,
        Rotate,
        Scene,
        Square,
        Text,
        VMobject,
        tempconfig,
    )
    from manim.renderer.cairo_renderer import CairoRenderer

    from scenes.camera import ChapterCamera

    def path(points, **style) -> VMobject:
        return VMobject(**style).set_points(np.array(points, dtype=float))

    class Probe(Scene):
        def construct(self) -> None:
            text = Text("Bag 8 @", font_size=40).to_edge(UP)
            dashes = DashedLine(LEFT * 5, RIGHT * 5 + DOWN, dash_length=0.3).set_stroke(width=6)
            arc = Arc(radius=1.5, angle=1.5 * PI, stroke_width=14).shift(LEFT * 3 + DOWN)
            two = Square(1).shift(RIGHT * 2)
            two.append_points(Square(0.5).shift(RIGHT * 3.5 + DOWN).points)  # two subpaths in one shape
            two.set_fill("#33aa55", 0.8).set_stroke("#ffffff", 8).set_color_by_gradient("#ff0000", "#0000ff")
            corner = [[0, 0, 0], [1, 0, 0], [2, 0, 0], [2, 1, 0], [2, 1, 0], [1, 1, 0], [0, 1, 0]]
            shut = path([*corner, [0, 1e-7, 0]], stroke_width=16, stroke_color="#ffcc00").shift(DOWN * 3)
            ajar = path([*corner, [0, 1e-2, 0]], stroke_width=16, stroke_color="#ffcc00").shift(DOWN * 3 + RIGHT * 3)
            broken = path([[0, 0, 0], [1, 0, 0], [np.nan, 0, 0], [1, 1, 0]], stroke_width=10)
            self.add(text, dashes, arc, two, shut, ajar, broken)
            self.play(Rotate(two, PI / 3), Rotate(arc, -PI / 4), text.animate.shift(DOWN * 0.5), run_time=0.4)

    manims_own = Camera.display_vectorized

    def render(camera) -> tuple[list[bytes], list]:
        frames, fallbacks = [], []

        def add_frame(renderer, frame, num_frames=1):
            frames.extend([frame.tobytes()] * num_frames)

        def display_vectorized(self, vmobject, ctx):
            fallbacks.append(vmobject)
            return manims_own(self, vmobject, ctx)

        with monkeypatch.context() as patch:
            patch.setattr(CairoRenderer, "add_frame", add_frame)
            patch.setattr(camera, "display_vectorized", display_vectorized)
            with tempconfig({"quality": "low_quality", "frame_rate": 15, "dry_run": True}):
                Probe(camera_class=camera).render()
        return frames, fallbacks

    theirs, _ = render(Camera)
    ours, fallbacks = render(ChapterCamera)
    assert len(ours) == len(theirs) > 5
    assert [i for i, (a, b) in enumerate(zip(theirs, ours, strict=True)) if a != b] == []
    assert fallbacks and all(len(vm.points) == 4 and np.isnan(vm.points).any() for vm in fallbacks)


def test_an_animation_draws_again_only_what_it_touches_and_every_frame_keeps_its_pixels(monkeypatch):
    """ChapterScene's list of what to draw on every frame, against Manim's: the same pixels in every
    frame, while a text far from everything that moves is drawn once (into the frame kept under the
    animation), and one drawn over a moving dot, or over what is drawn over it, is drawn every frame."""
    from manim import DOWN, LEFT, RIGHT, UP, Dot, Scene, Square, Text, tempconfig, there_and_back
    from manim.renderer.cairo_renderer import CairoRenderer

    from scenes.common import ChapterScene

    shown: dict[str, object] = {}

    class Probe(ChapterScene):
        def setup(self) -> None:  # no chapter data: only the drawing is tested
            pass

        def construct(self) -> None:
            square = Square(1.2, color="#ff8800", fill_opacity=0.5).shift(LEFT * 3)
            dot = Dot(LEFT * 3, radius=0.3, color="#3399ff")
            over = Text("overlapping", font_size=24)  # later in the list than the dot, its first letter on it
            over.next_to(dot.get_center(), RIGHT, buff=-0.1)
            over_that = Text("next", font_size=24).next_to(over, RIGHT, buff=0.02)  # touches `over` only
            far = Text("far away", font_size=24).to_corner(UP + RIGHT)
            below = Text("below", font_size=24).to_corner(DOWN + RIGHT)
            shown.update(over=over, over_that=over_that, far=far, below=below)
            self.add(square, dot, over, over_that, far, below)
            self.play(Restyle(dot.set_color, "#33ff99"), Restyle(below.set_opacity, 0.3), run_time=0.5)
            self.play(Restyle(far.set_color, "#ff0000"), run_time=0.3)
            self.play(Fade(dot, out=True, shift=RIGHT * 1.5, scale=0.5, rate_func=there_and_back), run_time=0.5)

        def tear_down(self) -> None:
            pass

    def render(get_moving_mobjects) -> tuple[list[bytes], list[set[str]]]:
        frames, redrawn = [], []

        def add_frame(renderer, frame, num_frames=1):
            frames.extend([frame.tobytes()] * num_frames)

        def listed(scene, *animations):
            moving = get_moving_mobjects(scene, *animations)
            family = {id(m) for mob in moving for m in mob.get_family()}
            redrawn.append({name for name, mob in shown.items() if any(id(m) in family for m in mob.get_family())})
            return moving

        with monkeypatch.context() as patch:
            patch.setattr(CairoRenderer, "add_frame", add_frame)
            patch.setattr(Probe, "get_moving_mobjects", listed)
            with tempconfig({"quality": "low_quality", "frame_rate": 15, "dry_run": True}):
                Probe().render()
        return frames, redrawn

    manims, manim_redraws = render(Scene.get_moving_mobjects)
    ours, our_redraws = render(ChapterScene.get_moving_mobjects)
    assert len(ours) == len(manims) > 10
    assert [i for i, (a, b) in enumerate(zip(manims, ours, strict=True)) if a != b] == []
    everything_after_the_dot = {"over", "over_that", "far", "below"}
    assert manim_redraws == [everything_after_the_dot, {"far", "below"}, everything_after_the_dot]
    # `far` touches nothing that moves; `over_that` touches only `over`, drawn over the dot
    assert our_redraws == [{"over", "over_that", "below"}, {"far"}, {"over", "over_that"}]
