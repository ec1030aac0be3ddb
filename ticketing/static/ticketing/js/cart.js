// The buyer's side panel on the event page: messages, holds with their countdown and Book /
// Release buttons, and the selection with its total and the Hold button.
//
// Redrawn whole on every change (it holds a dozen elements at most). Focus is kept on the
// button that had it, by its data-key; `focusKey` moves it on purpose (e.g. to Book after a
// hold). The countdown text itself is updated in place by the page's ticker ([data-timer]).

import { categoryName, clock, h, message, money, plural, seatName } from "./ui.js";

function seatLine(seat, swatch, extra = null) {
  return h(
    "li",
    { class: "cart-seat" },
    h("span", { class: `seat seat-key ${swatch(seat)}`, "aria-hidden": "true" }),
    h(
      "span",
      { class: "cart-seat-name" },
      h("strong", {}, `${seat.section} · Row ${seat.row} · Seat ${seat.number}`),
      h("span", { class: "muted" }, `${categoryName(seat.category)} · ${money(seat.price)}`),
    ),
    extra,
  );
}

function button(label, { key, primary = false, disabled = false, onclick, ...attrs }) {
  const kind = primary ? "btn-primary" : "btn-ghost";
  return h(
    "button",
    { type: "button", class: `btn ${kind} btn-block`, "data-key": key, disabled, onclick, ...attrs },
    label,
  );
}

function holdPanel(hold, view, actions) {
  const left = (hold.deadline - Date.now()) / 1000;
  const count = plural(hold.seats.length, "seat");
  return h(
    "section",
    { class: "hold", "aria-label": `Held seats, ${count}` },
    h(
      "p",
      { class: `hold-timer${left <= 60 ? " urgent" : ""}` },
      "Held for you · ",
      h("span", { role: "timer", "data-timer": String(hold.id) }, clock(left)),
      " left",
    ),
    h(
      "ul",
      { class: "cart-list" },
      hold.seats.map((seat) => seatLine(seat, view.swatch)),
    ),
    h("p", { class: "cart-total" }, "Total ", h("strong", {}, money(hold.total))),
    h(
      "div",
      { class: "cart-actions" },
      button(`Book ${count} · ${money(hold.total)}`, {
        key: `book-${hold.id}`,
        primary: true,
        disabled: view.busy,
        onclick: () => actions.book(hold),
      }),
      button("Release seats", {
        key: `release-${hold.id}`,
        disabled: view.busy,
        onclick: () => actions.release(hold),
      }),
    ),
  );
}

function selectionPanel(view, actions) {
  const { selected } = view;
  const total = selected.reduce((sum, seat) => sum + Number(seat.price || 0), 0);
  let holdLabel = view.loggedIn ? `Hold ${plural(selected.length, "seat")}` : "Log in to hold these seats";
  if (view.busy) holdLabel = "Holding…";
  const remove = (seat) =>
    h(
      "button",
      {
        type: "button",
        class: "btn-icon",
        "data-key": `remove-${seat.id}`,
        "aria-label": `Remove ${seatName(seat)}`,
        onclick: () => actions.remove(seat),
      },
      "×",
    );
  return h(
    "section",
    { class: "selection", "aria-label": "Selected seats" },
    h("h3", {}, `Selected · ${plural(selected.length, "seat")}`),
    h(
      "ul",
      { class: "cart-list" },
      selected.map((seat) => seatLine(seat, view.swatch, remove(seat))),
    ),
    h("p", { class: "cart-total" }, "Total ", h("strong", {}, money(total))),
    h(
      "div",
      { class: "cart-actions" },
      button(holdLabel, { key: "hold", primary: true, disabled: view.busy, onclick: actions.hold }),
      button("Clear selection", { key: "clear", onclick: actions.clear }),
    ),
  );
}

/**
 * @param {HTMLElement} container
 * @param {{notice, holds, selected, busy, loggedIn, empty, limit, mine, next, swatch}} view
 * @param {{book, release, hold, remove, clear}} actions
 * @param {string} [focusKey] the data-key of the button to focus afterwards
 */
export function drawCart(container, view, actions, focusKey) {
  const active = document.activeElement;
  const keep = focusKey || (container.contains(active) ? active.dataset.key : null);
  const parts = [h("h2", { id: "cart-title" }, "Your seats")];
  if (view.notice) parts.push(message(view.notice.kind, view.notice.title, view.notice.text));
  for (const hold of view.holds) parts.push(holdPanel(hold, view, actions));
  if (view.selected.length) parts.push(selectionPanel(view, actions));
  else if (!view.holds.length) parts.push(h("p", { class: "muted cart-empty" }, view.empty));
  const yours = view.mine ? ` (you have ${view.mine})` : "";
  parts.push(
    h(
      "p",
      { class: "muted cart-note" },
      `Up to ${plural(view.limit, "seat")} per buyer for this event${yours}.`,
    ),
  );
  if (!view.loggedIn) {
    const next = encodeURIComponent(view.next);
    parts.push(
      h(
        "p",
        { class: "cart-note" },
        h("a", { href: `#/login?next=${next}` }, "Log in"),
        " or ",
        h("a", { href: `#/signup?next=${next}` }, "sign up"),
        " to hold seats.",
      ),
    );
  }
  container.replaceChildren(...parts);
  if (keep) {
    const target =
      container.querySelector(`[data-key="${keep}"]`) ||
      (focusKey ? container.querySelector("button:not([disabled])") : null);
    if (target) target.focus();
  }
}
