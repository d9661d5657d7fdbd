"""bfloat16 against float32 generation on this machine: time, and how far the pictures move.

Writes one small storyboard twice (`model.dtype: float32` and `bfloat16`; two chapters of eight
seeds each: a prompt the embedded model draws well and one it draws badly), runs the real
`noise2image generate` on each into an empty cache (fresh processes, float32 first), and prints
the wall time of each, their ratio, and the PSNR of every bfloat16 final image against its float32
twin (min, median, max). A bench, not a test:

    .venv/bin/python bench/bfloat16.py [--device cpu] [--seeds 8]
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from render.engine.trajectory import Trajectory  # noqa: E402

PROMPTS = {
    "ring": "a large orange ring in the center on a teal background",
    "star": "a large red star at the top left on a yellow background",
}


def storyboard(dtype: str, device: str, seeds: int) -> str:
    chapters = "".join(
        f"  - id: {name}\n    kind: seed_comparison\n    title: {name}\n    prompt: {prompt}\n"
        f"    seeds: {list(range(1, seeds + 1))}\n    narration: [One beat.]\n"
        for name, prompt in PROMPTS.items()
    )
    return (
        f"title: bfloat16 against float32\nmodel: {{id: 'builtin:tiny-prx', device: {device}, dtype: {dtype}}}\n"
        "defaults: {seed: 7, steps: 28, guidance: 4.0}\nnarration: {voice: none}\nchapters:\n" + chapters
    )


def generate(folder: Path, dtype: str, device: str, seeds: int) -> tuple[float, dict]:
    path = folder / f"{dtype}.yaml"
    path.write_text(storyboard(dtype, device, seeds))
    cache = folder / f"cache-{dtype}"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "render.cli", "generate", str(path), "--cache", str(cache)], cwd=REPO,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    seconds = time.perf_counter() - start
    images = {}
    for bundle in sorted((cache / "trajectories").iterdir()):
        if not bundle.name.startswith("."):
            t = Trajectory.load(bundle)
            images[t.request["prompt"], t.request["seed"], t.request.get("repeat", 0)] = t.image
    return seconds, images


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="n2i-bf16-") as tmp:
        f32_s, f32 = generate(Path(tmp), "float32", args.device, args.seeds)
        bf16_s, bf16 = generate(Path(tmp), "bfloat16", args.device, args.seeds)
    values = np.array([psnr(f32[k], bf16[k]) for k in sorted(f32)])
    flags = [f for f in ("avx512_bf16", "amx_bf16") if f in Path("/proc/cpuinfo").read_text()]
    now = datetime.datetime.now().isoformat(timespec="minutes")
    print(f"# bfloat16 against float32, {now}, {os.cpu_count()} cores, CPU bfloat16 features: "
          f"{', '.join(flags) or 'none'}; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"generate, {len(f32)} trajectories from an empty cache: float32 {f32_s:.1f} s, bfloat16 {bf16_s:.1f} s,"
          f" ratio {bf16_s / f32_s:.2f}")  # fmt: skip
    print(
        f"PSNR of each bfloat16 final image against its float32 twin: min {values.min():.1f} dB, "
        f"median {np.median(values):.1f} dB, max {values.max():.1f} dB"
    )


if __name__ == "__main__":
    main()
