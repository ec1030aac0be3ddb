// The overview of a stadium or arena: its sections around the court, coloured by availability.
//
// Sections are drawn where the layout places them (their seats' x and y on the hall's plan) or,
// when it does not, clockwise from the top (four sides), in layout order. Each is a button
// whose visible text is its name: the section, how many seats are left and the lowest price
// still available. Tiles are coloured by that price (the seats' own category colours, so the
// page has one colour scheme) or, on request, by how full the section is; the colour is always
// repeated in words ("412 left", "Sold out"), never the only signal. A filter (price category,
// wheelchair spaces) pales the sections with no matching seat.

import { categoryName, h, money, moneyShort, number } from "./ui.js";

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
  const from = section.fromPrice === null ? "" : `, from ${money(section.fromPrice)}`;
  const count =
    available === 0 ? "sold out" : `${number(available)} of ${number(section.total)} seats available`;
  return `${count}${from}`;
}

/** Whether a section has an available seat the filter lets through. */
export function matches(section, filter) {
  if (filter.accessible && !section.accessibleLeft) return false;
  if (filter.category && !section.left[filter.category]) return false;
  return section.counts.available > 0;
}

const SIDES = ["top", "right", "bottom", "left"];

/**
 * The court of a placed plan: the free rectangle around the plan's centre, bounded by the
 * nearest sections on each side (the plan's edge where there is none). Its label only, at the
 * centre, when the sections leave no room there.
 */
function court(sections, [x0, y0, width, height]) {
  const cx = x0 + width / 2;
  const cy = y0 + height / 2;
  let [left, top, right, bottom] = [x0, y0, x0 + width, y0 + height];
  for (const { box } of sections) {
    const [bx0, by0, bx1, by1] = [box[0], box[1], box[2] + 1, box[3] + 1];
    const acrossY = by0 <= cy && cy <= by1;
    const acrossX = bx0 <= cx && cx <= bx1;
    if (acrossY && bx1 <= cx) left = Math.max(left, bx1);
    if (acrossY && bx0 >= cx) right = Math.min(right, bx0);
    if (acrossX && by1 <= cy) top = Math.max(top, by1);
    if (acrossX && by0 >= cy) bottom = Math.min(bottom, by0);
  }
  const label = h("span", {}, "Court");
  const el = h("div", { class: "plan-court", "aria-hidden": "true" }, label);
  const margin = 0.04;
  if (right - left > width * 0.1 && bottom - top > height * 0.1) {
    Object.assign(el.style, {
      left: `${((left - x0) / width + margin) * 100}%`,
      top: `${((top - y0) / height + margin) * 100}%`,
      width: `${((right - left) / width - 2 * margin) * 100}%`,
      height: `${((bottom - top) / height - 2 * margin) * 100}%`,
    });
  } else el.classList.add("plan-court-label");
  return el;
}

export class BowlOverview {
  /**
   * @param {{onChoose: (name: string, byKeyboard: boolean) => void,
   *          slot: (category: string) => number, categories: () => [string, string, number][]}} hooks
   */
  constructor(container, hooks) {
    this.container = container;
    this.hooks = hooks;
    this.scheme = sessionStorage.getItem("frontrow.scheme") === "left" ? "left" : "price";
    this.filter = { category: null, accessible: false };
    this.onClick = (event) => {
      const tile = event.target.closest(".tile");
      // A click with detail 0 came from the keyboard (Enter or Space on the button).
      if (tile) hooks.onChoose(tile.dataset.section, event.detail === 0);
      const scheme = event.target.closest("button[data-scheme]");
      if (scheme) {
        this.scheme = scheme.dataset.scheme;
        sessionStorage.setItem("frontrow.scheme", this.scheme);
        this.update(this.sections, this.current);
      }
    };
    container.addEventListener("click", this.onClick);
  }

  destroy() {
    this.container.removeEventListener("click", this.onClick);
    this.container.replaceChildren();
  }

  /** Every section placed on the hall's plan (the layout gave its seats x and y)? */
  static placed(sections) {
    return sections.length > 0 && sections.every((section) => section.box);
  }

  render(sections, current) {
    if (BowlOverview.placed(sections)) {
      this.renderPlan(sections, current);
      return;
    }
    let index = 0;
    const sides = bowlSides(sections.length).map((count, side) => {
      const tiles = sections.slice(index, index + count).map((section) =>
        h(
          "button",
          { type: "button", class: "tile", "data-section": section.name },
          h("span", { class: "tile-name" }, section.name),
          h("span", { class: "tile-count" }),
          h("span", { class: "tile-price" }),
        ),
      );
      index += count;
      return h("div", { class: `bowl-side bowl-${SIDES[side]}` }, tiles);
    });
    this.key = h("ul", { class: "bowl-key", "aria-label": "Colours of the sections" });
    this.container.replaceChildren(
      this.head(),
      h(
        "div",
        { class: "bowl-ring" },
        sides,
        h("div", { class: "court", "aria-hidden": "true" }, h("span", {}, "Court")),
      ),
      this.key,
    );
    this.update(sections, current);
  }

  /**
   * The sections where the layout puts them: each tile covers its seats' box on the plan
   * (scaled to the width of the page), the court's label at the plan's centre.
   */
  renderPlan(sections, current) {
    const [x0, y0, x1, y1] = sections.reduce(
      ([a, b, c, d], { box }) => [Math.min(a, box[0]), Math.min(b, box[1]), Math.max(c, box[2] + 1), Math.max(d, box[3] + 1)],
      [Infinity, Infinity, -Infinity, -Infinity],
    );
    const width = Math.max(1, x1 - x0);
    const height = Math.max(1, y1 - y0);
    const plan = h("div", { class: "bowl-plan" });
    plan.style.aspectRatio = `${width} / ${height}`;
    for (const section of sections) {
      const [bx0, by0, bx1, by1] = section.box;
      const tile = h(
        "button",
        { type: "button", class: "tile tile-placed", "data-section": section.name },
        h("span", { class: "tile-name" }, section.name),
        h("span", { class: "tile-count" }),
        h("span", { class: "tile-price" }),
        // where the tile is too small for the words above (a phone): its price, said by them
        h("span", { class: "tile-short", "aria-hidden": "true" }),
      );
      Object.assign(tile.style, {
        left: `${((bx0 - x0) / width) * 100}%`,
        top: `${((by0 - y0) / height) * 100}%`,
        width: `${((bx1 + 1 - bx0) / width) * 100}%`,
        height: `${((by1 + 1 - by0) / height) * 100}%`,
      });
      plan.append(tile);
    }
    plan.append(court(sections, [x0, y0, width, height]));
    this.key = h("ul", { class: "bowl-key", "aria-label": "Colours of the sections" });
    this.container.replaceChildren(this.head(), plan, this.key);
    this.update(sections, current);
  }

  head() {
    return h(
      "div",
      { class: "bowl-head" },
      h("h2", { class: "bowl-title" }, "Choose a section"),
      h(
        "div",
        { class: "segmented segmented-small", role: "group", "aria-label": "Colour sections by" },
        h("button", { type: "button", class: "segment", "data-scheme": "price" }, "Price"),
        h("button", { type: "button", class: "segment", "data-scheme": "left" }, "Seats left"),
      ),
    );
  }

  setFilter(filter) {
    this.filter = filter;
    if (this.sections) this.update(this.sections, this.current);
  }

  /** Refresh colours, counts and prices (after a live update), and mark the current section. */
  update(sections, current) {
    this.sections = sections;
    this.current = current;
    const byName = new Map(sections.map((section) => [section.name, section]));
    const filtering = this.filter.category || this.filter.accessible;
    for (const tile of this.container.querySelectorAll(".tile")) {
      const section = byName.get(tile.dataset.section);
      const available = section.counts.available;
      const colour =
        available === 0
          ? "lvl-none"
          : this.scheme === "left"
            ? `lvl-${level(section)}`
            : `p${this.cheapestSlot(section)}`;
      const dim = filtering && available > 0 && !matches(section, this.filter);
      const placed = tile.classList.contains("tile-placed") ? " tile-placed" : "";
      tile.className = `tile${placed} ${colour}${dim ? " is-dim" : ""}${section === current ? " is-current" : ""}`;
      tile.setAttribute("aria-pressed", String(section === current));
      const [count, price] = this.words(section);
      tile.querySelector(".tile-count").textContent = count;
      tile.querySelector(".tile-price").textContent = price;
      const short = tile.querySelector(".tile-short");
      if (short) short.textContent = this.shortPrice(section);
      // The visible words are the name (axe: label-content-name-mismatch); a filtered-out
      // section says so in words too, not only by its colour.
      tile.title = dim ? "No seats here match the filter" : "";
    }
    for (const button of this.container.querySelectorAll("button[data-scheme]"))
      button.setAttribute("aria-pressed", String(button.dataset.scheme === this.scheme));
    this.renderKey();
  }

  /** A tile's count and price, of the seats the filter lets through when there is one. */
  /** The price a tile shows: of the filtered category if any (null if none left), else the lowest. */
  shownPrice(section) {
    const { category } = this.filter;
    if (!category) return section.fromPrice;
    const [, price] = this.hooks.categories().find(([c]) => c === category) || [];
    return section.left[category] && price ? price : null;
  }

  words(section) {
    if (section.counts.available === 0) return ["Sold out", ""];
    const { category, accessible } = this.filter;
    if (accessible) return [`${number(section.accessibleLeft)} wheelchair left`, ""];
    const price = this.shownPrice(section);
    if (category) {
      const left = section.left[category] || 0;
      return [`${number(left)} ${categoryName(category)} left`, price === null ? "" : money(price)];
    }
    return [`${number(section.counts.available)} left`, price === null ? "" : `from ${money(price)}`];
  }

  shortPrice(section) {
    if (section.counts.available === 0) return "Sold out";
    const price = this.shownPrice(section);
    return price === null ? (this.filter.category ? "–" : "") : moneyShort(price);
  }

  cheapestSlot(section) {
    let best = null;
    for (const [category] of Object.entries(section.left)) {
      const slot = this.hooks.slot(category);
      if (best === null || slot < best) best = slot;
    }
    return best ?? 0;
  }

  /** One colour scheme at a time, explained. */
  renderKey() {
    const item = (cls, text) => h("li", {}, h("span", { class: `lvl ${cls}`, "aria-hidden": "true" }), text);
    const items =
      this.scheme === "left"
        ? [
            item("lvl-high", "Plenty left"),
            item("lvl-mid", "Filling up"),
            item("lvl-low", "Last seats"),
            item("lvl-none", "Sold out"),
          ]
        : [
            ...this.hooks
              .categories()
              .map(([category, price, slot]) => item(`p${slot}`, `${categoryName(category)} · ${money(price)}`)),
            item("lvl-none", "Sold out"),
          ];
    if (this.scheme !== "left")
      items.splice(items.length - 1, 0, h("li", { class: "muted" }, "(the cheapest seats left in each)"));
    this.key.replaceChildren(...items);
  }
}
