import { tsqueryLexeme } from "../search-text.ts";
import type { Field, QueryNode } from "./ast.ts";
import { joinSql, type SqlFragment, sql, sqlConstant } from "./sql.ts";
import { NUMERIC_STRING, typedValueOf } from "./values.ts";

/**
 * A query as a condition on the `logs` table (db/migrations), for Postgres and PGlite. Every value is a
 * bound parameter; the SQL text holds only what is written here.
 *
 * What serves each term:
 * - text: `search @@ tsquery`, through the GIN index on `search`; words restricted to the message carry
 *   weight D (`'word':D`), which the stored vector gives message words only (core/search-text.ts). A
 *   subtree of text terms alone becomes one tsquery, so today's search box costs what it did.
 * - attribute equality: `attributes @> '{"name": "value"}'`, which a GIN index over `attributes` with
 *   `jsonb_path_ops` answers (db/migrations/0008_attribute_index.sql); a value that is also a
 *   number's or a boolean's text (`500`, `true`) matches the typed JSON value too.
 * - numeric ranges read the value per row (a number, or a numeric string): fast on the rows other terms
 *   and the time range select, a scan otherwise.
 * - prefixes and existence read the value per row.
 *
 * Inside NOT, a term that may be NULL (a column an event lacks, an absent attribute) is made false first,
 * so that NOT selects the events without it, as the evaluator does.
 */
export function toSql(node: QueryNode): SqlFragment {
  return compile(node, false);
}

/** Text as Postgres can hold it: U+0000 and half surrogate pairs become U+FFFD, as the store writes them. */
export function postgresText(s: string): string {
  return s.replaceAll("\u0000", "\uFFFD").toWellFormed();
}

function textOnly(node: QueryNode): boolean {
  switch (node.type) {
    case "text":
      return true;
    case "and":
    case "or":
      return node.children.every(textOnly);
    case "not":
      return textOnly(node.child);
    default:
      return false;
  }
}

/** The tsquery of a subtree of text terms. Words are quoted lexemes: nothing typed becomes an operator. */
export function tsquery(node: QueryNode): string {
  switch (node.type) {
    case "text": {
      const last = node.words.length - 1;
      const phrase = node.words.map((w, j) => {
        const label = (j === last && node.prefix ? "*" : "") + (node.messageOnly ? "D" : "");
        return label ? `${tsqueryLexeme(w)}:${label}` : tsqueryLexeme(w);
      });
      return `(${phrase.join(" <-> ")})`;
    }
    case "and":
    case "or":
      return `(${node.children.map(tsquery).join(node.type === "and" ? " & " : " | ")})`;
    case "not":
      return `!${tsquery(node.child)}`;
    default:
      throw new RangeError(`not a text term: ${node.type}`);
  }
}

/** A condition that may be NULL, made false inside NOT. */
function twoValued(condition: SqlFragment, negated: boolean): SqlFragment {
  return negated ? sql`coalesce(${condition}, false)` : condition;
}

function compile(node: QueryNode, negated: boolean): SqlFragment {
  if (textOnly(node)) return twoValued(sql`search @@ ${tsquery(node)}::tsquery`, negated);
  switch (node.type) {
    case "all":
      return sql`true`;
    case "none":
      return sql`false`;
    case "and":
    case "or": {
      const parts = node.children.map((c) => compile(c, negated));
      return sql`(${joinSql(parts, node.type === "and" ? " and " : " or ")})`;
    }
    case "not":
      return sql`not ${compile(node.child, true)}`;
    case "equals":
      return equals(node.field, node.value, negated);
    case "prefix":
      return twoValued(
        sql`starts_with(${valueText(node.field)}, ${postgresText(node.value)}::text)`,
        negated,
      );
    case "exists":
      return node.field.kind === "column"
        ? sql`${column(node.field.name)} is not null`
        : sql`attributes ? ${postgresText(node.field.name)}::text`;
    case "range": {
      const n = attributeNumberSql(node.attribute);
      const { lower, upper } = node;
      if (lower?.inclusive && upper?.inclusive) {
        return twoValued(sql`${n} between ${lower.value}::float8 and ${upper.value}::float8`, negated);
      }
      const conds: SqlFragment[] = [];
      if (lower) conds.push(sql`${n} ${sqlConstant(lower.inclusive ? ">=" : ">")} ${lower.value}::float8`);
      if (upper) conds.push(sql`${n} ${sqlConstant(upper.inclusive ? "<=" : "<")} ${upper.value}::float8`);
      return twoValued(
        conds.length === 1 ? (conds[0] as SqlFragment) : sql`(${joinSql(conds, " and ")})`,
        negated,
      );
    }
    case "text":
      throw new RangeError("unreachable: text terms are compiled as tsqueries");
  }
}

/**
 * An attribute's number as float8: a number as stored, or a numeric string read as one; NULL for
 * anything else (values.ts: attributeNumber). jsonb_typeof keeps the casts from ever seeing a value
 * they would refuse.
 */
export function attributeNumberSql(attribute: string): SqlFragment {
  const key = postgresText(attribute);
  return sql`(case when jsonb_typeof(attributes -> ${key}::text) = 'number'
      or (attributes ->> ${key}::text) ~ ${NUMERIC_PATTERN}
    then (attributes ->> ${key}::text)::float8 end)`;
}

/** NUMERIC_STRING as a string literal (it holds no quote). */
const NUMERIC_PATTERN = sqlConstant(`'${NUMERIC_STRING}'`);

const COLUMNS = {
  service: sql`service`,
  level: sql`level`,
  host: sql`host`,
  trace_id: sql`trace_id`,
  correlation_id: sql`correlation_id`,
  request_id: sql`request_id`,
  span_id: sql`span_id`,
  // Migration 9; null on events stored before patterns were mined.
  pattern: sql`pattern`,
} as const;

function column(name: keyof typeof COLUMNS): SqlFragment {
  return COLUMNS[name];
}

/** The field's value as text: the column, or the attribute as `->>` writes it (NULL when absent). */
export function valueText(field: Field): SqlFragment {
  return field.kind === "column"
    ? column(field.name)
    : sql`(attributes ->> ${postgresText(field.name)}::text)`;
}

function equals(field: Field, value: string, negated: boolean): SqlFragment {
  if (field.kind === "column") {
    const eq = sql`${column(field.name)} = ${postgresText(value)}::text`;
    return field.name === "service" || field.name === "level" ? eq : twoValued(eq, negated);
  }
  // Containment, so that a GIN index over attributes (jsonb_path_ops) finds the rows. The JSON goes as
  // text: a client that sees a jsonb parameter (postgres.js) would encode the string as a JSON string.
  const key = postgresText(field.name);
  const forms: SqlFragment[] = [
    sql`attributes @> ${JSON.stringify({ [key]: postgresText(value) })}::text::jsonb`,
  ];
  const typed = typedValueOf(value);
  if (typed !== undefined) forms.push(sql`attributes @> ${JSON.stringify({ [key]: typed })}::text::jsonb`);
  return forms.length === 1 ? (forms[0] as SqlFragment) : sql`(${joinSql(forms, " or ")})`;
}
