// Live updates from GET /api/events (server-sent events) that never give up.
// EventSource cannot send an Authorization header, so the access token rides in the query.
// Any error closes the stream and we open a new one ourselves, backing off up to 10 seconds,
// with a fresh access token when ours is (about to be) expired: a browser's own retry would
// keep presenting the expired token and be refused for good.

import { accessToken, claims, refreshAccess } from "./api.js";

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

  open() {
    clearTimeout(this.timer);
    if (this.source) this.source.close();
    const token = accessToken();
    if (!token) return;
    const source = new EventSource(`/api/events?access_token=${encodeURIComponent(token)}`);
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
    this.timer = setTimeout(async () => {
      this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
      const expires = (claims() || {}).exp || 0;
      if (expires * 1000 < Date.now() + 5000) {
        try {
          await refreshAccess();
        } catch {
          // A refused refresh signs the page out (the api module); a failed one retries.
          if (!accessToken()) return;
        }
      }
      if (!this.stopped) this.open();
    }, this.delay);
  }
}
