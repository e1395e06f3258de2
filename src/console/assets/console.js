// leadpost console: small enhancements; every page works without this script.
(function () {
  "use strict";

  // Copy buttons: <button data-copy="ID of the element whose text to copy">.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) { return; }
      var text = source.value !== undefined ? source.value : source.textContent;
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = "Copied";
      });
    });
  });

  // Live inbox: a lead arriving for the current account reloads the list's first page.
  var inbox = document.getElementById("inbox");
  if (inbox && inbox.getAttribute("data-live") === "1" && window.EventSource) {
    var status = document.getElementById("live-status");
    var events = new EventSource("/console/events");
    events.addEventListener("lead", function (event) {
      if (status) { status.textContent = "New lead arrived; updating the list…"; }
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("inbox");
          var nav = document.querySelector("nav.main");
          var freshNav = doc.querySelector("nav.main");
          if (nav && freshNav) { nav.innerHTML = freshNav.innerHTML; }
          if (fresh) {
            inbox.innerHTML = fresh.innerHTML;
            if (status) { status.textContent = "New lead: " + event.data; }
          }
        });
    });
  }

  // Embed-code builder: the preview and the code follow the choices without a reload.
  var builder = document.getElementById("embed-builder");
  if (builder && window.fetch && window.URLSearchParams) {
    var preview = document.getElementById("embed-preview");
    var code = document.getElementById("embed-code");
    var refresh = function () {
      var query = new URLSearchParams(new FormData(builder)).toString();
      fetch("/console/sources/snippet?" + query, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (text) {
          if (text === null) { return; }
          if (code) { code.value = text; }
          if (preview) { preview.src = "/console/sources/preview?" + query; }
        });
    };
    builder.addEventListener("change", refresh);
  }
})();
