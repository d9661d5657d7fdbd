"""Run a diffusion model and record every denoising step.

PRX pipelines go through `sample_prx`, the project's own batched loop over the pipeline's parts
(`encode_prompt`, the transformer, the scheduler, the VAE): requests that share steps and size run as
one batch even when their prompts, seeds and guidance scales differ. diffusers' `PRXPipeline.__call__`
cannot do that (with guidance > 1 and several prompts its timestep tensor has length 2), and its
step callback can read but not steer. Any other diffusers text-to-image pipeline is run one request
at a time by `sample_with_callback`, which records through `callback_on_step_end`.

Initial noise always comes from a CPU `torch.Generator` seeded per request, drawn in float32, then
moved to the model's device and dtype, so a seed means the same noise on every machine.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np
import torch

from render.requests import GenerationRequest
from render.trajectory import Trajectory

# Latents per VAE decode call. On the CPU small batches stay in cache and run about twice as fast per
# latent as batches of 64 (measured on the shipped 128 px VAE: 50 ms against 90 ms); GPUs want large ones.
PREVIEW_DECODE_BATCH = {"cpu": 4, "cuda": 64, "mps": 16}


@dataclass
class EncodedPrompts:
    """Token-level embeddings and masks of a batch of requests (conditional and unconditional)."""

    embeds: torch.Tensor  # [n, T, D]
    mask: torch.Tensor  # [n, T] bool
    uncond_embeds: torch.Tensor | None  # [m, T, D] for the m requests with guidance > 1
    uncond_mask: torch.Tensor | None
    guided: list[int]  # indices of the requests with guidance > 1


def initial_noise(request: GenerationRequest, channels: int, latent_h: int, latent_w: int) -> torch.Tensor:
    """The starting latent of a request: float32 noise from a CPU generator seeded with its seed."""
    generator = torch.Generator("cpu").manual_seed(request.seed)
    return torch.randn((1, channels, latent_h, latent_w), generator=generator, dtype=torch.float32)


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
    unique = list(dict.fromkeys(texts))
    embeds, mask, _, _ = pipe.encode_prompt(unique, device, do_classifier_free_guidance=False)
    row = {text: i for i, text in enumerate(unique)}

    def lookup(text: str) -> tuple[torch.Tensor, torch.Tensor]:
        return embeds[row[text]], mask[row[text]]

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


def decode_latents(vae, latents: torch.Tensor) -> np.ndarray:
    """Latents (as the transformer sees them) -> uint8 RGB images [n, H, W, 3], in chunks."""
    scaling = getattr(vae.config, "scaling_factor", None) or 0.18215
    shift = getattr(vae.config, "shift_factor", None) or 0.0
    out = []
    for chunk in latents.split(PREVIEW_DECODE_BATCH.get(vae.device.type, 16)):
        chunk = chunk.to(device=vae.device, dtype=vae.dtype) / scaling + shift
        images = vae.decode(chunk, return_dict=False)[0]
        images = ((images.float() / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
        out.append(images.permute(0, 2, 3, 1).cpu().numpy())
    return np.concatenate(out)


def pooled_embedding(embeds: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The masked mean of token embeddings: one vector per prompt."""
    m = mask.to(embeds.dtype).unsqueeze(-1)
    return (embeds * m).sum(-2) / m.sum(-2).clamp(min=1.0)


@torch.no_grad()
def sample_prx(
    pipe,
    requests: list[GenerationRequest],
    *,
    model_identity: dict,
    keys: list[str] | None = None,
    on_step: Callable[[int], None] | None = None,
) -> list[Trajectory]:
    """Sample a batch of requests with equal steps and size through a PRX pipeline's parts."""
    # 1. Check inputs
    if len({r.batch_shape for r in requests}) != 1:
        raise ValueError("a batch must share steps, height and width")
    steps, height, width = requests[0].batch_shape
    scale = pipe.vae_scale_factor
    multiple = scale * pipe.transformer.config.patch_size
    if height % multiple or width % multiple:
        raise ValueError(f"height and width must be multiples of {multiple}, got {width}x{height}")
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
    latents = torch.cat([initial_noise(r, channels, height // scale, width // scale) for r in requests])
    latents = latents.to(device=device, dtype=dtype)

    # 5. Denoising loop, recording the state and the predicted clean latent at every step
    states = [latents.float().cpu()]
    predictions = []
    for i, t in enumerate(timesteps):
        latents_in = torch.cat([latents, latents[guided]]) if guided else latents
        t_cont = (t.float() / scheduler.config.num_train_timesteps).view(1).repeat(latents_in.shape[0]).to(device)
        velocity = pipe.transformer(
            hidden_states=latents_in,
            timestep=t_cont,
            encoder_hidden_states=ca_embed,
            attention_mask=ca_mask,
            return_dict=False,
        )[0]
        if guided:
            v_cond, v_uncond = velocity[:n].clone(), velocity[n:]
            v_cond[guided] = v_uncond + scales * (v_cond[guided] - v_uncond)
            velocity = v_cond
        predictions.append((latents.float() - sigmas[i].item() * velocity.float()).cpu())
        latents = scheduler.step(velocity, t, latents).prev_sample
        states.append(latents.float().cpu())
        if on_step is not None:
            on_step(n)

    # 6. Decode every state and every prediction (previews), in large batches
    state_stack = torch.stack(states, 1)  # [n, steps+1, C, h, w]
    pred_stack = torch.stack(predictions, 1)  # [n, steps, C, h, w]
    previews = decode_latents(pipe.vae, state_stack.flatten(0, 1)).reshape(n, steps + 1, height, width, 3)
    x0_previews = decode_latents(pipe.vae, pred_stack.flatten(0, 1)).reshape(n, steps, height, width, 3)

    # 7. One trajectory per request
    pooled = pooled_embedding(enc.embeds.float(), enc.mask)
    info = versions()
    out = []
    for j, r in enumerate(requests):
        out.append(
            Trajectory(
                request=r.model_dump(mode="json"),
                model=model_identity,
                versions=info,
                key=keys[j] if keys else "",
                sigmas=sigmas.numpy().astype(np.float32),
                timesteps=timesteps.float().cpu().numpy(),
                latents=state_stack[j].numpy().astype(np.float16),
                x0=pred_stack[j].numpy().astype(np.float16),
                previews=previews[j],
                x0_previews=x0_previews[j],
                image=previews[j, -1].copy(),
                prompt_embeds=enc.embeds[j].float().cpu().numpy().astype(np.float16),
                prompt_mask=enc.mask[j].cpu().numpy().astype(bool),
                pooled=pooled[j].cpu().numpy().astype(np.float16),
            )
        )
    return out


@torch.no_grad()
def sample_with_callback(
    pipe,
    request: GenerationRequest,
    *,
    model_identity: dict,
    key: str = "",
    on_step: Callable[[int], None] | None = None,
) -> Trajectory:
    """Run any diffusers text-to-image pipeline's own `__call__` and record it step by step.

    The state after each step comes from `callback_on_step_end`; the state before the step and the
    predicted clean latent come from watching `scheduler.step` (its `pred_original_sample`, or for
    flow-matching schedulers `x_t - sigma * v`). The scheduler is restored afterwards.
    """
    if request.embedding is not None:
        raise ValueError("prompt-embedding mixes (interpolation) need a PRX model; this pipeline is generic")
    scheduler = pipe.scheduler
    before: list[torch.Tensor] = []
    predictions: list[torch.Tensor] = []
    after: list[torch.Tensor] = []
    original_step = scheduler.step
    is_flow = hasattr(scheduler, "sigmas") and type(scheduler).__name__.startswith("FlowMatch")

    def watching_step(model_output, timestep, sample, *args, **kwargs):
        result = original_step(model_output, timestep, sample, *args, **kwargs)
        before.append(sample.float().cpu())
        if isinstance(result, tuple):  # return_dict=False: (prev_sample, pred_original_sample, ...)
            predicted = result[1] if len(result) > 1 else None
        else:
            predicted = getattr(result, "pred_original_sample", None)
        if predicted is None and is_flow:
            sigma = scheduler.sigmas[scheduler.step_index - 1]
            predicted = sample.float() - sigma.item() * model_output.float()
        if predicted is None:
            raise ValueError(
                f"{type(scheduler).__name__} does not report its predicted clean sample; "
                "noise2image cannot record this pipeline's x0 predictions"
            )
        predictions.append(predicted.float().cpu())
        return result

    def record(_pipe, step, timestep, tensors):
        after.append(tensors["latents"].float().cpu())
        if on_step is not None:
            on_step(1)
        return tensors

    unet_or_transformer = getattr(pipe, "transformer", None) or pipe.unet
    channels = unet_or_transformer.config.in_channels
    scale = pipe.vae_scale_factor
    noise = initial_noise(request, channels, request.height // scale, request.width // scale)
    scheduler.step = watching_step
    try:
        result = pipe(
            prompt=request.prompt or "",
            negative_prompt=request.negative_prompt or None,
            num_inference_steps=request.steps,
            guidance_scale=request.guidance,
            height=request.height,
            width=request.width,
            latents=noise.to(device=pipe.device, dtype=unet_or_transformer.dtype),
            output_type="np",
            callback_on_step_end=record,
            callback_on_step_end_tensor_inputs=["latents"],
        )
    finally:
        del scheduler.step  # back to the class's method
    image = (np.clip(result.images[0], 0, 1) * 255).round().astype(np.uint8)
    states = torch.cat([before[0]] + after)  # [steps+1, C, h, w]
    preds = torch.cat(predictions)
    steps = len(after)
    previews = decode_latents(pipe.vae, states)
    x0_previews = decode_latents(pipe.vae, preds)
    embeds, mask = _encode_for_record(pipe, request.prompt or "")
    sigmas = getattr(scheduler, "sigmas", None)
    sigmas = (
        sigmas.float().cpu().numpy()[: steps + 1]
        if sigmas is not None and len(sigmas) >= steps + 1
        else np.linspace(1.0, 0.0, steps + 1, dtype=np.float32)
    )
    return Trajectory(
        request=request.model_dump(mode="json"),
        model=model_identity,
        versions=versions(),
        key=key,
        sigmas=sigmas.astype(np.float32),
        timesteps=scheduler.timesteps[:steps].float().cpu().numpy(),
        latents=states.numpy().astype(np.float16),
        x0=preds.numpy().astype(np.float16),
        previews=previews,
        x0_previews=x0_previews,
        image=image,
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
