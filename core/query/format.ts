import { COLUMN_FIELDS, type Field, type QueryNode } from "./ast.ts";

/** Values written without quotes: nothing the grammar reads specially, and not `//…` (a URL stays text). */
const BARE_VALUE = /^(?!\/\/)[\p{L}\p{M}\p{N}_.@/:-]+$/u;

/**
 * Query text for a tree, which parses back to the same tree: what the API can echo (the query it
 * understood), and what lets tests generate trees and check the parser against them.
 */
export function formatQuery(node: QueryNode): string {
  switch (node.type) {
    case "all":
      return "";
    case "none":
      return "-service:*";
    case "and":
    case "or":
      return node.children.map(operand).join(node.type === "and" ? " AND " : " OR ");
    case "not":
      return `NOT ${operand(node.child)}`;
    case "text": {
      const head = node.messageOnly ? "message:" : "";
      const [only] = node.words;
      // In a value (after `message:`) OR and AND are plain words; as a term they need quotes.
      if (node.words.length === 1 && only !== undefined && (node.messageOnly || !/^(or|and)$/.test(only))) {
        return `${head}${only}${node.prefix ? "*" : ""}`;
      }
      return `${head}${quote(node.words.join(" "))}${node.prefix ? "*" : ""}`;
    }
    case "equals":
      return `${fieldName(node.field)}:${value(node.value)}`;
    case "prefix":
      return `${fieldName(node.field)}:${value(node.value)}*`;
    case "exists":
      return `${fieldName(node.field)}:*`;
    case "range": {
      const name = fieldName({ kind: "attribute", name: node.attribute });
      const { lower, upper } = node;
      if (lower?.inclusive && upper?.inclusive) return `${name}:[${num(lower.value)} TO ${num(upper.value)}]`;
      const parts: string[] = [];
      if (lower) parts.push(`${name}:>${lower.inclusive ? "=" : ""}${num(lower.value)}`);
      if (upper) parts.push(`${name}:<${upper.inclusive ? "=" : ""}${num(upper.value)}`);
      return parts.length === 1 ? (parts[0] as string) : `(${parts.join(" AND ")})`;
    }
  }
}

function operand(node: QueryNode): string {
  return node.type === "and" || node.type === "or" ? `(${formatQuery(node)})` : formatQuery(node);
}

function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function value(text: string): string {
  return BARE_VALUE.test(text) ? text : quote(text);
}

function num(n: number): string {
  return Object.is(n, -0) ? "-0" : String(n);
}

function fieldName(field: Field): string {
  if (field.kind === "column") return field.name;
  const shadowed =
    field.name === "message" ||
    (COLUMN_FIELDS as readonly string[]).includes(field.name) ||
    field.name.startsWith("attributes.");
  return shadowed ? `attributes.${field.name}` : field.name;
}
