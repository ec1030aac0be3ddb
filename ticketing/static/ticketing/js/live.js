// Live seat map: changes pushed over the seat stream, with ETag polling as the fallback.
//
// Where the site has a stream (SPEC §8: Server-Sent Events held by Pushpin; the page says so in
// `data-stream`), the page subscribes to GET /events/{id}/seats/stream/ and applies each
// message's changes (`onChanges`). Messages are numbered: a number already seen is ignored, a
// gap or a `reset` message re-reads the map with If-None-Match. The first message says where
// the stream stands; the map is then asked for once more, so nothing between the first load
// and the subscription is missed. Messages that arrive while a map is on its way are applied
// again after it, so an older map never undoes a newer change.
//
// Without a stream (the SQLite demo), or while it is down, the map is polled every `pollMs`
// (15 s by default; 1 s in the test suite) with If-None-Match: an unchanged map is a 304 with
// no body. Nothing runs while the tab is hidden (document.visibilityState): the stream is
// closed, polling stops, and both start again, at once, when it is shown.

import { ApiError, api } from "./api.js";

export class LiveSeatMap {
  /**
   * @param {number} eventId
   * @param {{pollMs: number, stream: boolean, onMap: (payload) => void,
   *          onChanges: (changes: {id: number, status: string}[]) => void,
   *          onState: (state: "live"|"offline") => void}} options
   */
  constructor(eventId, { pollMs, stream, onMap, onChanges, onState }) {
    this.url = `/events/${eventId}/seats/`;
    this.streamUrl = stream && typeof EventSource === "function" ? `/api/v1/events/${eventId}/seats/stream/` : null;
    this.pollMs = pollMs;
    this.onMap = onMap;
    this.onChanges = onChanges;
    this.onState = onState;
    this.etag = null;
    this.inflight = null;
    this.timer = null;
    this.stopped = false;
    this.started = false;
    this.offline = false;
    this.generation = 0; // bumped by our own writes: maps asked for before one are stale
    this.abort = new AbortController();
    this.source = null; // the EventSource while subscribed
    this.streaming = false; // the stream is open: no polling
    this.seq = null; // the last message number applied
    this.during = null; // messages received while a map is on its way, applied again after it
    this.onVisibility = () => {
      if (document.visibilityState === "visible") this.resume();
      else this.pause();
    };
    document.addEventListener("visibilitychange", this.onVisibility);
  }

  /** Fetch the map once; resolves when it has been handed to onMap (or was unchanged). */
  async load() {
    const generation = this.generation;
    const headers = this.etag ? { "If-None-Match": this.etag } : {};
    this.during = this.during || [];
    const during = this.during;
    try {
      const response = await api(this.url, { raw: true, headers, signal: this.abort.signal });
      if (response.status === 304) return;
      if (!response.ok)
        throw new ApiError(response.status, await response.json().catch(() => null), response.headers);
      const payload = await response.json();
      // Asked for before one of our own writes landed: it could undo what the page just showed.
      if (generation !== this.generation) return;
      this.etag = response.headers.get("ETag");
      this.onMap(payload);
      // The map may predate a message applied meanwhile: apply those again, in order.
      for (const changes of during) this.onChanges(changes);
    } finally {
      if (this.during === during) this.during = null;
    }
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
    this.started = true;
    this.resume();
  }

  resume() {
    if (!this.started || this.stopped || document.visibilityState !== "visible") return;
    if (this.streamUrl) this.subscribe();
    if (this.streaming) return;
    this.poll();
  }

  pause() {
    this.cancelTimer();
    this.unsubscribe();
  }

  // ---- the stream ------------------------------------------------------------------------

  subscribe() {
    if (this.source) return;
    const source = new EventSource(this.streamUrl);
    this.source = source;
    source.addEventListener("open", () => {
      if (this.source !== source) return;
      this.streaming = true;
      this.cancelTimer();
    });
    source.addEventListener("seats", (event) => this.message(JSON.parse(event.data)));
    source.addEventListener("reset", (event) => {
      this.seq = JSON.parse(event.data).seq;
      this.refresh();
    });
    source.addEventListener("error", () => {
      if (this.source !== source) return;
      // CONNECTING: the browser reconnects by itself (with Last-Event-ID); CLOSED: it gave up
      // (no stream here after all). Either way the map is polled until the stream is back.
      this.streaming = false;
      if (source.readyState === EventSource.CLOSED) this.source = null;
      if (!this.timer && !this.stopped) this.schedule();
    });
  }

  unsubscribe() {
    this.source?.close();
    this.source = null;
    this.streaming = false;
    this.seq = null; // a new subscription starts from where the stream stands then
  }

  message(data) {
    this.streaming = true;
    const first = this.seq === null;
    if (!first && data.seq <= this.seq) return; // seen already (a second copy)
    const gap = !first && data.seq !== this.seq + 1;
    this.seq = data.seq;
    this.offline = false;
    this.onState("live");
    if (first || gap) {
      this.refresh(); // a 304 when nothing changed since the map was read
      return;
    }
    if (!data.changes.length) return;
    if (this.during) this.during.push(data.changes);
    this.onChanges(data.changes);
  }

  // ---- polling (no stream) ---------------------------------------------------------------

  async poll() {
    this.cancelTimer();
    if (this.stopped || this.streaming || document.visibilityState !== "visible") return;
    if (this.streamUrl && !this.source) this.subscribe(); // the stream gave up: try it again
    await this.refresh();
    this.schedule();
  }

  schedule() {
    this.cancelTimer();
    if (!this.stopped && !this.streaming && document.visibilityState === "visible") {
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
    this.pause();
    this.abort.abort();
    document.removeEventListener("visibilitychange", this.onVisibility);
  }
}
