// Keyboard shortcuts and small focus helpers for the agent pages.
// Loaded as a file (no inline scripts) so a strict Content-Security-Policy can apply.
(function () {
  "use strict";

  function isTyping(element) {
    if (!element || !element.tagName) {
      return false;
    }
    var tag = element.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || element.isContentEditable;
  }

  function openShortcuts() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open) {
      dialog.showModal();
    }
  }

  function submitOutcomeForm(event) {
    var form = event.target.closest && event.target.closest("#outcome-form");
    if (!form) {
      return false;
    }
    event.preventDefault();
    form.requestSubmit();
    return true;
  }

  // Focus a field by id and bring it into view. Returns false when the page has no such enabled field.
  function focusField(id) {
    var field = document.getElementById(id);
    if (!field || field.disabled) {
      return false;
    }
    field.focus();
    if (field.scrollIntoView) {
      field.scrollIntoView({ block: "center" });
    }
    return true;
  }

  // The timeline filter button that is pressed now, or the first one.
  function focusTimelineFilter() {
    var pressed = document.querySelector("#timeline-filter [aria-pressed=true]") ||
      document.querySelector("#timeline-filter button");
    if (!pressed) {
      return false;
    }
    pressed.focus();
    return true;
  }

  function runShortcut(key) {
    if (key === "p") {
      return focusField("promise-amount");
    } else if (key === "d") {
      return focusField("dispute-reason");
    } else if (key === "t") {
      return focusTimelineFilter();
    } else if (key === "n") {
      var next = document.getElementById("next-case");
      if (next && !next.disabled) {
        next.click();
        return true;
      }
    } else if (key === "/") {
      var filter = document.querySelector("[data-filter-focus]");
      if (filter) {
        filter.focus();
        return true;
      }
    } else if (key === "?") {
      openShortcuts();
      return true;
    }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      submitOutcomeForm(event);
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target)) {
      return;
    }
    if (document.querySelector("dialog[open]")) {
      return;
    }
    if (runShortcut(event.key)) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-shortcuts-open]")) {
      openShortcuts();
    }
    // Links marked data-focus-target (the outcome form's pointers to the promise and dispute panels)
    // move the focus to that panel's first field as well as scrolling to it.
    var link = event.target.closest && event.target.closest("a[data-focus-target]");
    if (link && focusField(link.getAttribute("data-focus-target"))) {
      event.preventDefault();
    }
  });

  // Picking "Already paid" in the outcome form opens the optional payment details.
  document.addEventListener("change", function (event) {
    if (event.target.id === "outcome" && event.target.value === "already_paid") {
      var details = document.getElementById("paid-details");
      if (details) {
        details.open = true;
      }
    }
  });

  // The CSRF token rotates at sign-in and sign-out. A boosted request swaps only
  // the body, so a token rendered into the page can be out of date. The cookie
  // always contains the current token, so every htmx request sends that one.
  function currentCsrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var token = currentCsrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  // Forms marked data-submit-on-change (the client switcher) submit when a field changes.
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-submit-on-change]");
    if (form) {
      form.requestSubmit();
    }
  });

  // After htmx swaps in a form with errors, move focus to the first invalid field.
  document.addEventListener("htmx:afterSettle", function () {
    var invalid = document.querySelector(
      "#outcome-form [aria-invalid=true], #dispute-form [aria-invalid=true], #dispute-detail [aria-invalid=true]"
    );
    if (invalid && document.activeElement !== invalid) {
      invalid.focus();
    }
  });
})();
