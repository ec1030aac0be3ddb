// The ticket page's one script: the "Print ticket" button, a note when the page is the copy
// kept offline, and the service worker that keeps it (ticketing/templates/ticketing/tickets/sw.js).
// Without it the page is still a ticket: it prints from the browser's menu.
"use strict";

(function () {
  const script = document.currentScript;
  const print = document.getElementById("print");
  if (print && typeof window.print === "function") {
    print.addEventListener("click", () => window.print());
    print.hidden = false;
  }
  const offline = document.getElementById("offline");
  if (offline && navigator.onLine === false) offline.hidden = false;
  if (script && navigator.serviceWorker) {
    const { serviceWorker: url, scope } = script.dataset;
    navigator.serviceWorker.register(url, { scope }).catch(() => undefined);
  }
})();
