/* step_comparison: the same prompt and seed at several step counts; choose one to see its steps. */
"use strict";

N2I.figure("step_comparison", async (root, data, kit) => {
  const { el } = kit;
  const finals = kit.sprite(data.finals);
  const states = kit.sprite(data.states);
  const counts = data.step_counts;
  const longest = Math.max(...counts) + 1;
  const columns = Math.min(longest, 10);
  const overview = kit.strip(finals, counts.length, `The final image for ${counts.join(", ")} steps`, { columns: counts.length });
  const run = kit.strip(states, longest, "", { columns, cell: Math.round(states.width / 2) });
  const caption = run.el.querySelector("figcaption");
  const name = `steps-${Math.random().toString(36).slice(2)}`;
  const choices = el("fieldset", { class: "choices" }, el("legend", {}, "Steps"),
    counts.map((k, i) => el("label", {}, el("input", { type: "radio", name, value: i, checked: i === counts.length - 1 }), String(k))));
  const show = (i) => {
    const k = counts[i];
    overview.draw(counts.map((_, j) => j), i);
    run.draw(Array.from({ length: k + 1 }, (_, s) => data.starts[i] + s));
    caption.textContent = `${k} step${k === 1 ? "" : "s"}: the state after each one, from pure noise to the image`;
  };
  choices.addEventListener("change", (e) => show(Number(e.target.value)));
  root.append(kit.controls(choices), overview.el, run.el);
  await Promise.all([finals.ready, states.ready]);
  show(counts.length - 1);
});
