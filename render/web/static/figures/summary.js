/* summary: the four controls as the guide's journey (each with its pictures), and the journey replayed. */
"use strict";

N2I.figure("summary", async (root, data, kit) => {
  const { el } = kit;
  const quoted = (v) => (typeof v === "string" ? `“${v}”` : String(v));
  const cards = el("ul", { class: "controls-list", "aria-label": "The four controls" },
    data.controls.map((c) => el("li", {}, el("strong", {}, c.name), ` ${c.meaning}: `, c.values.map(quoted).join(", "))));
  const pictures = data.controls.filter((c) => c.images).map((c) => {
    const sprite = kit.sprite(c.images);
    const strip = kit.strip(sprite, c.values.length, `${c.name}: ${c.values.map(quoted).join(", ")}`);
    return { sprite, strip, count: c.values.length };
  });
  const journey = kit.journey(data);
  root.append(cards, journey.panels, journey.controls, ...pictures.map((p) => p.strip.el));
  await Promise.all([journey.ready, ...pictures.map((p) => p.sprite.ready)]);
  pictures.forEach((p) => p.strip.draw(Array.from({ length: p.count }, (_, k) => k)));
  journey.step.set(journey.step.max); // start from the result; Play replays the journey
});
