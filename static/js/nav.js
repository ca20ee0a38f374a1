// On a narrow screen the top navigation folds into its Menu button (app.css, .topbar.collapsible); without this
// script it stays unfolded, so every link is still there.
(function () {
  const topbar = document.querySelector(".topbar");
  const button = topbar && topbar.querySelector(".menu-button");
  if (!button) return;
  topbar.classList.add("collapsible");
  button.addEventListener("click", function () {
    const open = topbar.classList.toggle("menu-open");
    button.setAttribute("aria-expanded", String(open));
  });
})();
