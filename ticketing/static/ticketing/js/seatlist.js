// The list view of the seats: section → row → seat, with native selects and checkboxes.
//
// The same choices as the seat map, in a form that screen readers and small phones handle
// well: each seat is a full-size checkbox with its price and status in words.

import { h, number } from "./ui.js";

function availableIn(seats) {
  return seats.reduce((n, seat) => n + (seat.status === "available" ? 1 : 0), 0);
}

export class SeatList {
  /**
   * @param {HTMLElement} container
   * @param {import("./inventory.js").SeatInventory} inventory
   * @param {{status: (seat) => string, slot: (seat) => number, detail: (seat) => string,
   *          onToggle: (seat) => void}} hooks
   */
  constructor(container, inventory, hooks) {
    this.container = container;
    this.inventory = inventory;
    this.hooks = hooks;
    this.sectionName = null;
    this.rowIndex = 0;
    this.onChange = (event) => {
      const target = event.target;
      if (target.id === "list-section") {
        this.sectionName = target.value;
        this.rowIndex = 0;
        this.render();
        this.container.querySelector("#list-section").focus();
      } else if (target.id === "list-row") {
        this.rowIndex = Number(target.value);
        this.renderSeats();
      } else if (target.dataset.id) {
        hooks.onToggle(inventory.get(Number(target.dataset.id)));
      }
    };
    container.addEventListener("change", this.onChange);
  }

  destroy() {
    this.container.removeEventListener("change", this.onChange);
    this.container.replaceChildren();
  }

  /** Show a section (by name; the current one, or the first, if not given). */
  render(sectionName = this.sectionName) {
    const sections = this.inventory.sections;
    const section = this.inventory.section(sectionName) || sections[0];
    this.sectionName = section.name;
    this.rowIndex = Math.min(this.rowIndex, section.rows.length - 1);
    const sectionSelect = h(
      "select",
      { id: "list-section" },
      sections.map((s) => h("option", { value: s.name, selected: s === section })),
    );
    const rowSelect = h(
      "select",
      { id: "list-row" },
      section.rows.map((row, i) => h("option", { value: String(i), selected: i === this.rowIndex })),
    );
    this.container.replaceChildren(
      h(
        "div",
        { class: "list-pickers" },
        h("div", { class: "field" }, h("label", { for: "list-section" }, "Section"), sectionSelect),
        h("div", { class: "field" }, h("label", { for: "list-row" }, "Row"), rowSelect),
      ),
      h("fieldset", { class: "list-seats" }, h("legend", {}), h("ul", {})),
    );
    this.update();
  }

  /** Refresh counts and the seats of the shown row (after a live update or a selection). */
  update() {
    const sectionSelect = this.container.querySelector("#list-section");
    if (!sectionSelect) return;
    for (const option of sectionSelect.options) {
      const s = this.inventory.section(option.value);
      option.textContent = `${s.name} — ${s.counts.available ? `${number(s.counts.available)} available` : "sold out"}`;
    }
    const section = this.inventory.section(this.sectionName);
    const rowSelect = this.container.querySelector("#list-row");
    section.rows.forEach((row, i) => {
      const free = availableIn(row.seats);
      rowSelect.options[i].textContent = `Row ${row.label} — ${free ? `${free} available` : "full"}`;
    });
    this.renderSeats();
  }

  renderSeats() {
    const fieldset = this.container.querySelector(".list-seats");
    const section = this.inventory.section(this.sectionName);
    const row = section.rows[this.rowIndex];
    const focusedId = this.container.contains(document.activeElement)
      ? document.activeElement.dataset.id
      : null;
    fieldset.querySelector("legend").textContent = `${section.name}, row ${row.label}`;
    fieldset.querySelector("ul").replaceChildren(
      ...row.seats.map((seat) => {
        const status = this.hooks.status(seat);
        const id = `ls-${seat.id}`;
        return h(
          "li",
          { class: "list-seat" },
          h("input", {
            type: "checkbox",
            id,
            "data-id": String(seat.id),
            checked: status === "selected" || status === "mine",
            disabled: status !== "available" && status !== "selected",
          }),
          h(
            "label",
            { for: id },
            h("span", {
              class: `seat seat-key st-${status} p${this.hooks.slot(seat)}`,
              "aria-hidden": "true",
            }),
            `Seat ${seat.number}`,
            h("span", { class: "muted" }, ` · ${this.hooks.detail(seat)}`),
          ),
        );
      }),
    );
    if (focusedId) this.container.querySelector(`input[data-id="${focusedId}"]`)?.focus();
  }
}
