/* prompt_length: a slider over the words of the prompt; the image for each beginning of it. */
"use strict";

N2I.figure("prompt_length", async (root, data, kit) => {
  const { el } = kit;
  const images = kit.sprite(data.images);
  const k = data.words.length;
  const image = kit.imagePanel(images, "");
  const words = data.words.map((w) => el("span", {}, w));
  const prompt = el("p", { class: "prompt-words big-number", "aria-live": "polite" }, words.flatMap((w, i) => (i ? [" ", w] : [w])));
  const all = kit.strip(images, k, "Every beginning of the prompt, in order", { columns: Math.min(k, 12), cell: Math.round(images.width / 2) });
  const change = kit.meter("Change from one word fewer", { max: Math.max(...data.change, 1e-6), format: (v) => v.toFixed(3) });
  const count = kit.slider({ label: "Words", min: 1, max: k, value: k, format: (i) => `${i} / ${k}` });
  count.onChange((i) => {
    words.forEach((w, j) => w.className = j < i - 1 ? "on" : j === i - 1 ? "new" : "");
    image.draw(i - 1);
    image.caption.textContent = `The image for “${data.prefixes[i - 1]}”`;
    all.draw(data.prefixes.map((_, j) => j), i - 1);
    change.set(data.change[i - 1]);
  });
  root.append(prompt, kit.panels(image.el), kit.controls(count.el, kit.player(count, { perSecond: 2 }), change.el), all.el);
  await images.ready;
  count.update();
});
