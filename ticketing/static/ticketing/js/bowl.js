// The overview of a stadium or arena: its sections around the court, coloured by availability.
//
// Sections are placed clockwise from the top (four sides), in layout order. Each is a button
// whose name says the section, how many seats are left, and the lowest price; the colour is
// repeated in words ("412 left", "Sold out"), never the only signal.

import { h, money, number } from "./ui.js";

/** How many sections go on each side of the court, clockwise from the top. */
export function bowlSides(count) {
  const top = Math.ceil(count / 4);
  const right = Math.ceil((count - top) / 3);
  const bottom = Math.ceil((count - top - right) / 2);
  return [top, right, bottom, count - top - right - bottom];
}

/** "high" (half or more left), "mid" (a fifth or more), "low", or "none" (sold out). */
export function level(section) {
  const available = section.counts.available;
  if (available === 0) return "none";
  const ratio = available / section.total;
  if (ratio >= 0.5) return "high";
  if (ratio >= 0.2) return "mid";
  return "low";
}

/** "412 of 500 seats available, from €35.00" (or "sold out"). */
export function availabilityText(section) {
  const available = section.counts.available;
  const from = section.minPrice === null ? "" : `, from ${money(section.minPrice)}`;
  const count =
    available === 0 ? "sold out" : `${number(available)} of ${number(section.total)} seats available`;
  return `${count}${from}`;
}

const SIDES = ["top", "right", "bottom", "left"];

export class BowlOverview {
  /** @param {{onChoose: (name: string, byKeyboard: boolean) => void}} hooks */
  constructor(container, hooks) {
    this.container = container;
    this.onClick = (event) => {
      const tile = event.target.closest(".tile");
      // A click with detail 0 came from the keyboard (Enter or Space on the button).
      if (tile) hooks.onChoose(tile.dataset.section, event.detail === 0);
    };
    container.addEventListener("click", this.onClick);
  }

  destroy() {
    this.container.removeEventListener("click", this.onClick);
    this.container.replaceChildren();
  }

  render(sections, current) {
    let index = 0;
    const sides = bowlSides(sections.length).map((count, side) => {
      const tiles = sections
        .slice(index, index + count)
        .map((section) =>
          h(
            "button",
            { type: "button", class: "tile", "data-section": section.name },
            h("span", { class: "tile-name" }, section.name),
            h("span", { class: "tile-count" }),
          ),
        );
      index += count;
      return h("div", { class: `bowl-side bowl-${SIDES[side]}` }, tiles);
    });
    const key = (lvl, text) => [h("span", { class: `lvl lvl-${lvl}`, "aria-hidden": "true" }), ` ${text}  `];
    this.container.replaceChildren(
      h("h2", { class: "bowl-title" }, "Choose a section"),
      h(
        "div",
        { class: "bowl-ring" },
        sides,
        h("div", { class: "court", "aria-hidden": "true" }, h("span", {}, "Court")),
      ),
      h(
        "p",
        { class: "bowl-key muted" },
        key("high", "plenty"),
        key("mid", "filling up"),
        key("low", "last seats"),
        key("none", "sold out"),
      ),
    );
    this.update(sections, current);
  }

  /** Refresh colours, counts and names (after a live update), and mark the current section. */
  update(sections, current) {
    const byName = new Map(sections.map((section) => [section.name, section]));
    for (const tile of this.container.querySelectorAll(".tile")) {
      const section = byName.get(tile.dataset.section);
      const available = section.counts.available;
      tile.className = `tile lvl-${level(section)}${section === current ? " is-current" : ""}`;
      tile.setAttribute("aria-pressed", String(section === current));
      tile.setAttribute("aria-label", `${section.name}: ${availabilityText(section)}`);
      tile.querySelector(".tile-count").textContent =
        available === 0 ? "Sold out" : `${number(available)} left`;
    }
  }
}
