// Copy buttons: a click on [data-copy-target="ID"] copies the value of the element with that id.
// Loaded from base.html as a file (no inline scripts) so a strict Content-Security-Policy can apply;
// the listener is delegated because htmx swaps buttons in.
(function () {
  "use strict";

  function copyValue(input, button) {
    var done = function () {
      button.textContent = "Copied";
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        input.select();
      });
      return;
    }
    // Without the Clipboard API (plain http on a non-local host) the text is selected for Ctrl+C.
    input.focus();
    input.select();
    button.textContent = "Press Ctrl+C";
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    if (input) {
      copyValue(input, button);
    }
  });
})();
