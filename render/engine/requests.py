"""Generation requests: everything that decides one recorded trajectory, and its cache key."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from render.keys import content_key, slugify

# Bump when the bundle's contents or the sampling loop change meaning, so old bundles are not reused.
TRAJECTORY_FORMAT = 1


class EmbeddingRecipe(BaseModel):
    """A prompt embedding mixed from two prompts: (1 - t) * from + t * to, token by token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    from_prompt: str
    to_prompt: str
    t: float = Field(ge=0.0, le=1.0)


class GenerationRequest(BaseModel):
    """One image generation: a prompt (or an embedding recipe) with seed, steps, guidance and size."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt: str | None = None
    embedding: EmbeddingRecipe | None = None
    negative_prompt: str = ""
    seed: int
    steps: int
    guidance: float
    width: int
    height: int

    def describe(self) -> str:
        """A short human-readable label."""
        if self.embedding is not None:
            e = self.embedding
            what = f"mix({e.from_prompt!r} -> {e.to_prompt!r}, t={e.t:.3g})"
        else:
            what = repr(self.prompt)
        return f"{what} seed={self.seed} steps={self.steps} guidance={self.guidance:g} {self.width}x{self.height}"

    @property
    def batch_shape(self) -> tuple[int, int, int]:
        """Requests with the same (steps, height, width) can share one batched sampling loop."""
        return (self.steps, self.height, self.width)


def request_key(request: GenerationRequest, model_identity: dict[str, Any]) -> str:
    """The cache key of a request on a model: everything that changes the recorded result."""
    return content_key(
        {
            "request": request.model_dump(mode="json"),
            "model": model_identity,
            "format": TRAJECTORY_FORMAT,
        }
    )


def request_folder_name(request: GenerationRequest, key: str) -> str:
    """`{slug}-{key[:10]}`, readable in a directory listing."""
    label = request.prompt if request.embedding is None else f"mix-{request.embedding.from_prompt}"
    return f"{slugify(label or 'empty')}-s{request.seed}-{key[:10]}"
