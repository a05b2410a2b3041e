// The console's page behaviours. Loaded with `defer` after htmx (same order), so `htmx` exists.
// No inline scripts anywhere (CSP: script-src 'self').
(function () {
  "use strict";

  // --- htmx: which responses swap ------------------------------------------------------------
  // Every refusal comes from the one responder as a message retargeted to #flash (or, for
  // scripts, JSON), so 4xx and 502/503 are swapped like any answer: they are expected, shown,
  // and not script errors. Anything else (a 500 crash page) is not swapped; a generic message
  // is shown instead.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "(4..|502|503)", swap: true, error: false },
    { code: "...", swap: false, error: true },
  ];
  htmx.config.historyCacheSize = 0;

  var USER_EVENTS = ["submit", "click", "change", "search", "keyup", "input"];

  function text(name) {
    var node = document.getElementById("console-texts");
    return (node && node.dataset[name]) || name;
  }

  function flash(message, kind) {
    var area = document.getElementById("flash");
    if (!area) return;
    area.textContent = message;
    area.className = "flash " + (kind === "ok" ? "flash-ok" : "flash-error");
  }

  function userInitiated(detail) {
    var event = detail.requestConfig && detail.requestConfig.triggeringEvent;
    return !!event && USER_EVENTS.indexOf(event.type) !== -1;
  }

  function submitterOf(detail) {
    var event = detail.requestConfig && detail.requestConfig.triggeringEvent;
    if (event && event.submitter) return event.submitter;
    var elt = detail.elt;
    if (elt && (elt.tagName === "BUTTON" || elt.tagName === "A")) return elt;
    if (elt && elt.tagName === "FORM") return elt.querySelector('button[type="submit"], button:not([type])');
    return null;
  }

  // --- loading state: an indicator, and the sending button disabled (no double submit) -------
  var inFlight = 0;
  function busy(delta) {
    inFlight = Math.max(0, inFlight + delta);
    var bar = document.getElementById("busy");
    if (bar) bar.hidden = inFlight === 0;
    document.body.toggleAttribute("aria-busy", inFlight > 0);
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var detail = event.detail;
    if (!userInitiated(detail)) return;
    // A new action replaces the last message: a success never stays beside a later refusal.
    var area = document.getElementById("flash");
    if (area && !area.closest("dialog")) { area.textContent = ""; area.className = "flash"; }
    var dialogFlash = document.getElementById("dialog-flash");
    if (dialogFlash) { dialogFlash.textContent = ""; dialogFlash.className = "flash"; }
    clearFieldErrors(detail.elt && detail.elt.closest ? detail.elt.closest("form") || detail.elt : null);
    var button = submitterOf(detail);
    if (button && !button.disabled) {
      button.disabled = true;
      button.setAttribute("aria-disabled", "true");
      button.dataset.consoleBusy = "1";
    }
    detail.elt.dataset.consoleTracked = "1";
    busy(1);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || elt.dataset.consoleTracked !== "1") return;
    delete elt.dataset.consoleTracked;
    busy(-1);
    document.querySelectorAll("[data-console-busy]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("aria-disabled");
      delete button.dataset.consoleBusy;
    });
  });

  // A refusal while a dialog is open is shown inside the dialog (the page behind is inert).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var dialog = document.getElementById("dialog");
    var target = event.detail.target;
    if (dialog && dialog.open && target && target.id === "flash") {
      event.detail.target = document.getElementById("dialog-flash");
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 400 && status < 500) return; // swapped: the server's own message is shown
    if (status === 502 || status === 503) return;
    flash(text("serverError").replace("{status}", String(status)), "error");
  });

  document.addEventListener("htmx:sendError", function () {
    flash(text("networkError"), "error");
  });

  // --- per-field reasons next to the fields of the form that was sent ------------------------
  function clearFieldErrors(form) {
    if (!form || !form.querySelectorAll) return;
    form.querySelectorAll(".field-error").forEach(function (node) { node.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (field) {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
    });
  }

  document.addEventListener("console:field-errors", function (event) {
    var origin = event.target;
    var form = origin && origin.closest ? origin.closest("form") || origin : null;
    if (!form || !form.querySelectorAll) return;
    var fields = (event.detail && event.detail.fields) || {};
    Object.keys(fields).forEach(function (name, index) {
      var field = form.querySelector('[name="' + CSS.escape(name) + '"]:not([type="hidden"])');
      if (!field) return;
      var note = document.createElement("span");
      note.className = "field-error";
      note.id = (form.id || "form") + "-" + name + "-error";
      note.textContent = fields[name].join(" ");
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", note.id);
      (field.closest("label") || field).insertAdjacentElement("afterend", note);
      if (index === 0) field.focus();
    });
  });

  // --- modal dialogs: confirmations open as <dialog>, focus the safe choice, Escape closes ----
  function dialogParts() {
    return { dialog: document.getElementById("dialog"), body: document.getElementById("dialog-body") };
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var parts = dialogParts();
    if (!parts.dialog || event.detail.target !== parts.body) return;
    if (!parts.body.children.length) {
      if (parts.dialog.open) parts.dialog.close();
      return;
    }
    var title = parts.body.querySelector("h2");
    if (title) {
      title.id = title.id || "dialog-title";
      parts.dialog.setAttribute("aria-labelledby", title.id);
    }
    if (!parts.dialog.open) parts.dialog.showModal();
    var safe = parts.body.querySelector("[data-autofocus]") || parts.body.querySelector(".dialog-close");
    if (safe) safe.focus();
  });

  document.addEventListener("close", function (event) {
    var parts = dialogParts();
    if (event.target !== parts.dialog) return;
    parts.body.innerHTML = "";
    var dialogFlash = document.getElementById("dialog-flash");
    if (dialogFlash) { dialogFlash.textContent = ""; dialogFlash.className = "flash"; }
  }, true);

  // Keep Tab inside an open dialog: from the last control back to the first, and the reverse.
  document.addEventListener("keydown", function (event) {
    var dialog = document.getElementById("dialog");
    if (event.key !== "Tab" || !dialog || !dialog.open) return;
    var focusable = Array.prototype.filter.call(
      dialog.querySelectorAll('button, [href], input:not([type="hidden"]), select, textarea, [tabindex]:not([tabindex="-1"])'),
      function (el) { return !el.disabled && el.getClientRects().length; }
    );
    if (!focusable.length) return;
    var first = focusable[0], last = focusable[focusable.length - 1];
    var inside = dialog.contains(document.activeElement);
    if (event.shiftKey && (document.activeElement === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  });

  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest(".dialog-close")) return;
    var parts = dialogParts();
    if (parts.dialog && parts.dialog.open) parts.dialog.close();
  });

  // Type-to-confirm: the destructive button stays disabled until the name is typed exactly.
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.dataset || field.dataset.confirmText === undefined) return;
    var form = field.form;
    var button = form && form.querySelector("[data-needs-confirm-text]");
    if (button) button.disabled = field.value !== field.dataset.confirmText;
  });

  // --- object browser -------------------------------------------------------------------------
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-all") {
      document.querySelectorAll('input[name="selected"][form="bulk-form"], input[name="selected_folders"][form="bulk-form"]').forEach(function (box) {
        box.checked = target.checked;
      });
      updateSelection();
      return;
    }
    if (target.name === "selected" || target.name === "selected_folders") updateSelection();
    if (target.id === "page-size" || target.dataset.autosubmit !== undefined) {
      var form = target.form;
      if (form && form.requestSubmit) form.requestSubmit();
    }
  });

  // The selection bar: how many are chosen, and the offer to select everything that matches.
  function updateSelection() {
    var bar = document.getElementById("selection-bar");
    if (!bar) return;
    var boxes = document.querySelectorAll('input[name="selected"][form="bulk-form"], input[name="selected_folders"][form="bulk-form"]');
    var chosen = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
    var across = document.getElementById("select-across");
    if (across && chosen < boxes.length) across.value = "";
    var count = bar.querySelector("[data-selected-count]");
    if (count) count.textContent = bar.dataset["selected" + (chosen === 1 ? "One" : "Many")].replace("{count}", chosen.toLocaleString());
    var offer = document.getElementById("select-across-offer");
    var truncated = bar.dataset.truncated === "1";
    if (offer) offer.hidden = !(truncated && boxes.length && chosen === boxes.length) || (across && across.value === "1");
    var chosenAll = document.getElementById("select-across-chosen");
    if (chosenAll) chosenAll.hidden = !(across && across.value === "1");
    var button = document.getElementById("delete-selected");
    if (button) button.disabled = chosen === 0;
    document.querySelectorAll("[data-needs-selection]").forEach(function (other) { other.disabled = chosen === 0; });
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("button, a") : null;
    if (!target) return;
    if (target.id === "select-across-button") {
      document.getElementById("select-across").value = "1";
      updateSelection();
      return;
    }
    if (target.id === "select-across-clear") {
      document.getElementById("select-across").value = "";
      var all = document.getElementById("select-all");
      if (all) all.checked = false;
      document.querySelectorAll('input[name="selected"][form="bulk-form"], input[name="selected_folders"][form="bulk-form"]').forEach(function (box) { box.checked = false; });
      updateSelection();
      return;
    }
    // Buttons that open a hidden file input (real buttons: reachable and usable by keyboard).
    if (target.dataset.opens) {
      var input = document.getElementById(target.dataset.opens);
      if (input) input.click();
    }
  });

  document.addEventListener("htmx:afterSettle", updateSelection);
  document.addEventListener("DOMContentLoaded", updateSelection);

  // Share links are selected on focus, ready to copy.
  document.addEventListener("focusin", function (event) {
    if (event.target.classList && event.target.classList.contains("share-url")) event.target.select();
  });
})();
