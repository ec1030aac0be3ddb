// The seat map of one event as the client keeps it: sections → rows → seats, with counts.
//
// Seat objects are created once and then updated in place, so views can keep references to
// them; a fresh map from the API reports only the seats that changed.

export class SeatInventory {
  constructor() {
    this.sections = []; // [{id, name, rows: [{label, seats}], total, minPrice, counts}]
    this.sectionByName = new Map();
    this.seats = new Map(); // event-seat id → seat
    this.left = {}; // category → available seats, the whole event
    this.accessibleLeft = 0;
    this.accessibleTotal = 0; // wheelchair spaces, whatever their status (0: the hall has none)
    this.partial = false; // only a summary so far: sections without their seats
  }

  /**
   * Take the map's summary (GET .../seats/summary/) before the seats: sections with their counts
   * and no rows, so an overview and best available work while the whole map is still loading.
   * `partial` stays true until a whole map is applied.
   */
  applySummary(summary) {
    this.partial = true;
    this.sections = summary.sections.map((s) => ({
      id: s.id,
      name: s.name,
      rows: [],
      rowIndex: new Map(),
      total: s.total,
      minPrice: null,
      counts: { available: s.available, held: s.held, booked: s.booked, blocked: s.blocked },
      left: s.left,
      accessibleLeft: s.accessible_left,
      fromPrice: s.from_price === null ? null : Number(s.from_price),
      box: s.box || null,
    }));
    this.sectionByName = new Map(this.sections.map((section) => [section.name, section]));
    this.left = {};
    this.accessibleLeft = 0;
    for (const section of this.sections) {
      for (const [category, n] of Object.entries(section.left)) this.left[category] = (this.left[category] || 0) + n;
      this.accessibleLeft += section.accessibleLeft;
    }
    this.accessibleTotal = summary.sections.reduce((n, s) => n + (s.accessible_total || 0), 0);
  }

  get size() {
    return this.seats.size;
  }

  get(id) {
    return this.seats.get(id);
  }

  section(name) {
    return this.sectionByName.get(name);
  }

  /** Take a seat map from the API; returns the changed seats, or null after a full rebuild. */
  apply(payload) {
    if (!this.seats.size || payload.seats.length !== this.seats.size) {
      this.build(payload);
      return null;
    }
    const changed = [];
    for (const fresh of payload.seats) {
      const seat = this.seats.get(fresh.id);
      if (!seat) {
        this.build(payload);
        return null;
      }
      const mine = Boolean(fresh.mine);
      if (seat.status !== fresh.status || seat.mine !== mine || seat.price !== fresh.price) {
        seat.status = fresh.status;
        seat.mine = mine;
        seat.price = fresh.price;
        changed.push(seat);
      }
    }
    if (changed.length) this.recount();
    return changed;
  }

  /**
   * Take the changes of a stream message ([{id, status}], each seat's status now); returns the
   * seats that changed. Before the whole map (a summary only) there is nothing to change: the
   * map on its way has them. `mine` is left alone: only a map says whose a seat is.
   */
  applyChanges(changes) {
    if (this.partial) return [];
    const changed = [];
    for (const { id, status } of changes) {
      const seat = this.seats.get(id);
      if (!seat || seat.status === status) continue;
      seat.status = status;
      if (status === "available") seat.mine = false;
      changed.push(seat);
    }
    if (changed.length) this.recount();
    return changed;
  }

  build(payload) {
    this.partial = false;
    this.seats.clear();
    this.sectionByName.clear();
    this.sections = payload.sections.map((s) => ({
      id: s.id,
      name: s.name,
      rows: [],
      rowIndex: new Map(),
      total: 0,
      minPrice: null,
      counts: null,
      box: null, // [min x, min y, max x, max y] of its seats on the hall's plan, if placed
    }));
    for (const section of this.sections) this.sectionByName.set(section.name, section);
    // Seats arrive in map order (section, row, number): remember the last section and row.
    let section = null;
    let row = null;
    let accessible = 0;
    for (const seat of payload.seats) {
      seat.mine = Boolean(seat.mine);
      this.seats.set(seat.id, seat);
      if (!section || section.name !== seat.section) {
        section = this.sectionByName.get(seat.section);
        row = null;
      }
      if (!row || row.label !== seat.row) {
        row = section.rowIndex.get(seat.row);
        if (!row) {
          row = { label: seat.row, seats: [] };
          section.rowIndex.set(seat.row, row);
          section.rows.push(row);
        }
      }
      row.seats.push(seat);
      section.total += 1;
      if (seat.accessible) accessible += 1;
      if (seat.x !== undefined && seat.y !== undefined) {
        const b = section.box;
        section.box = b
          ? [Math.min(b[0], seat.x), Math.min(b[1], seat.y), Math.max(b[2], seat.x), Math.max(b[3], seat.y)]
          : [seat.x, seat.y, seat.x, seat.y];
      }
      if (seat.price !== null) {
        const price = Number(seat.price);
        if (section.minPrice === null || price < section.minPrice) section.minPrice = price;
      }
    }
    this.accessibleTotal = accessible;
    this.recount();
  }

  /**
   * Seat counts, per section and for the event (call after changing seats locally): by status
   * (`counts`), available seats by category (`left`), available wheelchair spaces
   * (`accessibleLeft`), and the lowest price still available (`fromPrice`, null if sold out).
   */
  recount() {
    if (this.partial) return; // a summary's counts stand until the whole map comes
    this.left = {};
    this.accessibleLeft = 0;
    for (const section of this.sections) {
      const counts = { available: 0, held: 0, booked: 0, blocked: 0 };
      const left = {};
      let accessibleLeft = 0;
      let fromPrice = null;
      for (const row of section.rows)
        for (const seat of row.seats) {
          counts[seat.status] += 1;
          if (seat.status !== "available") continue;
          left[seat.category] = (left[seat.category] || 0) + 1;
          if (seat.accessible) accessibleLeft += 1;
          const price = seat.price === null ? null : Number(seat.price);
          if (price !== null && (fromPrice === null || price < fromPrice)) fromPrice = price;
        }
      Object.assign(section, { counts, left, accessibleLeft, fromPrice });
      for (const [category, n] of Object.entries(left)) this.left[category] = (this.left[category] || 0) + n;
      this.accessibleLeft += accessibleLeft;
    }
  }
}
