/* denoising: the state at each step beside the model's prediction of the finished image. */
"use strict";

N2I.figure("denoising", async (root, data, kit) => {
  const journey = kit.journey(data);
  const facts = kit.el("p", { class: "figure-note" },
    `“${data.prompt}”: seed ${data.seed}, ${data.steps} steps, guidance ${data.guidance}.`);
  root.append(journey.panels, journey.controls, facts);
  await journey.ready;
  journey.step.update();
});
