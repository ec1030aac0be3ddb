// The event list: matches and shows with date, venue, price range and an availability bar.

import { api } from "../api.js";
import { eventTitle, h, message, number, priceRange, when } from "../ui.js";

const FILTERS = [
  ["", "All events"],
  ["match", "Matches"],
  ["show", "Shows"],
];

const STATUS_LABEL = { closed: "Sales closed", cancelled: "Cancelled", draft: "Draft" };

/** A stacked bar of available / held / booked / blocked seats, with the numbers in words. */
export function availabilityBar(availability) {
  const a = availability || { available: 0, held: 0, booked: 0, blocked: 0 };
  const total = a.available + a.held + a.booked + a.blocked;
  const bar = h("div", { class: "avail-bar", "aria-hidden": "true" });
  for (const part of ["available", "held", "booked", "blocked"]) {
    if (!a[part]) continue;
    const segment = h("span", { class: `avail-${part}` });
    segment.style.flexGrow = String(a[part]); // CSSOM, allowed by the page's CSP
    bar.append(segment);
  }
  const soldOut = total > 0 && a.available === 0;
  const words = soldOut ? "Sold out" : `${number(a.available)} of ${number(total)} seats available`;
  return h(
    "div",
    { class: "avail" },
    bar,
    h("p", { class: `avail-text${soldOut ? " sold-out" : ""}` }, words),
  );
}

function card(event) {
  const kindLabel = event.kind === "match" ? "Match" : "Show";
  const onSale = event.status === "on_sale";
  return h(
    "li",
    { class: "event-card" },
    h(
      "article",
      { "aria-labelledby": `ev-${event.id}` },
      h(
        "div",
        { class: "event-card-top" },
        h("span", { class: `badge badge-${event.kind}` }, kindLabel),
        onSale ? null : h("span", { class: "badge badge-off" }, STATUS_LABEL[event.status] || event.status),
      ),
      h(
        "h2",
        { id: `ev-${event.id}` },
        h("a", { class: "stretched", href: `#/events/${event.id}` }, eventTitle(event)),
      ),
      h(
        "p",
        { class: "event-when" },
        h("time", { datetime: event.starts_at }, when(event.starts_at, event.venue_time_zone)),
      ),
      h("p", { class: "event-where" }, `${event.venue_name}, ${event.city} · ${event.hall_name}`),
      h("p", { class: "event-price" }, priceRange(event.prices)),
      availabilityBar(event.availability),
    ),
  );
}

export function eventsView(root, { query }) {
  const kind = query.get("kind") || "";
  const list = h("ul", { class: "event-grid", "aria-live": "off" });
  const more = h("button", { type: "button", class: "btn btn-ghost", hidden: true }, "Show more events");
  const status = h("div", { class: "list-status" }, h("p", { class: "loading" }, "Loading events…"));
  const filters = h(
    "div",
    { class: "segmented", role: "group", "aria-label": "Filter events" },
    FILTERS.map(([value, label]) =>
      h(
        "a",
        {
          class: "segment",
          href: value ? `#/?kind=${value}` : "#/",
          "aria-current": value === kind ? "page" : null,
        },
        label,
      ),
    ),
  );
  root.append(
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "Upcoming events"),
        h("p", { class: "muted" }, "Volleyball matches and shows. Pick your seats on a live map."),
      ),
      filters,
    ),
    status,
    list,
    h("div", { class: "more" }, more),
  );

  let next = null;
  let alive = true;
  async function load(url) {
    try {
      const page = await api(url);
      if (!alive) return;
      status.replaceChildren();
      if (!page.results.length && !list.children.length) {
        status.replaceChildren(
          h("p", { class: "panel empty" }, "No events on sale right now. Check back soon."),
        );
      }
      list.append(...page.results.map(card));
      next = page.next ? new URL(page.next).pathname + new URL(page.next).search : null;
      more.hidden = !next;
    } catch (error) {
      if (alive) status.replaceChildren(message("error", "Could not load events.", error.message));
    }
  }
  more.addEventListener("click", () => next && load(next));
  load(kind ? `/events/?kind=${encodeURIComponent(kind)}` : "/events/");
  document.title = "Events · FrontRow";
  return () => {
    alive = false;
  };
}
