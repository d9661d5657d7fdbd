/* guidance_comparison: two sliders: the guidance scale, and from noisy to clear. */
"use strict";

N2I.figure("guidance_comparison", async (root, data, kit) => {
  const states = kit.sprite(data.states);
  const scales = data.guidance_scales;
  const steps = data.steps;
  const image = kit.imagePanel(states, "");
  const saturation = kit.meter("Saturation of the final image", { max: 1, format: (v) => `${Math.round(v * 100)}%` });
  const scale = kit.slider({ label: "Guidance", max: scales.length - 1, value: Math.min(2, scales.length - 1), format: (i) => String(scales[i]) });
  const step = kit.slider({ label: "From noisy to clear", max: steps, value: steps, format: (i) => `step ${i} / ${steps}` });
  const draw = () => {
    const [g, s] = [scale.value, step.value];
    image.draw(states.at(g, s));
    image.caption.textContent = `“${data.prompt}” at guidance ${scales[g]}${scales[g] === 1 ? " (off)" : ""}, step ${s} of ${steps}`;
    saturation.set(data.saturation[g]);
  };
  scale.onChange(draw);
  step.onChange(draw);
  root.append(kit.panels(image.el), kit.controls(scale.el, step.el, kit.player(step), saturation.el));
  await states.ready;
  scale.update();
  step.update();
});
