"""The procedural world: renders, captions, and the analyser that reads images back."""

import numpy as np
import torch

from render.tiny_prx import reading, world


def _batch(n=400, size=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return world.sample_batch(n, size, g, "cpu")


def test_sample_batch_shapes_and_range():
    imgs, caps, attrs = _batch(32)
    assert imgs.shape == (32, 3, 64, 64) and imgs.dtype == torch.float32
    assert float(imgs.min()) >= -1.0 and float(imgs.max()) <= 1.0
    assert len(caps) == len(attrs) == 32
    assert all(a["background"] != a["color"] for a in attrs)


def test_pictures_of_the_world_have_no_clipped_values():
    """The palette and the colour shift stay inside the range, so that a clipped value in a generated
    picture is the model's overshoot (the guidance chapter measures it), never the world's."""
    imgs, _, _ = _batch(400)
    values = np.stack([world.to_uint8(im) for im in imgs])
    assert values.min() > 0 and values.max() < 255
    assert all(0 < v < 255 for rgb in world.COLORS.values() for v in rgb)


def test_fresh_and_deterministic():
    a, ca, _ = _batch(16, seed=1)
    b, cb, _ = _batch(16, seed=1)
    c, cc, _ = _batch(16, seed=2)
    assert torch.equal(a, b) and ca == cb
    assert not torch.equal(a, c)


def test_caption_levels_and_empty_fraction():
    _, caps, _ = _batch(1000, size=16)
    empty = sum(c == "" for c in caps) / len(caps)
    assert 0.06 < empty < 0.14
    lengths = {len(c.split()) for c in caps if c}
    assert min(lengths) <= 2 and max(lengths) >= 9  # vague to detailed


def test_captions_match_what_is_drawn():
    _, caps, attrs = _batch(1000, size=16)
    for c, a in zip(caps, attrs, strict=True):
        for k, v in reading.parse_caption(c).items():
            assert a[k] == v, (c, a)


def test_a_share_of_captions_told_wrong_names_another_shape_and_nothing_else_wrong():
    """Of the captions that name the object's colour or place a quarter name another shape; a caption that
    names neither ("a star", "a large star on teal") always names the shape drawn."""
    g = torch.Generator().manual_seed(0)
    _, caps, attrs, _ = world.sample_batch_with_masks(3000, 16, g, "cpu", wrong_shape=0.25)
    wrong, vague = [], []
    for c, a in zip(caps, attrs, strict=True):
        told = reading.parse_caption(c)
        for k, v in told.items():
            assert k == "shape" or a[k] == v, (c, a)
        if "color" in told or "position" in told:
            wrong.append(told["shape"] != a["shape"])
        elif c:
            vague.append(told["shape"] != a["shape"])
    assert abs(sum(wrong) / len(wrong) - 0.25) < 0.04
    assert len(vague) > 200 and not any(vague)
    told_instead = {(a["shape"], reading.parse_caption(c)["shape"]) for c, a in zip(caps, attrs, strict=True) if c}
    assert len(told_instead) == len(world.SHAPES) ** 2  # every shape told as itself and as each of the others
    # the same scenes and pictures as without caption noise: only the words change
    g = torch.Generator().manual_seed(0)
    _, clean, clean_attrs, _ = world.sample_batch_with_masks(3000, 16, g, "cpu")
    assert clean_attrs == attrs and sum(a != b for a, b in zip(caps, clean, strict=True)) == sum(wrong)


def test_parse_caption():
    p = reading.parse_caption("a large orange star in the center on a teal background")
    assert p == {"shape": "star", "color": "orange", "size": "large", "position": "center", "background": "teal"}
    assert reading.parse_caption("an orange star on teal") == {"shape": "star", "color": "orange", "background": "teal"}
    assert reading.parse_caption("a star") == {"shape": "star"}
    assert reading.parse_caption("") == {}
    assert reading.parse_caption("a small blue ring in the top right corner")["position"] == "top right"


def test_analyser_reads_ground_truth():
    imgs, _, attrs = _batch(300, seed=3)
    hits = {k: [] for k in ("background", "color", "shape", "position")}
    for im, a in zip(imgs, attrs, strict=True):
        r = reading.read_image(world.to_uint8(im))
        for k in hits:
            hits[k].append(r[k] == a[k])
    for k, v in hits.items():
        assert len(v) > 200
        assert np.mean(v) >= 0.99, (k, np.mean(v))


def test_render_scene_fixed_attributes():
    img = world.render_scene({"shape": "heart", "color": "red", "background": "blue", "position": "top left"}, 64)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    r = reading.read_image(img)
    assert (r["shape"], r["color"], r["background"], r["position"]) == ("heart", "red", "blue", "top left")


def test_specks_are_found_apart_from_the_object_and_only_there():
    clean = world.render_scene({"shape": "star", "color": "red", "background": "blue", "size": "large"}, 64)
    assert reading.specks(clean) == 0
    speck = clean.copy()
    speck[5:7, 55:57] = (250, 250, 40)  # a 2 x 2 yellow dot in the top right corner, far from the star
    assert reading.specks(speck) == 1
    two = speck.copy()
    two[56:59, 4:7] = (10, 200, 10)
    assert reading.specks(two) == 2
    touching = clean.copy()
    ys, xs = np.nonzero((clean != clean[0, 0]).any(-1))  # the star's pixels
    top, x = ys.min(), xs[ys == ys.min()][0]
    touching[top - 2 : top, x : x + 2] = (250, 250, 40)  # against the tip of its top arm
    assert reading.specks(touching) == 0
    one_pixel = clean.copy()
    one_pixel[4, 4] = (250, 250, 40)  # a single pixel is noise, not a speck
    assert reading.specks(one_pixel) == 0
    for img, _, _ in [_batch(40, seed=5)]:
        assert all(reading.specks(world.to_uint8(im)) == 0 for im in img)


def test_the_reader_reads_sizes_of_drawn_shapes():
    reader = reading.WorldReader()
    for shape in world.SHAPES:
        for size in world.SIZE_NAMES:
            img = world.render_scene({"shape": shape, "color": "yellow", "background": "purple", "size": size}, 64)
            assert reader.read(img)["size"] == size, (shape, size)


def test_fixed_attributes_hold_in_the_pictures_and_the_captions():
    """The curriculum's scenes (every object large and in the center) are drawn and captioned so: the
    reader finds each object there, and captions that state a size or a place state those."""
    from render.tiny_prx import reading

    g = torch.Generator().manual_seed(3)
    fixed = {"size": "large", "position": "center"}
    imgs, caps, attrs, _ = world.sample_batch_with_masks(64, 64, g, "cpu", fixed)
    assert all(a["size"] == "large" and a["position"] == "center" for a in attrs)
    for img, cap, a in zip(imgs, caps, attrs, strict=True):
        stated = reading.parse_caption(cap)
        assert stated.get("size", "large") == "large" and stated.get("position", "center") == "center"
        read = reading.read_image(world.to_uint8(img))
        assert read["position"] == "center" and read["shape"] == a["shape"]
    free = world.sample_batch_with_masks(64, 64, torch.Generator().manual_seed(3), "cpu")[2]
    assert {a["position"] for a in free} != {"center"} and {a["size"] for a in free} != {"large"}


def _centre_painted(shape: str, color: str, background: str, size: str, paint: np.ndarray, within: float):
    """A drawn shape in the centre whose pixels within `within` radii of the centre are painted `paint`."""
    img = world.render_scene(
        {"shape": shape, "color": color, "background": background, "size": size, "position": "center",
         "offset": (0, 0, 0)}, 64).astype(float)  # fmt: skip
    yy, xx = np.mgrid[0:64, 0:64] + 0.5
    img[np.hypot(xx - 32, yy - 32) < within * world.SIZES[size] * 64] = paint
    return img.round().astype(np.uint8)


def test_a_ring_with_a_hole_of_a_third_colour_reads_as_a_ring():
    """A generated ring's hole is often not the background's colour: a darker or tinted patch. Where
    that patch is clearly nearer the background's colour than the ring's (at most 0.6 times as far), the
    picture shows a ring; a disc whose centre is tinted but nearer its own colour stays a disc. (The
    hole of the ring drawn at radius r spans 0.44 r.)"""
    rings = discs = 0
    for size in world.SIZE_NAMES:
        for color in world.OBJECT_COLORS:
            for background in world.BACKGROUND_COLORS:
                if color == background:
                    continue
                c, b = np.array(world.COLORS[color], float), np.array(world.COLORS[background], float)
                for towards in (np.zeros(3), np.full(3, 255.0), c):
                    patch = 0.7 * b + 0.3 * towards
                    if np.linalg.norm(patch - b) < 30 or np.linalg.norm(patch - b) > 0.6 * np.linalg.norm(patch - c):
                        continue  # too like the background to matter, or not clearly nearer it than the ring
                    ring = _centre_painted("ring", color, background, size, patch, within=0.4)
                    assert reading.read_image(ring)["shape"] == "ring", (size, color, background, patch)
                    rings += 1
                    centre = 0.3 * b + 0.7 * c  # a disc whose centre is tinted, still far nearer its own colour
                    disc = _centre_painted("circle", color, background, size, centre, within=0.4)
                    assert reading.read_image(disc)["shape"] == "circle", (size, color, background)
                    discs += 1
    assert rings > 300 and discs > 300


def _drawn_like_generated(monkeypatch, shape, sdf, size, color, background, softness) -> np.ndarray:
    """A shape drawn by `sdf` in place of the world's, its edge blurred by `softness` pixels."""
    from scipy import ndimage

    from render.tiny_prx import shapes

    monkeypatch.setitem(shapes.SDFS, shape, sdf)
    img = world.render_scene({"shape": shape, "color": color, "background": background, "size": size}, 64)
    monkeypatch.undo()
    img = np.stack([ndimage.gaussian_filter(img[..., c].astype(float), softness, mode="nearest") for c in range(3)], -1)
    return img.round().astype(np.uint8)


def _rounded(sdf, k):
    """The shape of `sdf` with its corners rounded by k radii, at about the same size."""
    return lambda x, y: sdf(x * (1 + k), y * (1 + k)) / (1 + k) - k / (1 + k)


def test_the_reader_reads_shapes_with_soft_edges_plumper_arms_and_rounded_corners(monkeypatch):
    """Generated objects are seldom drawn as crisply as the world draws them: their edges are softer
    (a small star's notches fill in), a star's arms plumper, corners rounder. Drawn so, every shape
    still reads as itself, at every size, over a spread of colour pairs (the plumpest star up to a
    softness of 0.6 px: blurred more, it is as near a circle as a star)."""
    from functools import partial

    from render.tiny_prx import shapes

    pairs = [(c, b) for c in world.OBJECT_COLORS for b in world.BACKGROUND_COLORS if c != b][::9]
    soft, softer = (0.0, 0.6), (0.0, 0.6, 1.1)
    variants = [(s, shapes.SDFS[s], softer) for s in world.SHAPES]
    variants += [("star", partial(shapes._sd_star, inner=0.55), softer)]
    variants += [("star", partial(shapes._sd_star, inner=0.65), soft)]
    variants += [(s, _rounded(shapes.SDFS[s], k), softer) for s in ("square", "triangle", "heart") for k in (0.2, 0.45)]
    wrong, n = [], 0
    for shape, sdf, softnesses in variants:
        for size in world.SIZE_NAMES:
            for color, background in pairs:
                for softness in softnesses:
                    img = _drawn_like_generated(monkeypatch, shape, sdf, size, color, background, softness)
                    read = reading.read_image(img)["shape"]
                    n += 1
                    if read != shape:
                        wrong.append((shape, size, color, background, softness, read))
    assert n > 1500 and not wrong, wrong[:10]


def test_training_draws_the_star_twice_as_often_as_each_other_shape():
    g = torch.Generator().manual_seed(5)
    scenes, _ = world._sample_scenes(7000, g)
    counts = {k: sum(s.shape == k for s in scenes) for k in world.SHAPES}
    assert abs(counts["star"] / 7000 - 2 / 7) < 0.02, counts
    for k in world.SHAPES:
        if k != "star":
            assert abs(counts[k] / 7000 - 1 / 7) < 0.015, counts
    assert world._pick_weighted(0.0, {"a": 1.0, "b": 3.0}) == "a"
    assert world._pick_weighted(0.26, {"a": 1.0, "b": 3.0}) == "b"
    assert world._pick_weighted(0.999999, {"a": 1.0, "b": 3.0}) == "b"
