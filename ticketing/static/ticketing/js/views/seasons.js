// Season tickets: the list of seasons, and a season's page where a buyer picks hall seats that
// are free in every event of the season, holds them for all the events at once and books them.

import { api, session } from "../api.js";
import { categoryName, clock, h, message, money, navigate, plural, when } from "../ui.js";

const MAX_SEATS = 10;

export function seasonsView(root) {
  const list = h("ul", { class: "event-grid" });
  const status = h("div", { class: "list-status" }, h("p", { class: "loading" }, "Loading seasons…"));
  root.append(
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "Season tickets"),
        h("p", { class: "muted" }, "The same seat for every match or show of a season, in one purchase."),
      ),
    ),
    status,
    list,
  );
  let alive = true;
  api("/seasons/")
    .then((page) => {
      if (!alive) return;
      status.replaceChildren();
      if (!page.results.length) status.append(h("p", { class: "panel empty" }, "No season on sale right now."));
      list.append(
        ...page.results.map((season) =>
          h(
            "li",
            { class: "event-card" },
            h(
              "article",
              { "aria-labelledby": `season-${season.id}` },
              h("div", { class: "event-card-top" }, h("span", { class: "badge badge-match" }, "Season")),
              h(
                "h2",
                { id: `season-${season.id}` },
                h("a", { class: "stretched", href: `#/seasons/${season.id}` }, season.name),
              ),
              h("p", { class: "event-when" }, plural(season.events.length, "event")),
              h("p", { class: "event-price" }, seasonPrices(season.prices)),
            ),
          ),
        ),
      );
    })
    .catch((error) => alive && status.replaceChildren(message("error", "Could not load seasons.", error.message)));
  document.title = "Season tickets · FrontRow";
  return () => {
    alive = false;
  };
}

function seasonPrices(prices) {
  const amounts = Object.values(prices || {}).map(Number);
  if (!amounts.length) return "";
  return `From ${money(Math.min(...amounts))} for the season`;
}

export function seasonView(root, { params }) {
  const [id] = params;
  const head = h("div", { class: "page-head" }, h("h1", {}, "Season"));
  const events = h("ol", { class: "season-events" });
  const seats = h("div", { class: "season-seats" }, h("p", { class: "loading" }, "Loading seats…"));
  const box = h("div", { class: "season-msgs", "aria-live": "polite" });
  const summary = h("p", { class: "season-total" });
  const picked = h("p", { class: "muted season-picked" });
  const action = h("button", { type: "button", class: "btn btn-primary", disabled: true }, "Hold these seats");
  const cart = h(
    "section",
    { class: "panel season-cart", "aria-label": "Your season seats" },
    summary,
    picked,
    box,
    action,
  );
  root.append(head, h("section", { class: "panel" }, h("h2", {}, "Events of the season"), events), seats, cart);

  const chosen = new Set();
  let season = null;
  let map = [];
  let hold = null;
  let timer = null;
  let alive = true;

  function total() {
    return map.filter((seat) => chosen.has(seat.id)).reduce((sum, seat) => sum + Number(seat.price || 0), 0);
  }

  function renderCart() {
    const n = season ? season.events.length : 0;
    const names = map
      .filter((seat) => chosen.has(seat.id))
      .map((seat) => `${seat.section} ${seat.row}${seat.number}`);
    picked.textContent = names.length ? names.join(", ") : "";
    if (hold) {
      summary.replaceChildren(
        h("span", {}, `${plural(hold.seats.length / n, "seat")} held for ${plural(n, "event")}: `),
        h("strong", {}, money(hold.total)),
        h("span", { class: "hold-timer" }, ` ${clock(hold.seconds_left)} left`),
      );
      action.textContent = `Book and pay ${money(hold.total)}`;
      action.disabled = false;
      return;
    }
    summary.replaceChildren(
      chosen.size
        ? `${plural(chosen.size, "seat")} × ${plural(n, "event")} · `
        : "Pick the seats you want for the whole season.",
      chosen.size ? h("strong", {}, money(total())) : "",
    );
    action.textContent = "Hold these seats for the season";
    action.disabled = chosen.size === 0;
  }

  function renderSeats() {
    const sections = new Map();
    for (const seat of map) {
      if (!sections.has(seat.section)) sections.set(seat.section, new Map());
      const rows = sections.get(seat.section);
      if (!rows.has(seat.row)) rows.set(seat.row, []);
      rows.get(seat.row).push(seat);
    }
    seats.replaceChildren(
      h("h2", {}, "Seats free for the whole season"),
      ...[...sections].map(([section, rows]) =>
        h(
          "div",
          { class: "panel" },
          h("h3", {}, section),
          ...[...rows].map(([row, rowSeats]) =>
            h(
              "fieldset",
              { class: "list-seats" },
              h("legend", {}, `${section}, row ${row}`),
              h(
                "ul",
                {},
                rowSeats.map((seat) => {
                  const inputId = `ss-${seat.id}`;
                  const free = seat.status === "available";
                  return h(
                    "li",
                    { class: "list-seat" },
                    h("input", {
                      type: "checkbox",
                      id: inputId,
                      "data-id": String(seat.id),
                      checked: chosen.has(seat.id) || seat.mine,
                      disabled: !!hold || (!free && !chosen.has(seat.id)),
                    }),
                    h(
                      "label",
                      { for: inputId },
                      `Seat ${seat.number}`,
                      h(
                        "span",
                        { class: "muted" },
                        free
                          ? ` · ${categoryName(seat.category)} · ${money(seat.price)}`
                          : seat.mine
                            ? " · held by you"
                            : " · taken in some event",
                      ),
                    ),
                  );
                }),
              ),
            ),
          ),
        ),
      ),
    );
  }

  seats.addEventListener("change", (event) => {
    const seatId = Number(event.target.dataset.id);
    if (!seatId) return;
    if (event.target.checked) {
      if (chosen.size >= MAX_SEATS) {
        event.target.checked = false;
        box.replaceChildren(message("warning", `At most ${MAX_SEATS} seats.`));
        return;
      }
      chosen.add(seatId);
    } else chosen.delete(seatId);
    box.replaceChildren();
    renderCart();
  });

  async function load() {
    season = await api(`/seasons/${id}/`);
    map = (await api(`/seasons/${id}/seats/`)).seats;
    if (!alive) return;
    head.replaceChildren(
      h("h1", {}, season.name),
      h("p", { class: "muted" }, `${plural(season.events.length, "event")}, one seat each, one purchase`),
    );
    events.replaceChildren(
      ...season.events.map((event) =>
        h(
          "li",
          {},
          h("a", { href: `#/events/${event.id}` }, event.name),
          " · ",
          h("time", { datetime: event.starts_at }, when(event.starts_at, season.venue_time_zone)),
        ),
      ),
    );
    document.title = `${season.name} · FrontRow`;
    renderSeats();
    renderCart();
  }

  action.addEventListener("click", async () => {
    if (!session.loggedIn) {
      navigate(`#/login?next=${encodeURIComponent(`/seasons/${id}`)}`);
      return;
    }
    action.disabled = true;
    try {
      if (!hold) {
        hold = await api(`/seasons/${id}/holds/`, {
          method: "POST",
          body: { seat_ids: [...chosen] },
          idempotent: true,
        });
        box.replaceChildren(message("success", "Held for every event.", "Book before the time runs out."));
        timer = setInterval(() => {
          hold.seconds_left = Math.max(0, hold.seconds_left - 1);
          renderCart();
        }, 1000);
        renderSeats();
        renderCart();
      } else {
        const booking = await api("/bookings/", { method: "POST", body: { hold_id: hold.id }, idempotent: true });
        clearInterval(timer);
        navigate(`#/bookings/${booking.id}`);
      }
    } catch (error) {
      const taken = error.body && error.body.seats;
      const detail = taken
        ? `${plural(taken.length, "event seat")} taken meanwhile: pick again.`
        : error.message;
      box.replaceChildren(message("error", "That did not work.", detail));
      if (taken) {
        chosen.clear();
        map = (await api(`/seasons/${id}/seats/`)).seats;
        renderSeats();
      }
      renderCart();
    }
  });

  load().catch((error) => alive && seats.replaceChildren(message("error", "Could not load the season.", error.message)));
  return () => {
    alive = false;
    clearInterval(timer);
  };
}
