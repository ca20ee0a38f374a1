// Leads table: a destructive bulk action asks "are you sure?" only when there is something to act on; with no lead
// selected the request goes straight to the server, which answers "Select leads first."
document.addEventListener("htmx:confirm", function (evt) {
  const form = evt.target.closest("#bulk-form");
  if (!form || !evt.detail.question) return;
  if (form.querySelector("input[name=leads]:checked")) return;
  evt.preventDefault();
  evt.detail.issueRequest(true);
});
