/* prompt_detail: prompts from vague to detailed, each across the same seeds, with how much the images vary. */
"use strict";

N2I.figure("prompt_detail", async (root, data, kit) => {
  const { el } = kit;
  const states = kit.sprite(data.states);
  const seeds = data.seeds.length;
  const top = Math.max(...data.variety);
  const rows = data.prompts.map((prompt, p) => {
    const row = kit.strip(states, seeds, `“${prompt}”, seeds ${data.seeds.join(", ")}`, { columns: seeds });
    const variety = kit.meter("Variety", { max: top, format: (v) => v.toFixed(3) });
    variety.set(data.variety[p]);
    const label = el("div", {}, el("p", { class: "prompt" }, `“${prompt}”`), variety.el);
    row.canvas.removeAttribute("class");
    return { row, el: el("div", { class: "grid-row" }, label, row.canvas) };
  });
  const steps = data.steps;
  const step = kit.slider({ label: "From noisy to clear", max: steps, value: steps, format: (i) => `step ${i} / ${steps}` });
  step.onChange((i) => rows.forEach(({ row }, p) => row.draw(data.seeds.map((_, s) => states.at(p, s, i)))));
  const note = el("p", { class: "figure-note" },
    "Variety: the mean distance between the final images of one prompt across the seeds (0: identical).");
  root.append(...rows.map((r) => r.el), kit.controls(step.el, kit.player(step)), note);
  await states.ready;
  step.update();
});
