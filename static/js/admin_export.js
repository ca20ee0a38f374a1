// The admin export page's "Select all" box (django-import-export's onSelectToggleChange, from
// export_selectable_fields.js), wired here instead of by an inline handler, which the Content-Security-Policy blocks.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".select-toggle");
  if (toggle && typeof onSelectToggleChange === "function") {
    toggle.addEventListener("change", onSelectToggleChange);
  }
});
