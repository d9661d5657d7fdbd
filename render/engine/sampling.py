"""Run a diffusion model and record every denoising step.

PRX pipelines go through `sample_prx`, the project's own batched loop over the pipeline's parts
(`encode_prompt`, the transformer, the scheduler, the VAE): requests that share steps and size run as
one batch even when their prompts, seeds and guidance scales differ. diffusers' `PRXPipeline.__call__`
cannot do that (with guidance > 1 and several prompts its timestep tensor has length 2), and its
step callback can read but not steer. Any other diffusers text-to-image pipeline is run one request
at a time by `sample_with_callback`, which records through `callback_on_step_end`.

Initial noise always comes from a CPU `torch.Generator` seeded per request, drawn in float32, then
moved to the model's device and dtype, so a seed means the same noise on every machine; a
scheduler that draws noise at every step (ancestral, SDE) draws it from the same generator. Every
network runs on fixed-size chunks of rows and each prompt is encoded alone (render/engine/decoding.py
says why), so a request records the same numbers whichever requests share its batch.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np
import torch

from render.engine.decoding import (
    chunk_size,
    decode_float,
    decode_latents,
    in_fixed_chunks,
    state_pictures,
    to_uint8,
)
from render.engine.requests import EVERYTHING, GenerationRequest, Shown
from render.engine.trajectory import Trajectory

# Rows (requests, plus one per unconditional pass) per transformer call.
TRANSFORMER_CHUNK = {"cpu": 8, "cuda": 64, "mps": 16}


@dataclass
class EncodedPrompts:
    """Token-level embeddings and masks of a batch of requests (conditional and unconditional)."""

    embeds: torch.Tensor  # [n, T, D]
    mask: torch.Tensor  # [n, T] bool
    uncond_embeds: torch.Tensor | None  # [m, T, D] for the m requests with guidance > 1
    uncond_mask: torch.Tensor | None
    guided: list[int]  # indices of the requests with guidance > 1


def initial_noise(
    request: GenerationRequest, channels: int, latent_h: int, latent_w: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """The starting latent of a request: float32 noise from a CPU generator seeded with its seed
    (or from `generator`, seeded so by `request_generator`, which then goes on to the noise a
    stochastic sampler draws at each step)."""
    generator = generator or request_generator(request)
    return torch.randn((1, channels, latent_h, latent_w), generator=generator, dtype=torch.float32)


def request_generator(request: GenerationRequest) -> torch.Generator:
    """The CPU generator of a request, seeded with its seed."""
    return torch.Generator("cpu").manual_seed(request.seed)


def step_kwargs(scheduler, generator: torch.Generator | list[torch.Generator]) -> dict:
    """What `scheduler.step` needs beyond (output, timestep, sample): a scheduler that may draw fresh
    noise at each step (ancestral and SDE samplers, flow matching's `stochastic_sampling`) takes the
    requests' own generators, so a seed fixes every step, whichever requests share the batch;
    diffusers' `PRXPipeline` passes none, and then the global generator would."""
    if "generator" in inspect.signature(scheduler.step).parameters:
        return {"generator": generator}
    return {}


def versions() -> dict[str, str]:
    return {name: version(name) for name in ("torch", "diffusers", "transformers")}


def encode_requests(pipe, requests: list[GenerationRequest], device) -> EncodedPrompts:
    """Encode every distinct text once, then assemble each request's (possibly mixed) embedding."""
    texts: list[str] = []
    for r in requests:
        if r.embedding is not None:
            texts += [r.embedding.from_prompt, r.embedding.to_prompt]
        else:
            texts.append(r.prompt or "")
        if r.guidance > 1.0:
            texts.append(r.negative_prompt)
    encoded = {}
    for text in dict.fromkeys(texts):  # one at a time: the same numbers whatever else is in the batch
        embeds, mask, _, _ = pipe.encode_prompt([text], device, do_classifier_free_guidance=False)
        encoded[text] = (embeds[0], mask[0])

    def lookup(text: str) -> tuple[torch.Tensor, torch.Tensor]:
        return encoded[text]

    cond, cond_mask = [], []
    for r in requests:
        if r.embedding is not None:
            (ea, ma), (eb, mb) = lookup(r.embedding.from_prompt), lookup(r.embedding.to_prompt)
            t = r.embedding.t
            cond.append((1.0 - t) * ea + t * eb)
            cond_mask.append(ma | mb)
        else:
            e, m = lookup(r.prompt or "")
            cond.append(e)
            cond_mask.append(m)
    guided = [i for i, r in enumerate(requests) if r.guidance > 1.0]
    uncond = [lookup(requests[i].negative_prompt) for i in guided]
    return EncodedPrompts(
        embeds=torch.stack(cond),
        mask=torch.stack(cond_mask),
        uncond_embeds=torch.stack([e for e, _ in uncond]) if uncond else None,
        uncond_mask=torch.stack([m for _, m in uncond]) if uncond else None,
        guided=guided,
    )


def pooled_embedding(embeds: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The masked mean of token embeddings: one vector per prompt."""
    m = mask.to(embeds.dtype).unsqueeze(-1)
    return (embeds * m).sum(-2) / m.sum(-2).clamp(min=1.0)


@dataclass
class Denoised:
    """What one batched run of the denoising loop produced."""

    prompts: EncodedPrompts
    sigmas: torch.Tensor  # [steps+1], float32 on the CPU
    timesteps: torch.Tensor  # [steps]
    states: list[torch.Tensor]  # float32 CPU latents [n, C, h, w]: every state, or only the last one
    predictions: list[torch.Tensor]  # float32 CPU x0 predictions per step (empty when steps are not kept)


def _check_batch(pipe, requests: list[GenerationRequest]) -> tuple[int, int, int]:
    if len({r.batch_shape for r in requests}) != 1:
        raise ValueError("a batch must share steps, height and width")
    steps, height, width = requests[0].batch_shape
    multiple = pipe.vae_scale_factor * pipe.transformer.config.patch_size
    if height % multiple or width % multiple:
        raise ValueError(f"height and width must be multiples of {multiple}, got {width}x{height}")
    return steps, height, width


@torch.no_grad()
def denoise(
    pipe, requests: list[GenerationRequest], *, keep_steps: bool = True, on_step: Callable[[int], None] | None = None
) -> Denoised:
    """The sampling loop: a batch of requests with equal steps and size through a PRX pipeline's parts.

    Prompts, seeds and guidance scales may differ within the batch; only the requests with guidance
    above 1 get an unconditional pass. With `keep_steps` every state and every x0 prediction is
    copied to the CPU; without, only the final latents.
    """
    # 1. Check inputs
    steps, height, width = _check_batch(pipe, requests)
    device = pipe._execution_device
    dtype = pipe.transformer.dtype
    n = len(requests)

    # 2. Encode prompts (each distinct text once)
    enc = encode_requests(pipe, requests, device)
    guided = enc.guided
    if enc.uncond_embeds is not None:
        ca_embed = torch.cat([enc.embeds, enc.uncond_embeds]).to(dtype)
        ca_mask = torch.cat([enc.mask, enc.uncond_mask])
    else:
        ca_embed, ca_mask = enc.embeds.to(dtype), enc.mask
    scales = torch.tensor([requests[i].guidance for i in guided], device=device, dtype=dtype).view(-1, 1, 1, 1)

    # 3. Timesteps (a private copy: the scheduler keeps a step index)
    scheduler = copy.deepcopy(pipe.scheduler)
    scheduler.set_timesteps(steps, device=device)
    timesteps = scheduler.timesteps
    sigmas = scheduler.sigmas.float().cpu()

    # 4. Initial noise, per request from its own CPU generator
    channels = pipe.vae.config.latent_channels
    scale = pipe.vae_scale_factor
    generators = [request_generator(r) for r in requests]
    latent_h, latent_w = height // scale, width // scale
    noise = [initial_noise(r, channels, latent_h, latent_w, g) for r, g in zip(requests, generators, strict=True)]
    latents = torch.cat(noise).to(device=device, dtype=dtype)
    stepping = step_kwargs(scheduler, generators)

    # 5. Denoising loop, recording the state and the predicted clean latent at every step
    def transformer(x: torch.Tensor, t: torch.Tensor, embeds: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return pipe.transformer(
            hidden_states=x, timestep=t, encoder_hidden_states=embeds, attention_mask=mask, return_dict=False
        )[0]

    rows = chunk_size(TRANSFORMER_CHUNK, device)
    states = [latents.float().cpu()] if keep_steps else []
    predictions = []
    for i, t in enumerate(timesteps):
        latents_in = torch.cat([latents, latents[guided]]) if guided else latents
        t_cont = (t.float() / scheduler.config.num_train_timesteps).view(1).repeat(latents_in.shape[0]).to(device)
        velocity = in_fixed_chunks(transformer, rows, latents_in, t_cont, ca_embed, ca_mask)
        if guided:
            v_cond, v_uncond = velocity[:n].clone(), velocity[n:]
            v_cond[guided] = v_uncond + scales * (v_cond[guided] - v_uncond)
            velocity = v_cond
        if keep_steps:
            predictions.append((latents.float() - sigmas[i].item() * velocity.float()).cpu())
        latents = scheduler.step(velocity, t, latents, **stepping).prev_sample
        if keep_steps:
            states.append(latents.float().cpu())
        if on_step is not None:
            on_step(n)
    if not keep_steps:
        states.append(latents.float().cpu())
    return Denoised(enc, sigmas, timesteps, states, predictions)


@torch.no_grad()
def sample_prx(
    pipe,
    requests: list[GenerationRequest],
    *,
    model_identity: dict,
    keys: list[str] | None = None,
    on_step: Callable[[int], None] | None = None,
    shown: list[Shown] | None = None,
) -> list[Trajectory]:
    """Sample a batch of requests with equal steps and size and record every step of each.

    Every state and x0 prediction is kept as a latent; `shown` (per request, default: everything)
    says which are decoded to images.
    """
    _check_batch(pipe, requests)
    if shown is not None and len(shown) != len(requests):
        raise ValueError(f"shown has {len(shown)} entries for {len(requests)} requests")
    run = denoise(pipe, requests, on_step=on_step)
    state_stack = torch.stack(run.states, 1)  # [n, steps+1, C, h, w]
    pred_stack = torch.stack(run.predictions, 1)  # [n, steps, C, h, w]
    images = decode_recording(
        pipe.vae, state_stack, pred_stack, run.sigmas.numpy(), shown or [EVERYTHING] * len(requests)
    )

    # One trajectory per request
    enc = run.prompts
    info = versions()
    out = []
    for j, r in enumerate(requests):
        previews, x0_previews = images[j]
        out.append(
            Trajectory(
                request=r.model_dump(mode="json"),
                model=model_identity,
                versions=info,
                key=keys[j] if keys else "",
                sigmas=run.sigmas.numpy().astype(np.float32),
                timesteps=run.timesteps.float().cpu().numpy(),
                latents=state_stack[j].numpy().astype(np.float16),
                x0=pred_stack[j].numpy().astype(np.float16),
                previews=previews,
                x0_previews=x0_previews,
                image=previews[-1].copy(),
                prompt_embeds=enc.embeds[j].float().cpu().numpy().astype(np.float16),
                prompt_mask=enc.mask[j].cpu().numpy().astype(bool),
                pooled=pooled_embedding(enc.embeds[j].float(), enc.mask[j]).cpu().numpy().astype(np.float16),
            )
        )
    return out


def decode_recording(
    vae, states: torch.Tensor, predictions: torch.Tensor, sigmas: np.ndarray, shown: list[Shown]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(previews, x0_previews) per request of a batch: states [n, steps+1, ...], predictions [n, steps, ...].

    A shown step's preview is the picture of its state (`decoding.state_pictures`: the decoded
    prediction mixed with the state's noise made visible, never noise decoded by the VAE), so the
    predictions are what is decoded. All of a batch's latents go through the VAE in one call (in
    fixed chunks: the bytes do not depend on the batch). Steps not shown are left out: previews is
    then [1] (the final image), x0_previews empty.
    """
    latents: list[torch.Tensor] = []

    def add(rows: torch.Tensor) -> slice:
        latents.extend(rows)
        return slice(len(latents) - rows.shape[0], len(latents))

    plans = []
    for j, show in enumerate(shown):
        if show.steps or show.predictions:  # flow matching's last prediction is the final state: decoded once
            lands = torch.equal(predictions[j, -1], states[j, -1])
            plans.append((add(predictions[j]), None if lands else add(states[j, -1:]), show))
        else:
            plans.append((None, add(states[j, -1:]), show))
    images = decode_latents(vae, torch.stack(latents))
    out = []
    for j, (prediction_steps, final_step, show) in enumerate(plans):
        decoded = images[prediction_steps] if prediction_steps is not None else images[:0]
        final = images[final_step][-1] if final_step is not None else decoded[-1]
        if show.steps:
            previews = state_pictures(states[j], predictions[j], sigmas, decoded, final)
        else:
            previews = final[None]
        out.append((previews, decoded if show.predictions else images[:0]))
    return out


@torch.no_grad()
def sample_images(pipe, requests: list[GenerationRequest], *, batch_size: int = 64) -> tuple[np.ndarray, torch.Tensor]:
    """Final images only (for evaluation): uint8 [N, H, W, 3] and the decoder's unclamped output [N, 3, H, W].

    Requests are cut into batches of `batch_size` (each batch must share steps and size).
    """
    images, decoded = [], []
    for i in range(0, len(requests), batch_size):
        run = denoise(pipe, requests[i : i + batch_size], keep_steps=False)
        out = decode_float(pipe.vae, run.states[-1])
        decoded.append(out)
        images.append(to_uint8(out))
    return np.concatenate(images), torch.cat(decoded)


class _StepRecorder:
    """Watches a pipeline's own loop: `scheduler.step` gives the state before each step and the
    predicted clean latent (its `pred_original_sample`, or `x_t - sigma * v` for flow matching);
    `callback_on_step_end` gives the state after it."""

    def __init__(self, scheduler, on_step: Callable[[int], None] | None, generator: torch.Generator):
        self.scheduler = scheduler
        self._stepping = step_kwargs(scheduler, generator)
        self.on_step = on_step
        self.before: list[torch.Tensor] = []
        self.predictions: list[torch.Tensor] = []
        self.after: list[torch.Tensor] = []
        self._step = scheduler.step
        self._is_flow = hasattr(scheduler, "sigmas") and type(scheduler).__name__.startswith("FlowMatch")

    def step(self, model_output, timestep, sample, *args, **kwargs):
        if kwargs.get("generator") is None:  # the pipeline passed none (PRX) or None (no generator given)
            kwargs = {**kwargs, **self._stepping}
        result = self._step(model_output, timestep, sample, *args, **kwargs)
        self.before.append(sample.float().cpu())
        if isinstance(result, tuple):  # return_dict=False: (prev_sample, pred_original_sample, ...)
            predicted = result[1] if len(result) > 1 else None
        else:
            predicted = getattr(result, "pred_original_sample", None)
        if predicted is None and self._is_flow:
            sigma = self.scheduler.sigmas[self.scheduler.step_index - 1]
            predicted = sample.float() - sigma.item() * model_output.float()
        if predicted is None:
            raise ValueError(
                f"{type(self.scheduler).__name__} does not report its predicted clean sample; "
                "noise2image cannot record this pipeline's x0 predictions"
            )
        self.predictions.append(predicted.float().cpu())
        return result

    def on_step_end(self, _pipe, step, timestep, tensors):
        self.after.append(tensors["latents"].float().cpu())
        if self.on_step is not None:
            self.on_step(1)
        return tensors

    def sigmas(self) -> np.ndarray:
        """The scheduler's sigmas for the recorded steps (evenly spaced 1 -> 0 if it has none)."""
        steps = len(self.after)
        sigmas = getattr(self.scheduler, "sigmas", None)
        if sigmas is not None and len(sigmas) >= steps + 1:
            return sigmas.float().cpu().numpy()[: steps + 1].astype(np.float32)
        return np.linspace(1.0, 0.0, steps + 1, dtype=np.float32)


@torch.no_grad()
def sample_with_callback(
    pipe,
    request: GenerationRequest,
    *,
    model_identity: dict,
    key: str = "",
    on_step: Callable[[int], None] | None = None,
    shown: Shown = EVERYTHING,
) -> Trajectory:
    """Run any diffusers text-to-image pipeline's own `__call__` and record it step by step
    (see `_StepRecorder`); `shown` as for `sample_prx`. The scheduler's own `step`
    is restored afterwards."""
    if request.embedding is not None:
        raise ValueError("prompt-embedding mixes (interpolation) need a PRX model; this pipeline is generic")
    denoiser = getattr(pipe, "transformer", None) or pipe.unet
    scale = pipe.vae_scale_factor
    generator = request_generator(request)
    noise = initial_noise(
        request, denoiser.config.in_channels, request.height // scale, request.width // scale, generator
    )
    recorder = _StepRecorder(pipe.scheduler, on_step, generator)
    pipe.scheduler.step = recorder.step
    try:
        result = pipe(
            prompt=request.prompt or "",
            negative_prompt=request.negative_prompt or None,
            num_inference_steps=request.steps,
            guidance_scale=request.guidance,
            height=request.height,
            width=request.width,
            latents=noise.to(device=pipe.device, dtype=denoiser.dtype),
            output_type="np",
            callback_on_step_end=recorder.on_step_end,
            callback_on_step_end_tensor_inputs=["latents"],
        )
    finally:
        del pipe.scheduler.step  # back to the class's method
    states = torch.cat([recorder.before[0]] + recorder.after)  # [steps+1, C, h, w]
    predictions = torch.cat(recorder.predictions)
    sigmas = recorder.sigmas()
    ((previews, x0_previews),) = decode_recording(pipe.vae, states[None], predictions[None], sigmas, [shown])
    embeds, mask = _encode_for_record(pipe, request.prompt or "")
    return Trajectory(
        request=request.model_dump(mode="json"),
        model=model_identity,
        versions=versions(),
        key=key,
        sigmas=sigmas,
        timesteps=pipe.scheduler.timesteps[: len(recorder.after)].float().cpu().numpy(),
        latents=states.numpy().astype(np.float16),
        x0=predictions.numpy().astype(np.float16),
        previews=previews,
        x0_previews=x0_previews,
        image=(np.clip(result.images[0], 0, 1) * 255).round().astype(np.uint8),
        prompt_embeds=embeds.numpy().astype(np.float16),
        prompt_mask=mask.numpy(),
        pooled=pooled_embedding(embeds, mask).numpy().astype(np.float16),
    )


@torch.no_grad()
def pooled_prompt_embedding(pipe, prompt: str, *, is_prx: bool) -> np.ndarray:
    """One prompt's pooled embedding (float32 [D]), encoded the way the pipeline encodes it."""
    if is_prx:
        embeds, mask, _, _ = pipe.encode_prompt([prompt], pipe._execution_device, do_classifier_free_guidance=False)
    else:
        embeds, mask = (x[None] for x in _encode_for_record(pipe, prompt))
    return pooled_embedding(embeds.float(), mask.to(embeds.device))[0].cpu().numpy().astype(np.float32)


def _encode_for_record(pipe, prompt: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Token-level embedding of a prompt from the pipeline's (first) tokenizer and text encoder."""
    tokenizer, encoder = getattr(pipe, "tokenizer", None), getattr(pipe, "text_encoder", None)
    if tokenizer is None or encoder is None:
        return torch.zeros(0, 0), torch.zeros(0, dtype=torch.bool)
    tokens = tokenizer(
        [prompt],
        padding="max_length",
        max_length=tokenizer.model_max_length,
        truncation=True,
        return_tensors="pt",
    )
    mask = tokens["attention_mask"].bool()
    out = encoder(input_ids=tokens["input_ids"].to(encoder.device), attention_mask=mask.to(encoder.device))
    return out[0][0].float().cpu(), mask[0]
