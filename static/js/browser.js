// Small behaviours of the object browser; no inline scripts anywhere (CSP: script-src 'self').
(function () {
  "use strict";

  // "Select all" toggles every object checkbox currently on the page (loaded pages included).
  document.addEventListener("change", function (event) {
    if (event.target.id !== "select-all") return;
    document.querySelectorAll('input[name="selected"][form="bulk-form"]').forEach(function (box) {
      box.checked = event.target.checked;
    });
  });

  // Cancel/Close buttons in dialogs empty the dialog area.
  document.addEventListener("click", function (event) {
    if (!event.target.classList || !event.target.classList.contains("dialog-close")) return;
    var area = event.target.closest("#dialog");
    if (area) area.innerHTML = "";
  });

  // Changing the page size applies at once.
  document.addEventListener("change", function (event) {
    if (event.target.id !== "page-size") return;
    var form = event.target.form;
    if (form && form.requestSubmit) form.requestSubmit();
  });

  // Share links are selected on focus, ready to copy.
  document.addEventListener("focusin", function (event) {
    if (event.target.classList && event.target.classList.contains("share-url")) event.target.select();
  });
})();
