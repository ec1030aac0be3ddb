// "Transfer": give a ticket to another account (POST /tickets/{id}/transfer/ {to}), shared by
// My bookings and My tickets. The old code stops working; the new owner gets a new one by email.

import { api } from "../api.js";
import { announce, h, message } from "../ui.js";

const TRANSFER_ERRORS = {
  transfer_closed: "The event has started, so its tickets can no longer be transferred.",
  ticket_transferred: "This ticket was already transferred.",
  ticket_revoked: "This ticket was cancelled; it cannot be transferred.",
  already_checked_in: "This ticket was already used at the gate.",
  not_found: "This ticket is no longer yours.",
};

/**
 * The Transfer button of a ticket and, once pressed, its small form. `onDone(newTicket)` is
 * called after a transfer; the caller shows the ticket as transferred.
 */
export function transferControl(ticket, { onDone }) {
  const box = h("div", { class: "transfer" });
  const seat = `${ticket.section} · Row ${ticket.row} · Seat ${ticket.number}`;

  function closed() {
    const open = h(
      "button",
      { type: "button", class: "btn btn-ghost btn-small", "aria-label": `Transfer the ticket ${seat}` },
      "Transfer",
    );
    open.addEventListener("click", () => {
      opened();
      box.querySelector("input").focus();
    });
    box.replaceChildren(open);
  }

  function opened() {
    const id = `transfer-to-${ticket.id}`;
    const errorId = `${id}-error`;
    const input = h("input", {
      id,
      name: "to",
      type: "text",
      autocomplete: "off",
      required: true,
      maxlength: 254,
      "aria-describedby": `${id}-hint`,
    });
    const error = h("p", { class: "field-error", id: errorId, hidden: true });
    const msgs = h("div", { class: "transfer-msgs" });
    const send = h("button", { type: "submit", class: "btn btn-primary btn-small" }, "Transfer ticket");
    const cancel = h("button", { type: "button", class: "btn btn-ghost btn-small" }, "Keep it");
    cancel.addEventListener("click", () => {
      closed();
      box.querySelector("button").focus();
    });
    const form = h(
      "form",
      { class: "transfer-form", novalidate: true },
      msgs,
      h(
        "div",
        { class: "field" },
        h("label", { for: id }, "Give it to (username or email)"),
        input,
        h("p", { class: "muted", id: `${id}-hint` }, "They must have an account. Your code stops working."),
        error,
      ),
      h("div", { class: "booking-actions" }, send, cancel),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const to = input.value.trim();
      error.hidden = true;
      input.removeAttribute("aria-invalid");
      if (!to) {
        error.textContent = "Enter a username or an email.";
        error.hidden = false;
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", `${id}-hint ${errorId}`);
        input.focus();
        return;
      }
      send.disabled = cancel.disabled = true;
      send.textContent = "Transferring…";
      try {
        const fresh = await api(`/tickets/${ticket.id}/transfer/`, {
          method: "POST",
          body: { to },
          idempotent: true,
        });
        announce(`Ticket transferred to ${to}.`);
        onDone(fresh, to);
      } catch (failure) {
        send.disabled = cancel.disabled = false;
        send.textContent = "Transfer ticket";
        const problems = failure.body && failure.body.fields && failure.body.fields.to;
        if (problems) {
          error.textContent = [].concat(problems).join(" ");
          error.hidden = false;
          input.setAttribute("aria-invalid", "true");
          input.setAttribute("aria-describedby", `${id}-hint ${errorId}`);
          input.focus();
        } else {
          msgs.replaceChildren(
            message("error", "Could not transfer.", TRANSFER_ERRORS[failure.code] || failure.message),
          );
        }
      }
    });
    box.replaceChildren(form);
  }

  closed();
  return box;
}
