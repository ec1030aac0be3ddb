// The ticket page's one script: the "Print ticket" button. Without it the page is still a
// ticket: it prints from the browser's menu.
"use strict";

(function () {
  const print = document.getElementById("print");
  if (print && typeof window.print === "function") {
    print.addEventListener("click", () => window.print());
    print.hidden = false;
  }
})();
