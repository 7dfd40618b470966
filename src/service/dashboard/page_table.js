// The table of a job's pages, rendering only the rows in view so that it
// stays responsive with 100,000 pages: a spacer gives the scroll height, and
// the ~30 visible rows are rebuilt on scroll, on filter and when pages arrive.
import { h } from "./dom.js";

const ROW = 24;
const EXTRA = 8;

export class PageTable {
  /** @param {(row) => string} recordHref the API URL of a page's stored record */
  constructor({ recordHref, onRecord }) {
    this.rows = [];
    this.visible = [];
    this.filter = "";
    this.recordHref = recordHref;
    this.onRecord = onRecord;
    this.spacer = h("div", { class: "vt-spacer" });
    this.body = h("div", { class: "vt-body" });
    this.el = h(
      "div",
      { class: "vt", "data-testid": "page-table" },
      h(
        "div",
        { class: "vt-head" },
        h("span", {}, "status"),
        h("span", {}, "URL"),
        h("span", {}, "title"),
        h("span", { class: "num" }, "depth"),
        h("span", { class: "num" }, "ms"),
        h("span", { class: "num" }, "links"),
        h("span", {}, "record"),
      ),
      this.spacer,
      this.body,
    );
    this.el.addEventListener("scroll", () => this.schedule());
    this.pending = false;
  }

  /** Adds pages (and errors) in arrival order. */
  add(rows) {
    for (const r of rows) {
      r.index = this.rows.length;
      this.rows.push(r);
      if (this.matches(r)) this.visible.push(r);
    }
    this.schedule();
  }

  setFilter(text) {
    this.filter = text.trim().toLowerCase();
    this.visible = this.filter === ""
      ? this.rows.slice()
      : this.rows.filter((r) => this.matches(r));
    this.el.scrollTop = 0;
    this.schedule();
  }

  matches(r) {
    if (this.filter === "") return true;
    const f = this.filter;
    return r.url.toLowerCase().includes(f) || (r.title ?? "").toLowerCase().includes(f) ||
      String(r.status ?? r.code ?? "") === f;
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  render() {
    this.spacer.style.height = `${this.visible.length * ROW}px`;
    this.el.dataset.rows = String(this.visible.length);
    const top = this.el.scrollTop;
    const height = this.el.clientHeight || 480;
    const first = Math.max(0, Math.floor(top / ROW) - EXTRA);
    const last = Math.min(this.visible.length, Math.ceil((top + height) / ROW) + EXTRA);
    const out = [];
    for (let i = first; i < last; i++) out.push(this.row(this.visible[i], i));
    this.body.replaceChildren(...out);
  }

  row(r, i) {
    const isError = r.type === "error";
    const record = h("a", {
      href: this.recordHref(r),
      onclick: (e) => {
        e.preventDefault();
        this.onRecord(r);
      },
    }, "record");
    const el = h(
      "div",
      { class: "vt-row", "data-url": r.url },
      h("span", { class: isError ? "bad" : "" }, isError ? r.code : String(r.status)),
      h("span", {}, h("a", { href: r.url, target: "_blank", rel: "noopener noreferrer" }, r.url)),
      h(
        "span",
        { title: isError ? r.message : (r.title ?? "") },
        isError ? r.message : (r.title ?? ""),
      ),
      h("span", { class: "num" }, String(r.depth)),
      h("span", { class: "num" }, isError ? "" : String(Math.round(r.ms))),
      h("span", { class: "num" }, isError ? "" : String(r.links)),
      h("span", {}, isError ? "" : record),
    );
    el.style.top = `${ROW + i * ROW}px`;
    return el;
  }
}
