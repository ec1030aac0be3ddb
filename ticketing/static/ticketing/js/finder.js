// "Find seats": the first thing on the event page. Best available (how many, at what price,
// together or not) and the filters that highlight matching sections and seats: a price
// category, and wheelchair spaces.
//
// Each price category is one chip that says its price and how many seats are left at it, so
// the overview answers "what does it cost and is there any left" before a section is opened.
// The chips are toggle buttons (aria-pressed); the filter they set is the category best
// available asks for too, so what is highlighted is what "Find seats" takes.

import { categoryName, h, money, number, plural } from "./ui.js";

export class SeatFinder {
  /**
   * @param {HTMLElement} container
   * @param {{onFilter: (filter: {category: string|null, accessible: boolean}) => void,
   *          onFind: (request: {count: number, category?: string, together: boolean}) => void}} hooks
   */
  constructor(container, hooks) {
    this.container = container;
    this.hooks = hooks;
    this.filter = { category: null, accessible: false };
    this.count = 2;
    this.together = true;
    this.onClick = (event) => {
      const chip = event.target.closest("button[data-category]");
      if (chip) {
        const category = chip.dataset.category || null;
        this.filter = { ...this.filter, category: this.filter.category === category ? null : category };
        this.sync();
        hooks.onFilter(this.filter);
      } else if (event.target.closest("button[data-accessible]")) {
        this.filter = { ...this.filter, accessible: !this.filter.accessible };
        this.sync();
        hooks.onFilter(this.filter);
      }
    };
    this.onSubmit = (event) => {
      event.preventDefault();
      const form = event.target;
      this.count = Number(form.elements.count.value);
      this.together = form.elements.together.checked;
      const request = { count: this.count, together: this.together };
      if (this.filter.category) request.category = this.filter.category;
      hooks.onFind(request);
    };
    container.addEventListener("click", this.onClick);
    container.addEventListener("submit", this.onSubmit);
  }

  destroy() {
    this.container.removeEventListener("click", this.onClick);
    this.container.removeEventListener("submit", this.onSubmit);
    this.container.replaceChildren();
  }

  /**
   * @param {{categories: [string, string, number, number][], accessibleLeft: number,
   *          accessibleTotal: number, room: number, onSale: boolean, busy: boolean,
   *          loggedIn: boolean}} view
   *   categories: [category, price, palette slot, seats left], dearest first
   */
  render(view) {
    if (this.view && this.view.categories.length === view.categories.length) {
      this.update(view); // a live change: keep the form (and the focus in it) as it is
      return;
    }
    this.view = view;
    const max = Math.max(1, view.room);
    this.count = Math.min(this.count, max);
    const chips = view.categories.map(([category, price, slot, left]) =>
      h(
        "li",
        {},
        h(
          "button",
          { type: "button", class: "chip", "data-category": category, disabled: left === 0 },
          h("span", { class: `seat seat-key st-available p${slot}`, "aria-hidden": "true" }),
          h("span", { class: "chip-name" }, categoryName(category), " ", h("strong", {}, money(price))),
          h("span", { class: "chip-left" }, left === 0 ? "sold out" : `${number(left)} left`),
        ),
      ),
    );
    // A hall with no wheelchair space has no such filter.
    chips.push(
      h(
        "li",
        { hidden: !view.accessibleTotal },
        h(
          "button",
          { type: "button", class: "chip", "data-accessible": "1", disabled: view.accessibleLeft === 0 },
          h("span", { class: "seat seat-key st-available acc p0", "aria-hidden": "true" }),
          h("span", { class: "chip-name" }, "Wheelchair spaces"),
          h("span", { class: "chip-left" }, `${number(view.accessibleLeft)} left`),
        ),
      ),
    );
    const options = Array.from({ length: max }, (_, i) =>
      h("option", { value: String(i + 1), selected: i + 1 === this.count }, plural(i + 1, "seat")),
    );
    const canBuy = view.onSale && view.room > 0;
    this.container.replaceChildren(
      h("h2", { id: "finder-title" }, "Find seats"),
      h(
        "form",
        { class: "finder-best", "aria-label": "Best available" },
        h(
          "div",
          { class: "field finder-count" },
          h("label", { for: "best-count" }, "How many seats"),
          h("select", { id: "best-count", name: "count", disabled: !canBuy }, options),
        ),
        h(
          "label",
          { class: "finder-together" },
          h("input", { type: "checkbox", name: "together", checked: this.together, disabled: !canBuy }),
          " Side by side",
        ),
        h(
          "button",
          { type: "submit", class: "btn btn-primary", "data-key": "best", disabled: !canBuy || view.busy },
          view.busy ? "Finding…" : "Best available",
        ),
      ),
      h("p", { class: "muted finder-note", id: "finder-note" }),
      h(
        "div",
        { class: "finder-prices" },
        h("p", { class: "finder-label", id: "finder-prices" }, "Prices · tap one to show and find only those"),
        h("ul", { class: "chips", "aria-labelledby": "finder-prices" }, chips),
      ),
    );
    this.sync();
  }

  /** New counts, room and state without rebuilding the form. */
  update(view) {
    this.view = view;
    const lefts = new Map(view.categories.map(([category, , , left]) => [category, left]));
    for (const chip of this.container.querySelectorAll("button[data-category]")) {
      const left = lefts.get(chip.dataset.category) ?? 0;
      chip.disabled = left === 0;
      chip.querySelector(".chip-left").textContent = left === 0 ? "sold out" : `${number(left)} left`;
    }
    const accessible = this.container.querySelector("button[data-accessible]");
    accessible.parentElement.hidden = !view.accessibleTotal;
    accessible.disabled = view.accessibleLeft === 0;
    accessible.querySelector(".chip-left").textContent = `${number(view.accessibleLeft)} left`;
    const canBuy = view.onSale && view.room > 0;
    const select = this.container.querySelector("#best-count");
    const max = Math.max(1, view.room);
    if (select.options.length !== max) {
      this.count = Math.min(Number(select.value), max);
      select.replaceChildren(
        ...Array.from({ length: max }, (_, i) =>
          h("option", { value: String(i + 1), selected: i + 1 === this.count }, plural(i + 1, "seat")),
        ),
      );
    }
    select.disabled = !canBuy;
    this.container.querySelector('input[name="together"]').disabled = !canBuy;
    const submit = this.container.querySelector('button[type="submit"]');
    submit.disabled = !canBuy || view.busy;
    submit.textContent = view.busy ? "Finding…" : "Best available";
    this.sync();
  }

  /** Reflect the filter in the chips and say what best available will look for. */
  sync() {
    for (const chip of this.container.querySelectorAll("button[data-category]"))
      chip.setAttribute("aria-pressed", String(chip.dataset.category === this.filter.category));
    const accessible = this.container.querySelector("button[data-accessible]");
    if (accessible) accessible.setAttribute("aria-pressed", String(this.filter.accessible));
    const note = this.container.querySelector("#finder-note");
    if (!note || !this.view) return;
    const where = this.filter.category ? `${categoryName(this.filter.category)} seats` : "seats at any price";
    const wheelchair = this.filter.accessible
      ? " It does not look for wheelchair spaces: pick the highlighted ones on the map."
      : "";
    note.textContent = this.view.onSale
      ? `Best available takes the best ${where} left (nearest the court or screen, then the middle) and holds them for you.${wheelchair}`
      : "This event is not on sale.";
  }
}
