"""Piper voices with their sampling noise fixed by what is said, so a sentence always sounds the same.

A Piper voice (VITS) draws Gaussian noise inside its ONNX graph, in `RandomNormalLike` nodes: the
phoneme durations and the voice's texture are sampled. onnxruntime seeds those nodes once, when the
session is created, and each run continues the stream, so the same sentence came out differently
from run to run (and depended on what was spoken before it in the process). Lowering Piper's
noise scales to 0 would make it deterministic but flat.

Here each `RandomNormalLike` node is replaced by a slice of a "noise bank", a new graph input:
the noise is still standard normal and is scaled by the voice's own noise settings, but it is drawn
by numpy from a seed that hashes the run's inputs (phoneme ids, scales, speaker). Same sentence and
settings, same audio, in any process and any order. The bank is tiled if a very long sentence
needs more values than it holds (never with the default size, about 50 s of audio per sentence).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

NOISE_VERSION = 1
"""Bump when the way noise is drawn changes (part of the narration cache key)."""

BANK_SIZE = 1 << 20
"""Values per noise bank: the z noise of a sentence is 192 x frames (about 86 frames a second)."""

BANK_PREFIX = "n2i_noise_bank_"


def patch_random_nodes(model) -> list[str]:
    """Replace every RandomNormalLike node of an `onnx.ModelProto` in place by noise read from a
    new float input `n2i_noise_bank_K` (1-D); returns the new inputs' names in node order."""
    from onnx import TensorProto, helper

    graph = model.graph
    banks: list[str] = []
    nodes = []
    for node in graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if attrs.get("dtype", TensorProto.FLOAT) != TensorProto.FLOAT:
            raise ValueError(f"{node.name}: only float noise is supported, got dtype {attrs['dtype']}")
        k = len(banks)
        bank, like, out, p = f"{BANK_PREFIX}{k}", node.input[0], node.output[0], f"/n2i_noise_{k}/"
        banks.append(bank)
        graph.input.append(helper.make_tensor_value_info(bank, TensorProto.FLOAT, [f"bank_{k}"]))
        graph.initializer.extend(
            [
                helper.make_tensor(p + "zero", TensorProto.INT64, [1], [0]),
                helper.make_tensor(p + "one", TensorProto.INT64, [1], [1]),
            ]
        )
        nodes += [
            helper.make_node("Shape", [like], [p + "shape"]),
            helper.make_node("ReduceProd", [p + "shape"], [p + "size"], keepdims=1),  # [1]
            helper.make_node("Shape", [bank], [p + "bank_size"]),
            # repeats = ceil(size / bank_size): the bank is tiled only for a sentence longer than it holds
            helper.make_node("Sub", [p + "bank_size", p + "one"], [p + "bank_less_one"]),
            helper.make_node("Add", [p + "size", p + "bank_less_one"], [p + "size_up"]),
            helper.make_node("Div", [p + "size_up", p + "bank_size"], [p + "repeats"]),
            helper.make_node("Tile", [bank, p + "repeats"], [p + "tiled"]),
            helper.make_node("Slice", [p + "tiled", p + "zero", p + "size"], [p + "flat"]),
            helper.make_node("Reshape", [p + "flat", p + "shape"], [p + "standard"]),
        ]
        mean, scale = float(attrs.get("mean", 0.0)), float(attrs.get("scale", 1.0))
        if (mean, scale) == (0.0, 1.0):
            nodes.append(helper.make_node("Identity", [p + "standard"], [out]))
        else:
            graph.initializer.extend(
                [
                    helper.make_tensor(p + "mean", TensorProto.FLOAT, [], [mean]),
                    helper.make_tensor(p + "scale", TensorProto.FLOAT, [], [scale]),
                ]
            )
            nodes += [
                helper.make_node("Mul", [p + "standard", p + "scale"], [p + "scaled"]),
                helper.make_node("Add", [p + "scaled", p + "mean"], [out]),
            ]
    del graph.node[:]
    graph.node.extend(nodes)
    return banks


def run_seed(feeds: dict[str, np.ndarray]) -> int:
    """The noise seed of one run: a hash of its inputs (phoneme ids, their lengths, scales, speaker)."""
    digest = hashlib.sha256(f"noise2image piper noise v{NOISE_VERSION}".encode())
    for name in sorted(feeds):
        value = np.ascontiguousarray(feeds[name])
        digest.update(f"{name}:{value.dtype}:{value.shape}".encode())
        digest.update(value.tobytes())
    return int.from_bytes(digest.digest()[:8], "little")


class SeededSession:
    """An onnxruntime session of a patched voice whose `run` adds the noise banks (what PiperVoice calls)."""

    def __init__(self, session, banks: Iterable[str], bank_size: int = BANK_SIZE):
        self.session = session
        self.banks = list(banks)
        self.bank_size = bank_size

    def run(self, output_names, feeds: dict[str, np.ndarray], *args, **kwargs):
        seed = run_seed(feeds)
        noise = {
            bank: np.random.default_rng([seed, k]).standard_normal(self.bank_size, dtype=np.float32)
            for k, bank in enumerate(self.banks)
        }
        return self.session.run(output_names, {**feeds, **noise}, *args, **kwargs)

    def __getattr__(self, name: str):  # get_inputs(), get_outputs(), ... of the real session
        return getattr(self.session, name)


def seeded_session(model_path: Path):
    """A SeededSession for the ONNX voice at `model_path` (CPU), patched in memory."""
    import onnx
    import onnxruntime

    model = onnx.load(str(model_path))
    banks = patch_random_nodes(model)
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), sess_options=onnxruntime.SessionOptions(), providers=["CPUExecutionProvider"]
    )
    return SeededSession(session, banks)
