/* embedding_map: the prompts as points in 2D, coloured by group; hover or focus shows a prompt. */
"use strict";

N2I.figure("embedding_map", (root, data, kit) => {
  const { el, series } = kit;
  const p = kit.plane(data.coords, {
    label: `${data.prompts.length} prompts placed by their embeddings (${data.method.toUpperCase()})`,
    xLabel: data.method === "tsne" ? "t-SNE 1" : "PCA 1",
    yLabel: data.method === "tsne" ? "t-SNE 2" : "PCA 2",
  });
  const readout = el("p", { class: "readout", "aria-live": "polite" });
  const reference = data.prompts[data.highlight ?? 0];
  const describe = (i) => {
    const group = data.group_of[i] >= 0 ? `group “${data.groups[data.group_of[i]]}”` : "no group";
    const similarity = i === (data.highlight ?? 0) ? "" : `; cosine similarity to “${reference}”: ${data.similarity[i].toFixed(2)}`;
    return `“${data.prompts[i]}”: ${group}${similarity}`;
  };
  const points = data.coords.map(([x, y], i) => {
    const [cx, cy] = p.map(x, y);
    const colour = data.group_of[i] >= 0 ? series(data.group_of[i]) : "var(--text)";
    const point = el("svg:circle", { cx, cy, r: 2.6, class: "point", tabindex: 0, role: "img",
      "aria-label": describe(i), style: `fill: ${colour}` });
    const show = () => {
      points.forEach((q) => q.classList.remove("active"));
      point.classList.add("active");
      readout.textContent = describe(i);
    };
    point.addEventListener("mouseenter", show);
    point.addEventListener("focus", show);
    return point;
  });
  if (data.highlight !== null && data.highlight !== undefined) {
    const [cx, cy] = p.map(...data.coords[data.highlight]);
    const anchor = cx > 60 ? "end" : "start";
    p.svg.append(el("svg:circle", { cx, cy, r: 4.4, class: "highlight-ring" }),
      el("svg:text", { x: cx + (anchor === "end" ? -5.5 : 5.5), y: cy + 1.2, class: "point-label", "text-anchor": anchor },
        data.prompts[data.highlight]));
  }
  p.svg.append(...points);
  const legend = el("ul", { class: "legend" },
    data.groups.map((g, k) => el("li", { style: `--swatch: ${series(k)}` }, g)),
    data.group_of.includes(-1) ? el("li", { style: "--swatch: var(--text)" }, "no group") : null);
  readout.textContent = data.highlight !== null && data.highlight !== undefined
    ? `Highlighted: ${describe(data.highlight)}. Hover over or focus a point (Tab) to read its prompt.`
    : "Hover over or focus a point (Tab) to read its prompt.";
  const figure = el("figure", { class: "panel", style: "max-width: 32rem; flex-basis: 20rem" }, p.svg,
    el("figcaption", {}, "Each dot is one prompt; nearby dots have similar embeddings."));
  root.append(kit.panels(figure, el("div", { class: "panel" }, legend, readout)));
});
