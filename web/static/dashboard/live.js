// Live updates from GET /api/events (server-sent events) that never give up.
// EventSource cannot send an Authorization header, and a token in a URL ends up in logs, so
// each stream opens with a one-use ticket from POST /api/events/ticket/ (asked with the
// bearer token, refreshed by the api module when expired). Any error closes the stream and
// we open a new one with a new ticket, backing off up to 10 seconds: a browser's own retry
// would present the used ticket and be refused for good.

import { accessToken, api } from "./api.js";

const MAX_DELAY_MS = 10000;

export class LiveEvents {
  constructor({ events, onEvent, onState }) {
    this.events = events;
    this.onEvent = onEvent;
    this.onState = onState;
    this.source = null;
    this.timer = null;
    this.delay = 500;
    this.stopped = true;
    this.attempt = 0;
  }

  start() {
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.source) this.source.close();
    this.source = null;
    this.onState("off");
  }

  async open() {
    clearTimeout(this.timer);
    if (this.source) this.source.close();
    this.source = null;
    if (!accessToken()) return;
    // Only the latest open() may start a stream (stop/start can overtake an awaited ticket).
    const attempt = ++this.attempt;
    let ticket;
    try {
      ({ ticket } = (await api("/api/events/ticket/", { method: "POST" })).data);
    } catch {
      // A refused refresh signs the page out (the api module); anything else retries.
      if (attempt === this.attempt && !this.stopped && accessToken()) {
        this.onState("reconnecting");
        this.retry();
      }
      return;
    }
    if (attempt !== this.attempt || this.stopped) return;
    const source = new EventSource(`/api/events?ticket=${encodeURIComponent(ticket)}`);
    this.source = source;
    source.onopen = () => {
      this.delay = 500;
      this.onState("open");
      // Anything that happened while the stream was down is read back from the API.
      this.onEvent("resync", null);
    };
    source.onerror = () => {
      if (this.source !== source || this.stopped) return;
      source.close();
      this.onState("reconnecting");
      this.retry();
    };
    const deliver = (message) => {
      let data = null;
      try {
        data = message.data ? JSON.parse(message.data) : null;
      } catch {
        data = message.data;
      }
      this.onEvent(message.type, data);
    };
    source.onmessage = deliver;
    for (const name of this.events) source.addEventListener(name, deliver);
  }

  retry() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
      if (!this.stopped) this.open();
    }, this.delay);
  }
}
