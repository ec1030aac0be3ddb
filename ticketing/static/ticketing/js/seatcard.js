// The seat card: section, row, seat, category, price, wheelchair space and status of the seat
// under the pointer, in focus, or just tapped, floating beside that seat and kept inside the
// viewport. It is aria-hidden: each seat's accessible name already says all of it.

import { h } from "./ui.js";

const MARGIN = 8;

export class SeatCard {
  constructor() {
    this.el = h("div", { class: "seat-card", "aria-hidden": "true", hidden: true });
    document.body.append(this.el);
    this.anchor = null;
    this.onScroll = () => this.place();
    window.addEventListener("scroll", this.onScroll, { passive: true });
    window.addEventListener("resize", this.onScroll, { passive: true });
  }

  destroy() {
    window.removeEventListener("scroll", this.onScroll);
    window.removeEventListener("resize", this.onScroll);
    this.el.remove();
  }

  /** Show the card of a seat next to `anchor` (its button). */
  show(anchor, { title, details, status, statusText }) {
    this.anchor = anchor;
    this.el.replaceChildren(
      h("strong", { class: "seat-card-title" }, title),
      ...details.map((text) => h("span", {}, text)),
      h("span", { class: `seat-card-status st-text-${status}` }, statusText),
    );
    this.el.hidden = false;
    this.place();
  }

  hide() {
    this.anchor = null;
    this.el.hidden = true;
  }

  /** Above the seat if there is room under the top bar, else below; never off screen. */
  place() {
    if (!this.anchor || this.el.hidden) return;
    const seat = this.anchor.getBoundingClientRect();
    if (!this.anchor.isConnected || seat.bottom < 0 || seat.top > window.innerHeight) {
      this.hide();
      return;
    }
    const card = this.el.getBoundingClientRect();
    const width = document.documentElement.clientWidth;
    let top = seat.top - card.height - MARGIN;
    if (top < 64) top = seat.bottom + MARGIN;
    top = Math.min(top, window.innerHeight - card.height - MARGIN);
    let left = seat.left + seat.width / 2 - card.width / 2;
    left = Math.max(MARGIN, Math.min(left, width - card.width - MARGIN));
    this.el.style.transform = `translate(${Math.round(left)}px, ${Math.round(Math.max(MARGIN, top))}px)`;
  }
}
