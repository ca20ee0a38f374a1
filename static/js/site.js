// Behaviour every page shares, kept out of the HTML so that a strict Content-Security-Policy (no inline script) holds:
// - <form data-confirm="Question?"> asks before a plain (non-htmx) submit; htmx forms use hx-confirm.
// - <select data-autosubmit> submits its form when changed.
// - <input type="checkbox" data-check-all="#form input[name=x]"> checks or clears every box the selector finds.
// - <option data-asks-reason> shows its form's [data-reason-for="<the select's name>"] part (a reason field) while it
//   is chosen, instead of autosubmitting: a move to a lost stage must say why.
function reasonAsked(select) {
  const asks = select.selectedOptions.length > 0 && "asksReason" in select.selectedOptions[0].dataset;
  const parts = select.form ? select.form.querySelectorAll('[data-reason-for="' + select.name + '"]') : [];
  parts.forEach(function (part) { part.hidden = !asks; });
  if (asks && parts.length) parts[0].querySelector("input, textarea").focus();
  return asks;
}

document.addEventListener("submit", function (evt) {
  const question = evt.target.dataset && evt.target.dataset.confirm;
  if (question && !window.confirm(question)) evt.preventDefault();
});

document.addEventListener("change", function (evt) {
  const field = evt.target;
  if (field.matches("select") && reasonAsked(field)) return;
  if (field.matches("select[data-autosubmit]")) field.form.requestSubmit();
  if (field.matches("input[type=checkbox][data-check-all]")) {
    document.querySelectorAll(field.dataset.checkAll).forEach(function (box) { box.checked = field.checked; });
  }
});
