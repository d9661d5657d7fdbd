/* latent_space: the image beside its latent (3 PCA components as colours), and the latent's path across the PCA plane. */
"use strict";

N2I.figure("latent_space", async (root, data, kit) => {
  const { el, fmt } = kit;
  const states = kit.sprite(data.states);
  const latents = kit.sprite(data.latents);
  const n = data.states.shape[0] - 1;
  const [h, w] = data.image_shape;
  const [c, lh, lw] = data.latent_shape;
  const image = kit.imagePanel(states, `The image: ${h} × ${w} pixels × 3 = ${fmt.int(data.image_values)} numbers`);
  const latent = kit.imagePanel(latents, `Its latent: ${lh} × ${lw} × ${c} = ${fmt.int(data.latent_values)} numbers, 3 main directions as colours`,
    { scale: Math.max(1, Math.round(states.width / latents.width)) });
  const share = data.path_variance.reduce((a, b) => a + b, 0);
  const path = kit.pathPlot([data.path], {
    label: "The latent's path across the plane of its two main directions",
    caption: `The path across the PCA plane (${Math.round(share * 100)}% of the variation); the dot is this step`,
  });
  const step = kit.slider({ label: "Step", max: n, value: n, format: (i) => `${i} / ${n}` });
  step.onChange((i) => {
    image.draw(i);
    latent.draw(i);
    path.mark(i);
  });
  const ratio = el("p", { class: "figure-note" }, `The latent holds ${data.ratio}× fewer numbers than the image.`);
  root.append(kit.panels(image.el, latent.el, path.el), kit.controls(step.el, kit.player(step)), ratio);
  await Promise.all([states.ready, latents.ready]);
  step.update();
});
