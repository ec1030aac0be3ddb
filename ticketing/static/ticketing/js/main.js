// Entry point: a hash router, the account area of the top bar, and view lifecycles.

import { logOut, session } from "./api.js";
import { flash, h } from "./ui.js";
import { loginView, signupView } from "./views/account.js";
import { bookingView, bookingsView } from "./views/bookings.js";
import { eventView } from "./views/event.js";
import { eventsView } from "./views/events.js";
import { ticketsView } from "./views/tickets.js";
import { seasonView, seasonsView } from "./views/seasons.js";

const routes = [
  [/^\/?$/, eventsView, "events"],
  [/^\/events\/(\d+)$/, eventView, "events"],
  [/^\/seasons$/, seasonsView, "seasons"],
  [/^\/seasons\/(\d+)$/, seasonView, "seasons"],
  [/^\/bookings$/, bookingsView, "bookings", { login: true }],
  [/^\/bookings\/(\d+)$/, bookingView, "bookings", { login: true }],
  [/^\/tickets$/, ticketsView, "tickets", { login: true }],
  [/^\/login$/, loginView, "login"],
  [/^\/signup$/, signupView, "signup"],
];

const main = document.getElementById("main");
let cleanup = null;
let firstRender = true;

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { path, query: new URLSearchParams(query) };
}

function render() {
  const { path, query } = parseHash();
  if (cleanup) cleanup();
  cleanup = null;
  const match = routes.find(([pattern]) => pattern.test(path));
  document.querySelectorAll("[data-nav]").forEach((link) => {
    if (match && link.dataset.nav === match[2]) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  });
  if (!match) {
    main.replaceChildren(
      h("h1", { tabindex: "-1" }, "Page not found"),
      h("p", {}, h("a", { href: "#/" }, "See all events")),
    );
    return;
  }
  const [pattern, view, , options = {}] = match;
  if (options.login && !session.loggedIn) {
    location.replace(`#/login?next=${encodeURIComponent(path)}`);
    return;
  }
  const params = path.match(pattern).slice(1);
  main.replaceChildren();
  cleanup = view(main, { params, query }) || null;
  if (!firstRender) {
    // Move focus to the new page's heading so keyboard and screen-reader users start there.
    const heading = main.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: false });
    }
    window.scrollTo(0, 0);
  }
  firstRender = false;
}

function renderAccount() {
  const box = document.getElementById("account");
  if (session.loggedIn) {
    const name = session.user ? session.user.username : "you";
    box.replaceChildren(
      h("span", { class: "who" }, h("span", { class: "sr-only" }, "Logged in as "), name),
      h(
        "button",
        {
          type: "button",
          class: "btn btn-ghost btn-small",
          onclick: async () => {
            await logOut();
            flash("You are logged out.");
            location.hash = "#/";
          },
        },
        "Log out",
      ),
    );
  } else {
    const next = parseHash().path;
    const suffix = /^\/(login|signup)$/.test(next) ? "" : `?next=${encodeURIComponent(next)}`;
    box.replaceChildren(
      h("a", { class: "btn btn-ghost btn-small", href: `#/login${suffix}` }, "Log in"),
      h("a", { class: "btn btn-primary btn-small", href: `#/signup${suffix}` }, "Sign up"),
    );
  }
}

session.onChange(({ reason, elsewhere }) => {
  renderAccount();
  if (reason === "expired" || (reason === "logout" && elsewhere)) {
    // Ended here, or in another tab of this browser (they share one session).
    flash(
      elsewhere ? "Your session ended in another tab." : "Your session has ended. Please log in again.",
      "warning",
    );
    const { path } = parseHash();
    if (/^\/(bookings|tickets)/.test(path)) location.replace(`#/login?next=${encodeURIComponent(path)}`);
  }
});

window.addEventListener("hashchange", () => {
  render();
  renderAccount();
});
render();
renderAccount();
