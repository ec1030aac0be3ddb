// Live seat map: conditional polling with the map's ETag.
//
// Every `pollMs` the map is asked for with If-None-Match: an unchanged map is a 304 with no
// body. Polling stops while the tab is hidden (document.visibilityState) and starts again,
// at once, when it is shown.

import { ApiError, api } from "./api.js";

export class LiveSeatMap {
  /**
   * @param {number} eventId
   * @param {{pollMs: number, onMap: (payload) => void, onState: (state: "live"|"offline") => void}} options
   */
  constructor(eventId, { pollMs, onMap, onState }) {
    this.url = `/events/${eventId}/seats/`;
    this.pollMs = pollMs;
    this.onMap = onMap;
    this.onState = onState;
    this.etag = null;
    this.inflight = null;
    this.timer = null;
    this.stopped = false;
    this.offline = false;
    this.generation = 0; // bumped by our own writes: maps asked for before one are stale
    this.abort = new AbortController();
    this.onVisibility = () => {
      if (document.visibilityState === "visible") this.poll();
      else this.cancelTimer();
    };
    document.addEventListener("visibilitychange", this.onVisibility);
  }

  /** Fetch the map once; resolves when it has been handed to onMap (or was unchanged). */
  async load() {
    const generation = this.generation;
    const headers = this.etag ? { "If-None-Match": this.etag } : {};
    const response = await api(this.url, { raw: true, headers, signal: this.abort.signal });
    if (response.status === 304) return;
    if (!response.ok)
      throw new ApiError(response.status, await response.json().catch(() => null), response.headers);
    const payload = await response.json();
    // Asked for before one of our own writes landed: it could undo what the page just showed.
    if (generation !== this.generation) return;
    this.etag = response.headers.get("ETag");
    this.onMap(payload);
  }

  /** The page's first load: rejects if it fails; polls started meanwhile wait for it. */
  first() {
    const loading = this.load();
    const settled = loading
      .catch(() => {})
      .finally(() => {
        if (this.inflight === settled) this.inflight = null;
      });
    this.inflight = settled;
    return loading;
  }

  /** Fetch now, coalesced with a request already in flight. Never rejects. */
  refresh() {
    if (!this.inflight) {
      this.inflight = this.load()
        .then(() => {
          this.offline = false;
          this.onState("live");
        })
        .catch((error) => {
          if (error.name === "AbortError") return;
          this.offline = true;
          this.onState("offline");
        })
        .finally(() => {
          this.inflight = null;
        });
    }
    return this.inflight;
  }

  /** After a write of ours (hold, book, release...): drop older answers and fetch afresh. */
  async refreshAfterWrite() {
    this.generation += 1;
    if (this.inflight) await this.inflight;
    return this.refresh();
  }

  /** Forget the ETag (the viewer changed: the `mine` flags differ) and fetch again. */
  reset() {
    this.etag = null;
    this.generation += 1; // a map asked for as the previous viewer has their "mine" flags
    return this.refresh();
  }

  start() {
    this.schedule();
  }

  async poll() {
    this.cancelTimer();
    if (this.stopped || document.visibilityState !== "visible") return;
    await this.refresh();
    this.schedule();
  }

  schedule() {
    this.cancelTimer();
    if (!this.stopped && document.visibilityState === "visible") {
      // While the server is unreachable, ask three times less often.
      this.timer = setTimeout(() => this.poll(), this.offline ? this.pollMs * 3 : this.pollMs);
    }
  }

  cancelTimer() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  stop() {
    this.stopped = true;
    this.cancelTimer();
    this.abort.abort();
    document.removeEventListener("visibilitychange", this.onVisibility);
  }
}
