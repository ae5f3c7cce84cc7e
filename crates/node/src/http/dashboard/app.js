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
  // The indicator editor: the pattern checked by the node's parser as it is typed.
  const editor = document.getElementById("indicator-form");
  const status = document.getElementById("pattern-status");
  if (editor && status) {
    let timer = null;
    let asked = 0;
    const check = async () => {
      const mine = ++asked;
      const body = new URLSearchParams(new FormData(editor));
      try {
        const r = await fetch("/objects/pattern-check", { method: "POST", body, credentials: "same-origin" });
        const answer = await r.json();
        if (mine !== asked) return;
        status.textContent = answer.ok ? `Pattern: ${answer.pattern}` : `Not yet a pattern: ${answer.problem}`;
        status.className = answer.ok ? "ok" : "error";
      } catch (e) {
        status.textContent = "";
      }
    };
    for (const name of ["kind", "value", "pattern"]) {
      const input = editor.elements.namedItem(name);
      if (!input) continue;
      input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 250); });
      input.addEventListener("change", check);
    }
  }
  // Import: a chosen file is read here into the form's text (no upload format needed).
  const file = document.getElementById("import-file");
  const content = document.getElementById("import-content");
  if (file && content) {
    file.addEventListener("change", async () => {
      const chosen = file.files && file.files[0];
      if (chosen) content.value = await chosen.text();
    });
  }
  document.body.dataset.js = "ready";
});
