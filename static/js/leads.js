// Leads table: a destructive bulk action asks "are you sure?" only when there is something to act on; with no lead
// selected the request goes straight to the server, which answers "Select leads first." With "all leads matching
// this filter" chosen, the question names how many (the button's data-confirm-all-matching).
document.addEventListener("htmx:confirm", function (evt) {
  const form = evt.target.closest("#bulk-form");
  if (!form || !evt.detail.question) return;
  const allMatching = form.querySelector("input[name=all_matching]:checked");
  if (allMatching && evt.target.dataset.confirmAllMatching) {
    evt.preventDefault();
    if (window.confirm(evt.target.dataset.confirmAllMatching)) evt.detail.issueRequest(true);
    return;
  }
  if (form.querySelector("input[name=leads]:checked")) return;
  evt.preventDefault();
  evt.detail.issueRequest(true);
});

// "All leads matching this filter" stands only while the whole page is ticked: clearing the page's box or any one
// lead's box takes it back, so the action never reaches more leads than the boxes show.
document.addEventListener("change", function (evt) {
  const form = evt.target.closest("#bulk-form");
  if (!form || evt.target.checked) return;
  if (!evt.target.matches("input[name=leads], input[data-check-all]")) return;
  const allMatching = form.querySelector("input[name=all_matching]");
  if (allMatching) allMatching.checked = false;
  const pageBox = form.querySelector("input[data-check-all]");
  if (pageBox) pageBox.checked = false;
});
