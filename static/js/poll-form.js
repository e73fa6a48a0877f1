// Poll form: show only the settings of the chosen poll type. Without JavaScript every
// setting stays visible and the server ignores those of other types.
(function () {
  "use strict";
  const kind = document.querySelector("select[name=kind]");
  if (!kind) return;
  function update() {
    document.querySelectorAll("[data-kinds]").forEach(function (group) {
      const shown = group.dataset.kinds.split(" ").includes(kind.value);
      group.hidden = !shown;
      // Hidden inputs must not be submitted as if chosen (e.g. a stale quiz answer).
      group.querySelectorAll("input, select").forEach(function (input) {
        if (input.type !== "hidden") input.disabled = !shown;
      });
    });
  }
  kind.addEventListener("change", update);
  update();
})();
