// The waiting list on the event page (SPEC §9): when what a buyer wants is sold out, they join
// with a count (and a price category, or any); they see their place in line; when seats come
// back the server holds them for the first buyer in line at once (POST /events/{id}/waitlist/,
// GET /waitlist/, DELETE /waitlist/{id}/). The page polls the buyer's entries while one is open,
// so an offer shows up here (and its hold in the basket) without a reload; an email says so too.

import { api, session } from "./api.js";
import { announce, categoryName, h, message, money, plural } from "./ui.js";
import { queueHeaders } from "./views/queue.js";

const POLL_MS = 10000;
const MAX_COUNT = 10;

/** A time of day as at the venue (the event's own times are shown so). */
function clockTime(iso, timeZone) {
  const options = { hour: "2-digit", minute: "2-digit", timeZone: timeZone || undefined };
  return new Intl.DateTimeFormat(undefined, options).format(new Date(iso));
}

export class WaitlistPanel {
  /**
   * @param {HTMLElement} container
   * @param {{eventId: number, signal: AbortSignal, onOffer: (entry: object) => void,
   *          showHeld: (entry: object) => void}} hooks
   */
  constructor(container, hooks) {
    this.container = container;
    this.hooks = hooks;
    this.entry = null; // the buyer's newest entry for this event
    this.loaded = false;
    this.busy = false;
    this.error = null;
    this.view = null;
    this.count = 1;
    this.category = "";
    this.timer = null;
    this.onSubmit = (event) => {
      event.preventDefault();
      const form = event.target;
      this.count = Number(form.elements.count.value);
      this.category = form.elements.category.value;
      this.join();
    };
    this.onClick = (event) => {
      if (event.target.closest('[data-key="waitlist-leave"]')) this.leave();
      if (event.target.closest('[data-key="waitlist-held"]')) hooks.showHeld(this.entry);
    };
    container.addEventListener("submit", this.onSubmit);
    container.addEventListener("click", this.onClick);
  }

  destroy() {
    clearTimeout(this.timer);
    this.container.removeEventListener("submit", this.onSubmit);
    this.container.removeEventListener("click", this.onClick);
    this.container.replaceChildren();
  }

  /** Read the buyer's entries (newest first) and keep this event's newest. */
  async load() {
    clearTimeout(this.timer);
    if (!session.loggedIn) {
      this.entry = null;
      this.loaded = true;
      this.draw();
      return;
    }
    const page = await api("/waitlist/", { signal: this.hooks.signal }).catch(() => null);
    if (!page) return;
    const before = this.entry;
    this.entry = page.results.find((entry) => entry.event === this.hooks.eventId) || null;
    this.loaded = true;
    if (this.entry?.status === "offered" && !(before?.status === "offered" && before.id === this.entry.id)) {
      if (before) announce("Seats came back and are held for you. Book them before the hold ends.");
      this.hooks.onOffer(this.entry);
    }
    this.draw();
    if (this.entry && ["waiting", "offered"].includes(this.entry.status)) {
      this.timer = setTimeout(() => this.load(), POLL_MS);
    }
  }

  /**
   * @param {{onSale: boolean, soldOut: boolean, categories: [string, string, number, number][],
   *          limit: number, timeZone: string}} view
   *   categories: [category, price, palette slot, seats left]; timeZone: the venue's
   */
  render(view) {
    const changed = !this.view || this.view.soldOut !== view.soldOut || this.view.onSale !== view.onSale;
    this.view = view;
    if (!this.loaded) {
      this.loaded = "loading";
      this.load();
      return;
    }
    if (changed) this.draw();
  }

  async join() {
    this.busy = true;
    this.error = null;
    this.draw("waitlist-join");
    const body = { count: this.count };
    if (this.category) body.category = this.category;
    try {
      this.entry = await api(`/events/${this.hooks.eventId}/waitlist/`, {
        method: "POST",
        body,
        headers: queueHeaders(this.hooks.eventId), // an event with a waiting room: its pass
        signal: this.hooks.signal,
      });
      announce(`You are on the waiting list, number ${this.entry.position}.`);
      this.timer = setTimeout(() => this.load(), POLL_MS);
    } catch (error) {
      if (error.name === "AbortError") return;
      this.error =
        error.code === "event_not_sold_out"
          ? "Seats like these are on sale again: pick them on the map or use Best available."
          : error.code === "queue_pass_required" || error.code === "queue_pass_invalid"
            ? "Your place from the waiting room has run out: reload the page to join its line again."
            : error.message;
    } finally {
      this.busy = false;
    }
    this.draw("waitlist-leave");
  }

  async leave() {
    this.busy = true;
    this.draw("waitlist-leave");
    try {
      await api(`/waitlist/${this.entry.id}/`, { method: "DELETE", signal: this.hooks.signal });
      announce("You left the waiting list.");
    } catch (error) {
      if (error.name === "AbortError") return;
      this.error = error.message;
    } finally {
      this.busy = false;
    }
    await this.load();
  }

  draw(focusKey) {
    const view = this.view;
    if (!view || this.loaded !== true) return;
    const entry = this.entry;
    const open = entry && ["waiting", "offered"].includes(entry.status);
    const joinable = view.onSale && view.soldOut && !open;
    const parts = [];
    if (open || joinable || (entry && entry.status !== "left")) {
      parts.push(h("h2", { id: "waitlist-title" }, "Waiting list"));
    }
    if (entry?.status === "waiting") {
      const what = `${plural(entry.count, "seat")}${entry.category ? ` (${categoryName(entry.category)})` : ""}`;
      parts.push(
        message(
          "info",
          `You are number ${entry.position} in line for ${what}.`,
          "When seats come back we hold them for you at once and email you.",
        ),
        h(
          "button",
          { type: "button", class: "btn btn-ghost", "data-key": "waitlist-leave", disabled: this.busy },
          "Leave the waiting list",
        ),
      );
    } else if (entry?.status === "offered") {
      parts.push(
        message(
          "success",
          "Seats came back for you!",
          `${plural(entry.count, "seat")} ${entry.count === 1 ? "is" : "are"} held for you until ${clockTime(entry.hold_expires_at, view.timeZone)}. Book them before then, or they go to the next buyer in line.`,
        ),
        h(
          "p",
          { class: "waitlist-actions" },
          h("button", { type: "button", class: "btn btn-primary", "data-key": "waitlist-held" }, "See your held seats"),
          " ",
          h(
            "button",
            { type: "button", class: "btn btn-ghost", "data-key": "waitlist-leave", disabled: this.busy },
            "No thanks, leave the list",
          ),
        ),
      );
    } else if (entry?.status === "fulfilled") {
      parts.push(message("success", null, "You booked the seats the waiting list held for you. See My bookings."));
    } else if (entry?.status === "expired" && !joinable) {
      parts.push(message("info", null, "The seats held for you from the waiting list were not booked in time."));
    }
    if (joinable) {
      if (entry?.status === "expired") {
        parts.push(h("p", { class: "muted" }, "The seats held for you were not booked in time. You may join again."));
      }
      parts.push(this.joinForm(view));
    }
    if (this.error) parts.push(message("error", null, this.error));
    this.container.hidden = parts.length === 0;
    this.container.replaceChildren(...parts);
    if (focusKey) this.container.querySelector(`[data-key="${focusKey}"]`)?.focus();
  }

  joinForm(view) {
    if (!session.loggedIn) {
      const next = encodeURIComponent(`/events/${this.hooks.eventId}`);
      return h(
        "p",
        {},
        "Sold out. ",
        h("a", { href: `#/login?next=${next}` }, "Log in to join the waiting list"),
        ": we hold seats for you when they come back.",
      );
    }
    const max = Math.max(1, Math.min(MAX_COUNT, view.limit));
    this.count = Math.min(this.count, max);
    return h(
      "form",
      { class: "waitlist-join", "aria-labelledby": "waitlist-title" },
      h("p", { class: "waitlist-lead" }, "Sold out. Join the waiting list and we hold seats for you when they come back."),
      h(
        "div",
        { class: "field" },
        h("label", { for: "waitlist-count" }, "How many seats"),
        h(
          "select",
          { id: "waitlist-count", name: "count" },
          Array.from({ length: max }, (_, i) =>
            h("option", { value: String(i + 1), selected: i + 1 === this.count }, plural(i + 1, "seat")),
          ),
        ),
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: "waitlist-category" }, "Price"),
        h(
          "select",
          { id: "waitlist-category", name: "category" },
          h("option", { value: "" }, "Any price"),
          view.categories.map(([category, price]) =>
            h(
              "option",
              { value: category, selected: category === this.category },
              `${categoryName(category)} · ${money(price)}`,
            ),
          ),
        ),
      ),
      h(
        "button",
        { type: "submit", class: "btn btn-primary", "data-key": "waitlist-join", disabled: this.busy },
        this.busy ? "Joining…" : "Join the waiting list",
      ),
    );
  }
}

/**
 * "My bookings": the buyer's open waiting-list entries (waiting or offered), each with its
 * place or its offer and a link to the event page. Empty (and hidden) when there is none.
 */
export function waitlistSummary() {
  const box = h("section", { class: "waitlist panel", "aria-labelledby": "my-waitlists", hidden: true });
  api("/waitlist/")
    .then((page) => {
      const open = page.results.filter((entry) => ["waiting", "offered"].includes(entry.status));
      if (!open.length) return;
      box.replaceChildren(
        h("h2", { id: "my-waitlists" }, "Waiting lists"),
        h(
          "ul",
          { class: "waitlist-entries" },
          open.map((entry) =>
            h(
              "li",
              {},
              h("a", { href: `#/events/${entry.event}` }, entry.event_name),
              " · ",
              entry.status === "offered"
                ? h("strong", {}, `Seats held for you until ${clockTime(entry.hold_expires_at)}: book them now`)
                : `number ${entry.position} in line for ${plural(entry.count, "seat")}`,
            ),
          ),
        ),
      );
      box.hidden = false;
    })
    .catch(() => {}); // the bookings below are the page; this is a reminder
  return box;
}
