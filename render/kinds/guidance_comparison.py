"""guidance_comparison: the same prompt and seed from guidance 1.0 (off) up; the picture breaks at the top.

Chapter data (G scales, n steps):
    info: prompt, seed, guidance_scales, good_range ([3, 6]: where pictures match the words),
          saturation (mean HSV saturation of each final image, 0..1), harshness (each image's edge
          energy: the mean gradient, 0..1), clipped (the share of colour values at 0 or 255)
    arrays: images [G, H, W, 3], previews [G, n+1, H, W, 3], saturation [G], harshness [G]
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field

import render.kinds.measures as measures
from render.kinds.base import AnalysisContext, Kind, PromptChapter, Runs, SceneRef, Settings, stack
from render.kinds.facts import Claim, Fact, number_words
from render.paths import SCENES_DIR
from render.storyboard.schema import GUIDANCE_HELP, Guidance, no_repeats
from render.web.figure import FIGURE_SCRIPTS, Sprites, WebFigure, pick, rounded

GOOD_RANGE = (3.0, 6.0)  # the scales the narration says match the words (the guide's "three to six")
BREAKS = 1.3  # an image is broken up when its edge energy reaches this times that of the good range's
CLIPS = 3.0  # colours clip when the share of values at 0 or 255 reaches this times the good range's


class GuidanceComparisonChapter(PromptChapter):
    """One prompt, several guidance scales."""

    kind: Literal["guidance_comparison"]
    guidance_scales: Annotated[list[Guidance], Field(min_length=2, max_length=10), AfterValidator(no_repeats)] = Field(
        description=f"a list of 2 to 10 different guidance scales, each {GUIDANCE_HELP}"
    )

    def checked_scales(self) -> list[float]:
        """The scales the general claims look at: 1.0 (off) and those in the good range."""
        return [g for g in self.guidance_scales if g == 1.0 or GOOD_RANGE[0] <= g <= GOOD_RANGE[1]]


def figure(info: dict, arrays: dict, sprites: Sprites) -> dict:
    """The page's figure, drawn by static/figures/guidance_comparison.js: chapter data -> its JSON and sprite sheets."""
    previews = arrays["previews"]  # [scale, step]
    return {
        **pick(info, "prompt", "seed", "guidance_scales"),
        "saturation": rounded(info["saturation"], 3),
        "steps": int(previews.shape[1]) - 1,
        "states": sprites.add("states", previews),
    }


class GuidanceComparison(Kind[GuidanceComparisonChapter]):
    name = "guidance_comparison"
    order = 10  # its place in the guide
    example = {"prompt": "a red circle", "guidance_scales": [1.0, 4.0, 15.0]}
    chapter = GuidanceComparisonChapter
    scene = SceneRef(SCENES_DIR / "guidance_comparison.py", "GuidanceComparisonScene")
    web = WebFigure(figure, FIGURE_SCRIPTS / "guidance_comparison.js")
    facts = {
        "highest": "the highest scale shown",
        "breaks_at": f"the lowest scale above the good range whose edge energy is {BREAKS} times the good range's "
        "or more ('never' if none)",
        "top_harshness": "the highest scale's edge energy relative to the good range's",
        "top_clipping": "the highest scale's share of clipped colour values relative to the good range's",
        "off_shown": "the share of images at guidance 1.0 (the chapter's seed and 8 drawn) that show everything "
        "the prompt names",
        "good_shown": "the same share in the good range (3 to 6)",
        "off_gap": "good_shown minus off_shown: how much more closely the good range follows the prompt",
    }
    claims = {
        "off_follows_loosely": Claim(
            says="with guidance off the model only loosely follows the prompt",
            fact="off_gap",
            test=lambda v: v >= 0.2,
            rule=">= 0.2 (on the chapter's seed and 8 more)",
            general=True,
        ),
        "off_often_follows": Claim(
            says="with guidance off this small model still follows the prompt more often than not",
            fact="off_shown",
            test=lambda v: v >= 0.5,
            rule=">= 0.5 (on the chapter's seed and 8 more)",
            general=True,
        ),
        "good_range_matches": Claim(
            says="around three to six, the picture matches the words",
            fact="good_shown",
            test=lambda v: v == 1.0,
            rule="= 1 (all, on the chapter's seed and 8 more)",
            general=True,
        ),
        "too_high_breaks": Claim(
            says="pushed too high, the edges turn harsh and the picture breaks up",
            fact="top_harshness",
            test=lambda v: v >= BREAKS,
            rule=f">= {BREAKS}",
        ),
        "too_high_clips": Claim(
            says="pushed too high, colours run to the ends of their range: they clip",
            fact="top_clipping",
            test=lambda v: v >= CLIPS,
            rule=f">= {CLIPS} (times the good range's share of clipped values)",
        ),
    }

    def requests(self, chapter: GuidanceComparisonChapter, settings: Settings):
        return {"scales": [settings.request(chapter.prompt, guidance=g) for g in chapter.guidance_scales]}

    def verify_requests(self, chapter: GuidanceComparisonChapter, settings: Settings, seeds: list[int]):
        scales = chapter.checked_scales()
        return {"verify": [settings.request(chapter.prompt, seed=s, guidance=g) for s in seeds for g in scales]}

    def analyse(self, chapter: GuidanceComparisonChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        scales = runs["scales"]
        images = stack(scales, "image")
        sat = np.array([measures.saturation(im) for im in images], np.float32)
        harsh = np.array([measures.edge_energy(im) for im in images], np.float32)
        info = {
            "prompt": chapter.prompt,
            "seed": settings.seed,
            "guidance_scales": [float(g) for g in chapter.guidance_scales],
            "good_range": list(GOOD_RANGE),
            "saturation": [float(s) for s in sat],
            "harshness": [float(h) for h in harsh],
            "clipped": [measures.clipped_share(im) for im in images],
        }
        return info, {"images": images, "previews": stack(scales, "previews"), "saturation": sat, "harshness": harsh}

    def measure(self, chapter, settings, runs, context, info, arrays):
        scales, harsh, clipped = info["guidance_scales"], info["harshness"], info["clipped"]
        good = [i for i, g in enumerate(scales) if GOOD_RANGE[0] <= g <= GOOD_RANGE[1]]
        top = int(np.argmax(scales))
        facts: dict = {"highest": Fact.of(scales[top], number_words(scales[top]))}
        if good:
            base_h = float(np.mean([harsh[i] for i in good]))
            base_c = float(np.mean([clipped[i] for i in good]))
            above = sorted((g, i) for i, g in enumerate(scales) if g > GOOD_RANGE[1])
            broken = next((g for g, i in above if harsh[i] >= BREAKS * base_h), None)
            facts |= {
                "breaks_at": Fact.of(broken, number_words(broken)) if broken is not None else Fact.of("never"),
                "top_harshness": harsh[top] / max(base_h, 1e-6),
                "top_clipping": clipped[top] / max(base_c, 1e-4),
            }
        # each checked scale over the chapter's seed and the drawn ones
        reader, checked = context.reader, chapter.checked_scales()
        more = runs.get("verify", [])
        by_scale = {g: [arrays["images"][scales.index(g)]] for g in checked}
        for j, t in enumerate(more):
            by_scale[checked[j % len(checked)]].append(t.image)
        off = by_scale.get(1.0)
        in_range = [im for g, ims in by_scale.items() if g != 1.0 for im in ims]
        facts["off_shown"] = measures.share_showing(reader, off, chapter.prompt) if off else None
        facts["good_shown"] = measures.share_showing(reader, in_range, chapter.prompt) if in_range else None
        if facts["off_shown"] is not None and facts["good_shown"] is not None:
            facts["off_gap"] = facts["good_shown"] - facts["off_shown"]
        return facts
