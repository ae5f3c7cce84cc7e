// Pacific dashboard: a little progressive enhancement; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Hovering a bar of the chart highlights its row in the table, and back.
  const bars = document.querySelectorAll(".chart .bar[data-day]");
  for (const bar of bars) {
    const row = document.querySelector(`tr[data-day="${bar.dataset.day}"]`);
    if (!row) continue;
    const on = () => { bar.classList.add("hl"); row.classList.add("hl"); };
    const off = () => { bar.classList.remove("hl"); row.classList.remove("hl"); };
    bar.addEventListener("mouseenter", on);
    bar.addEventListener("mouseleave", off);
    row.addEventListener("mouseenter", on);
    row.addEventListener("mouseleave", off);
  }
  // Choosing a type in the objects browser applies the filters at once.
  const type = document.querySelector("form.filters select[name=type]");
  if (type) type.addEventListener("change", () => type.form.submit());
  document.body.dataset.js = "ready";
});
