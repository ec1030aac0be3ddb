// The seat grid: renders one or more sections as rows of seat buttons.
//
// Built for stadium scale: a section (up to a few thousand seats) is rendered in one
// innerHTML assignment, listeners are delegated to the container (four of them, whatever the
// number of seats), and live updates patch only the seats that changed. Each block is one tab
// stop (roving tabindex); arrow keys move between seats, Space or Enter selects.
//
// Zoom and pan: the grid is its own scrolling viewport, so a wide section pans inside it and
// never scrolls the page sideways. Zoom changes the seat size (10 to 44 px) around the
// viewport's centre: buttons (zoomBy / zoomFit), "+", "-" and "0" on the keyboard, Ctrl+wheel
// (a trackpad pinch), and a two-finger pinch on a touch screen. `minSeat` sets the smallest
// size a section opens at: 24 px on a phone, so every seat is a target a thumb can hit.

import { esc } from "./ui.js";

export const SEAT_MIN = 10;
export const SEAT_MAX = 44;

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
    this.size = 0; // the seat size shown, px
    this.fitSize = 0; // the size at which the widest row fits the viewport
    this.onWheel = (event) => {
      if (!event.ctrlKey || !this.size) return; // a plain wheel pans (scrolls)
      event.preventDefault();
      this.zoomTo(this.size * Math.exp(-event.deltaY / 300));
    };
    this.pointers = new Map();
    this.onPointerDown = (event) => {
      if (event.pointerType !== "touch") return;
      this.pointers.set(event.pointerId, [event.clientX, event.clientY]);
      if (this.pointers.size === 2) this.pinch = { distance: this.spread(), size: this.size };
    };
    this.onPointerMove = (event) => {
      if (!this.pointers.has(event.pointerId)) return;
      this.pointers.set(event.pointerId, [event.clientX, event.clientY]);
      if (this.pinch && this.pointers.size === 2 && this.pinch.distance > 0)
        this.zoomTo((this.pinch.size * this.spread()) / this.pinch.distance);
    };
    this.onPointerUp = (event) => {
      this.pointers.delete(event.pointerId);
      if (this.pointers.size < 2) this.pinch = null;
    };
    this.onScroll = () => this.hooks.onView?.(this.view());
    container.addEventListener("scroll", this.onScroll, { passive: true });
    container.addEventListener("wheel", this.onWheel, { passive: false });
    container.addEventListener("pointerdown", this.onPointerDown);
    container.addEventListener("pointermove", this.onPointerMove);
    container.addEventListener("pointerup", this.onPointerUp);
    container.addEventListener("pointercancel", this.onPointerUp);
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
    this.container.removeEventListener("scroll", this.onScroll);
    this.container.removeEventListener("wheel", this.onWheel);
    this.container.removeEventListener("pointerdown", this.onPointerDown);
    this.container.removeEventListener("pointermove", this.onPointerMove);
    this.container.removeEventListener("pointerup", this.onPointerUp);
    this.container.removeEventListener("pointercancel", this.onPointerUp);
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

  /**
   * Where the layout places a section's seats (x on the hall's plan), the room before each one,
   * in seats: a row that starts further along, an aisle. Null when its seats are not placed.
   */
  static spacing(section) {
    const seats = section.rows.flatMap((row) => row.seats);
    if (!seats.length || !seats.every((seat) => typeof seat.x === "number")) return null;
    let pitch = Infinity;
    for (const row of section.rows)
      for (let i = 1; i < row.seats.length; i++) {
        const dx = row.seats[i].x - row.seats[i - 1].x;
        if (dx > 0 && dx < pitch) pitch = dx;
      }
    if (!Number.isFinite(pitch)) pitch = 1;
    const left = Math.min(...seats.map((seat) => seat.x));
    const before = new Map();
    let width = 1;
    for (const row of section.rows) {
      let previous = null;
      for (const seat of row.seats) {
        const room = previous === null ? (seat.x - left) / pitch : (seat.x - previous) / pitch - 1;
        if (room > 0.05) before.set(seat.id, Math.round(room * 100) / 100);
        previous = seat.x;
      }
      if (previous !== null) width = Math.max(width, (previous - left) / pitch + 1);
    }
    return { before, width: Math.ceil(width) };
  }

  /** Render sections: [{name, rows: [{label, seats: [...]}]}]. `front` labels the stage side. */
  render(sections, { front = "", headings = false, minSeat = SEAT_MIN } = {}) {
    const spacings = sections.map((section) => SeatGrid.spacing(section));
    this.fit(sections, minSeat, spacings); // sizes first, so the new seats are laid out once
    const parts = [];
    sections.forEach((section, b) => {
      parts.push(
        `<div class="seat-block${spacings[b] ? " is-placed" : ""}" role="group" aria-label="Seats in ${esc(section.name)}" data-b="${b}">`,
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
      // Placed seats: the room before each, in seats (CSSOM: the CSP allows no style attribute).
      for (const [id, room] of spacings[b]?.before || []) this.elements.get(id).style.setProperty("--before", room);
      // One tab stop per block: its first available seat, else its first seat.
      const all = section.rows.flatMap((row) => row.seats);
      const first = all.find((seat) => this.hooks.status(seat) === "available") || all[0];
      if (first) this.elements.get(first.id).tabIndex = 0;
    });
    // The middle of the front rows first: that is where the best seats are.
    this.container.scrollTop = 0;
    this.container.scrollLeft = (this.container.scrollWidth - this.container.clientWidth) / 2;
    this.hooks.onView?.(this.view());
  }

  /** Size seats so the widest row fits the viewport (10 to 30 px), but never below `minSeat`. */
  fit(sections, minSeat, spacings = []) {
    this.widest = Math.max(
      1,
      ...sections.map((s, b) => spacings[b]?.width ?? Math.max(0, ...s.rows.map((row) => row.seats.length))),
    );
    const width = this.container.clientWidth || 600;
    const room = Math.floor((width - 52) / this.widest);
    this.fitSize = Math.max(SEAT_MIN, Math.min(30, room - (room >= 22 ? 3 : 2)));
    this.setSize(Math.max(minSeat, this.fitSize));
  }

  setSize(size) {
    this.size = Math.round(Math.max(SEAT_MIN, Math.min(SEAT_MAX, size)));
    const gap = this.size >= 20 ? 3 : 2;
    this.container.style.setProperty("--seat", `${this.size}px`);
    this.container.style.setProperty("--gap", `${gap}px`);
    this.container.style.setProperty("--row-w", `${this.widest * (this.size + gap) + 48}px`);
    this.container.dataset.seat = String(this.size);
  }

  /** The part of the section in view, as fractions of its width and height: {x, y, w, h}. */
  view() {
    const box = this.container;
    const width = Math.max(1, box.scrollWidth);
    const height = Math.max(1, box.scrollHeight);
    return {
      x: box.scrollLeft / width,
      y: box.scrollTop / height,
      w: Math.min(1, box.clientWidth / width),
      h: Math.min(1, box.clientHeight / height),
    };
  }

  /** Pan so that the point at fractions (fx, fy) of the section is in the viewport's centre. */
  panTo(fx, fy) {
    const box = this.container;
    box.scrollLeft = fx * box.scrollWidth - box.clientWidth / 2;
    box.scrollTop = fy * box.scrollHeight - box.clientHeight / 2;
  }

  /** Whether rows are wider than the viewport (then the grid pans sideways). */
  get overflows() {
    return this.container.scrollWidth > this.container.clientWidth + 1;
  }

  /**
   * Zoom to a seat size around an anchor that stays where it is on screen: the seat in focus,
   * else the last selected seat in view, else the viewport's centre.
   */
  zoomTo(size) {
    const box = this.container;
    const frame = box.getBoundingClientRect();
    const anchor = this.anchor(frame);
    const before = this.size;
    let fx, fy, px, py; // the anchor as a fraction of the content, and where it is in the viewport
    if (anchor) {
      const rect = anchor.getBoundingClientRect();
      px = rect.left + rect.width / 2 - frame.left;
      py = rect.top + rect.height / 2 - frame.top;
      fx = (box.scrollLeft + px) / Math.max(1, box.scrollWidth);
      fy = (box.scrollTop + py) / Math.max(1, box.scrollHeight);
    } else {
      [px, py] = [box.clientWidth / 2, box.clientHeight / 2];
      fx = (box.scrollLeft + px) / Math.max(1, box.scrollWidth);
      fy = (box.scrollTop + py) / Math.max(1, box.scrollHeight);
    }
    this.setSize(size);
    if (this.size === before) return;
    box.scrollLeft = fx * box.scrollWidth - px;
    box.scrollTop = fy * box.scrollHeight - py;
    this.hooks.onView?.(this.view());
  }

  anchor(frame) {
    const focused = document.activeElement;
    if (focused?.matches?.("button.seat") && this.container.contains(focused)) return focused;
    const inView = (el) => {
      const r = el.getBoundingClientRect();
      return r.right > frame.left && r.left < frame.right && r.bottom > frame.top && r.top < frame.bottom;
    };
    const selected = [...this.container.querySelectorAll("button.seat.st-selected")].filter(inView);
    return selected.at(-1) || null;
  }

  zoomBy(factor) {
    this.zoomTo(this.size * factor);
  }

  /** The whole width of the section in view (as small as 10 px seats allow). */
  zoomFit() {
    this.zoomTo(this.fitSize);
  }

  spread() {
    const [[ax, ay], [bx, by]] = [...this.pointers.values()];
    return Math.hypot(ax - bx, ay - by);
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
    if (!event.ctrlKey && !event.altKey && !event.metaKey) {
      const zoom = { "+": 1.25, "=": 1.25, "-": 0.8, _: 0.8 }[event.key];
      if (zoom || event.key === "0") {
        event.preventDefault();
        if (zoom) this.zoomBy(zoom);
        else this.zoomFit();
        return;
      }
    }
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
