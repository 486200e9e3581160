// The /api/v1/events WebSocket: reconnect with backoff, resume with since=<last seq>, no repeats.
const MAX_DELAY_MS = 10000;

export class EventStream {
  /**
   * onHello(hello, resumed) runs after each (re)connection; onEvent(event) once per seq;
   * onStatus("connecting"|"online"|"offline"); onLost() when the server refuses us (auth).
   */
  constructor({ onHello, onEvent, onStatus, onLost, path = "/api/v1/events" }) {
    Object.assign(this, { onHello, onEvent, onStatus, onLost, path });
    this.lastSeq = null;
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.stopped = false;
    this.connects = 0;
  }

  start() {
    this.handlers = {
      online: () => this.reconnectNow(),
      // The browser knows the network is gone before TCP does: drop the socket at once.
      offline: () => { if (this.ws) this.ws.close(); },
    };
    window.addEventListener("online", this.handlers.online);
    window.addEventListener("offline", this.handlers.offline);
    this.connect();
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener("online", this.handlers?.online);
    window.removeEventListener("offline", this.handlers?.offline);
    if (this.ws) this.ws.close(1000);
  }

  url() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const since = this.lastSeq === null ? "" : `?since=${this.lastSeq}`;
    return `${proto}//${location.host}${this.path}${since}`;
  }

  connect() {
    if (this.stopped) return;
    this.onStatus("connecting");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    let greeted = false;
    ws.onmessage = (message) => {
      let msg;
      try { msg = JSON.parse(message.data); } catch { return; }
      if (msg.type === "hello") {
        greeted = true;
        this.attempt = 0;
        const resumed = this.lastSeq !== null;
        // On a resume the missed events follow the hello, so lastSeq must stay where it was.
        if (!resumed) this.lastSeq = msg.seq ?? 0;
        this.connects += 1;
        this.onStatus("online");
        this.onHello(msg, resumed);
      } else if (msg.type === "resync_required") {
        // Too much was missed to replay: jump ahead and let the snapshot tell the truth.
        this.lastSeq = msg.seq;
        this.onHello(msg, true);
      } else if (msg.type === "event" && msg.event) {
        const seq = msg.event.seq;
        if (typeof seq === "number") {
          if (this.lastSeq !== null && seq <= this.lastSeq) return;  // replayed twice: ignore
          this.lastSeq = seq;
        }
        this.onEvent(msg.event);
      }
    };
    ws.onclose = (close) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      // 4401/1008: the server refused the session; reconnecting cannot help.
      if (close.code === 4401 || close.code === 1008 || close.code === 4403) {
        this.onStatus("offline");
        this.onLost(close);
        return;
      }
      this.onStatus("offline");
      this.schedule(greeted);
    };
  }

  schedule(greeted) {
    clearTimeout(this.timer);
    if (greeted) this.attempt = 0;
    // Exponential backoff with jitter, so a whole floor does not reconnect in the same second.
    const base = Math.min(MAX_DELAY_MS, 500 * 2 ** this.attempt);
    const delay = base / 2 + Math.random() * base / 2;
    this.attempt += 1;
    this.timer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (this.stopped || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    clearTimeout(this.timer);
    this.connect();
  }
}
