// Pipeline settings: drag a stage's row by its handle to reorder the stages. The order the rows now show is posted
// through the page's reorder form, and htmx redraws the table from what was saved. A keyboard user pressing ↑ or ↓
// keeps the focus on that stage's arrow in the redrawn table (on the other one when the first is now disabled).
(function () {
  let focusedId = null;

  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (evt.detail.target.id === "stages-panel") focusedId = document.activeElement && document.activeElement.id;
  });

  function refocus(panel) {
    if (!focusedId) return;
    const arrow = document.getElementById(focusedId);
    focusedId = null;
    if (!arrow || !panel.contains(arrow)) return;
    const other = document.getElementById(arrow.id.endsWith("-up") ? arrow.id.replace(/-up$/, "-down") : arrow.id.replace(/-down$/, "-up"));
    (arrow.disabled && other ? other : arrow).focus();
  }

  function sortable(rows) {
    if (rows.dataset.sortable) return;
    rows.dataset.sortable = "1";
    Sortable.create(rows, {
      handle: ".drag-handle",
      animation: 120,
      onEnd: function (evt) {
        if (evt.oldIndex === evt.newIndex) return;
        const form = document.getElementById("stage-order");
        form.querySelectorAll("input[name=stage]").forEach(function (input) { input.remove(); });
        rows.querySelectorAll("tr[data-stage]").forEach(function (row) {
          const input = document.createElement("input");
          input.type = "hidden";
          input.name = "stage";
          input.value = row.dataset.stage;
          form.appendChild(input);
        });
        form.requestSubmit();
      },
    });
  }

  htmx.onLoad(function (root) {
    root.querySelectorAll("tbody[data-stage-order]").forEach(sortable);
    if (root.id === "stages-panel") refocus(root);
  });
})();
