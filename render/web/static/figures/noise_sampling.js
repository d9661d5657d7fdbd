/* noise_sampling: fresh random images, made in the browser up to 60 times a second, and how many there are. */
"use strict";

N2I.figure("noise_sampling", (root, data, kit) => {
  const { el, fmt } = kit;
  const canvas = el("canvas", { width: data.width, height: data.height, class: "pixelated", role: "img",
    "aria-label": `Random ${data.width} by ${data.height} images` });
  const counter = el("figcaption", {}, "");
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(data.width, data.height);
  const words = new Uint32Array(image.data.buffer);
  let seed = (Date.now() ^ 0x9e3779b9) >>> 0 || 1;
  let shown = 0;

  function draw() {
    // xorshift32: fast enough for a fresh image every frame; alpha forced opaque (little-endian RGBA)
    let x = seed;
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      words[i] = (x | 0xff000000) >>> 0;
    }
    seed = x >>> 0;
    ctx.putImageData(image, 0, 0);
    shown += 1;
    counter.textContent = `${fmt.int(shown)} random images so far, none of them a picture`;
  }

  const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  let playing = !reduced;
  let last = 0;
  let visible = true;
  const button = el("button", { type: "button", class: "play", "aria-pressed": String(playing) }, playing ? "Pause" : "Play");
  const next = el("button", { type: "button" }, "New image");
  button.addEventListener("click", () => {
    playing = !playing;
    button.setAttribute("aria-pressed", String(playing));
    button.textContent = playing ? "Pause" : "Play";
    if (playing) requestAnimationFrame(loop);
  });
  next.addEventListener("click", draw);
  function loop(t) {
    if (!playing) return;
    if (visible && t - last >= 1000 / 61) { // at most one image a frame, 60 a second
      last = t;
      draw();
    }
    requestAnimationFrame(loop);
  }
  new IntersectionObserver((entries) => { visible = entries[0].isIntersecting; }).observe(canvas);

  const facts = el("dl", { class: "facts" },
    el("div", {}, el("dt", {}, "numbers per image"), el("dd", {}, `${fmt.int(data.width)} × ${fmt.int(data.height)} × 3 = ${fmt.int(data.values_per_image)}`)),
    el("div", {}, el("dt", {}, "values each"), el("dd", {}, fmt.int(data.levels))),
    el("div", {}, el("dt", {}, "possible images"), el("dd", { class: "big-number" }, "about 10", el("sup", {}, fmt.int(data.power)))),
    el("div", {}, el("dt", {}, "digits in that count"), el("dd", {}, `${fmt.int(data.digits)}: ${data.digits_words}, ${fmt.int(data.pages)} printed pages`)));
  root.append(kit.panels(el("figure", { class: "panel" }, canvas, counter)), kit.controls(button, next), facts);
  draw();
  if (playing) requestAnimationFrame(loop);
});
