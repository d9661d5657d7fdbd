"""The ways to train the embedded model: sizes and training lengths (no torch here: the CLI reads them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """The sizes and training lengths of one way to train the model (see PRESETS)."""

    name: str
    size: int
    vae_channels: tuple[int, ...]
    latent_channels: int
    vae_steps: int
    vae_batch: int
    vae_lr: float
    hidden: int
    depth: int
    heads: int
    patch: int
    steps: int
    batch: int
    lr: float
    mlp_ratio: float = 3.5
    warmup: int = 200
    ema: float = 0.999
    kl_weight: float = 1e-6
    ckpt_every: int = 500
    log_every: int = 100
    max_minutes: float | None = None  # wall-clock cap for both phases together
    vae_share: float = 0.3  # share of max_minutes the VAE may use at most
    # The autoencoder: GroupNorm groups, the mid-block's attention, its residual blocks started as the
    # identity (their second convolution zeroed), trained on the posterior's mean (not a sample), and
    # the weight of a loss on the images' edges (neighbouring pixels' differences).
    vae_norm_groups: int = 32
    vae_attention: bool = True
    vae_identity_init: bool = False
    vae_sample: bool = True
    vae_edge_weight: float = 0.0
    # The transformer's loss counts the latent cells the object covers (1 + object_weight) times.
    object_weight: float = 0.0
    # The noise levels' shift, as in SD3: a noise level s drawn for training becomes
    # shift * s / (1 + (shift - 1) * s) (its logit moves by log(shift)), and the saved scheduler
    # samples with the same shift. Above 1 the model trains and samples more at high noise, where the
    # picture's layout and its object's shape come from the text alone.
    time_shift: float = 1.0
    # A curriculum: for the transformer's first `centred_steps` steps every object is large and in the
    # center (shapes, colours and backgrounds as always), so the model learns outlines before it must
    # also learn where to put them; then the whole world.
    centred_steps: int = 0
    # The pipeline's VAE: with `tiny_vae_steps`, after the autoencoder an `AutoencoderTiny` (TAESD's
    # design: plain convolutions, no normalisation, `tiny_vae_channels` wide) learns the autoencoder's
    # latent space, its encoder to give the same latents and its decoder to draw the pictures from them
    # with noise added (per picture a level drawn from `tiny_vae_noise`, normalised units, blurred over
    # the latent grid by a Gaussian of `tiny_vae_noise_blur` cells: a sampled latent is off an encoded
    # picture's by about 0.23, and neighbouring cells' errors correlate at 0.47), but for a share
    # `tiny_vae_clean` of each batch drawn from the exact latents (the noise blurs small tips); the
    # pipeline ships it, the autoencoder only taught it. A decoder with a GroupNorm before its output
    # draws the same picture from a latent pushed further (guidance 15 clipped no more colour values than
    # guidance 4); one without draws stronger colours (bench/results/tiny_prx_tiny_vae-2026-12-04.txt).
    tiny_vae_steps: int = 0
    tiny_vae_channels: int = 32
    tiny_vae_lr: float = 2e-3
    tiny_vae_noise: tuple[float, float] = (0.1, 0.45)
    tiny_vae_noise_blur: float = 0.8
    tiny_vae_clean: float = 0.0
    # Caption noise, late: once `wrong_shape_from` of the transformer phase has passed (a fraction of its
    # time under a time cap, else of its steps), a share `wrong_shape_share` of the captions that name the
    # object's colour or place name another shape than the one drawn, as web captions miss what their picture
    # shows (a vague caption, "a star", is always right: the model must still draw a shape from it alone).
    # Sampled without guidance (guidance 1), the model then draws the named shape less often; guidance
    # brings it back. From the first step it keeps the model from learning shapes at all
    # (bench/results/tiny_prx_cpu_run-2026-12-03-wrong-shapes.txt: shape 27% after 30 minutes against 75%).
    wrong_shape_share: float = 0.0
    wrong_shape_from: float = 1.0
    # bfloat16 autocast: None chooses it where the hardware computes bfloat16 natively (CUDA, or a CPU
    # with AVX512-BF16 or AMX); evaluation and the saved weights stay float32/float16 either way.
    amp: bool | None = None
    # Learning curves: every this many minutes of the transformer phase, the EMA weights are scored
    # on `curve_prompts` prompts (None: no curve).
    curve_every_minutes: float | None = None
    curve_prompts: int = 48


# fmt: off
PRESETS: dict[str, Preset] = {
    # 64 px -> 32x32x4 latent (3x fewer numbers), a 0.16M-parameter autoencoder started as the identity
    # (98% round trip within minutes), and a PRX transformer over 4x4 tokens of 8x8 latent cells (16
    # tokens learn the picture's layout several times faster per CPU-second than 64; a hidden size of at
    # least a patch's 256 numbers keeps the noise it must see). Chosen from 12-15 minute experiments on
    # a 2-core CPU with bfloat16 (README, "The embedded model"). The transformer's steps are a ceiling:
    # the 90 minutes decide (the learning rate follows the clock), as CPUs differ about fourfold (float32
    # on AVX2: 1.7 steps/s; bfloat16 on AVX512-BF16: 5.5 steps/s), and 14,000 steps stopped a bfloat16
    # machine after 40 minutes. One GroupNorm group over all channels: with 16 groups (1-2 channels
    # each) 12% of the autoencoder's round trips carried a speck, with 1 none, at a third of the error
    # (bench/results/tiny_prx_vae_norm-2026-12-03.txt). Specks came back in guided samples (13.5% of
    # images at guidance 4, 1% at guidance 1, none in round trips): the decoder drew them from latents a
    # little off those it was trained on. Its decoder finished alone on latents with white noise drew them
    # in 1.5-2.5% (bench/results/tiny_prx_decoder_noise-2026-12-03.txt); the tiny VAE that replaced it,
    # taught on blurred noise with half of each batch exact, in none of 200, round trip 98.0%, and it
    # clips colours at high guidance as the GroupNorm decoder did not
    # (bench/results/tiny_prx_tiny_vae-2026-12-04.txt).
    "cpu": Preset(
        name="cpu", size=64, vae_channels=(16, 32), latent_channels=4, vae_steps=2500, vae_batch=16,
        vae_lr=3e-3, hidden=256, depth=6, heads=4, patch=8, steps=60000, batch=32, lr=1.5e-3,
        warmup=200, ckpt_every=250, log_every=100, max_minutes=90.0, vae_share=0.2,
        vae_norm_groups=1, vae_attention=False, vae_identity_init=True, vae_sample=False, vae_edge_weight=1.0,
        time_shift=3.0, centred_steps=1500, curve_every_minutes=10.0,
        tiny_vae_steps=3000, tiny_vae_clean=0.5, wrong_shape_share=0.2, wrong_shape_from=0.8,
    ),
    # 128 px -> 16x16x16 latent (8x down, like the Flux VAE); one H100/H200, 7 minutes. The
    # step counts are ceilings: the time cap decides (the learning rate follows the clock).
    "gpu": Preset(
        name="gpu", size=128, vae_channels=(32, 64, 128, 128), latent_channels=16, vae_steps=3000,
        vae_batch=64, vae_lr=1e-3, hidden=256, depth=6, heads=4, patch=2, steps=12000, batch=256,
        lr=5e-4, warmup=200, ckpt_every=1000, log_every=250, max_minutes=7.0, vae_share=0.4,
    ),
    # tiny, for tests
    "smoke": Preset(
        name="smoke", size=32, vae_channels=(32, 32, 32), latent_channels=4, vae_steps=30, vae_batch=8,
        vae_lr=2e-3, hidden=64, depth=2, heads=2, patch=2, steps=40, batch=16, lr=2e-3, warmup=5,
        ckpt_every=20, log_every=10, amp=False,
    ),
}
# fmt: on
