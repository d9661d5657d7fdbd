/* seed_comparison: one prompt from several seeds, in sync on one step slider; their paths in the PCA plane. */
"use strict";

N2I.figure("seed_comparison", async (root, data, kit) => {
  const { el } = kit;
  const states = kit.sprite(data.states);
  const [seeds, steps] = [data.seeds.length, data.states.shape[1] - 1];
  const columns = Math.min(seeds, 4);
  const grid = kit.strip(states, seeds, `“${data.prompt}” from seeds ${data.seeds.join(", ")} (left to right, top to bottom)`, { columns });
  const path = kit.pathPlot(data.paths, {
    label: "Each seed's path across the PCA plane",
    caption: "Each seed's latent across the PCA plane, one colour per seed; dots mark this step",
  });
  const spread = kit.meter("Spread", { max: Math.max(...data.spread), format: (v) => `${v.toFixed(2)}× the start` });
  const step = kit.slider({ label: "Step", max: steps, value: 0, format: (i) => `${i} / ${steps}` });
  step.onChange((i) => {
    grid.draw(data.seeds.map((_, s) => states.at(s, i)));
    path.mark(i);
    spread.set(data.spread[i]);
  });
  const legend = el("ul", { class: "legend" }, data.seeds.map((s, k) => el("li", { style: `--swatch: ${kit.series(k)}` }, `seed ${s}`)));
  root.append(grid.el, kit.panels(path.el, el("div", { class: "panel" }, legend)), kit.controls(step.el, kit.player(step), spread.el));
  await states.ready;
  step.update();
});
