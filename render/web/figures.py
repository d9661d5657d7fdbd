"""The Python side of the shipped kinds' web figures: chapter data -> the figure's JSON and sprite sheets.

One function per kind, named after it; each reads the keys its kind's analysis documents
(render/kinds/<kind>.py) and keeps what its script (static/figures/<kind>.js) draws. Images go
through `Sprites.add`; numbers are rounded to what a figure can show.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from render.web.figure import FIGURE_SCRIPTS, Sprites, WebFigure, rounded

Info = dict[str, Any]
Arrays = dict[str, np.ndarray]


def _pick(info: Info, *keys: str) -> dict[str, Any]:
    return {key: info[key] for key in keys}


def noise_sampling(info: Info, arrays: Arrays, sprites: Sprites) -> dict[str, Any]:
    """No images: the page draws fresh noise itself; it needs the size and the count of images."""
    return _pick(
        info, "width", "height", "channels", "values_per_image", "levels", "power", "digits", "digits_words", "pages",
        "samples",
    )  # fmt: skip


def denoising(info: Info, arrays: Arrays, sprites: Sprites) -> dict[str, Any]:
    return {
        **_pick(info, "prompt", "seed", "steps", "guidance"),
        "sigmas": rounded(arrays["sigmas"]),
        "states": sprites.add("states", arrays["previews"]),
        "predictions": sprites.add("predictions", arrays["x0_previews"]),
    }


def latent_space(info: Info, arrays: Arrays, sprites: Sprites) -> dict[str, Any]:
    return {
        **_pick(info, "prompt", "seed", "steps", "image_shape", "latent_shape", "image_values", "latent_values"),
        "ratio": round(float(info["ratio"]), 2),
        "path_variance": rounded(info["path_variance"]),
        "sigmas": rounded(arrays["sigmas"]),
        "path": rounded(arrays["path"]),
        "states": sprites.add("states", arrays["previews"]),
        "latents": sprites.add("latents", arrays["latent_colour"], pixelated=True),
    }


def embedding_map(info: Info, arrays: Arrays, sprites: Sprites) -> dict[str, Any]:
    return {
        **_pick(info, "prompts", "groups", "group_of", "highlight", "method"),
        "coords": rounded(arrays["coords"]),
        "similarity": rounded(arrays["similarity"], 3),
    }


def seed_comparison(info: Info, arrays: Arrays, sprites: Sprites) -> dict[str, Any]:
    return {
        **_pick(info, "prompt", "seeds", "steps"),
        "sigmas": rounded(arrays["sigmas"]),
        "spread": rounded(arrays["spread"], 3),
        "paths": rounded(arrays["paths"]),
        "states": sprites.add("states", arrays["previews"]),  # [seed, step]
    }


def step_comparison(info: Info, arrays: Arrays, sprites: Sprites) -> dict[str, Any]:
    """Every run's states in one sprite, run after run: run i starts at image `starts[i]`."""
    counts = [int(k) for k in info["step_counts"]]
    runs = [arrays[f"previews_{i}"] for i in range(len(counts))]
    starts = np.cumsum([0] + [len(r) for r in runs[:-1]]).tolist()
    return {
        **_pick(info, "prompt", "seed"),
        "step_counts": counts,
        "starts": starts,
        "finals": sprites.add("finals", arrays["images"]),
        "states": sprites.add("states", np.concatenate(runs)),
    }


def prompt_detail(info: Info, arrays: Arrays, sprites: Sprites) -> dict[str, Any]:
    previews = arrays["previews"]  # [prompt, seed, step]
    return {
        **_pick(info, "prompts", "seeds"),
        "variety": rounded(info["variety"], 3),
        "steps": int(previews.shape[2]) - 1,
        "states": sprites.add("states", previews),
    }


def prompt_length(info: Info, arrays: Arrays, sprites: Sprites) -> dict[str, Any]:
    return {
        **_pick(info, "prompt", "words", "prefixes"),
        "change": rounded(arrays["change"], 3),
        "images": sprites.add("images", arrays["images"]),
    }


def interpolation(info: Info, arrays: Arrays, sprites: Sprites) -> dict[str, Any]:
    return {
        **_pick(info, "from_prompt", "to_prompt", "steps"),
        "ts": rounded(info["ts"], 3),
        "change": rounded(arrays["change"], 3),
        "states": sprites.add("states", arrays["previews"]),  # [point, step]
    }


def guidance_comparison(info: Info, arrays: Arrays, sprites: Sprites) -> dict[str, Any]:
    previews = arrays["previews"]  # [scale, step]
    return {
        **_pick(info, "prompt", "seed", "guidance_scales"),
        "saturation": rounded(info["saturation"], 3),
        "steps": int(previews.shape[1]) - 1,
        "states": sprites.add("states", previews),
    }


def summary(info: Info, arrays: Arrays, sprites: Sprites) -> dict[str, Any]:
    """The four controls as the guide's journey, each with its pictures, and the journey replayed."""
    controls = [
        {"name": "seed", "meaning": "where you start", "values": info["seeds"],
         "images": sprites.add("seeds", arrays["seed_images"])},
        {"name": "prompt", "meaning": "the compass", "values": [info["prompt"]]},
        {"name": "steps", "meaning": "how often you check the compass", "values": info["step_counts"],
         "images": sprites.add("step_counts", arrays["step_images"])},
        {"name": "guidance", "meaning": "how strongly you follow it", "values": info["guidance_scales"],
         "images": sprites.add("guidance_scales", arrays["guidance_images"])},
    ]  # fmt: skip
    return {
        **_pick(info, "prompt", "seed", "steps", "guidance"),
        "controls": controls,
        "sigmas": rounded(arrays["sigmas"]),
        "states": sprites.add("states", arrays["previews"]),
    }


def shipped(build) -> WebFigure:
    """The figure of a shipped kind: `build` here, drawn by static/figures/<its name>.js."""
    return WebFigure(build=build, script=FIGURE_SCRIPTS / f"{build.__name__}.js")
