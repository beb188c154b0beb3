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
})();
