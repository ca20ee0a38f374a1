// Kanban board: SortableJS drags cards between columns; each drop is saved, and a refused save puts the card back.
(function () {
  const money = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

  function csrfToken() {
    return document.querySelector("input[name=csrfmiddlewaretoken]").value;
  }

  function notify(text, kind) {
    const status = document.getElementById("board-status");
    status.textContent = text;
    status.className = "toast " + kind;
    status.hidden = false;
    clearTimeout(status.timer);
    status.timer = setTimeout(() => { status.hidden = true; }, kind === "error" ? 8000 : 3000);
  }

  function putBack(evt) {
    const anchor = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(evt.item, anchor);
  }

  async function saveDrop(evt) {
    if (evt.from === evt.to) return;
    const board = document.getElementById("board");
    const body = new URLSearchParams({
      lead: evt.item.dataset.lead,
      stage: evt.to.dataset.stage,
      from_stage: evt.from.dataset.stage,
      owner: board.dataset.owner || "",
    });
    let result;
    try {
      const response = await fetch(board.dataset.moveUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
        body: body,
      });
      result = await response.json();
    } catch (error) {
      result = { ok: false, message: "Could not save the move (is Leadflow reachable?); the card is back where it was." };
    }
    if (!result.ok) {
      putBack(evt);
      notify(result.message, "error");
      return;
    }
    evt.item.dataset.stage = evt.to.dataset.stage;
    for (const [stageId, column] of Object.entries(result.columns)) {
      document.getElementById("count-" + stageId).textContent = money.format(column.count);
      document.getElementById("total-" + stageId).textContent = money.format(Number(column.total));
    }
    notify(result.message, "success");
  }

  htmx.onLoad(function (root) {
    root.querySelectorAll(".cards").forEach(function (cards) {
      if (cards.dataset.sortable) return;
      cards.dataset.sortable = "1";
      Sortable.create(cards, { group: "board", draggable: ".card", animation: 120, onEnd: saveDrop });
    });
  });
})();
