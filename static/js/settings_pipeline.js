// Pipeline settings: drag a stage's row by its handle to reorder the stages. The order the rows now show is posted
// through the page's reorder form, and htmx redraws the table from what was saved. The ↑ and ↓ forms need no script
// but the focus: the redrawn table's arrow just pressed takes it.
(function () {
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
    // The arrow just pressed takes the focus in the redrawn table only once htmx has processed it: focused sooner (as
    // htmx does with autofocus), a quick second Enter would submit its form natively and reload the page.
    const arrow = root.querySelector("button[data-takes-focus]");
    if (arrow) arrow.focus();
  });
})();
