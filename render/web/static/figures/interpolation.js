/* interpolation: two sliders, like the guide's explorer: where between the two prompts, and from noisy to clear. */
"use strict";

N2I.figure("interpolation", async (root, data, kit) => {
  const { el } = kit;
  const states = kit.sprite(data.states);
  const [points, steps] = [data.states.shape[0], data.states.shape[1] - 1];
  const image = kit.imagePanel(states, "");
  const finals = kit.strip(states, points, `The finished image at each of the ${points} points`, { columns: points, cell: Math.round(states.width / 2) });
  const mix = kit.slider({ label: "Between the prompts", max: points - 1, value: 0, format: (i) => `${Math.round(data.ts[i] * 100)}%` });
  const step = kit.slider({ label: "From noisy to clear", max: steps, value: steps, format: (i) => `step ${i} / ${steps}` });
  const ends = el("p", { class: "figure-note" }, `0%: “${data.from_prompt}”. 100%: “${data.to_prompt}”.`);
  const draw = () => {
    const [p, s] = [mix.value, step.value];
    image.draw(states.at(p, s));
    image.caption.textContent = `${Math.round(data.ts[p] * 100)}% of the way to “${data.to_prompt}”, step ${s} of ${steps}`;
    finals.draw(Array.from({ length: points }, (_, q) => states.at(q, steps)), p);
  };
  mix.onChange(draw);
  step.onChange(draw);
  root.append(ends, kit.panels(image.el), kit.controls(mix.el, step.el, kit.player(step)), finals.el);
  await states.ready;
  draw();
  mix.update();
  step.update();
});
