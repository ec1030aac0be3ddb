// The event page: "Find seats" first (best available, prices and what is left per category,
// filters), then the live seat map (stadium overview → section, or the whole cinema hall) with
// zoom and pan and a floating seat card, a list view for screen readers, the selection, holds
// with their countdown (a bottom sheet on a phone), and booking.
//
// Live: seat changes come over the seat stream where the site has one (live.js), else the map is
// polled with If-None-Match; an unchanged map costs a 304 with no body.
// Polling stops while the tab is hidden and resumes at once when it is shown again.
//
// An event with a waiting room shows it (views/queue.js) until the buyer holds a pass for it;
// holds then send the pass (Queue-Pass), and a pass refused sends the buyer back to the room.

import { api, session } from "../api.js";
import { WaitlistPanel } from "../waitlist.js";
import { BowlOverview, availabilityText } from "../bowl.js";
import { drawCart, holdPricing } from "../cart.js";
import { SeatFinder } from "../finder.js";
import { SeatInventory } from "../inventory.js";
import { LiveSeatMap } from "../live.js";
import { SeatCard } from "../seatcard.js";
import { SeatList } from "../seatlist.js";
import { SEAT_MIN, SeatGrid } from "../seatmap.js";
import { forgetQueuePass, queueHeaders, queuePass, waitingRoomView } from "./queue.js";
import {
  announce,
  categoryName,
  categoryPalette,
  clock,
  config,
  eventTitle,
  h,
  message,
  money,
  navigate,
  plural,
  seatName,
  when,
} from "../ui.js";

const STATUS_TEXT = {
  available: "available",
  selected: "selected",
  mine: "held by you",
  held: "held by another buyer",
  booked: "booked",
  blocked: "blocked, not for sale",
};

const LEGEND = [
  ["available", "Available"],
  ["selected", "Your selection"],
  ["mine", "Held by you"],
  ["held", "Held by another buyer"],
  ["booked", "Booked"],
  ["blocked", "Blocked"],
  ["available acc", "Wheelchair space"],
];

/** Seats a thumb can hit: a section opens at 24 px seats on a phone (it pans inside its box). */
const PHONE = window.matchMedia("(max-width: 640px), (pointer: coarse)");
const RETRY_SECONDS = [2, 4, 8, 15];

const BOWL_KINDS = new Set(["stadium", "arena"]);

export function eventView(root, { params }) {
  const eventId = Number(params[0]);
  const abort = new AbortController();
  const cleanups = [() => abort.abort()];
  const selectionKey = `frontrow.selection.${eventId}`;

  const state = {
    event: null,
    bowl: false,
    selection: new Set(JSON.parse(sessionStorage.getItem(selectionKey) || "[]")),
    holds: [], // [{...hold, deadline}]
    seasonHolds: [], // the buyer's season holds with seats here: [{id, season, season_name, seats}]
    bookedByMe: 0,
    current: null, // the section shown (bowl)
    view: sessionStorage.getItem("frontrow.view") === "list" ? "list" : "map",
    busy: false,
    notice: null, // {kind, title, text}
    live: "connecting",
    filter: { category: null, accessible: false },
    expanded: false, // the phone's bottom sheet shows its details
    picks: new Map(), // held seat id -> the ticket type picked for it (else full)
  };
  const inv = new SeatInventory();
  const live = new LiveSeatMap(eventId, {
    pollMs: config.pollMs,
    stream: config.stream,
    onMap: (payload) => {
      const changed = inv.apply(payload);
      if (grid) applyChanges(changed);
    },
    onChanges: (changes) => {
      // A seat of this buyer's: only the map says which are "mine" now; ask for it (a 304 or
      // the seats that changed).
      if (changes.some((change) => inv.get(change.id)?.mine)) {
        live.refresh();
        return;
      }
      const changed = inv.applyChanges(changes);
      if (grid) applyChanges(changed);
    },
    onState: setLive,
  });
  cleanups.push(() => live.stop());
  let palette = new Map();
  let grid = null;
  let list = null;
  let bowl = null;
  let finder = null;
  let waitlist = null;
  const card = new SeatCard();
  cleanups.push(() => card.destroy());
  let destroyed = false;

  // ---- skeleton ----------------------------------------------------------------------------
  const head = h("div", { class: "event-head" }, h("p", { class: "loading" }, "Loading the seat map…"));
  const liveBadge = h("span", { class: "live", "aria-hidden": "true" }, "Live");
  const viewToggle = h(
    "div",
    { class: "segmented", role: "group", "aria-label": "Show seats as" },
    h("button", { type: "button", class: "segment", "data-view": "map" }, "Seat map"),
    h("button", { type: "button", class: "segment", "data-view": "list" }, "List"),
  );
  const legend = h("ul", { class: "legend", "aria-label": "Seat legend" });
  const finderBox = h("section", { class: "finder", "aria-labelledby": "finder-title" });
  const waitlistBox = h("section", { class: "waitlist panel", "aria-labelledby": "waitlist-title", hidden: true });
  const overview = h("div", { class: "bowl", hidden: true });
  const sectionTitle = h("h2", { class: "section-title", tabindex: "-1" });
  const sectionHint = h("p", { class: "muted section-hint" });
  const gridBox = h("div", { class: "seat-grid", tabindex: "-1" });
  const zoomButton = (label, text, onclick) =>
    h("button", { type: "button", class: "btn btn-ghost btn-small", "aria-label": label, onclick }, text);
  const zoomBar = h(
    "div",
    { class: "zoom", role: "group", "aria-label": "Zoom the seats" },
    zoomButton("Zoom out", "−", () => grid.zoomBy(0.8)),
    zoomButton("Zoom in", "+", () => grid.zoomBy(1.25)),
    zoomButton("Fit the section", "Fit", () => grid.zoomFit()),
  );
  // The minimap: where the part in view lies in the section (a tap or click there pans to it).
  // Pointer only, so aria-hidden; the keyboard pans by moving between seats.
  const minimapView = h("span", { class: "minimap-view" });
  const minimap = h(
    "div",
    { class: "minimap", "aria-hidden": "true", hidden: true, title: "Tap to move the view" },
    h("span", { class: "minimap-front" }),
    minimapView,
  );
  minimap.addEventListener("click", (event) => {
    const rect = minimap.getBoundingClientRect();
    grid.panTo((event.clientX - rect.left) / rect.width, (event.clientY - rect.top) / rect.height);
  });
  const toSections = h(
    "button",
    {
      type: "button",
      class: "btn btn-ghost btn-small to-sections",
      hidden: true,
      onclick: () => overview.scrollIntoView({ block: "start", behavior: "instant" }),
    },
    "All sections",
  );
  const sectionPane = h(
    "div",
    { class: "section-pane" },
    h("div", { class: "section-head" }, h("div", {}, sectionTitle, sectionHint), h("div", { class: "section-tools" }, zoomBar, minimap, toSections)),
    // The key of the seats' colours: open on a wide screen, one tap away on a phone.
    h("details", { class: "keys", open: !PHONE.matches }, h("summary", {}, "What the seat colours mean"), legend),
    gridBox,
  );
  const mapPane = h("div", { class: "map-view" }, overview, sectionPane);
  const listPane = h("div", { class: "list-view", hidden: true });
  const cart = h("aside", { class: "cart panel", "aria-labelledby": "cart-title" });
  const layout = h(
    "div",
    { class: "event-layout", hidden: true },
    h(
      "section",
      { class: "map-card panel", "aria-labelledby": "map-title" },
      h(
        "div",
        { class: "map-toolbar" },
        h("h2", { id: "map-title", class: "sr-only" }, "Seats"),
        viewToggle,
        liveBadge,
      ),
      finderBox,
      mapPane,
      listPane,
    ),
    cart,
  );
  root.append(head, waitlistBox, layout);

  viewToggle.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-view]");
    if (!button) return;
    state.view = button.dataset.view;
    sessionStorage.setItem("frontrow.view", state.view);
    showView();
  });

  // ---- seats: status, names, grouping --------------------------------------------------------
  function status(seat) {
    if (seat.status === "available") return state.selection.has(seat.id) ? "selected" : "available";
    if (seat.status === "held") return seat.mine ? "mine" : "held";
    return seat.status;
  }

  function label(seat) {
    const parts = [seatName(seat), categoryName(seat.category), money(seat.price), STATUS_TEXT[status(seat)]];
    if (seat.accessible) parts.push("wheelchair space");
    return parts.join(", ");
  }

  // ---- live updates ------------------------------------------------------------------------
  function setLive(value) {
    if (state.live === value) return;
    state.live = value;
    liveBadge.className = `live live-${value}`;
    liveBadge.textContent = value === "offline" ? "Reconnecting…" : "Live";
  }

  function applyChanges(changed) {
    if (changed === null) {
      // a whole new map (the first one after a summary, or a layout change): redraw, keeping
      // the focus where it was, and bring the panel's holds in line with it (another tab may
      // have held, released or booked meanwhile)
      const focusedTile = document.activeElement?.closest?.(".tile")?.dataset.section;
      pruneSelection();
      renderAll();
      if (focusedTile) overview.querySelector(`.tile[data-section="${CSS.escape(focusedTile)}"]`)?.focus();
      if (state.pendingKeyboard && state.current) grid.focusFirst();
      state.pendingKeyboard = false;
      const mine = inv.sections.flatMap((section) => section.rows.flatMap((row) => row.seats.filter((s) => s.mine)));
      syncHolds([...mine, ...state.holds.flatMap((hold) => hold.seats.map((s) => inv.get(s.id)).filter(Boolean))]);
      renderCart();
      performance.mark("seatmap-seats");
      document.documentElement.dataset.seats = "ready";
      return;
    }
    if (!changed.length) return;
    const lost = [];
    for (const id of [...state.selection]) {
      const seat = inv.get(id);
      if (!seat || seat.status !== "available") {
        state.selection.delete(id);
        if (seat && !seat.mine) lost.push(seat);
      }
    }
    if (lost.length) {
      setNotice(
        "warning",
        lost.length === 1
          ? "A seat you picked was just taken."
          : `${lost.length} seats you picked were just taken.`,
        `${lost.map(seatName).join("; ")} ${lost.length === 1 ? "is" : "are"} no longer available, so we removed ${lost.length === 1 ? "it" : "them"} from your selection.` +
          (state.selection.size ? " The rest of your selection is kept." : ""),
      );
    }
    if (grid) grid.patch(changed);
    renderOverviewCounts();
    renderFinder();
    if (state.view === "list") list.update();
    syncHolds(changed);
    renderCart();
  }

  /**
   * Keep the panel's holds in step with the map when they change elsewhere (another tab, or the
   * server's clock a moment before ours): a new seat of mine means a hold we do not show yet; a
   * hold none of whose seats is still mine has ended (expired, released or booked).
   */
  function syncHolds(changed) {
    if (!session.loggedIn) return;
    const shown = new Set(
      [...state.holds, ...state.seasonHolds].flatMap((hold) => hold.seats.map((s) => s.id)),
    );
    if (changed.some((seat) => seat.mine && !shown.has(seat.id))) {
      loadHolds();
      waitlist?.load(); // a hold the waiting list made for me, maybe
    }
    // a season hold is booked or released on the season's page: here it only stops being mine
    state.seasonHolds = state.seasonHolds.filter((hold) => hold.seats.some((s) => inv.get(s.id)?.mine ?? true));
    for (const hold of [...state.holds]) {
      const seats = hold.seats.map((s) => inv.get(s.id)).filter(Boolean);
      if (seats.some((seat) => seat.mine)) continue;
      if (seats.every((seat) => seat.status === "booked")) {
        state.holds = state.holds.filter((other) => other.id !== hold.id);
        setNotice("info", "Booked.", "These seats were booked in another window. See My bookings.");
      } else if (hold.deadline - Date.now() < 5000) {
        expire(hold); // the server's clock got there a moment before ours
      } else {
        expire(hold, false);
        setNotice("info", "Hold ended.", "Your hold on these seats was released in another window.");
      }
    }
  }

  async function loadHolds() {
    const holds = await api("/holds/", { signal: abort.signal }).catch(() => null);
    if (!holds || destroyed) return;
    for (const hold of holds.results) {
      if (hold.event === eventId && !state.holds.some((known) => known.id === hold.id)) addHold(hold);
    }
    addSeasonHolds(holds.results);
    renderCart();
  }

  /**
   * The buyer's season holds (`event` null) with seats in this event: the map shows those seats
   * as "mine", so they are known here (no new GET /holds/ for them) and the cart points to the
   * season's page, where they are booked or released.
   */
  function addSeasonHolds(holds) {
    state.seasonHolds = holds
      .filter((hold) => hold.season !== null && hold.event === null)
      .map((hold) => ({
        id: hold.id,
        season: hold.season,
        season_name: hold.season_name,
        seats: hold.seats.filter((s) => s.event === eventId),
      }))
      .filter((hold) => hold.seats.length);
  }

  // ---- header, legend, prices --------------------------------------------------------------
  function renderHead() {
    const event = state.event;
    const focused = head.contains(document.activeElement); // keep it on the new heading
    const holdMinutes = Math.round((event.hold_seconds || config.holdSeconds) / 60);
    const onSale = event.status === "on_sale";
    head.replaceChildren(
      h("p", { class: "crumbs" }, h("a", { href: "#/" }, "← All events")),
      h("h1", { tabindex: "-1" }, eventTitle(event)),
      h(
        "p",
        { class: "event-meta" },
        h("time", { datetime: event.starts_at }, when(event.starts_at, event.venue_time_zone)),
        " · ",
        `${event.venue_name}, ${event.city} · ${event.hall_name}`,
      ),
      onSale
        ? h(
            "p",
            { class: "muted" },
            `Pick up to ${seatLimit()} seats. We hold them for you for ${holdMinutes > 0 ? plural(holdMinutes, "minute") : plural(event.hold_seconds || config.holdSeconds, "second")} while you book.`,
          )
        : message(
            "warning",
            "Not on sale.",
            "This event is not on sale right now, so seats cannot be held or booked.",
          ),
    );
    document.title = `${eventTitle(event)} · FrontRow`;
    if (focused) head.querySelector("h1").focus({ preventScroll: true });
  }

  function renderKeys() {
    legend.replaceChildren(
      ...LEGEND.map(([key, text]) =>
        h("li", {}, h("span", { class: `seat seat-key st-${key} p0`, "aria-hidden": "true" }), text),
      ),
    );
  }

  /** Price categories, dearest first: [category, price, palette slot, seats left]. */
  function categories() {
    return Object.entries(state.event.prices)
      .sort((a, b) => Number(b[1]) - Number(a[1]))
      .map(([category, amount]) => [category, amount, palette.get(category) ?? 0, inv.left[category] || 0]);
  }

  function renderFinder() {
    if (!finder) return;
    renderWaitlist();
    finder.render({
      categories: categories(),
      accessibleLeft: inv.accessibleLeft,
      accessibleTotal: inv.accessibleTotal,
      room: room(),
      onSale: state.event.status === "on_sale",
      busy: state.busy,
      loggedIn: session.loggedIn,
    });
  }

  /** The waiting list: offered to join when nothing is left; the buyer's entry for this event. */
  function renderWaitlist() {
    if (!waitlist) {
      waitlist = new WaitlistPanel(waitlistBox, {
        eventId,
        signal: abort.signal,
        onOffer: () => {
          loadHolds(); // the offer's hold, in the basket
          live.refresh(); // and its seats, mine on the map
        },
        showHeld: async (entry) => {
          await loadHolds();
          state.expanded = true;
          renderCart(entry?.hold ? `book-${entry.hold}` : undefined);
        },
      });
      cleanups.push(() => waitlist.destroy());
    }
    const left = Object.values(inv.left).reduce((n, seats) => n + seats, 0);
    waitlist.render({
      onSale: state.event.status === "on_sale",
      soldOut: left === 0,
      categories: categories(),
      limit: seatLimit(),
      timeZone: state.event.venue_time_zone,
    });
  }

  /** Highlight the sections and seats the filter lets through (the rest is paled). */
  function setFilter(filter) {
    state.filter = filter;
    if (filter.category) gridBox.dataset.only = `p${palette.get(filter.category) ?? 0}`;
    else delete gridBox.dataset.only;
    if (filter.accessible) gridBox.dataset.accessible = "";
    else delete gridBox.dataset.accessible;
    if (bowl) bowl.setFilter(filter);
    const what = [filter.category && categoryName(filter.category), filter.accessible && "wheelchair spaces"]
      .filter(Boolean)
      .join(" and ");
    announce(what ? `Showing ${what} only.` : "Showing all seats.");
  }

  // ---- the map: bowl overview, a section, or the whole hall ----------------------------------
  /** After a local change of seat states (hold, release, a 409): counts, tiles, section hint. */
  function recount(seats) {
    if (grid && seats) grid.patch(seats);
    inv.recount();
    renderOverviewCounts();
    renderFinder();
    if (state.view === "list") list.update();
  }

  function renderOverviewCounts() {
    if (state.current && !inv.partial) {
      const scroll = grid.overflows ? " Drag or scroll to see the whole row, or zoom out." : "";
      const nearest = `Row ${state.current.rows[0]?.label ?? ""} is nearest the court.`;
      sectionHint.textContent = `${availabilityText(state.current)}. ${nearest}${scroll}`;
    }
    if (state.bowl) bowl.update(inv.sections, state.current);
  }

  function showSection(name, byKeyboard = false, chosen = true) {
    const section = inv.section(name);
    if (!section) return;
    const started = performance.now();
    state.current = section;
    sessionStorage.setItem(`frontrow.section.${eventId}`, name);
    sectionTitle.textContent = section.name;
    sectionPane.hidden = false;
    toSections.hidden = false;
    card.hide();
    if (inv.partial) {
      // Only the summary so far: the section is drawn when the whole map arrives (renderAll),
      // and the keyboard goes on to its seats then.
      state.pendingKeyboard = byKeyboard;
      grid.render([]);
      sectionHint.textContent = `${availabilityText(section)}. Loading its seats…`;
      bowl.update(inv.sections, section);
      if (chosen) sectionPane.scrollIntoView({ block: "start", behavior: "instant" });
      return;
    }
    grid.render([section], { front: "Court side", minSeat: PHONE.matches ? 24 : SEAT_MIN });
    renderOverviewCounts();
    renderCart();
    // Chosen by the buyer: bring its seats into view (and, from the keyboard, go on to them).
    if (chosen) sectionPane.scrollIntoView({ block: "start", behavior: "instant" });
    if (byKeyboard) grid.focusFirst();
    // Measured to the next frame, so the number includes style and layout of the new seats.
    requestAnimationFrame(() =>
      setTimeout(() => {
        performance.measure("section-switch", { start: started, end: performance.now(), detail: name });
      }, 0),
    );
  }

  function renderMap() {
    if (state.bowl) {
      overview.hidden = false;
      bowl.render(inv.sections, state.current);
      const remembered = sessionStorage.getItem(`frontrow.section.${eventId}`);
      sectionPane.hidden = false;
      if (state.current) showSection(state.current.name, false, false);
      else if (remembered && inv.sectionByName.has(remembered)) showSection(remembered, false, false);
      else {
        sectionPane.hidden = true; // nothing to show until a section is chosen
        grid.render([]);
      }
    } else {
      overview.hidden = true;
      sectionTitle.textContent = state.event.hall_name;
      sectionHint.textContent = inv.sections.length > 1 ? "The whole hall, section by section." : "";
      grid.render(inv.sections, {
        front: "Screen",
        headings: inv.sections.length > 1,
        minSeat: PHONE.matches ? 24 : SEAT_MIN,
      });
    }
  }

  function showView() {
    const listed = state.view === "list";
    mapPane.hidden = listed;
    listPane.hidden = !listed;
    for (const button of viewToggle.querySelectorAll("button"))
      button.setAttribute("aria-pressed", String(button.dataset.view === state.view));
    if (listed && inv.partial) listPane.replaceChildren(h("p", { class: "loading" }, "Loading the seats…"));
    else if (listed) list.render(list.sectionName || state.current?.name);
    else renderMap();
  }

  function renderAll() {
    palette = categoryPalette(state.event.prices);
    renderHead();
    renderKeys();
    renderFinder();
    showView();
    renderCart();
  }

  // ---- selection -------------------------------------------------------------------------
  function seatLimit() {
    return state.event.max_seats_per_buyer || config.maxSeatsPerBuyer;
  }

  function mineCount() {
    return state.holds.reduce((n, hold) => n + hold.seats.length, 0) + state.bookedByMe;
  }

  function room() {
    return Math.max(0, Math.min(config.maxSeatsPerHold, seatLimit() - mineCount()));
  }

  function saveSelection() {
    sessionStorage.setItem(selectionKey, JSON.stringify([...state.selection]));
  }

  function toggle(seat) {
    if (!seat) return;
    const st = status(seat);
    if (st === "selected") {
      state.selection.delete(seat.id);
      announce(`${seatName(seat)} removed. ${plural(state.selection.size, "seat")} selected.`);
    } else if (st === "available") {
      if (state.event.status !== "on_sale") {
        announce("This event is not on sale.");
        return;
      }
      if (state.selection.size >= room()) {
        const limit = room();
        setNotice(
          "info",
          "Seat limit reached.",
          limit === 0
            ? `You already have the maximum of ${seatLimit()} seats for this event.`
            : `You can pick up to ${plural(limit, "seat")} at a time for this event.`,
        );
        announce(`You can pick up to ${plural(limit, "seat")}.`);
        renderCart();
        return;
      }
      state.selection.add(seat.id);
      announce(
        `${seatName(seat)} selected, ${money(seat.price)}. ${plural(state.selection.size, "seat")} selected.`,
      );
    } else {
      announce(`${seatName(seat)} is ${STATUS_TEXT[st]}.`);
      return;
    }
    saveSelection();
    if (grid) grid.patch([seat]);
    if (state.view === "list") list.update();
    else pointAt(seat); // a tap shows the card, with the seat's new state
    renderCart();
  }

  function showMinimap(view) {
    card.place(); // the grid panned or zoomed under the seat card
    minimap.hidden = !(view.w < 0.98 || view.h < 0.98);
    Object.assign(minimapView.style, {
      left: `${view.x * 100}%`,
      top: `${view.y * 100}%`,
      width: `${view.w * 100}%`,
      height: `${view.h * 100}%`,
    });
  }

  /** The seat card of the seat under the pointer, in focus or just tapped (null: hide it). */
  function pointAt(seat) {
    const el = seat && grid?.elements.get(seat.id);
    if (!el) {
      card.hide();
      return;
    }
    const st = status(seat);
    card.show(el, {
      title: `${seat.section} · Row ${seat.row} · Seat ${seat.number}`,
      details: [
        `${categoryName(seat.category)} · ${money(seat.price)}`,
        seat.accessible ? "Wheelchair space" : null,
      ].filter(Boolean),
      status: st,
      statusText: STATUS_TEXT[st][0].toUpperCase() + STATUS_TEXT[st].slice(1),
    });
  }

  // ---- holds and booking -----------------------------------------------------------------
  function addHold(hold) {
    // The countdown never ends before the server's expiry: seconds_left is rounded down.
    state.holds = state.holds.filter((h0) => h0.id !== hold.id);
    state.holds.push({
      ...hold,
      deadline: Date.now() + hold.seconds_left * 1000 + 999,
      warned: hold.seconds_left <= 60,
    });
  }

  function setNotice(kind, title, text) {
    state.notice = { kind, title, text };
  }

  function explain(error, action) {
    const code = error.code;
    if (code === "seats_unavailable") {
      const taken = (error.body.seats || [])
        .map((s) => ({ seat: inv.get(s.id), status: s.status }))
        .filter((t) => t.seat);
      for (const { seat, status: st } of taken) {
        state.selection.delete(seat.id);
        seat.status = st;
        seat.mine = false;
      }
      recount(taken.map((t) => t.seat));
      const names = taken.map((t) => seatName(t.seat)).join("; ");
      const kept = state.selection.size;
      setNotice(
        "error",
        taken.length === 1 ? "That seat was just taken." : `${taken.length} of your seats were just taken.`,
        `${names || "Some seats"} ${taken.length === 1 ? "was" : "were"} held or bought by another buyer a moment ago, so nothing was held. ` +
          (kept === 1
            ? "Your other seat is still selected: press Hold again."
            : kept
              ? `Your other ${plural(kept, "seat")} are still selected: press Hold again.`
              : "Please pick other seats."),
      );
    } else if (code === "hold_expired" || (code === "not_found" && action === "book")) {
      setNotice(
        "error",
        "Your hold ran out.",
        "The time to book ended before we got your booking, so the seats were released and nothing was charged. They are back in your selection if still free: hold them again.",
      );
    } else if (code === "seat_limit_exceeded") {
      const limit = error.body.limit || seatLimit();
      setNotice(
        "error",
        "Too many seats.",
        `You can have at most ${plural(limit, "seat")} for this event, counting seats you already hold or have booked. Remove some seats from your selection and try again.`,
      );
    } else if (code === "queue_pass_required" || code === "queue_pass_invalid") {
      // No pass, or one that ran out: back to the waiting room for a (new) turn.
      forgetQueuePass(eventId);
      setNotice("error", "Your turn in the waiting room has ended.", "Taking you back to the waiting room…");
      setTimeout(() => navigate(`#/events/${eventId}`), 1500);
    } else if (code === "event_not_on_sale") {
      setNotice(
        "error",
        "Sales are closed.",
        "This event is no longer on sale, so seats cannot be held or booked.",
      );
    } else if (code === "busy") {
      setNotice(
        "error",
        "It is very busy right now.",
        "So many fans are buying at this moment that we could not finish in time. Nothing was held or charged: please try again.",
      );
    } else if (code === "throttled") {
      setNotice(
        "error",
        "Slow down a little.",
        `Too many attempts in a short time. Please wait ${plural(error.retryAfter || 10, "second")} and try again.`,
      );
    } else if (code === "not_authenticated" || code === "token_not_valid") {
      setNotice("error", "Please log in again.", "Your session has ended.");
    } else {
      setNotice("error", "Something went wrong.", error.message);
    }
  }

  /** A hold of ours was made: its seats are mine on the map and leave the selection. */
  function takeHold(hold) {
    addHold(hold);
    const seats = hold.seats.map((s) => inv.get(s.id)).filter(Boolean);
    for (const seat of seats) {
      state.selection.delete(seat.id);
      seat.status = "held";
      seat.mine = true;
    }
    saveSelection();
    recount(seats);
    return seats;
  }

  async function holdSelection() {
    if (!session.loggedIn) {
      saveSelection();
      navigate(`#/login?next=${encodeURIComponent(`/events/${eventId}`)}`);
      return;
    }
    const ids = [...state.selection];
    if (!ids.length || state.busy) return;
    state.busy = true;
    state.notice = null;
    renderCart();
    let focusKey = "hold";
    try {
      const hold = await api(`/events/${eventId}/holds/`, {
        method: "POST",
        body: { seat_ids: ids },
        headers: queueHeaders(eventId),
        idempotent: true,
      });
      const seats = takeHold(hold);
      setNotice("success", `${plural(seats.length, "seat")} held for you.`, "Book them before the timer runs out.");
      announce(
        `${plural(seats.length, "seat")} held for ${clock(hold.seconds_left)} minutes. Press Book to confirm.`,
      );
      focusKey = `book-${hold.id}`;
    } catch (error) {
      explain(error, "hold");
    } finally {
      state.busy = false;
      renderCart(focusKey);
      if (state.view === "list") list.update();
      live.refreshAfterWrite();
    }
  }

  /** Best available: the server picks and holds the best seats left (SPEC: best_available). */
  async function findBest(request) {
    if (!session.loggedIn) {
      navigate(`#/login?next=${encodeURIComponent(`/events/${eventId}`)}`);
      return;
    }
    if (state.busy) return;
    state.busy = true;
    state.notice = null;
    renderFinder();
    renderCart();
    let focusKey = null;
    try {
      const hold = await api(`/events/${eventId}/holds/`, {
        method: "POST",
        body: { best_available: request },
        headers: queueHeaders(eventId),
        idempotent: true,
      });
      const seats = takeHold(hold);
      const where = [...new Set(seats.map((seat) => seat.section))];
      if (state.bowl && where.length && state.view === "map") showSection(where[0], false, false);
      const one = hold.seats.length === 1;
      const together = one ? "" : hold.adjacent ? ", together" : ", not all together";
      setNotice(
        "success",
        `We found ${plural(hold.seats.length, "seat")} for you${together}.`,
        `${hold.seats.map((seat) => `Row ${seat.row} seat ${seat.number}`).join(", ")} in ${[...new Set(hold.seats.map((seat) => seat.section))].join(", ")}. ${one ? "It is" : "They are"} held: book before the timer runs out.`,
      );
      announce(`${plural(seats.length, "seat")} found and held. Press Book to confirm.`);
      focusKey = `book-${hold.id}`;
    } catch (error) {
      if (error.code === "no_adjacent_seats") {
        setNotice(
          "error",
          "Not that many seats together.",
          `${error.message} Try fewer seats, another price, or untick "Side by side".`,
        );
      } else explain(error, "hold");
      focusKey = "best";
    } finally {
      state.busy = false;
      renderFinder();
      renderCart(focusKey && focusKey !== "best" ? focusKey : undefined);
      if (focusKey === "best") finderBox.querySelector('[data-key="best"]')?.focus();
      live.refreshAfterWrite();
    }
  }

  async function book(hold) {
    if (state.busy) return;
    state.busy = true;
    state.notice = null;
    renderCart();
    try {
      const { ticketTypes } = holdPricing(pricedHold(hold), state.event.ticket_types, state.picks);
      const booking = await api("/bookings/", {
        method: "POST",
        body: ticketTypes ? { hold_id: hold.id, ticket_types: ticketTypes } : { hold_id: hold.id },
        idempotent: true,
      });
      state.holds = state.holds.filter((h0) => h0.id !== hold.id);
      for (const seat of hold.seats) state.picks.delete(seat.id);
      sessionStorage.setItem(`frontrow.booking.${booking.id}`, JSON.stringify(booking));
      navigate(`#/bookings/${booking.id}?new=1`);
      return;
    } catch (error) {
      explain(error, "book");
      if (error.code === "hold_expired" || error.code === "not_found") expire(hold, false);
    } finally {
      state.busy = false;
    }
    if (!destroyed) {
      renderCart("hold");
      live.refreshAfterWrite();
    }
  }

  async function release(hold) {
    if (state.busy) return;
    state.busy = true;
    renderCart();
    try {
      await api(`/holds/${hold.id}/`, { method: "DELETE" });
      setNotice(
        "info",
        "Seats released.",
        `${plural(hold.seats.length, "seat")} ${hold.seats.length === 1 ? "is" : "are"} free for other fans again.`,
      );
      announce("Seats released.");
    } catch (error) {
      if (error.code !== "not_found" && error.code !== "hold_expired") explain(error, "release");
    } finally {
      state.busy = false;
    }
    state.holds = state.holds.filter((h0) => h0.id !== hold.id);
    const seats = hold.seats.map((s) => inv.get(s.id)).filter(Boolean);
    for (const seat of seats) {
      seat.status = "available";
      seat.mine = false;
    }
    recount(seats);
    renderCart("hold");
    live.refreshAfterWrite();
  }

  /** A hold ran out: its seats go back to the selection (if still free), the map refreshes. */
  function expire(hold, byTimer = true) {
    state.holds = state.holds.filter((h0) => h0.id !== hold.id);
    const seats = hold.seats.map((s) => inv.get(s.id)).filter(Boolean);
    for (const seat of seats) {
      if (seat.status === "held" && seat.mine) {
        seat.status = "available";
        seat.mine = false;
      }
      if (seat.status === "available") state.selection.add(seat.id);
    }
    saveSelection();
    recount(seats);
    if (byTimer) {
      setNotice(
        "warning",
        "Your hold expired.",
        "The seats were released so other fans can buy them. They are still in your selection: press Hold to try again while they are free.",
      );
      announce("Your hold expired. The seats were released.");
    }
    renderCart();
    live.refreshAfterWrite();
  }

  function tick() {
    const now = Date.now();
    for (const hold of [...state.holds]) {
      const left = (hold.deadline - now) / 1000;
      if (left <= 0) {
        expire(hold);
        continue;
      }
      if (left <= 60 && !hold.warned) {
        hold.warned = true;
        announce("One minute left to book your seats.");
      }
      for (const timer of cart.querySelectorAll(`[data-timer="${hold.id}"], [data-bar-timer="${hold.id}"]`)) {
        timer.textContent = clock(left);
        timer.parentElement.classList.toggle("urgent", left <= 60);
      }
    }
  }
  const ticker = setInterval(tick, 250);
  cleanups.push(() => clearInterval(ticker));

  // ---- the cart (holds + selection) ------------------------------------------------------
  // On a phone the cart is a sheet at the bottom: toasts go above it (app.css, --sheet-h).
  const sheetHeight = new ResizeObserver(() => {
    const sheet = cart.classList.contains("has-bar") && getComputedStyle(cart).position === "sticky";
    document.documentElement.style.setProperty("--sheet-h", `${sheet ? cart.offsetHeight : 0}px`);
  });
  sheetHeight.observe(cart);
  cleanups.push(() => {
    sheetHeight.disconnect();
    document.documentElement.style.removeProperty("--sheet-h");
  });

  /** A hold as the cart shows it: its seats as on the map, each with the price the hold captured. */
  function pricedHold(hold) {
    return {
      ...hold,
      seats: hold.seats.map((s) => ({
        ...(inv.get(s.id) || { ...s, status: "held", mine: true }),
        heldPrice: s.heldPrice ?? s.price,
      })),
    };
  }

  function renderCart(focusKey) {
    const selected = [...state.selection].map((id) => inv.get(id)).filter(Boolean);
    let empty = "Seats are not on sale.";
    if (state.event.status === "on_sale") {
      empty =
        state.bowl && !state.current
          ? "Choose a section, then pick your seats."
          : "Pick your seats on the map or in the list.";
    }
    drawCart(
      cart,
      {
        notice: state.notice,
        holds: state.holds.map(pricedHold),
        seasonHolds: state.seasonHolds,
        ticketTypes: state.event.ticket_types,
        picks: state.picks,
        selected,
        busy: state.busy,
        loggedIn: session.loggedIn,
        empty,
        limit: seatLimit(),
        mine: mineCount(),
        next: `/events/${eventId}`,
        swatch: (seat) => `st-${status(seat)} p${palette.get(seat.category) ?? 0}`,
        expanded: state.expanded,
      },
      {
        book,
        release,
        hold: holdSelection,
        remove: toggle,
        clear: () => {
          state.selection.clear();
          saveSelection();
          recount(selected);
          renderCart("hold");
        },
        toggleSheet: () => {
          state.expanded = !state.expanded;
          renderCart("sheet-toggle");
        },
        pickType: (seat, code) => {
          state.picks.set(seat.id, code);
          renderCart(`type-${seat.id}`);
        },
      },
      focusKey,
    );
  }

  // ---- start -----------------------------------------------------------------------------
  let attempt = 0;
  let retryTimer = null;
  cleanups.push(() => clearTimeout(retryTimer));

  /** Load the page; a second call while one runs (a double click on "Try again") joins it. */
  let starting = null;
  function start() {
    if (!starting) starting = load().finally(() => (starting = null));
    return starting;
  }

  async function load() {
    clearTimeout(retryTimer);
    try {
      // The event, the buyer's holds, the whole map and its summary at once. A bowl's overview
      // is drawn from the summary (3 kB) while the whole map (250 kB for 40,000 seats) is on
      // its way; a hall is drawn whole, so it waits for the map.
      const whole = live.first();
      whole.catch(() => {}); // the live poll fetches it again; awaited below where needed
      const [event, summary] = await Promise.all([
        api(`/events/${eventId}/`, { signal: abort.signal }),
        api(`/events/${eventId}/seats/summary/`, { signal: abort.signal }).catch((error) => {
          if (error.name === "AbortError") throw error;
          return null;
        }),
        loadMine(),
      ]);
      if (destroyed) return;
      if (event.waiting_room && !queuePass(eventId)) {
        // The waiting room first; admitted, this page starts again with the pass kept.
        live.stop();
        delete document.documentElement.dataset.seatmap;
        cleanups.push(waitingRoomView(root, event, { onAdmitted: () => navigate(`#/events/${eventId}`) }));
        return;
      }
      state.bowl = BOWL_KINDS.has(event.venue_kind);
      if (!inv.size) {
        if (state.bowl && summary) inv.applySummary(summary);
        else await whole;
      }
      if (destroyed) return;
      state.event = event;
      pruneSelection();
      grid = new SeatGrid(gridBox, {
        seat: (id) => inv.get(id),
        status,
        label,
        slot: (seat) => palette.get(seat.category) ?? 0,
        onActivate: toggle,
        onPoint: pointAt,
        onView: showMinimap,
      });
      list = new SeatList(listPane, inv, {
        status,
        slot: (seat) => palette.get(seat.category) ?? 0,
        detail: (seat) =>
          `${categoryName(seat.category)} ${money(seat.price)} · ${STATUS_TEXT[status(seat)]}${seat.accessible ? " · wheelchair space" : ""}`,
        onToggle: toggle,
      });
      bowl = new BowlOverview(overview, {
        onChoose: showSection,
        slot: (category) => palette.get(category) ?? 0,
        categories: () => categories(),
      });
      finder = new SeatFinder(finderBox, { onFilter: setFilter, onFind: findBest });
      cleanups.push(
        () => grid.destroy(),
        () => list.destroy(),
        () => bowl.destroy(),
        () => finder.destroy(),
      );
      layout.hidden = false;
      const focusLost = document.activeElement === document.body || root.contains(document.activeElement);
      renderAll();
      // Opened from a link: the page's heading takes the focus (it was on the loading text).
      if (focusLost) head.querySelector("h1")?.focus({ preventScroll: true });
      setLive("live");
      performance.mark("seatmap-interactive");
      document.documentElement.dataset.seatmap = "ready";
      if (!inv.partial) {
        performance.mark("seatmap-seats");
        document.documentElement.dataset.seats = "ready";
      }
      live.start();
    } catch (error) {
      if (error.name === "AbortError" || destroyed) return;
      if (error.status === 404) {
        head.replaceChildren(
          h("h1", { tabindex: "-1" }, "Event not found"),
          message("error", null, "This event does not exist or is not on sale."),
          h("p", {}, h("a", { href: "#/" }, "See all events")),
        );
        return;
      }
      // The server is down or busy: say so, retry by itself (2, 4, 8, then every 15 s), and
      // let the buyer retry now.
      const wait = RETRY_SECONDS[Math.min(attempt, RETRY_SECONDS.length - 1)];
      attempt += 1;
      const hadFocus = head.contains(document.activeElement);
      head.replaceChildren(
        h("h1", { tabindex: "-1" }, "Could not load this event"),
        message("error", null, `${error.message} We will try again in ${plural(wait, "second")}.`),
        h(
          "p",
          { class: "retry" },
          h("button", { type: "button", class: "btn btn-primary", "data-key": "retry", onclick: () => start() }, "Try again now"),
          " ",
          h("a", { href: "#/" }, "See all events"),
        ),
      );
      if (hadFocus) head.querySelector('[data-key="retry"]').focus();
      retryTimer = setTimeout(start, wait * 1000);
    }
  }

  /** Selected seats (kept from before a reload or a login) that are no longer free. */
  function pruneSelection() {
    if (inv.partial) return;
    for (const id of [...state.selection]) if (inv.get(id)?.status !== "available") state.selection.delete(id);
  }

  async function loadMine() {
    if (!session.loggedIn) return;
    const [holds, bookings] = await Promise.all([
      api("/holds/", { signal: abort.signal }),
      api(`/bookings/?event=${eventId}&status=confirmed`, { signal: abort.signal }),
    ]);
    for (const hold of holds.results) if (hold.event === eventId) addHold(hold);
    addSeasonHolds(holds.results);
    state.bookedByMe = bookings.results.reduce(
      (n, b) => n + b.tickets.filter((t) => t.status === "active").length,
      0,
    );
  }

  const offSession = session.onChange(() => {
    // Logged out (here or by expiry): my holds are no longer shown as mine.
    state.holds = [];
    state.seasonHolds = [];
    state.bookedByMe = 0;
    if (state.event) {
      renderCart();
      live.reset();
    }
    waitlist?.load(); // whose entries, now
  });
  cleanups.push(offSession);

  document.documentElement.dataset.seatmap = "loading";
  start();

  return () => {
    destroyed = true;
    cleanups.forEach((fn) => fn());
    delete document.documentElement.dataset.seatmap;
  };
}
