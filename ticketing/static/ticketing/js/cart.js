// The buyer's side panel on the event page: messages, holds with their countdown and Book /
// Release buttons, and the selection with its total and the Hold button.
//
// Redrawn whole on every change (it holds a dozen elements at most). Focus is kept on the
// button that had it, by its data-key; `focusKey` moves it on purpose (e.g. to Book after a
// hold). The countdown text itself is updated in place by the page's ticker ([data-timer]).
//
// On a phone the panel is a bottom sheet: a bar that stays on screen (the countdown, "3 seats ·
// €240" and the one button that matters next: Book, else Hold) above the details, which fold
// away. The bar's button is the same action as the panel's, so the panel's copy of it is hidden
// there (`.in-bar`): one Book button per hold, whatever the width.
//
// Ticket types: when the event sells types beside the full price (reduced, child...), each
// held seat has a select of the types priced for its category, and the hold's total (panel,
// bar, Book button) is the sum of the picked prices; Book sends them (`holdPricing`).

import { categoryName, clock, h, message, money, plural, seatName } from "./ui.js";

function seatLine(seat, swatch, extra = null, { price = seat.price, picker = null } = {}) {
  return h(
    "li",
    { class: "cart-seat" },
    h("span", { class: `seat seat-key ${swatch(seat)}`, "aria-hidden": "true" }),
    h(
      "span",
      { class: "cart-seat-name" },
      h("strong", {}, `${seat.section} · Row ${seat.row} · Seat ${seat.number}`),
      h("span", { class: "muted" }, `${categoryName(seat.category)} · ${money(price)}`),
      picker,
    ),
    extra,
  );
}

/** The ticket types a held seat can be booked at: full (at the price its hold captured), then
 * the event's types priced for the seat's category. */
function typesFor(seat, ticketTypes) {
  return (ticketTypes || [])
    .filter((type) => type.code === "full" || type.prices[seat.category] != null)
    .map((type) => ({
      code: type.code,
      name: type.name,
      price: type.code === "full" ? (seat.heldPrice ?? seat.price) : type.prices[seat.category],
    }));
}

/**
 * A hold priced at the picked types: `lines` (seat id -> {code, price}), `total`, and
 * `ticketTypes` (the body's {"<seat id>": code} of the seats not at full; null when none).
 * @param {{seats}} hold  its seats with `heldPrice` (the price the hold captured)
 * @param {Array} ticketTypes  the event's `ticket_types`
 * @param {Map<number, string>} picks  seat id -> picked code
 */
export function holdPricing(hold, ticketTypes, picks) {
  const lines = new Map();
  let total = 0;
  const body = {};
  for (const seat of hold.seats) {
    const options = typesFor(seat, ticketTypes);
    const line = options.find((type) => type.code === picks.get(seat.id)) ||
      options[0] || { code: "full", price: seat.heldPrice ?? seat.price };
    lines.set(seat.id, line);
    total += Number(line.price || 0);
    if (line.code !== "full") body[String(seat.id)] = line.code;
  }
  return { lines, total: total.toFixed(2), ticketTypes: Object.keys(body).length ? body : null };
}

function hasTypes(view) {
  return (view.ticketTypes || []).length > 1;
}

function typePicker(seat, hold, view, actions, line) {
  const id = `type-${hold.id}-${seat.id}`;
  return h(
    "span",
    { class: "cart-type" },
    h("label", { for: id, class: "sr-only" }, `Ticket type, ${seatName(seat)}`),
    h(
      "select",
      {
        id,
        "data-key": `type-${seat.id}`,
        disabled: view.busy,
        onchange: (event) => actions.pickType(seat, event.target.value),
      },
      typesFor(seat, view.ticketTypes).map((type) =>
        h("option", { value: type.code, selected: type.code === line.code }, `${type.name} · ${money(type.price)}`),
      ),
    ),
  );
}

function button(label, { key, primary = false, disabled = false, onclick, class: cls, ...attrs }) {
  const kind = primary ? "btn-primary" : "btn-ghost";
  return h(
    "button",
    { type: "button", class: cls || `btn ${kind} btn-block`, "data-key": key, disabled, onclick, ...attrs },
    label,
  );
}

/**
 * The sheet's bar: what the buyer has and the next step. Seats just picked come first (their
 * total and Hold: booking an older hold there would book other seats than those on screen),
 * else the newest hold (its total and Book: the one just made, whose seats are on screen). The
 * newest hold's countdown is always there; older holds are in the details.
 * Null when there is neither a hold nor a selection.
 */
function sheetBar(view, actions) {
  const hold = newest(view.holds);
  const { selected } = view;
  if (!hold && !selected.length) return null;
  const parts = [];
  const holdTotal = hold ? holdPricing(hold, view.ticketTypes, view.picks).total : null;
  if (hold) {
    const left = (hold.deadline - Date.now()) / 1000;
    parts.push(
      h(
        "p",
        { class: `sheet-summary hold-timer${left <= 60 ? " urgent" : ""}` },
        h("span", { role: "timer", "data-bar-timer": String(hold.id) }, clock(left)),
        " left · ",
        h("strong", {}, `held ${plural(hold.seats.length, "seat")} · ${money(holdTotal)}`),
      ),
    );
  }
  let action;
  if (selected.length) {
    const total = selected.reduce((sum, seat) => sum + Number(seat.price || 0), 0);
    parts.push(
      h(
        "p",
        { class: "sheet-summary" },
        h("strong", {}, `${hold ? "picked " : ""}${plural(selected.length, "seat")} · ${money(total)}`),
      ),
    );
    let label = view.loggedIn ? `Hold ${plural(selected.length, "seat")}` : "Log in to hold these seats";
    if (view.busy) label = "Holding…";
    action = button(label, {
      key: "bar-hold",
      primary: true,
      class: "btn btn-primary",
      disabled: view.busy,
      onclick: actions.hold,
    });
  } else {
    action = button(`Book ${plural(hold.seats.length, "seat")} · ${money(holdTotal)}`, {
      key: `bar-book-${hold.id}`,
      primary: true,
      class: "btn btn-primary",
      disabled: view.busy,
      onclick: () => actions.book(hold),
    });
  }
  const more = view.holds.length + (selected.length ? 1 : 0);
  return h(
    "div",
    { class: "sheet-bar" },
    h("div", { class: "sheet-lines" }, parts),
    action,
    h(
      "button",
      {
        type: "button",
        class: "btn btn-ghost btn-small sheet-toggle",
        "data-key": "sheet-toggle",
        "aria-expanded": String(view.expanded),
        "aria-controls": "cart-body",
        onclick: actions.toggleSheet,
      },
      view.expanded ? "Hide details" : more > 1 ? `Details (${more})` : "Details",
    ),
  );
}

function newest(holds) {
  return [...holds].sort((a, b) => b.id - a.id)[0] || null;
}

function holdPanel(hold, view, actions, inBar) {
  const left = (hold.deadline - Date.now()) / 1000;
  const count = plural(hold.seats.length, "seat");
  const pricing = holdPricing(hold, view.ticketTypes, view.picks);
  const typed = hasTypes(view);
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
      hold.seats.map((seat) => {
        const line = pricing.lines.get(seat.id);
        const picker = typed ? typePicker(seat, hold, view, actions, line) : null;
        return seatLine(seat, view.swatch, null, { price: line.price, picker });
      }),
    ),
    h("p", { class: "cart-total" }, "Total ", h("strong", { "aria-live": "polite" }, money(pricing.total))),
    h(
      "div",
      { class: "cart-actions" },
      button(`Book ${count} · ${money(pricing.total)}`, {
        key: `book-${hold.id}`,
        class: inBar ? "btn btn-primary btn-block in-bar" : undefined,
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

function selectionPanel(view, actions, inBar) {
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
      button(holdLabel, {
        key: "hold",
        class: inBar ? "btn btn-primary btn-block in-bar" : undefined,
        primary: true,
        disabled: view.busy,
        onclick: actions.hold,
      }),
      button("Clear selection", { key: "clear", onclick: actions.clear }),
    ),
  );
}

/**
 * @param {HTMLElement} container
 * @param {{notice, holds, selected, busy, loggedIn, empty, limit, mine, next, swatch, expanded,
 *   ticketTypes, picks}} view  `ticketTypes`: the event's; `picks`: seat id -> picked type code
 * @param {{book, release, hold, remove, clear, toggleSheet, pickType}} actions
 * @param {string} [focusKey] the data-key of the button to focus afterwards
 */
/** A season hold's seats in this event: held for the whole season, booked on its page. */
function seasonNote(hold) {
  const seats = hold.seats.map((s) => `${s.section} · Row ${s.row} · Seat ${s.number}`).join("; ");
  return h(
    "p",
    { class: "cart-note cart-season" },
    `${plural(hold.seats.length, "seat")} held for your season ticket (${seats}). `,
    h("a", { href: `#/seasons/${hold.season}` }, `Book them on the page of ${hold.season_name}`),
    ".",
  );
}

export function drawCart(container, view, actions, focusKey) {
  const active = document.activeElement;
  const keep = focusKey || (container.contains(active) ? active.dataset.key : null);
  const bar = sheetBar(view, actions);
  // The action the bar offers is not repeated in the panel under it (on a phone, `.in-bar`).
  const barBooks = bar && !view.selected.length ? newest(view.holds) : null;
  const body = [];
  for (const hold of view.holds) body.push(holdPanel(hold, view, actions, hold === barBooks));
  for (const hold of view.seasonHolds || []) body.push(seasonNote(hold));
  if (view.selected.length) body.push(selectionPanel(view, actions, Boolean(bar)));
  else if (!view.holds.length && !view.seasonHolds?.length)
    body.push(h("p", { class: "muted cart-empty" }, view.empty));
  const yours = view.mine ? ` (you have ${view.mine})` : "";
  body.push(
    h(
      "p",
      { class: "muted cart-note" },
      `Up to ${plural(view.limit, "seat")} per buyer for this event${yours}.`,
    ),
  );
  if (!view.loggedIn) {
    const next = encodeURIComponent(view.next);
    body.push(
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
  container.classList.toggle("has-bar", Boolean(bar));
  container.classList.toggle("is-expanded", Boolean(view.expanded));
  container.replaceChildren(
    ...[
      h("h2", { id: "cart-title" }, "Your seats"),
      view.notice ? message(view.notice.kind, view.notice.title, view.notice.text) : null,
      bar,
      h("div", { class: "cart-body", id: "cart-body" }, body),
    ].filter(Boolean),
  );
  if (keep) {
    const visible = (el) => el && el.offsetParent !== null;
    let target = container.querySelector(`[data-key="${keep}"]`);
    // The same action in the sheet's bar (a phone) or in the panel (a wider screen).
    const twin = keep.startsWith("bar-") ? keep.slice(4) : `bar-${keep}`;
    if (!visible(target)) target = container.querySelector(`[data-key="${twin}"]`);
    if (!visible(target) && focusKey)
      target = [...container.querySelectorAll("button:not([disabled])")].find(visible);
    if (target) target.focus();
  }
}
