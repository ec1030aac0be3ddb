// The event page: live seat map (stadium overview → section, or the whole cinema hall), a list
// view for screen readers and phones, the selection, holds with their countdown, and booking.
//
// Live: the seat map is polled with If-None-Match; an unchanged map costs a 304 with no body.
// Polling stops while the tab is hidden and resumes at once when it is shown again.

import { api, session } from "../api.js";
import { BowlOverview, availabilityText } from "../bowl.js";
import { drawCart } from "../cart.js";
import { SeatInventory } from "../inventory.js";
import { LiveSeatMap } from "../live.js";
import { SeatList } from "../seatlist.js";
import { SeatGrid } from "../seatmap.js";
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
];

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
    bookedByMe: 0,
    current: null, // the section shown (bowl)
    view: sessionStorage.getItem("frontrow.view") === "list" ? "list" : "map",
    busy: false,
    notice: null, // {kind, title, text}
    live: "connecting",
  };
  const inv = new SeatInventory();
  const live = new LiveSeatMap(eventId, {
    pollMs: config.pollMs,
    onMap: (payload) => {
      const changed = inv.apply(payload);
      if (state.event) applyChanges(changed);
    },
    onState: setLive,
  });
  cleanups.push(() => live.stop());
  let palette = new Map();
  let grid = null;
  let list = null;
  let bowl = null;
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
  const prices = h("ul", { class: "prices", "aria-label": "Prices" });
  const overview = h("div", { class: "bowl", hidden: true });
  const sectionTitle = h("h2", { class: "section-title", tabindex: "-1" });
  const sectionHint = h("p", { class: "muted section-hint" });
  const gridBox = h("div", { class: "seat-grid" });
  const pointInfo = h("p", { class: "point-info", "aria-hidden": "true" }, "\u00a0");
  const mapPane = h(
    "div",
    { class: "map-view" },
    overview,
    h("div", { class: "section-pane" }, sectionTitle, sectionHint, gridBox),
    pointInfo,
  );
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
      h("div", { class: "keys" }, legend, prices),
      mapPane,
      listPane,
    ),
    cart,
  );
  root.append(head, layout);

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
      renderAll();
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
        `${lost.map(seatName).join("; ")} ${lost.length === 1 ? "is" : "are"} no longer available, so we removed ${lost.length === 1 ? "it" : "them"} from your selection. The rest of your selection is kept.`,
      );
    }
    if (grid) grid.patch(changed);
    renderOverviewCounts();
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
    const shown = new Set(state.holds.flatMap((hold) => hold.seats.map((s) => s.id)));
    if (changed.some((seat) => seat.mine && !shown.has(seat.id))) loadHolds();
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
    renderCart();
  }

  // ---- header, legend, prices --------------------------------------------------------------
  function renderHead() {
    const event = state.event;
    const holdMinutes = Math.round((event.hold_seconds || config.holdSeconds) / 60);
    const onSale = event.status === "on_sale";
    head.replaceChildren(
      h("p", { class: "crumbs" }, h("a", { href: "#/" }, "← All events")),
      h("h1", {}, eventTitle(event)),
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
  }

  function renderKeys() {
    legend.replaceChildren(
      ...LEGEND.map(([key, text]) =>
        h("li", {}, h("span", { class: `seat seat-key st-${key} p0`, "aria-hidden": "true" }), text),
      ),
    );
    const entries = Object.entries(state.event.prices).sort((a, b) => Number(b[1]) - Number(a[1]));
    prices.replaceChildren(
      ...entries.map(([category, amount]) =>
        h(
          "li",
          {},
          h("span", {
            class: `seat seat-key st-available p${palette.get(category) ?? 0}`,
            "aria-hidden": "true",
          }),
          `${categoryName(category)} `,
          h("strong", {}, money(amount)),
        ),
      ),
    );
  }

  // ---- the map: bowl overview, a section, or the whole hall ----------------------------------
  /** After a local change of seat states (hold, release, a 409): counts, tiles, section hint. */
  function recount(seats) {
    if (grid && seats) grid.patch(seats);
    inv.recount();
    renderOverviewCounts();
    if (state.view === "list") list.update();
  }

  function renderOverviewCounts() {
    if (state.current) {
      const scroll = grid.overflows ? " Scroll sideways for the whole row, or use the List view." : "";
      const nearest = `Row ${state.current.rows[0]?.label ?? ""} is nearest the court.`;
      sectionHint.textContent = `${availabilityText(state.current)}. ${nearest}${scroll}`;
    }
    if (state.bowl) bowl.update(inv.sections, state.current);
  }

  function showSection(name, byKeyboard = false) {
    const section = inv.section(name);
    if (!section) return;
    const started = performance.now();
    state.current = section;
    sessionStorage.setItem(`frontrow.section.${eventId}`, name);
    sectionTitle.textContent = section.name;
    grid.render([section], { front: "Court side" });
    renderOverviewCounts();
    if (byKeyboard) grid.focusFirst(); // chosen with the keyboard: go on to its seats
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
      if (state.current) showSection(state.current.name);
      else if (remembered && inv.sectionByName.has(remembered)) showSection(remembered);
      else {
        sectionTitle.textContent = "";
        sectionHint.textContent = "Choose a section above to see its seats.";
        grid.render([]);
      }
    } else {
      overview.hidden = true;
      sectionTitle.textContent = state.event.hall_name;
      sectionHint.textContent = inv.sections.length > 1 ? "The whole hall, section by section." : "";
      grid.render(inv.sections, { front: "Screen", headings: inv.sections.length > 1 });
    }
  }

  function showView() {
    const listed = state.view === "list";
    mapPane.hidden = listed;
    listPane.hidden = !listed;
    for (const button of viewToggle.querySelectorAll("button"))
      button.setAttribute("aria-pressed", String(button.dataset.view === state.view));
    if (listed) list.render(list.sectionName || state.current?.name);
    else renderMap();
  }

  function renderAll() {
    palette = categoryPalette(state.event.prices);
    renderHead();
    renderKeys();
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
    renderCart();
  }

  function pointAt(seat) {
    pointInfo.textContent = seat
      ? `${seatName(seat)} · ${categoryName(seat.category)} ${money(seat.price)} · ${STATUS_TEXT[status(seat)]}`
      : "\u00a0";
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
        idempotent: true,
      });
      addHold(hold);
      const seats = ids.map((id) => inv.get(id));
      for (const seat of seats) {
        state.selection.delete(seat.id);
        seat.status = "held";
        seat.mine = true;
      }
      saveSelection();
      recount(seats);
      setNotice(
        "success",
        `${plural(seats.length, "seat")} held for you.`,
        `Book before the timer runs out (${clock(hold.seconds_left)}).`,
      );
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

  async function book(hold) {
    if (state.busy) return;
    state.busy = true;
    state.notice = null;
    renderCart();
    try {
      const booking = await api("/bookings/", {
        method: "POST",
        body: { hold_id: hold.id },
        idempotent: true,
      });
      state.holds = state.holds.filter((h0) => h0.id !== hold.id);
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
      const timer = cart.querySelector(`[data-timer="${hold.id}"]`);
      if (timer) {
        timer.textContent = clock(left);
        timer.parentElement.classList.toggle("urgent", left <= 60);
      }
    }
  }
  const ticker = setInterval(tick, 250);
  cleanups.push(() => clearInterval(ticker));

  // ---- the cart (holds + selection) ------------------------------------------------------
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
        holds: state.holds.map((hold) => ({
          ...hold,
          seats: hold.seats.map((s) => inv.get(s.id) || { ...s, status: "held", mine: true }),
        })),
        selected,
        busy: state.busy,
        loggedIn: session.loggedIn,
        empty,
        limit: seatLimit(),
        mine: mineCount(),
        next: `/events/${eventId}`,
        swatch: (seat) => `st-${status(seat)} p${palette.get(seat.category) ?? 0}`,
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
      },
      focusKey,
    );
  }

  // ---- start -----------------------------------------------------------------------------
  async function start() {
    try {
      const [event] = await Promise.all([
        api(`/events/${eventId}/`, { signal: abort.signal }),
        live.load(),
        loadMine(),
      ]);
      if (destroyed) return;
      state.event = event;
      state.bowl = BOWL_KINDS.has(event.venue_kind);
      for (const id of [...state.selection])
        if (inv.get(id)?.status !== "available") state.selection.delete(id);
      grid = new SeatGrid(gridBox, {
        seat: (id) => inv.get(id),
        status,
        label,
        slot: (seat) => palette.get(seat.category) ?? 0,
        onActivate: toggle,
        onPoint: pointAt,
      });
      list = new SeatList(listPane, inv, {
        status,
        slot: (seat) => palette.get(seat.category) ?? 0,
        detail: (seat) =>
          `${categoryName(seat.category)} ${money(seat.price)} · ${STATUS_TEXT[status(seat)]}${seat.accessible ? " · wheelchair space" : ""}`,
        onToggle: toggle,
      });
      bowl = new BowlOverview(overview, { onChoose: showSection });
      cleanups.push(
        () => grid.destroy(),
        () => list.destroy(),
        () => bowl.destroy(),
      );
      layout.hidden = false;
      renderAll();
      setLive("live");
      performance.mark("seatmap-interactive");
      document.documentElement.dataset.seatmap = "ready";
      live.start();
    } catch (error) {
      if (error.name === "AbortError") return;
      head.replaceChildren(
        h("h1", {}, error.status === 404 ? "Event not found" : "Could not load this event"),
        message(
          "error",
          null,
          error.status === 404 ? "This event does not exist or is not on sale." : error.message,
        ),
        h("p", {}, h("a", { href: "#/" }, "See all events")),
      );
    }
  }

  async function loadMine() {
    if (!session.loggedIn) return;
    const [holds, bookings] = await Promise.all([
      api("/holds/", { signal: abort.signal }),
      api(`/bookings/?event=${eventId}&status=confirmed`, { signal: abort.signal }),
    ]);
    for (const hold of holds.results) if (hold.event === eventId) addHold(hold);
    state.bookedByMe = bookings.results.reduce(
      (n, b) => n + b.tickets.filter((t) => t.status === "active").length,
      0,
    );
  }

  const offSession = session.onChange(() => {
    // Logged out (here or by expiry): my holds are no longer shown as mine.
    state.holds = [];
    state.bookedByMe = 0;
    if (state.event) {
      renderCart();
      live.reset();
    }
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
