import { describe, expect, test } from "bun:test";
import { Random, randomQueryText } from "../../tests/helpers/random-query.ts";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import { leaves } from "./ast.ts";
import { parseLogQuery } from "./parse.ts";
import { postgresText, toSql, tsquery } from "./postgres.ts";
import { numbered } from "./sql.ts";

// CPU-heavy (many random cases): a loaded CI machine runs it several times slower.
integrationTimeouts();

const compiled = (q: string) => numbered(toSql(parseLogQuery(q)));

describe("query → Postgres condition", () => {
  test("text terms become one tsquery; words restricted to the message carry weight D", () => {
    expect(compiled('payment -"card declined" or time*')).toEqual({
      text: "search @@ $1::tsquery",
      params: ["((('payment') & !('card' <-> 'declined')) | ('time':*))"],
    });
    expect(tsquery(parseLogQuery('message:"java lang.null*"'))).toBe("('java':D <-> 'lang':D <-> 'null':D)");
    expect(tsquery(parseLogQuery("message:java.lang.null*"))).toBe("('java':D <-> 'lang':D <-> 'null':*D)");
  });

  test("columns compare with = and starts_with; level by its stored name", () => {
    expect(compiled("service:checkout level:warn host:web*")).toEqual({
      text: "(service = $1::text and level = $2::text and starts_with(host, $3::text))",
      params: ["checkout", "WARNING", "web"],
    });
  });

  test("attribute equality is containment, typed as well when the value is a number's or boolean's text", () => {
    expect(compiled("user_id:u_42")).toEqual({
      text: "attributes @> $1::text::jsonb",
      params: ['{"user_id":"u_42"}'],
    });
    expect(compiled("http.status:500 ok:true")).toEqual({
      text: "((attributes @> $1::text::jsonb or attributes @> $2::text::jsonb) and (attributes @> $3::text::jsonb or attributes @> $4::text::jsonb))",
      params: ['{"http.status":"500"}', '{"http.status":500}', '{"ok":"true"}', '{"ok":true}'],
    });
  });

  test("inside NOT, a term that may be NULL is made false first", () => {
    expect(compiled("-host:web-3 -service:x")).toEqual({
      text: "(not coalesce(host = $1::text, false) and not service = $2::text)",
      params: ["web-3", "x"],
    });
    expect(compiled("host:web-3").text).toBe("host = $1::text");
  });

  test("ranges read numbers and numeric strings; existence asks for the key", () => {
    const { text, params } = compiled("latency_ms:[100 TO 500] user_id:*");
    expect(text).toContain("between $4::float8 and $5::float8");
    expect(text).toContain("attributes ? $6::text");
    expect(params.slice(3)).toEqual([100, 500, "user_id"]);
  });

  test("text Postgres cannot hold is sent as the store writes it", () => {
    expect(postgresText("a\u0000b\ud800")).toBe("a\ufffdb\ufffd");
    expect(compiled('k:"a\u0000"').params).toEqual(['{"k":"a\ufffd"}']);
  });

  test("nothing typed reaches the SQL text: every value is a parameter", () => {
    const hostile = ["'; drop table logs; --", '"', "\\", "$1", "a' or '1'='1", "()", "?", "::"];
    const r = new Random(3);
    for (let k = 0; k < 2000; k++) {
      const bad = r.pick(hostile);
      const q = `${randomQueryText(r)} k:${JSON.stringify(bad)} p:${JSON.stringify(`${bad}xy`)}* ${JSON.stringify(bad)} host:${JSON.stringify(bad)}`;
      const tree = parseLogQuery(q);
      expect(leaves(tree).length).toBeGreaterThan(0);
      const { text } = numbered(toSql(tree));
      // Literals in the text are the ones written in postgres.ts: 'number' and the numeric-string pattern.
      const literals = text.match(/'[^']*'/g) ?? [];
      for (const l of literals) expect(["'number'", "'^-?[0-9]{1,255}(\\.[0-9]{1,255})?$'"]).toContain(l);
      expect(text.replace(/'[^']*'/g, "")).not.toMatch(/["\\;]|--|drop/);
    }
  });
});
