"""Generation requests: everything that decides one recorded trajectory (its key: render/keys.py `request_key`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Shown(BaseModel):
    """Which decoded images of a trajectory chapters show (the final image always is).

    The latents of every step are always recorded; only decoding is skipped, since on a CPU it
    costs more than the denoising. Not part of a request's key: a chapter that needs more than a
    stored bundle holds makes it again (same latents, more images).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    steps: bool = True  # every intermediate state (`previews`); else only the final image
    predictions: bool = False  # every step's x0 prediction (`x0_previews`)

    def __or__(self, other: Shown) -> Shown:
        return Shown(steps=self.steps or other.steps, predictions=self.predictions or other.predictions)

    def covers(self, other: Shown) -> bool:
        """True if everything `other` shows is here."""
        return (self.steps or not other.steps) and (self.predictions or not other.predictions)


EVERYTHING = Shown(steps=True, predictions=True)
FINAL_ONLY = Shown(steps=False, predictions=False)


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
    repeat: int = Field(default=0, ge=0)  # >0: the same request recorded again, separately (the same seed, again)

    def describe(self) -> str:
        """A short human-readable label."""
        if self.embedding is not None:
            e = self.embedding
            what = f"mix({e.from_prompt!r} -> {e.to_prompt!r}, t={e.t:.3g})"
        else:
            what = repr(self.prompt)
        again = f" (again, {self.repeat})" if self.repeat else ""
        return (
            f"{what} seed={self.seed} steps={self.steps} guidance={self.guidance:g} {self.width}x{self.height}{again}"
        )

    @property
    def batch_shape(self) -> tuple[int, int, int]:
        """Requests with the same (steps, height, width) can share one batched sampling loop."""
        return (self.steps, self.height, self.width)
