// The seat grid: renders one or more sections as rows of seat buttons.
//
// Built for stadium scale: a section (up to a few thousand seats) is rendered in one
// innerHTML assignment, listeners are delegated to the container (four of them, whatever the
// number of seats), and live updates patch only the seats that changed. Each block is one tab
// stop (roving tabindex); arrow keys move between seats, Space or Enter selects.

import { esc } from "./ui.js";

const NAV_KEYS = new Set([
  "ArrowLeft",
  "ArrowRight",
  "ArrowUp",
  "ArrowDown",
  "Home",
  "End",
  "PageUp",
  "PageDown",
]);

export class SeatGrid {
  /**
   * @param {HTMLElement} container
   * @param {{seat: (id: number) => object, status: (seat) => string, label: (seat) => string,
   *          slot: (seat) => number, onActivate: (seat, el) => void, onPoint: (seat|null) => void}} hooks
   */
  constructor(container, hooks) {
    this.container = container;
    this.hooks = hooks;
    this.elements = new Map(); // seat id → button, for the rendered seats only
    this.places = new Map(); // button → [block, row, column]
    this.blocks = []; // per block: rows of buttons
    this.onClick = (event) => {
      const el = event.target.closest("button.seat");
      if (el) hooks.onActivate(hooks.seat(Number(el.dataset.id)), el);
    };
    this.onKey = (event) => this.keydown(event);
    this.onFocus = (event) => {
      const el = event.target.closest("button.seat");
      if (!el) return;
      this.rove(el);
      hooks.onPoint(hooks.seat(Number(el.dataset.id)));
    };
    this.onOver = (event) => {
      const el = event.target.closest && event.target.closest("button.seat");
      if (el) hooks.onPoint(hooks.seat(Number(el.dataset.id)));
    };
    this.onLeave = () => hooks.onPoint(null);
    container.addEventListener("click", this.onClick);
    container.addEventListener("keydown", this.onKey);
    container.addEventListener("focusin", this.onFocus);
    container.addEventListener("mouseover", this.onOver);
    container.addEventListener("mouseleave", this.onLeave);
  }

  destroy() {
    this.container.removeEventListener("click", this.onClick);
    this.container.removeEventListener("keydown", this.onKey);
    this.container.removeEventListener("focusin", this.onFocus);
    this.container.removeEventListener("mouseover", this.onOver);
    this.container.removeEventListener("mouseleave", this.onLeave);
    this.container.replaceChildren();
    this.elements.clear();
    this.places.clear();
  }

  seatHtml(seat) {
    const status = this.hooks.status(seat);
    const state =
      status === "available" || status === "selected"
        ? ` aria-pressed="${status === "selected"}"`
        : ' aria-disabled="true"';
    return (
      `<button type="button" class="seat st-${status} p${this.hooks.slot(seat)}${seat.accessible ? " acc" : ""}"` +
      ` data-id="${seat.id}" tabindex="-1"${state} aria-label="${esc(this.hooks.label(seat))}"></button>`
    );
  }

  /** Render sections: [{name, rows: [{label, seats: [...]}]}]. `front` labels the stage side. */
  render(sections, { front = "", headings = false } = {}) {
    this.overflows = this.fit(sections); // sizes first, so the new seats are laid out once
    const parts = [];
    sections.forEach((section, b) => {
      parts.push(
        `<div class="seat-block" role="group" aria-label="Seats in ${esc(section.name)}" data-b="${b}">`,
      );
      if (headings) parts.push(`<h3 class="block-title">${esc(section.name)}</h3>`);
      if (front) parts.push(`<p class="front" aria-hidden="true">${esc(front)}</p>`);
      for (const row of section.rows) {
        const label = esc(row.label);
        parts.push(
          `<div class="seat-row"><span class="row-label" aria-hidden="true">${label}</span><span class="row-seats">`,
        );
        for (const seat of row.seats) parts.push(this.seatHtml(seat));
        parts.push(`</span><span class="row-label" aria-hidden="true">${label}</span></div>`);
      }
      parts.push("</div>");
    });
    this.container.innerHTML = parts.join("");
    // Buttons come back in render order: position i is known without reading attributes.
    const buttons = this.container.getElementsByTagName("button");
    this.elements.clear();
    this.places = new Map(); // button → [block, row, column]
    this.blocks = [];
    let i = 0;
    sections.forEach((section, b) => {
      const rows = section.rows.map((row, r) =>
        row.seats.map((seat, c) => {
          const el = buttons[i++];
          this.elements.set(seat.id, el);
          this.places.set(el, [b, r, c]);
          return el;
        }),
      );
      this.blocks.push(rows);
      // One tab stop per block: its first available seat, else its first seat.
      const all = section.rows.flatMap((row) => row.seats);
      const first = all.find((seat) => this.hooks.status(seat) === "available") || all[0];
      if (first) this.elements.get(first.id).tabIndex = 0;
    });
  }

  /**
   * Size seats so the widest row fits the container: 10 to 30 px. Seats that small have an
   * equivalent, full-size control in the list view. Returns whether rows still overflow (then
   * the grid scrolls sideways).
   */
  fit(sections) {
    const widest = Math.max(1, ...sections.flatMap((s) => s.rows.map((row) => row.seats.length)));
    const width = this.container.clientWidth || 600;
    const room = Math.floor((width - 52) / widest);
    const gap = room >= 22 ? 3 : 2;
    const size = Math.max(10, Math.min(30, room - gap));
    this.container.style.setProperty("--seat", `${size}px`);
    this.container.style.setProperty("--gap", `${gap}px`);
    const rowWidth = widest * (size + gap) + 48;
    this.container.style.setProperty("--row-w", `${rowWidth}px`);
    return rowWidth > width;
  }

  /** Re-apply the status (class, state, name) of the given seats, if rendered. */
  patch(seats) {
    for (const seat of seats) {
      const el = this.elements.get(seat.id);
      if (!el) continue;
      const status = this.hooks.status(seat);
      el.className = `seat st-${status} p${this.hooks.slot(seat)}${seat.accessible ? " acc" : ""}`;
      if (status === "available" || status === "selected") {
        el.setAttribute("aria-pressed", String(status === "selected"));
        el.removeAttribute("aria-disabled");
      } else {
        el.removeAttribute("aria-pressed");
        el.setAttribute("aria-disabled", "true");
      }
      el.setAttribute("aria-label", this.hooks.label(seat));
    }
  }

  rove(el) {
    const place = this.places.get(el);
    if (!place) return;
    const block = this.container.querySelectorAll(".seat-block")[place[0]];
    const current = block && block.querySelector('button.seat[tabindex="0"]');
    if (current && current !== el) current.tabIndex = -1;
    el.tabIndex = 0;
  }

  /** Focus the block's tab stop (after choosing a section with the keyboard). */
  focusFirst() {
    const el = this.container.querySelector('button.seat[tabindex="0"]');
    if (el) el.focus();
  }

  keydown(event) {
    const el = event.target.closest("button.seat");
    if (!el || !NAV_KEYS.has(event.key) || event.altKey || event.metaKey) return;
    const place = this.places.get(el);
    if (!place) return;
    const rows = this.blocks[place[0]];
    let [, r, c] = place;
    const last = rows.length - 1;
    switch (event.key) {
      case "ArrowLeft":
        c -= 1;
        break;
      case "ArrowRight":
        c += 1;
        break;
      case "ArrowUp":
        r -= 1;
        break;
      case "ArrowDown":
        r += 1;
        break;
      case "Home":
        if (event.ctrlKey) r = 0;
        c = 0;
        break;
      case "End":
        if (event.ctrlKey) r = last;
        c = Infinity;
        break;
      case "PageUp":
        r -= 5;
        break;
      case "PageDown":
        r += 5;
        break;
      default:
        return;
    }
    event.preventDefault();
    r = Math.max(0, Math.min(last, r));
    const row = rows[r];
    // Rows may differ in length: keep the same position from the left, clamped.
    const target = row[Math.max(0, Math.min(row.length - 1, c))];
    if (target && target !== el) {
      this.rove(target);
      target.focus();
    }
  }
}
