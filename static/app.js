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

  // Ctrl+Enter (Cmd+Enter) submits the outcome, promise or dispute form the focus is in.
  var CTRL_ENTER_FORMS = "#outcome-form, #promise-form, #dispute-form";

  function submitFocusedForm(event) {
    var form = event.target.closest && event.target.closest(CTRL_ENTER_FORMS);
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

  // Alt+<key> runs a shortcut from anywhere, inside form fields too, where a plain
  // letter is typed into the field (or picks an option of a select). The physical
  // key (event.code) is read because Option+<letter> on a Mac types another character.
  var ALT_KEYS = { KeyN: "n", KeyP: "p", KeyD: "d", KeyT: "t", Slash: "/" };

  function altShortcutKey(event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) {
      return null;
    }
    if (event.code === "Slash" && event.shiftKey) {
      return "?";
    }
    return event.shiftKey ? null : ALT_KEYS[event.code] || null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      submitFocusedForm(event);
      return;
    }
    var altKey = altShortcutKey(event);
    if (altKey !== null) {
      if (!document.querySelector("dialog[open]") && runShortcut(altKey)) {
        event.preventDefault();
      }
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

  // Focus after a panel's form is saved. Logging an outcome, recording a promise or
  // recording a dispute ends the piece of work on the case, so the focus moves to
  // "Next case" and a plain n takes the next case. Cancelling a promise keeps the
  // agent on the case: the focus goes to the promise panel's heading.
  var SAVED_FOCUS = {
    "outcome-form": "next-case",
    "promise-form": "next-case",
    "dispute-form": "next-case",
  };
  // The form is read when the request starts: by the time it ends the swap has replaced it.
  var focusByRequest = new WeakMap();
  var pendingFocus = null;

  function savedFocusTarget(form) {
    if (!form) {
      return null;
    }
    if (SAVED_FOCUS[form.id]) {
      return SAVED_FOCUS[form.id];
    }
    if (form.closest("#promises-panel")) {
      return "promises-title";
    }
    return null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var detail = event.detail;
    var form = detail.elt && detail.elt.closest ? detail.elt.closest("form") : null;
    var target = detail.requestConfig && detail.requestConfig.verb === "post" ? savedFocusTarget(form) : null;
    if (target && detail.xhr) {
      focusByRequest.set(detail.xhr, target);
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail;
    var target = detail.xhr ? focusByRequest.get(detail.xhr) : null;
    if (target && detail.successful) {
      pendingFocus = target;
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (pendingFocus === null) {
      return;
    }
    var target = document.getElementById(pendingFocus);
    pendingFocus = null;
    if (target && !target.disabled) {
      target.focus();
    }
  });

  // The timeline is not a live region, because a screen reader would read the whole list
  // on every reload. A short line written to #timeline-status announces the change instead.
  var timelineStatusTimer = null;

  function announceTimeline() {
    var status = document.getElementById("timeline-status");
    var timeline = document.getElementById("timeline");
    if (!status || !timeline) {
      return;
    }
    window.clearTimeout(timelineStatusTimer);
    // Clearing first makes a repeated message count as a change.
    status.textContent = "";
    timelineStatusTimer = window.setTimeout(function () {
      status.textContent = timeline.getAttribute("data-status") || "Timeline updated";
    }, 150);
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target && event.detail.target.id === "timeline") {
      announceTimeline();
    }
  });

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "timeline") {
      announceTimeline();
    }
  });
})();
