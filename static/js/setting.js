// The setting page's behaviour beyond htmx itself. No inline scripts anywhere: the CSP forbids
// them. The server says what happened through HX-Trigger events; this file makes the page
// follow, and keeps keyboard focus where the work is.
(function () {
  "use strict";

  function say(text) {
    // A polite live region, so a screen reader hears what a click did.
    var region = document.getElementById("setting-status");
    if (region) region.textContent = text;
  }

  // okrs:moved {id, direction}: the server reordered; move the element to match. Focus stays
  // on the button that was pressed, so pressing it again keeps moving the same item.
  document.addEventListener("okrs:moved", function (event) {
    var detail = event.detail || {};
    var item = document.getElementById(detail.id);
    if (!item || !item.parentNode) return;
    var active = document.activeElement;
    if (detail.direction === "up" && item.previousElementSibling) {
      item.parentNode.insertBefore(item, item.previousElementSibling);
    } else if (detail.direction === "down" && item.nextElementSibling) {
      item.parentNode.insertBefore(item.nextElementSibling, item);
    }
    if (active && item.contains(active)) active.focus();
    say("Moved " + detail.direction + ".");
  });

  // okrs:reset {form}: a create form succeeded (its result went elsewhere): empty it for the
  // next one, drop any old error messages, and put the cursor back in its first field.
  document.addEventListener("okrs:reset", function (event) {
    var form = document.getElementById((event.detail || {}).form);
    if (!form) return;
    form.reset();
    form.querySelectorAll(".field__errors, .alert--error, .conflict, .form-intro, .metric-last").forEach(function (node) {
      node.remove();
    });
    form.querySelectorAll(".field--error").forEach(function (node) {
      node.classList.remove("field--error");
    });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
    });
    form.querySelectorAll("details[open]").forEach(function (node) {
      node.removeAttribute("open");
    });
    // Let the live coaching see the empty form (it clears itself).
    form.dispatchEvent(new Event("input", { bubbles: true }));
    var first = form.querySelector("textarea, input[type=text]");
    if (first) first.focus();
    say("Saved. The form is ready for the next one.");
  });

  // okrs:focus {target}: a swap removed the element that had focus (a deleted item): move
  // focus to the selector the server named instead of losing it to the top of the page.
  document.addEventListener("okrs:focus", function (event) {
    var selector = (event.detail || {}).target;
    var node = selector ? document.querySelector(selector) : null;
    if (node) node.focus();
  });

  // "Fill in the numbers": the coaching read a baseline and target from the statement; copy
  // them into the form's empty number fields, then let the coaching look again.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-fill]") : null;
    if (!button) return;
    var form = button.closest("form");
    var values;
    try { values = JSON.parse(button.getAttribute("data-fill")); } catch (e) { return; }
    var prefix = button.getAttribute("data-prefix");
    Object.keys(values).forEach(function (name) {
      var field = form && form.querySelector('[name="' + prefix + "-" + name + '"]');
      if (field && !field.value) field.value = values[name];
    });
    if (form) form.dispatchEvent(new Event("input", { bubbles: true }));
    var target = form && form.querySelector('[name="' + prefix + '-target"]');
    if (target) target.focus();
  });
})();
