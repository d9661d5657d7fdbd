"""The recording engine on tiny randomly initialised pipelines."""

import numpy as np
import pytest
import torch
from diffusers import EulerAncestralDiscreteScheduler, FlowMatchEulerDiscreteScheduler
from tiny_models import TINY_SIZE, tiny_prx_pipeline, tiny_stable_diffusion_pipeline

from render.engine.decoding import decode_latents
from render.engine.requests import EVERYTHING, FINAL_ONLY, EmbeddingRecipe, GenerationRequest, Shown
from render.engine.sampling import TRANSFORMER_CHUNK, sample_prx, sample_with_callback

MODEL = {"id": "test:tiny-prx", "weights": "0"}


def req(prompt="a red circle", seed=0, guidance=4.0, steps=3, negative=""):
    return GenerationRequest(
        prompt=prompt,
        seed=seed,
        steps=steps,
        guidance=guidance,
        width=TINY_SIZE,
        height=TINY_SIZE,
        negative_prompt=negative,
    )


@pytest.fixture(scope="module")
def prx():
    return tiny_prx_pipeline()


def plain_call(pipe, r: GenerationRequest) -> tuple[np.ndarray, list[torch.Tensor]]:
    """PRXPipeline.__call__ for one request, with its latents after each step."""
    states = []
    out = pipe(
        prompt=r.prompt,
        negative_prompt=r.negative_prompt,
        num_inference_steps=r.steps,
        guidance_scale=r.guidance,
        height=r.height,
        width=r.width,
        generator=torch.Generator("cpu").manual_seed(r.seed),
        use_resolution_binning=False,
        output_type="np",
        callback_on_step_end=lambda p, i, t, kw: states.append(kw["latents"].clone()),
    )
    return out.images[0], states


def test_batched_loop_matches_plain_call_for_each_request(prx):
    requests = [
        req("a red circle", seed=1, guidance=4.0),
        req("a blue square on a yellow background", seed=2, guidance=1.0),
        req("a star", seed=3, guidance=7.5, negative="a circle"),
        req("", seed=4, guidance=2.0),
    ]
    trajectories = sample_prx(prx, requests, model_identity=MODEL)
    for r, traj in zip(requests, trajectories, strict=True):
        image, states = plain_call(prx, r)
        np.testing.assert_allclose(traj.latents[1:].astype(np.float32), torch.cat(states).numpy(), atol=2e-3)
        expected = (image * 255).round()
        assert np.abs(traj.image.astype(np.float32) - expected).max() <= 2, r.describe()


def test_recording_is_complete_and_consistent(prx):
    r = req(steps=4)
    (traj,) = sample_prx(prx, [r], model_identity=MODEL)
    traj.check()
    assert traj.latents.shape == (5, 4, TINY_SIZE // 2, TINY_SIZE // 2)
    assert traj.previews.shape == (5, TINY_SIZE, TINY_SIZE, 3)
    assert traj.x0_previews.shape == (4, TINY_SIZE, TINY_SIZE, 3)
    assert traj.sigmas[0] == pytest.approx(1.0) and traj.sigmas[-1] == pytest.approx(0.0)
    # The last step lands on sigma 0, where the state equals the predicted clean latent.
    np.testing.assert_allclose(traj.latents[-1], traj.x0[-1], atol=1e-2)
    np.testing.assert_array_equal(traj.image, traj.previews[-1])
    assert traj.prompt_mask.sum() > 0 and traj.pooled.shape == (32,)


def test_same_seed_is_bitwise_identical_and_seeds_differ(prx):
    a1, b = sample_prx(prx, [req(seed=11), req(seed=12)], model_identity=MODEL)
    (a2,) = sample_prx(prx, [req(seed=11)], model_identity=MODEL)
    np.testing.assert_array_equal(a1.latents[0], a2.latents[0])
    assert np.abs(a1.latents[0].astype(np.float32) - b.latents[0]).mean() > 0.5
    assert not np.array_equal(a1.image, b.image)
    (a3,) = sample_prx(prx, [req(seed=11)], model_identity=MODEL)
    np.testing.assert_array_equal(a2.latents, a3.latents)
    np.testing.assert_array_equal(a2.image, a3.image)


def test_embedding_mix_ends_equal_the_prompts(prx):
    recipe = lambda t: GenerationRequest(  # noqa: E731
        embedding=EmbeddingRecipe(from_prompt="a red circle", to_prompt="a blue star", t=t),
        seed=5,
        steps=2,
        guidance=4.0,
        width=TINY_SIZE,
        height=TINY_SIZE,
    )
    start, end, a, b = sample_prx(
        prx,
        [recipe(0.0), recipe(1.0), req("a red circle", seed=5, steps=2), req("a blue star", seed=5, steps=2)],
        model_identity=MODEL,
    )
    # A mix at t=0 keeps the union of both masks, so it is close to, not equal to, the plain prompt.
    np.testing.assert_allclose(start.prompt_embeds, a.prompt_embeds, atol=1e-3)
    np.testing.assert_allclose(end.prompt_embeds, b.prompt_embeds, atol=1e-3)


def test_any_other_pipeline_is_recorded_through_its_callback():
    pipe = tiny_stable_diffusion_pipeline()
    r = req(steps=3, guidance=3.0)
    traj = sample_with_callback(pipe, r, model_identity={"id": "test:tiny-sd", "weights": "0"})
    traj.check()
    assert traj.latents.shape[0] == 4 and traj.x0.shape[0] == 3
    assert traj.previews.shape == (4, TINY_SIZE, TINY_SIZE, 3)
    assert type(pipe.scheduler).step is not None and "step" not in vars(pipe.scheduler)  # restored
    again = sample_with_callback(pipe, r, model_identity={"id": "test:tiny-sd", "weights": "0"})
    np.testing.assert_array_equal(traj.image, again.image)


def with_scheduler(pipe, scheduler):
    """A copy of a pipeline's components with another scheduler (the module's fixture stays as it is)."""
    return type(pipe)(**{**pipe.components, "scheduler": scheduler})


def test_a_sampler_that_draws_noise_at_every_step_draws_it_from_the_seed(prx):
    """Flow matching's `stochastic_sampling` draws fresh noise at each step; PRXPipeline passes its
    scheduler no generator, so without the request's own the steps would come from the global one."""
    stochastic = with_scheduler(
        prx, FlowMatchEulerDiscreteScheduler.from_config(prx.scheduler.config, stochastic_sampling=True)
    )
    r = req(seed=7, steps=4)
    (alone,) = sample_prx(stochastic, [r], model_identity=MODEL)
    torch.manual_seed(123)  # the global generator is not what decides the steps
    batched = sample_prx(stochastic, [req(seed=8, steps=4), r], model_identity=MODEL)[1]
    np.testing.assert_array_equal(alone.latents, batched.latents)
    (deterministic,) = sample_prx(prx, [r], model_identity=MODEL)
    np.testing.assert_array_equal(alone.latents[0], deterministic.latents[0])  # the same start
    assert np.abs(alone.latents[2].astype(np.float32) - deterministic.latents[2]).mean() > 0.05  # fresh noise

    pipe = tiny_stable_diffusion_pipeline()
    pipe.scheduler = EulerAncestralDiscreteScheduler.from_config(pipe.scheduler.config)
    model = {"id": "test:tiny-sd", "weights": "0"}
    first = sample_with_callback(pipe, req(steps=3, guidance=3.0), model_identity=model)
    torch.manual_seed(321)
    again = sample_with_callback(pipe, req(steps=3, guidance=3.0), model_identity=model)
    np.testing.assert_array_equal(first.latents, again.latents)


def assert_same_recording(a, b):
    for name in ("latents", "x0", "previews", "x0_previews", "image", "prompt_embeds", "pooled"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.fixture(scope="module")
def shipped():
    """The embedded model: its matrix products are large enough for the CPU's kernels to add up in
    an order that depends on the batch size (the toy pipeline's are not)."""
    from render.tiny_prx.load import load_tiny_prx

    return load_tiny_prx()


def test_a_request_records_the_same_bytes_alone_and_in_any_batch(shipped):
    """Batch composition changes nothing: 11 rows (more than one transformer chunk on the CPU), mixed
    guidance, prompts and an embedding mix, against the same request alone and at another place.
    (Calling the transformer on whole batches instead fails this test.)"""
    size = shipped.default_sample_size

    def r(prompt, seed, guidance, **kw):
        return GenerationRequest(prompt=prompt, seed=seed, steps=2, guidance=guidance, width=size, height=size, **kw)

    target = r("a star", 21, 4.0)
    others = [r(f"a shape number {i}", i, 1.0 + i) for i in range(5)]
    mix = GenerationRequest(
        embedding=EmbeddingRecipe(from_prompt="a red circle", to_prompt="a star", t=0.5),
        seed=3, steps=2, guidance=4.0, width=size, height=size,
    )  # fmt: skip
    assert len(others) * 2 + 1 > TRANSFORMER_CHUNK["cpu"]
    shown = [EVERYTHING] + [FINAL_ONLY] * 5
    (alone,) = sample_prx(shipped, [target], model_identity=MODEL)
    first = sample_prx(shipped, [target, *others], model_identity=MODEL, shown=shown)[0]
    last = sample_prx(shipped, [mix, *others[:3], target], model_identity=MODEL, shown=shown[::-1][1:])[-1]
    assert_same_recording(alone, first)
    assert_same_recording(alone, last)


def test_only_the_shown_images_are_decoded(prx):
    requests = [req(seed=1, steps=4), req(seed=2, steps=4), req(seed=3, steps=4)]
    shown = [EVERYTHING, FINAL_ONLY, Shown(steps=True)]
    full, final, steps = sample_prx(prx, requests, model_identity=MODEL, shown=shown)
    assert full.shown == EVERYTHING and final.shown == FINAL_ONLY and steps.shown == Shown(steps=True)
    assert final.previews.shape == (1, TINY_SIZE, TINY_SIZE, 3) and final.x0_previews.shape[0] == 0
    assert steps.previews.shape[0] == 5 and steps.x0_previews.shape[0] == 0
    for t in (full, final, steps):
        t.check()
        np.testing.assert_array_equal(t.image, t.previews[-1])
        assert t.latents.shape[0] == 5 and t.x0.shape[0] == 4  # every step is recorded regardless
    (again,) = sample_prx(prx, [requests[1]], model_identity=MODEL)
    np.testing.assert_array_equal(final.image, again.image)
    np.testing.assert_array_equal(final.latents, again.latents)


def test_shown_images_are_the_predictions_decoded_and_the_states_noise_made_visible(prx):
    from render.engine.decoding import state_pictures

    (t,) = sample_prx(prx, [req(seed=5, steps=3)], model_identity=MODEL)
    # the images come from the float32 latents (the bundle keeps them as float16): allow a rounding step
    predictions = decode_latents(prx.vae, torch.from_numpy(t.x0.astype(np.float32)))
    assert np.abs(t.x0_previews.astype(int) - predictions.astype(int)).max() <= 1
    final = decode_latents(prx.vae, torch.from_numpy(t.latents[-1:].astype(np.float32)))[0]
    assert np.abs(t.image.astype(int) - final.astype(int)).max() <= 1  # the last state, decoded
    states = state_pictures(torch.from_numpy(t.latents.astype(np.float32)), torch.from_numpy(t.x0.astype(np.float32)),
                            t.sigmas, predictions, final)  # fmt: skip
    assert np.abs(t.previews.astype(int) - states.astype(int)).max() <= 1
    # the first state is noise, shown as noise: static, not the VAE's smooth decoding of it
    decoded_noise = decode_latents(prx.vae, torch.from_numpy(t.latents[:1].astype(np.float32)))[0]
    from render.kinds.measures import neighbour_correlation

    cell = t.image.shape[1] // t.latents.shape[-1]
    assert abs(neighbour_correlation(t.previews[0], lag=cell)) < 0.3
    assert not np.array_equal(t.previews[0], decoded_noise)
