// Progressive enhancement only: every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Ask before cancelling a maintenance window: the form carries data-confirm.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  }
  // After a redirect to "#item-...", move keyboard focus to that row's status select.
  if (location.hash.startsWith("#item-")) {
    const row = document.getElementById(location.hash.slice(1));
    const select = row && row.querySelector("select");
    if (select) {
      select.focus({ preventScroll: false });
    }
  }
});
