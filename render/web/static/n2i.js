/* noise2image web explorer: the page's runtime, shared by every figure.
 *
 * A classic script with no dependencies: a page opened from disk (file://) can neither load ES
 * modules nor fetch JSON in Chromium, so each chapter's JSON index arrives as a script calling
 * N2I.chapter(document.currentScript, data), and each figure module calls N2I.figure(kind, mount).
 *
 * When a section comes near the viewport, its figure's script and index (the .figure element's
 * data-script and data-index) are loaded and the figure is mounted: mount(root, data, kit), where
 * root is the .figure element, data its JSON index (render/web/figures.py) and kit the helpers
 * below. When the promise mount returns settles, the section gets data-ready="true"
 * (data-ready="error" if it failed); the first one also sets the performance mark
 * "n2i-first-interactive".
 */
"use strict";

const N2I = (() => {
  const mounts = {}; // kind -> mount(root, data, kit)
  const chapters = new Map(); // section id -> {data, base}
  const SVG = "http://www.w3.org/2000/svg";

  // ---- elements -------------------------------------------------------------------------------

  /** An element with attributes (`on*` functions become listeners) and children. */
  function el(tag, attrs = {}, ...children) {
    const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    node.append(...children.flat().filter((c) => c !== null && c !== undefined));
    return node;
  }

  const fmt = {
    int: (n) => Math.round(n).toLocaleString("en-US"),
    fixed: (n, digits = 2) => Number(n).toFixed(digits),
  };

  // ---- sprite sheets --------------------------------------------------------------------------

  /** The images of one sprite reference ({sheets, width, height, columns, per_sheet, shape}). */
  class Sprite {
    constructor(ref, base) {
      this.ref = ref;
      this.width = ref.width;
      this.height = ref.height;
      this.shape = ref.shape;
      this.count = ref.shape.reduce((a, b) => a * b, 1);
      this.sheets = ref.sheets.map((name) => {
        const image = new Image();
        image.decoding = "async";
        image.src = new URL(name, base).href;
        return image;
      });
      this.ready = Promise.all(this.sheets.map((image) => image.decode()));
    }

    /** The flat number of image [i, j, ...] (row by row over `shape`). */
    at(...index) {
      let flat = 0;
      this.shape.forEach((size, axis) => {
        const i = Math.max(0, Math.min(size - 1, index[axis] ?? 0));
        flat = flat * size + i;
      });
      return flat;
    }

    /** Draw image number `flat` into a 2D context at (x, y), scaled to w x h. */
    draw(ctx, flat, x = 0, y = 0, w = this.width, h = this.height) {
      const { per_sheet: perSheet, columns } = this.ref;
      const sheet = Math.floor(flat / perSheet);
      const within = flat % perSheet;
      const sx = (within % columns) * this.width;
      const sy = Math.floor(within / columns) * this.height;
      ctx.imageSmoothingEnabled = !this.ref.pixelated;
      ctx.drawImage(this.sheets[sheet], sx, sy, this.width, this.height, x, y, w, h);
    }
  }

  /** A canvas showing one image of `sprite` at a time, in a captioned panel. */
  function imagePanel(sprite, caption, { scale = 1 } = {}) {
    const canvas = el("canvas", {
      width: sprite.width * scale,
      height: sprite.height * scale,
      class: sprite.ref.pixelated ? "pixelated" : null,
      role: "img",
      "aria-label": caption,
    });
    const label = el("figcaption", {}, caption);
    const ctx = canvas.getContext("2d");
    return {
      el: el("figure", { class: "panel" }, canvas, label),
      canvas,
      caption: label,
      draw(flat, source = sprite) {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        source.draw(ctx, flat, 0, 0, canvas.width, canvas.height);
      },
    };
  }

  /** One canvas drawing several images of `sprite` side by side, `cell` pixels wide, wrapping after `columns`. */
  function strip(sprite, count, caption, { columns = count, cell = sprite.width } = {}) {
    const [w, h] = [cell, Math.round((cell * sprite.height) / sprite.width)];
    const rows = Math.ceil(count / columns);
    const gap = Math.max(2, Math.round(cell / 32));
    const canvas = el("canvas", {
      width: columns * w + (columns - 1) * gap,
      height: rows * h + (rows - 1) * gap,
      class: "strip",
      role: "img",
      "aria-label": caption,
    });
    const ctx = canvas.getContext("2d");
    const accent = () => getComputedStyle(document.documentElement).getPropertyValue("--accent").trim();
    return {
      el: el("figure", { class: "panel wide" }, canvas, el("figcaption", {}, caption)),
      canvas,
      /** Draw image `flats[k]` in cell k; outline cell `marked` (-1: none). */
      draw(flats, marked = -1) {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        flats.forEach((flat, k) => {
          const x = (k % columns) * (w + gap);
          const y = Math.floor(k / columns) * (h + gap);
          sprite.draw(ctx, flat, x, y, w, h);
          if (k === marked) {
            ctx.strokeStyle = accent();
            ctx.lineWidth = gap;
            ctx.strokeRect(x + gap / 2, y + gap / 2, w - gap, h - gap);
          }
        });
      },
    };
  }

  // ---- controls -------------------------------------------------------------------------------

  /** A labelled range input over whole numbers min..max; onChange(f) calls f(value) on every change. */
  function slider({ label, min = 0, max, value = min, format = (v) => String(v) }) {
    const input = el("input", { type: "range", min, max, step: 1, value });
    const output = el("output", { "aria-hidden": "true" });
    const listeners = [];
    const update = () => {
      const v = Number(input.value);
      const text = format(v);
      output.textContent = text;
      input.setAttribute("aria-valuetext", text);
      listeners.forEach((f) => f(v));
    };
    input.addEventListener("input", update);
    return {
      el: el("label", { class: "control" }, el("span", { class: "control-label" }, label), input, output),
      input,
      min,
      max,
      get value() {
        return Number(input.value);
      },
      set(v) {
        input.value = String(v);
        update();
      },
      onChange(f) {
        listeners.push(f);
      },
      update,
    };
  }

  /** A play/pause button stepping `control` from its value to its max, `perSecond` steps a second. */
  function player(control, { perSecond = 8, label = "Play" } = {}) {
    let timer = null;
    const button = el("button", { type: "button", class: "play", "aria-pressed": "false" }, label);
    const stop = () => {
      clearInterval(timer);
      timer = null;
      button.setAttribute("aria-pressed", "false");
      button.textContent = label;
    };
    const start = () => {
      if (control.value >= control.max) control.set(control.min);
      button.setAttribute("aria-pressed", "true");
      button.textContent = "Pause";
      timer = setInterval(() => {
        control.set(control.value + 1);
        if (control.value >= control.max) stop();
      }, 1000 / perSecond);
    };
    button.addEventListener("click", () => (timer ? stop() : start()));
    control.input.addEventListener("pointerdown", stop);
    control.input.addEventListener("keydown", stop);
    return button;
  }

  /** A horizontal bar from 0 to `max` with a label and a value text. */
  function meter(label, { max = 1, format = (v) => fmt.fixed(v) } = {}) {
    const fill = el("span", { class: "meter-fill" });
    const text = el("span", { class: "meter-value" });
    return {
      el: el("div", { class: "meter" }, el("span", { class: "meter-label" }, label), el("span", { class: "meter-bar" }, fill), text),
      set(v) {
        fill.style.width = `${Math.max(0, Math.min(1, v / max)) * 100}%`;
        text.textContent = format(v);
      },
    };
  }

  const panels = (...children) => el("div", { class: "panels" }, ...children);
  const controls = (...children) => el("div", { class: "controls" }, ...children);
  const series = (k) => `var(--series-${k % 8})`;

  // ---- plots ----------------------------------------------------------------------------------

  /** A square SVG plane fitted to `points` ([[x, y], ...]); map(x, y) gives its coordinates. */
  function plane(points, { label, xLabel = "", yLabel = "", pad = 10 } = {}) {
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const sx = (100 - 2 * pad) / Math.max(x1 - x0, 1e-9);
    const sy = (100 - 2 * pad) / Math.max(y1 - y0, 1e-9);
    const svg = el("svg:svg", { viewBox: "0 0 100 100", class: "plane", role: "img", "aria-label": label });
    svg.append(
      el("svg:rect", { x: 0.5, y: 0.5, width: 99, height: 99, class: "plane-frame" }),
      el("svg:text", { x: 50, y: 98, class: "axis-label", "text-anchor": "middle" }, xLabel),
      el("svg:text", { x: 3, y: 50, class: "axis-label", transform: "rotate(-90 3 50)", "text-anchor": "middle" }, yLabel),
    );
    return {
      svg,
      map: (x, y) => [pad + (x - x0) * sx, 100 - pad - (y - y0) * sy],
    };
  }

  /** Paths (one [[x, y], ...] per series) across a plane, each with a marker at the current step. */
  function pathPlot(paths, { label, caption, xLabel = "PCA 1", yLabel = "PCA 2" }) {
    const p = plane(paths.flat(), { label, xLabel, yLabel });
    const markers = paths.map((path, k) => {
      const d = path.map(([x, y], i) => `${i ? "L" : "M"}${p.map(x, y).map((v) => v.toFixed(2)).join(" ")}`).join("");
      p.svg.append(
        el("svg:path", { d, class: "trace", style: `stroke: ${series(k)}` }),
        el("svg:circle", { r: 1.6, cx: p.map(...path[0])[0], cy: p.map(...path[0])[1], class: "start" }),
      );
      const marker = el("svg:circle", { r: 2.8, class: "marker", style: `fill: ${series(k)}` });
      p.svg.append(marker);
      return marker;
    });
    return {
      el: el("figure", { class: "panel plot" }, p.svg, el("figcaption", {}, caption)),
      /** Move each series' marker to step i. */
      mark(i) {
        paths.forEach((path, k) => {
          const [cx, cy] = p.map(...path[Math.min(i, path.length - 1)]);
          markers[k].setAttribute("cx", cx.toFixed(2));
          markers[k].setAttribute("cy", cy.toFixed(2));
        });
      },
    };
  }

  // ---- the journey: a state and its prediction, step by step (denoising, summary) -------------

  /** The denoising journey: the state at a step slider (with play/pause) and the noise level;
   * beside it the model's prediction at that step when `data.predictions` is there. */
  function journey(data, kit) {
    const states = kit.sprite(data.states);
    const predictions = data.predictions ? kit.sprite(data.predictions) : null;
    const n = data.states.shape[0] - 1;
    const state = imagePanel(states, "The noisy state the model works on");
    const prediction = predictions && imagePanel(predictions, "Its prediction of the finished image");
    const noise = meter("Noise level", { format: (v) => `σ = ${fmt.fixed(v)}` });
    const step = slider({ label: "Step", max: n, value: 0, format: (i) => `${i} / ${n}` });
    step.onChange((i) => {
      state.draw(i);
      if (prediction && i < n) {
        prediction.draw(i);
        prediction.caption.textContent = `Its prediction of the finished image at step ${i}`;
      } else if (prediction) {
        prediction.draw(n, states);
        prediction.caption.textContent = "The finished image";
      }
      noise.set(data.sigmas[i]);
    });
    return {
      panels: prediction ? panels(state.el, prediction.el) : panels(state.el),
      controls: controls(step.el, player(step), noise.el),
      step,
      ready: Promise.all([states.ready, predictions?.ready]),
    };
  }

  // ---- mounting -------------------------------------------------------------------------------

  function kitFor(base) {
    return {
      el, fmt, series, slider, player, meter, panels, controls, imagePanel, strip, plane, pathPlot,
      sprite: (ref) => new Sprite(ref, base),
      journey: (data) => journey(data, kitFor(base)),
    };
  }

  let firstReady = false;

  const scripts = new Map(); // src -> a promise of its load

  /** Load a classic script once (a second call gets the first call's promise). */
  function load(src, attrs = {}) {
    if (!scripts.has(src)) {
      scripts.set(src, new Promise((resolve, reject) => {
        const script = el("script", { src, ...attrs });
        script.addEventListener("load", resolve);
        script.addEventListener("error", () => reject(new Error(`cannot load ${src}`)));
        document.head.append(script);
      }));
    }
    return scripts.get(src);
  }

  async function mount(section) {
    const root = section.querySelector(".figure");
    if (!root || section.dataset.ready) return;
    section.dataset.ready = "loading";
    try {
      await Promise.all([load(root.dataset.script), load(root.dataset.index, { "data-section": section.id })]);
      const chapter = chapters.get(section.id);
      const draw = mounts[section.dataset.kind];
      if (!chapter || !draw) throw new Error(`no figure "${section.dataset.kind}" or no data for it`);
      root.replaceChildren();
      await draw(root, chapter.data, kitFor(chapter.base));
      section.dataset.ready = "true";
      if (!firstReady) {
        firstReady = true;
        performance.mark("n2i-first-interactive");
      }
    } catch (error) {
      section.dataset.ready = "error";
      root.replaceChildren(el("p", { class: "figure-note" }, "This figure could not be drawn."));
      console.error(`figure ${section.id}:`, error);
    }
  }

  function setUpClip(clip) {
    // A page opened from disk may not load a .vtt file into a <track>: give it the embedded text instead.
    const track = clip.querySelector("track");
    const text = clip.querySelector("script.subtitles");
    if (!track) return;
    if (location.protocol === "file:" && text) {
      track.src = URL.createObjectURL(new Blob([text.textContent], { type: "text/vtt" }));
    } else {
      track.src = track.dataset.src;
    }
  }

  function start() {
    document.querySelectorAll(".clip").forEach(setUpClip);
    const sections = [...document.querySelectorAll("section.chapter")];
    if (!("IntersectionObserver" in window)) return sections.forEach(mount);
    // What is on screen now starts loading at once, without waiting for the observer's first report.
    sections.filter((s) => s.getBoundingClientRect().top < innerHeight).forEach(mount);
    const observer = new IntersectionObserver(
      (entries) => entries.filter((e) => e.isIntersecting).forEach((e) => {
        observer.unobserve(e.target);
        mount(e.target);
      }),
      { rootMargin: "100% 0px" }, // one screen ahead: a figure is ready before it scrolls in
    );
    sections.forEach((s) => observer.observe(s));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else queueMicrotask(start);

  return {
    /** Register the drawing function of a figure kind. */
    figure(kind, draw) {
      mounts[kind] = draw;
    },
    /** A chapter's JSON index, from its index.js (the script tag's data-section names the section). */
    chapter(script, data) {
      chapters.set(script.dataset.section, { data, base: new URL(".", script.src).href });
    },
    mount,
  };
})();
