// Pages per second over time, drawn on a canvas: one bar per second.

export class RateChart {
  constructor() {
    this.el = document.createElement("canvas");
    this.el.setAttribute("data-testid", "rate-chart");
    this.perSecond = new Map();
    this.first = null;
    this.last = null;
  }

  /** Counts `n` pages at time `ms`. */
  add(ms, n = 1) {
    const s = Math.floor(ms / 1000);
    this.perSecond.set(s, (this.perSecond.get(s) ?? 0) + n);
    this.first = this.first === null ? s : Math.min(this.first, s);
    this.last = this.last === null ? s : Math.max(this.last, s);
  }

  /** Pages per second over the last `seconds` seconds up to `nowMs`. */
  rate(nowMs, seconds = 5) {
    const now = Math.floor(nowMs / 1000);
    let n = 0;
    for (let s = now - seconds; s < now; s++) n += this.perSecond.get(s) ?? 0;
    return n / seconds;
  }

  draw() {
    const c = this.el;
    const w = c.clientWidth || 600;
    const hgt = c.clientHeight || 140;
    if (c.width !== w) c.width = w;
    if (c.height !== hgt) c.height = hgt;
    const g = c.getContext("2d");
    g.clearRect(0, 0, w, hgt);
    if (this.first === null) return;
    const span = Math.max(30, this.last - this.first + 1);
    const start = this.last - span + 1;
    let max = 1;
    for (let s = start; s <= this.last; s++) max = Math.max(max, this.perSecond.get(s) ?? 0);
    const bw = w / span;
    g.fillStyle = "#2457c5";
    for (let s = start; s <= this.last; s++) {
      const v = this.perSecond.get(s) ?? 0;
      const bh = (v / max) * (hgt - 16);
      g.fillRect((s - start) * bw, hgt - bh, Math.max(1, bw - 1), bh);
    }
    g.fillStyle = "#5f6b7a";
    g.font = "11px system-ui";
    g.fillText(`max ${max} pages/s`, 4, 11);
  }
}
