// My tickets: every ticket the buyer holds, from their bookings or transferred to them, with
// Transfer; tickets given away or cancelled are listed below, struck through.

import { api } from "../api.js";
import { categoryName, h, message, money, when } from "../ui.js";
import { transferControl } from "./transfer.js";

const STATUS = { transferred: "Transferred", void: "Void" };

function ticketItem(ticket) {
  const where = `${ticket.section} · Row ${ticket.row} · Seat ${ticket.number}`;
  const active = ticket.status === "active";
  const item = h(
    "li",
    { class: `ticket${active ? "" : " ticket-void"}` },
    h(
      "div",
      { class: "ticket-seat" },
      h("strong", {}, ticket.event_name),
      h("time", { datetime: ticket.starts_at }, when(ticket.starts_at, ticket.venue_time_zone)),
      h("span", {}, where),
      h(
        "span",
        { class: "muted" },
        `${categoryName(ticket.category)} · ${money(ticket.price)}${ticket.received ? " · Received" : ""}`,
      ),
    ),
    h(
      "div",
      { class: "ticket-code" },
      h("span", { class: "muted" }, active ? "Ticket code" : STATUS[ticket.status] || "Void"),
      h("code", {}, ticket.code),
    ),
  );
  if (active) {
    item.append(
      h(
        "a",
        {
          class: "ticket-link",
          href: `/tickets/${encodeURIComponent(ticket.code)}/`,
          target: "_blank",
          rel: "noopener",
          "aria-label": `Printable ticket with QR code, ${ticket.event_name}, ${where}`,
        },
        "Printable ticket with QR code",
      ),
    );
    if (!ticket.checked_in_at && new Date(ticket.starts_at) > new Date()) {
      item.append(
        transferControl(ticket, {
          onDone: (_fresh, to) => {
            const done = ticketItem({ ...ticket, status: "transferred" });
            done.append(message("success", "Ticket transferred.", `It is now ${to}'s.`));
            item.replaceWith(done);
            done.querySelector("strong").setAttribute("tabindex", "-1");
            done.querySelector("strong").focus();
          },
        }),
      );
    }
  }
  return item;
}

export function ticketsView(root) {
  document.title = "My tickets · FrontRow";
  const list = h("div", {}, h("p", { class: "loading" }, "Loading your tickets…"));
  root.append(
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "My tickets"),
        h("p", { class: "muted" }, "Tickets you bought or were given. Transfer one to a friend's account."),
      ),
    ),
    list,
  );
  let alive = true;
  (async () => {
    try {
      const tickets = [];
      let url = "/tickets/";
      while (url && tickets.length < 500) {
        const page = await api(url);
        tickets.push(...page.results);
        url = page.next ? new URL(page.next).pathname + new URL(page.next).search : null;
      }
      if (!alive) return;
      const current = tickets.filter((t) => t.status === "active");
      const past = tickets.filter((t) => t.status !== "active");
      if (!tickets.length) {
        list.replaceChildren(
          h(
            "div",
            { class: "panel empty" },
            h("p", {}, "No tickets yet."),
            h("a", { class: "btn btn-primary", href: "#/" }, "Find an event"),
          ),
        );
        return;
      }
      list.replaceChildren(
        h("ul", { class: "tickets", "aria-label": "Your tickets" }, current.map(ticketItem)),
        ...(past.length
          ? [
              h("h2", {}, "Given away or cancelled"),
              h("ul", { class: "tickets", "aria-label": "Past tickets" }, past.map(ticketItem)),
            ]
          : []),
      );
    } catch (error) {
      if (alive) list.replaceChildren(message("error", "Could not load your tickets.", error.message));
    }
  })();
  return () => {
    alive = false;
  };
}
