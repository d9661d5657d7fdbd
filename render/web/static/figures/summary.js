/* summary: the four controls of a generation, and its journey replayed step by step. */
"use strict";

N2I.figure("summary", async (root, data, kit) => {
  const { el } = kit;
  const cards = el("ul", { class: "controls-list", "aria-label": "The four controls" },
    data.controls.map((c) => el("li", {}, el("strong", {}, c.name), typeof c.value === "string" ? `“${c.value}”` : String(c.value))));
  const journey = kit.journey(data);
  root.append(cards, journey.panels, journey.controls);
  await journey.ready;
  journey.step.set(journey.step.max); // start from the result; Play replays the journey
});
