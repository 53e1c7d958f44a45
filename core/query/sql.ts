/** A value sent to Postgres as a bound parameter, never written into the SQL text. */
export type SqlValue = string | number;

/**
 * A piece of SQL with its values kept apart: `strings` around `values`, as a tagged template holds them
 * (`strings.length === values.length + 1`). postgres.js runs it as `sql(...asTemplate(fragment))`, where
 * it composes with the store's own fragments; `numbered` writes it as `$1`-style text.
 */
export class SqlFragment {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly SqlValue[],
  ) {}
}

/** SQL text with values as parameters: `sql\`a = ${value}\``; a nested fragment is spliced in as SQL. */
export function sql(strings: TemplateStringsArray, ...parts: (SqlFragment | SqlValue)[]): SqlFragment {
  const out: string[] = [strings[0] as string];
  const values: SqlValue[] = [];
  parts.forEach((part, k) => {
    const after = strings[k + 1] as string;
    if (part instanceof SqlFragment) {
      out[out.length - 1] += part.strings[0] as string;
      for (let j = 0; j < part.values.length; j++) {
        values.push(part.values[j] as SqlValue);
        out.push(part.strings[j + 1] as string);
      }
      out[out.length - 1] += after;
    } else {
      values.push(part);
      out.push(after);
    }
  });
  return new SqlFragment(out, values);
}

/** SQL text written in this code base (an operator, a constant pattern): never a value from a user. */
export function sqlConstant(text: string): SqlFragment {
  return new SqlFragment([text], []);
}

/** The fragments one after another, `separator` (SQL text) between them. */
export function joinSql(parts: readonly SqlFragment[], separator: string): SqlFragment {
  const strings: string[] = [""];
  const values: SqlValue[] = [];
  parts.forEach((part, k) => {
    if (k > 0) strings[strings.length - 1] += separator;
    strings[strings.length - 1] += part.strings[0] as string;
    for (let j = 0; j < part.values.length; j++) {
      values.push(part.values[j] as SqlValue);
      strings.push(part.strings[j + 1] as string);
    }
  });
  return new SqlFragment(strings, values);
}

/** The fragment as text with `$n` parameters (from `$first`), for `sql.unsafe(text, params)` or EXPLAIN. */
export function numbered(f: SqlFragment, first = 1): { text: string; params: SqlValue[] } {
  let text = f.strings[0] as string;
  for (let j = 0; j < f.values.length; j++) text += `$${first + j}${f.strings[j + 1]}`;
  return { text, params: [...f.values] };
}

/** Arguments for a tagged-template SQL client such as postgres.js: `sql(...asTemplate(fragment))`. */
export function asTemplate(f: SqlFragment): [TemplateStringsArray, ...SqlValue[]] {
  const strings = Object.assign([...f.strings], { raw: [...f.strings] });
  return [strings as unknown as TemplateStringsArray, ...f.values];
}
