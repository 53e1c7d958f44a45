import { type StoredRow, storableRow, UNSTORABLE_ESCAPE } from "./log-rows.ts";

/** Characters of COPY text per CopyData message. */
const COPY_CHUNK_CHARS = 64 * 1024;

// COPY's text format: fields end at a tab, rows at a newline, and a backslash starts an escape.
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIALS = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

function copyField(v: string | null): string {
  if (v === null) return "\\N";
  return COPY_SPECIAL.test(v) ? v.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c] as string) : v;
}

/**
 * One row of `logs` in COPY's text format, columns in the order log-writer.ts's COPY names them. The tsvector text holds no
 * tab, newline or backslash (core/search-text.ts: words and `'`, `:`, digits).
 */
function copyLine(r: StoredRow): string {
  return `${copyField(r.id)}\t${r.ts}\t${r.received_at}\t${copyField(r.service)}\t${copyField(r.level)}\t${copyField(r.message)}\t${copyField(r.host)}\t${copyField(r.correlation_id)}\t${copyField(r.request_id)}\t${copyField(r.trace_id)}\t${copyField(r.span_id)}\t${copyField(JSON.stringify(r.attributes))}\t${copyField(r.pattern)}\t${r.search}\n`;
}

/**
 * The rows in COPY's text format, in pieces of about COPY_CHUNK_CHARS (one CopyData message each). A
 * piece that holds U+0000, or a \u escape Postgres refuses in the attributes' JSON, is written again
 * from storable rows; a lone surrogate elsewhere becomes U+FFFD when the text is encoded as UTF-8.
 */
export function copyChunks(rows: StoredRow[]): string[] {
  const chunks: string[] = [];
  let chunk = "";
  let from = 0;
  const flush = (to: number) => {
    if (chunk.includes("\u0000") || UNSTORABLE_ESCAPE.test(chunk)) {
      chunk = "";
      for (let j = from; j < to; j++) chunk += copyLine(storableRow(rows[j] as StoredRow));
    }
    chunks.push(chunk);
    chunk = "";
    from = to;
  };
  for (let j = 0; j < rows.length; j++) {
    chunk += copyLine(rows[j] as StoredRow);
    if (chunk.length >= COPY_CHUNK_CHARS) flush(j + 1);
  }
  if (chunk) flush(rows.length);
  return chunks;
}
