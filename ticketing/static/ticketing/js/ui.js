// Small DOM and formatting helpers shared by the views.

const body = document.body.dataset;

export const config = {
  maxSeatsPerHold: Number(body.maxSeatsPerHold) || 10,
  maxSeatsPerBuyer: Number(body.maxSeatsPerBuyer) || 10,
  holdSeconds: Number(body.holdSeconds) || 600,
  currency: body.currency || "EUR",
  pollMs: Number(body.pollMs) || 15000,
  stream: body.stream === "1", // the site has the live seat stream (a GRIP proxy in front)
};

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escape text for use inside HTML markup or a quoted attribute. */
export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * Create an element: h("button", {class: "btn", onclick: fn}, "Text", child, ...).
 * Attributes starting with "on" become listeners; `null`/`false` attributes are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const moneyFormat = new Intl.NumberFormat(undefined, { style: "currency", currency: config.currency });

export function money(amount) {
  if (amount === null || amount === undefined || amount === "") return "—";
  return moneyFormat.format(Number(amount));
}

const wholeMoneyFormat = new Intl.NumberFormat(undefined, {
  style: "currency",
  currency: config.currency,
  maximumFractionDigits: 0,
});

/** "€55" for 55.00, "€12.50" otherwise: where room is short (a small section tile). */
export function moneyShort(amount) {
  const value = Number(amount);
  return Number.isInteger(value) ? wholeMoneyFormat.format(value) : money(value);
}

const dateOptions = {
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
};
const dateFormats = new Map(); // one formatter per time zone

/**
 * "Sat 14 Mar 2026, 19:30 CET": the time at the venue (`timeZone`, its IANA name from the API's
 * `venue_time_zone`), labelled with its zone, whatever the browser's own zone. An unknown or
 * missing zone falls back to the browser's, still labelled.
 */
export function when(iso, timeZone) {
  let format = dateFormats.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat(undefined, { ...dateOptions, timeZone });
    } catch {
      format = new Intl.DateTimeFormat(undefined, dateOptions);
    }
    dateFormats.set(timeZone, format);
  }
  return format.format(new Date(iso));
}

export const number = (n) => new Intl.NumberFormat().format(n);

/** "1 seat", "1,250 seats". */
export function plural(n, one, many = `${one}s`) {
  return `${number(n)} ${n === 1 ? one : many}`;
}

/** "North Stand, row A, seat 5": the start of every seat's accessible name. */
export function seatName(seat) {
  return `${seat.section}, row ${seat.row}, seat ${seat.number}`;
}

/** "vip" → "VIP", "standard" → "Standard", "family_zone" → "Family zone". */
export function categoryName(category) {
  if (!category) return "";
  if (category.length <= 3) return category.toUpperCase();
  const words = category.replace(/[_-]+/g, " ");
  return words[0].toUpperCase() + words.slice(1);
}

export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Say something to screen readers without moving focus. */
export function announce(text) {
  const region = document.getElementById("announcer");
  region.textContent = "";
  // A new text node in a separate task makes screen readers read repeats too.
  setTimeout(() => {
    region.textContent = text;
  }, 30);
}

let flashTimer = null;

/**
 * A short page-level message (after log-out, an expired session...): a toast over the page, so
 * nothing on the page moves when it comes or goes. It is read out by the status region it is
 * written into, stays while pointed at or focused, and goes after 6 s or with its close button.
 */
export function flash(text, kind = "info") {
  const box = document.getElementById("flash");
  const live = document.getElementById("flash-text");
  if (!box.dataset.ready) {
    box.dataset.ready = "1";
    const close = h("button", { type: "button", class: "flash-close", "aria-label": "Dismiss message" }, "×");
    close.addEventListener("click", hideFlash);
    box.append(close);
    box.addEventListener("mouseenter", () => clearTimeout(flashTimer));
    box.addEventListener("focusin", () => clearTimeout(flashTimer));
    box.addEventListener("mouseleave", () => {
      if (!box.contains(document.activeElement)) hideFlashLater();
    });
    box.addEventListener("focusout", (event) => {
      if (!box.contains(event.relatedTarget)) hideFlashLater();
    });
  }
  box.className = `flash flash-shown flash-${kind}`;
  live.textContent = text;
  hideFlashLater();
}

function hideFlashLater() {
  clearTimeout(flashTimer);
  flashTimer = setTimeout(hideFlash, 6000);
}

function hideFlash() {
  clearTimeout(flashTimer);
  const box = document.getElementById("flash");
  if (box.contains(document.activeElement)) document.getElementById("main").focus({ preventScroll: true });
  box.className = "flash";
  document.getElementById("flash-text").textContent = "";
}

/** A message box for a view: kind is "error", "warning", "success" or "info". */
export function message(kind, title, text) {
  return h(
    "div",
    { class: `msg msg-${kind}`, role: kind === "error" || kind === "warning" ? "alert" : "status" },
    title ? h("strong", {}, title) : null,
    text ? h("span", {}, " ", text) : null,
  );
}

export function eventTitle(event) {
  return event.name || (event.kind === "match" ? `${event.home_team} vs ${event.away_team}` : event.title);
}

export function priceRange(prices) {
  const amounts = Object.values(prices || {}).map(Number);
  if (!amounts.length) return "Prices to be announced";
  const low = Math.min(...amounts);
  const high = Math.max(...amounts);
  return low === high ? money(low) : `${money(low)} – ${money(high)}`;
}

/** Category → palette slot 0..5, cheapest first, so colours are stable within an event. */
export function categoryPalette(prices) {
  const ordered = Object.entries(prices || {}).sort((a, b) => Number(a[1]) - Number(b[1]));
  const slots = new Map();
  ordered.forEach(([category], index) => slots.set(category, index % 6));
  return slots;
}

export function navigate(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}
