// Kanban board: SortableJS drags the cards the user may move between columns, and each card's "Move…" button does
// the same from the keyboard. Every move is saved the same way; a refused save puts the card back. A move to a lost
// stage first asks why, in the board's dialog.
(function () {
  const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  // The move the dialog is open for: { card, from, to, dragged, oldIndex }.
  let pending = null;

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

  function putBack(move) {
    if (!move.dragged) return;
    move.from.insertBefore(move.card, move.from.children[move.oldIndex] || null);
  }

  async function save(move, lostReason) {
    const board = document.getElementById("board");
    const body = new URLSearchParams({
      lead: move.card.dataset.lead,
      stage: move.to.dataset.stage,
      from_stage: move.from.dataset.stage,
      owner: board.dataset.owner || "",
      lost_reason: lostReason || "",
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
      putBack(move);
      notify(result.message, "error");
      return;
    }
    if (!move.dragged) move.to.insertBefore(move.card, move.to.firstElementChild);
    move.card.dataset.stage = move.to.dataset.stage;
    for (const [stageId, column] of Object.entries(result.columns)) {
      document.getElementById("count-" + stageId).textContent = number.format(column.count);
      document.getElementById("total-" + stageId).textContent = column.total;  // formatted in the site currency by the server
    }
    notify(result.message, "success");
    const button = move.card.querySelector(".move-button");
    if (!move.dragged && button) button.focus();
  }

  function dialogParts() {
    const dialog = document.getElementById("move-dialog");
    return {
      dialog: dialog,
      form: dialog.querySelector("form"),
      stage: dialog.querySelector("select[name=stage]"),
      reasonLabel: dialog.querySelector(".lost-reason"),
      reason: dialog.querySelector("input[name=lost_reason]"),
    };
  }

  function showReasonIfLost() {
    const parts = dialogParts();
    const lost = parts.stage.selectedOptions[0].dataset.kind === "lost";
    parts.reasonLabel.hidden = !lost;
    parts.reason.required = lost;
    return lost;
  }

  function openDialog(move) {
    const parts = dialogParts();
    pending = move;
    parts.dialog.querySelector(".lead-name").textContent = move.card.querySelector(".card-name").textContent;
    parts.stage.value = (move.to || move.from).dataset.stage;
    parts.stage.disabled = move.dragged; // a drag already chose the stage; the dialog only asks why
    parts.reason.value = "";
    parts.dialog.returnValue = ""; // Escape closes without setting it: a stale "move" must not count
    parts.dialog.showModal();
    (showReasonIfLost() ? parts.reason : parts.stage).focus();
  }

  // Closing the dialog without moving (Cancel, Escape) leaves a dragged card where it came from.
  function dialogClosed() {
    const parts = dialogParts();
    const move = pending;
    pending = null;
    if (!move) return;
    if (parts.dialog.returnValue !== "move") {
      putBack(move);
      return;
    }
    move.to = move.to || document.getElementById("cards-" + parts.stage.value);
    if (move.to === move.from) return;
    save(move, parts.reason.value);
  }

  function dragEnded(evt) {
    if (evt.from === evt.to) return;
    const move = { card: evt.item, from: evt.from, to: evt.to, dragged: true, oldIndex: evt.oldIndex };
    if (evt.to.dataset.kind === "lost") openDialog(move);
    else save(move);
  }

  document.addEventListener("click", function (evt) {
    const button = evt.target.closest("#board .move-button");
    if (!button) return;
    const card = button.closest(".card");
    openDialog({ card: card, from: card.closest(".cards"), to: null, dragged: false });
  });

  document.addEventListener("change", function (evt) {
    if (evt.target.matches("#move-dialog select[name=stage]")) showReasonIfLost();
  });

  htmx.onLoad(function (root) {
    const board = document.getElementById("board");
    if (!board || !("canMove" in board.dataset)) return; // a read-only role gets no dragging at all
    const dialog = document.getElementById("move-dialog");
    if (!dialog.dataset.listening) {
      dialog.dataset.listening = "1";
      dialog.addEventListener("close", dialogClosed);
    }
    root.querySelectorAll("#board .cards").forEach(function (cards) {
      if (cards.dataset.sortable) return;
      cards.dataset.sortable = "1";
      Sortable.create(cards, { group: "board", draggable: ".card[data-movable]", animation: 120, onEnd: dragEnded });
    });
  });
})();
