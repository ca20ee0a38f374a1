// Behaviour every page shares, kept out of the HTML so that a strict Content-Security-Policy (no inline script) holds:
// - <form data-confirm="Question?"> asks before a plain (non-htmx) submit; htmx forms use hx-confirm.
// - <select data-autosubmit> submits its form when changed.
// - <input type="checkbox" data-check-all="#form input[name=x]"> checks or clears every box the selector finds.
document.addEventListener("submit", function (evt) {
  const question = evt.target.dataset && evt.target.dataset.confirm;
  if (question && !window.confirm(question)) evt.preventDefault();
});

document.addEventListener("change", function (evt) {
  const field = evt.target;
  if (field.matches("select[data-autosubmit]")) field.form.requestSubmit();
  if (field.matches("input[type=checkbox][data-check-all]")) {
    document.querySelectorAll(field.dataset.checkAll).forEach(function (box) { box.checked = field.checked; });
  }
});
