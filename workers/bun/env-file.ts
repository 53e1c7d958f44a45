/**
 * Read an env file (`NAME=value` lines, as `.env` files and `docker compose --env-file` take them):
 * `#` comments and blank lines are skipped, `export ` is allowed before a name, a value may be quoted
 * ('…' literally, "…" with \n, \t, \" and \\ escapes) and an unquoted value ends at ` #`. No variable
 * expansion and no values over several lines: such a line is an error naming its number.
 */
export function parseEnvFile(text: string, file = "env file"): Record<string, string> {
  const vars: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: expected NAME=value, got ${JSON.stringify(line)}`);
    const [, name, raw] = m as unknown as [string, string, string];
    vars[name] = value(raw, `${file}:${i + 1}`);
  }
  return vars;
}

function value(raw: string, where: string): string {
  const quote = raw[0];
  if (quote === "'" || quote === '"') {
    const end = raw.indexOf(quote, 1);
    let close = end;
    if (quote === '"') {
      // The closing quote is the first one not escaped by a backslash.
      close = -1;
      for (let j = 1; j < raw.length; j++) {
        if (raw[j] === "\\") j++;
        else if (raw[j] === '"') {
          close = j;
          break;
        }
      }
    }
    if (close < 0) throw new Error(`${where}: the ${quote} quote is not closed on this line`);
    const rest = raw.slice(close + 1).trim();
    if (rest && !rest.startsWith("#"))
      throw new Error(`${where}: unexpected ${JSON.stringify(rest)} after the value`);
    const inner = raw.slice(1, close);
    if (quote === "'") return inner;
    return inner.replace(/\\([nt"\\])/g, (_, c: string) => ({ n: "\n", t: "\t", '"': '"', "\\": "\\" })[c]!);
  }
  const comment = raw.search(/\s#/);
  return (comment >= 0 ? raw.slice(0, comment) : raw).trim();
}
