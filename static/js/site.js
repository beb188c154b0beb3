// Site-wide behaviour. No inline scripts anywhere: the CSP forbids them.
(function () {
  "use strict";

  function showAlert(html) {
    var region = document.getElementById("alerts");
    if (!region) return;
    region.innerHTML = html;
  }

  // htmx 2 does not swap 4xx/5xx responses. Show the server's short message (our error
  // fragments) in the alert region instead, so a refused action never fails silently.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var body = xhr && xhr.responseText ? xhr.responseText : "";
    if (body && body.length < 2000 && body.indexOf("data-alert") !== -1) {
      showAlert(body);
    } else {
      showAlert('<p class="alert alert--error">Something went wrong (' + (xhr ? xhr.status : "?") +
        '). Nothing was saved. Try again, or reload the page.</p>');
    }
  });

  document.addEventListener("htmx:sendError", function () {
    showAlert('<p class="alert alert--error">The server did not answer. Check your connection; nothing was saved.</p>');
  });

  // Forms that change the page on select: <select data-autosubmit> submits its form.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.requestSubmit();
    }
  });

  // Check-ins. Ctrl+Enter (or Cmd+Enter) in a check-in's text field submits its form, so a
  // row is done from the keyboard without hunting for the button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var target = event.target;
    var form = target && target.closest ? target.closest("form[data-checkin-form]") : null;
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // After a check-in replaces its row, move the focus to the next open check-in form (or to
  // the row just saved), so the next key result is one keystroke away.
  document.addEventListener("htmx:afterSettle", function (event) {
    // A refused check-in: straight to the first field with a message, its text selected.
    // (An outerHTML swap replaced the target: find its successor by id.)
    var id = event.detail && event.detail.target ? event.detail.target.id : "";
    var swapped = id ? document.getElementById(id) : null;
    var invalid = swapped ? swapped.querySelector("[aria-invalid=true]") : null;
    if (invalid) {
      invalid.focus();
      if (invalid.select) invalid.select();
      return;
    }
    var row = document.querySelector("[data-saved]");
    if (!row) return;
    row.removeAttribute("data-saved");
    var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-checkin-form]"));
    var next = forms.filter(function (form) {
      return row.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING;
    })[0] || forms[0];
    var field = next ? next.querySelector("input:not([type=hidden])") : null;
    if (field && !next.closest("details:not([open])")) {
      field.focus();
    } else {
      row.setAttribute("tabindex", "-1");
      row.focus();
    }
  });
})();
