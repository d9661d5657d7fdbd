"""The README's picture of the embedded model: each shape (rows) in four prompts (columns), guidance 4, 28 steps.

Usage: .venv/bin/python scripts/model_samples.py docs/tiny_prx_samples.png
Each image is the model's 64 px output enlarged 2x pixel by pixel (no smoothing), as the video shows it.
"""

import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from render.engine.sampling import sample_images  # noqa: E402
from render.tiny_prx.evaluate import evaluation_requests  # noqa: E402
from render.tiny_prx.load import load_tiny_prx  # noqa: E402

SHAPES = ["circle", "square", "triangle", "star", "ring", "heart"]
COLUMNS = [  # (object colour, background, size and place)
    ("orange", "teal", "large {} in the center"),
    ("white", "blue", "small {} in the top left corner"),
    ("red", "yellow", "medium {} on the right"),
    ("green", "purple", "medium {} at the bottom"),
]


def main(out: str) -> None:
    pipe = load_tiny_prx(device="cpu", dtype=torch.float32)
    size = pipe.default_sample_size
    prompts = [
        f"a {where.format(f'{colour} {shape}')} on a {bg} background"
        for shape in SHAPES
        for colour, bg, where in COLUMNS
    ]
    requests = evaluation_requests(pipe, prompts, list(range(len(prompts))), steps=28, guidance=4.0)
    images, _ = sample_images(pipe, requests, batch_size=24)
    cell, gap = 2 * size, 4
    sheet = Image.new("RGB", (len(COLUMNS) * (cell + gap) - gap, len(SHAPES) * (cell + gap) - gap), "white")
    for k, im in enumerate(images):
        r, c = divmod(k, len(COLUMNS))
        sheet.paste(
            Image.fromarray(np.asarray(im)).resize((cell, cell), Image.NEAREST), (c * (cell + gap), r * (cell + gap))
        )
    sheet.save(out)
    print("\n".join(prompts))


if __name__ == "__main__":
    main(sys.argv[1])
