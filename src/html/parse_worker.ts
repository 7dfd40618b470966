/**
 * The body of a parse worker (see `parse_pool.ts`): receives the byte chunks
 * of HTML documents as they arrive, decodes and parses each document
 * incrementally with {@linkcode extractHtml}, and posts back its title and
 * links. Several documents may be open at once, told apart by `id`.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { Channel } from "../async/channel.ts";
import { extractHtml, type ExtractOptions, type PageInfo } from "./extract_page.ts";

/** Messages to the worker. */
export type ToWorker =
  | {
    id: number;
    kind: "open";
    url: string;
    contentType: string | null;
    content?: ExtractOptions["content"];
  }
  | { id: number; kind: "chunk"; bytes: Uint8Array }
  | { id: number; kind: "end" }
  | { id: number; kind: "cancel" };

/** Messages from the worker. */
export type FromWorker =
  | ({ id: number; ok: true } & PageInfo)
  | { id: number; ok: false; message: string };

const open = new Map<number, Channel<Uint8Array>>();

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  switch (m.kind) {
    case "open": {
      const ch = new Channel<Uint8Array>(Number.MAX_SAFE_INTEGER);
      open.set(m.id, ch);
      extractHtml(ch, m.url, { contentType: m.contentType, content: m.content }).then(
        (info) => {
          if (open.delete(m.id)) self.postMessage({ id: m.id, ok: true, ...info } as FromWorker);
        },
        (err) => {
          if (open.delete(m.id)) {
            self.postMessage(
              { id: m.id, ok: false, message: String(err?.message ?? err) } as FromWorker,
            );
          }
        },
      );
      break;
    }
    case "chunk":
      open.get(m.id)?.send(m.bytes);
      break;
    case "end":
      open.get(m.id)?.close();
      break;
    case "cancel": {
      const ch = open.get(m.id);
      open.delete(m.id);
      ch?.close();
      break;
    }
  }
};
