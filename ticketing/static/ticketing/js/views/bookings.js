// My bookings (with cancel) and the booking confirmation page with the tickets and their codes.

import { api } from "../api.js";
import { announce, categoryName, h, message, money, when } from "../ui.js";
import { waitlistSummary } from "../waitlist.js";
import { transferControl } from "./transfer.js";

const CANCEL_ERRORS = {
  cancellation_closed: "This event has already started, so the booking can no longer be cancelled.",
  already_cancelled: "This booking was already cancelled.",
};

/** " · Reduced" for a ticket of a type beside the full price (named from its code). */
function typeLabel(ticket) {
  return ticket.type && ticket.type !== "full" ? ` · ${categoryName(ticket.type)}` : "";
}

function ticketCard(ticket, booking) {
  const void_ = ticket.status !== "active";
  const seatText = `${ticket.section} · Row ${ticket.row} · Seat ${ticket.number}`;
  // a season booking's tickets are for several events: each says which
  const where = booking && booking.season ? `${ticket.event_name} · ${seatText}` : seatText;
  const card = h(
    "li",
    { class: `ticket${void_ ? " ticket-void" : ""}` },
    h(
      "div",
      { class: "ticket-seat" },
      h("strong", {}, where),
      h("span", { class: "muted" }, `${categoryName(ticket.category)}${typeLabel(ticket)} · ${money(ticket.price)}`),
    ),
    h(
      "div",
      { class: "ticket-code" },
      h(
        "span",
        { class: "muted" },
        ticket.status === "transferred" ? "Transferred" : void_ ? "Void" : "Ticket code",
      ),
      h("code", {}, ticket.code),
    ),
    void_
      ? null
      : h(
          "a",
          {
            class: "ticket-link",
            href: `/tickets/${encodeURIComponent(ticket.code)}/`,
            target: "_blank",
            rel: "noopener",
            "aria-label": `Printable ticket with QR code, ${where}`,
          },
          "Printable ticket with QR code",
        ),
  );
  const transferable =
    !void_ && booking && booking.status === "confirmed" && new Date(booking.starts_at) > new Date();
  if (transferable) {
    card.append(
      transferControl(ticket, {
        onDone: (_fresh, to) => {
          const done = ticketCard({ ...ticket, status: "transferred" }, booking);
          done.append(message("success", "Ticket transferred.", `It is now ${to}'s.`));
          card.replaceWith(done);
          const seat = done.querySelector("strong");
          seat.setAttribute("tabindex", "-1");
          seat.focus();
        },
      }),
    );
  }
  return card;
}

function statusBadge(booking) {
  return booking.status === "confirmed"
    ? h("span", { class: "badge badge-ok" }, "Confirmed")
    : h("span", { class: "badge badge-off" }, "Cancelled");
}

function mapLink(booking) {
  return booking.season ? `#/seasons/${booking.season}` : `#/events/${booking.event}`;
}

/** A booking card; `onChange(booking)` is called after a successful cancel. */
function bookingCard(booking, { onChange, headingLevel = "h2" }) {
  const box = h("div", { class: "booking-msgs" });
  const actions = h("div", { class: "booking-actions" });
  const card = h(
    "article",
    { class: "booking panel", "aria-labelledby": `bk-${booking.id}` },
    h(
      "div",
      { class: "booking-head" },
      h(
        headingLevel,
        { id: `bk-${booking.id}` },
        h("a", { href: `#/bookings/${booking.id}` }, booking.event_name || `Season: ${booking.season_name}`),
      ),
      statusBadge(booking),
    ),
    h(
      "p",
      { class: "muted" },
      booking.starts_at
        ? h("time", { datetime: booking.starts_at }, when(booking.starts_at, booking.venue_time_zone))
        : `${booking.tickets.length} tickets, one per event and seat`,
      ` · Booking #${booking.id}`,
    ),
    h(
      "ul",
      { class: "tickets" },
      booking.tickets.map((ticket) => ticketCard(ticket, booking)),
    ),
    h("p", { class: "cart-total" }, "Total ", h("strong", {}, money(booking.total))),
    box,
    actions,
  );

  function showActions() {
    if (booking.status !== "confirmed") {
      actions.replaceChildren(
        h("a", { class: "btn btn-ghost btn-small", href: mapLink(booking) }, "See the seat map"),
      );
      return;
    }
    const cancel = h(
      "button",
      { type: "button", class: "btn btn-ghost btn-small", "data-key": "cancel" },
      "Cancel booking",
    );
    cancel.addEventListener("click", confirmStep);
    actions.replaceChildren(
      cancel,
      h("a", { class: "btn btn-ghost btn-small", href: mapLink(booking) }, "See the seat map"),
    );
  }

  function confirmStep() {
    const yes = h("button", { type: "button", class: "btn btn-danger btn-small" }, "Yes, cancel it");
    const no = h("button", { type: "button", class: "btn btn-ghost btn-small" }, "Keep my tickets");
    no.addEventListener("click", () => {
      showActions();
      actions.querySelector("button").focus();
    });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      no.disabled = true;
      yes.textContent = "Cancelling…";
      try {
        booking = await api(`/bookings/${booking.id}/cancel/`, { method: "POST", idempotent: true });
        const replacement = bookingCard(booking, { onChange, headingLevel });
        card.replaceWith(replacement);
        replacement
          .querySelector(".booking-msgs")
          .replaceChildren(
            message("success", "Booking cancelled.", "Your seats are free for other fans again."),
          );
        replacement.querySelector(`#bk-${booking.id} a`).focus();
        announce("Booking cancelled.");
        if (onChange) onChange(booking);
      } catch (error) {
        box.replaceChildren(
          message("error", "Could not cancel.", CANCEL_ERRORS[error.code] || error.message),
        );
        showActions();
      }
    });
    actions.replaceChildren(
      h("p", { class: "confirm-q" }, "Cancel this booking and release its seats?"),
      yes,
      no,
    );
    yes.focus();
  }

  showActions();
  return card;
}

export function bookingsView(root) {
  document.title = "My bookings · FrontRow";
  const list = h("div", { class: "bookings" }, h("p", { class: "loading" }, "Loading your bookings…"));
  const more = h("button", { type: "button", class: "btn btn-ghost", hidden: true }, "Show older bookings");
  root.append(
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "My bookings"),
        h("p", { class: "muted" }, "Your tickets, with the codes to show at the gate."),
      ),
    ),
    waitlistSummary(),
    list,
    h("div", { class: "more" }, more),
  );
  let alive = true;
  let next = null;
  let first = true;
  async function load(url) {
    try {
      const page = await api(url);
      if (!alive) return;
      if (first) list.replaceChildren();
      first = false;
      if (!page.results.length && !list.children.length) {
        list.replaceChildren(
          h(
            "div",
            { class: "panel empty" },
            h("p", {}, "No bookings yet."),
            h("a", { class: "btn btn-primary", href: "#/" }, "Find an event"),
          ),
        );
      }
      list.append(...page.results.map((booking) => bookingCard(booking, {})));
      next = page.next ? new URL(page.next).pathname + new URL(page.next).search : null;
      more.hidden = !next;
    } catch (error) {
      if (alive) list.replaceChildren(message("error", "Could not load your bookings.", error.message));
    }
  }
  more.addEventListener("click", () => next && load(next));
  load("/bookings/");
  return () => {
    alive = false;
  };
}

export function bookingView(root, { params, query }) {
  const id = Number(params[0]);
  const fresh = query.get("new") === "1";
  document.title = fresh ? "Booking confirmed · FrontRow" : `Booking #${id} · FrontRow`;
  const heading = h("h1", {}, fresh ? "You're in! Booking confirmed" : `Booking #${id}`);
  const intro = h(
    "p",
    { class: "muted" },
    fresh ? "Your tickets are below and in My bookings. Show the ticket code at the gate." : "",
  );
  const body = h("div", {}, h("p", { class: "loading" }, "Loading your tickets…"));
  root.append(
    h("div", { class: `page-head${fresh ? " confirm-head" : ""}` }, h("div", {}, heading, intro)),
    body,
    h(
      "p",
      { class: "page-links" },
      h("a", { href: "#/bookings" }, "All my bookings"),
      " · ",
      h("a", { href: "#/" }, "More events"),
    ),
  );
  const cached = sessionStorage.getItem(`frontrow.booking.${id}`);
  let alive = true;
  const show = (booking) => body.replaceChildren(bookingCard(booking, { headingLevel: "h2" }));
  if (cached) {
    show(JSON.parse(cached));
    sessionStorage.removeItem(`frontrow.booking.${id}`);
  } else {
    api(`/bookings/${id}/`)
      .then((booking) => alive && show(booking))
      .catch(
        (error) =>
          alive &&
          body.replaceChildren(
            message(
              "error",
              error.status === 404 ? "Booking not found." : "Could not load this booking.",
              error.status === 404 ? "" : error.message,
            ),
          ),
      );
  }
  if (fresh) announce("Booking confirmed. Your ticket codes are on this page.");
  return () => {
    alive = false;
  };
}
