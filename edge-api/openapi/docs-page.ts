/**
 * /docs: an interactive reference rendered in the browser from /openapi.json. Self-contained (no CDN,
 * no bundle), so it works offline, on the edge, and behind strict networks. "Try it" sends real
 * requests with the token you paste (kept in sessionStorage, this tab only).
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>LogFlow API reference</title>
<style>
:root{color-scheme:light dark;font-family:system-ui,sans-serif}body{max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
details{border:1px solid #8885;border-radius:6px;margin:.4rem 0;padding:.3rem .6rem}summary{cursor:pointer}
.m{display:inline-block;min-width:4.2rem;font:600 .8rem ui-monospace,monospace;text-transform:uppercase}
.get{color:#2563eb}.post{color:#16a34a}.put{color:#ca8a04}.delete{color:#dc2626}
code,pre,textarea,input{font:.85rem ui-monospace,monospace}pre{background:#8881;padding:.5rem;overflow:auto;max-height:24rem}
label{display:block;margin:.25rem 0}input,textarea{width:100%;box-sizing:border-box}h2{margin-top:2rem;text-transform:capitalize}
</style></head><body>
<h1>LogFlow API</h1>
<p>Generated from <a href="/openapi.json">/openapi.json</a>. Errors are <code>application/problem+json</code>.</p>
<label>Bearer token (session or API key) <input id="token" autocomplete="off" placeholder="paste a token to try authenticated routes"></label>
<main id="main">Loading…</main>
<script type="module">
const el = (tag, props = {}, ...kids) => { const e = Object.assign(document.createElement(tag), props); e.append(...kids); return e; };
const token = document.getElementById("token");
token.value = sessionStorage.getItem("logflow-token") ?? "";
token.addEventListener("change", () => sessionStorage.setItem("logflow-token", token.value));
const doc = await (await fetch("/openapi.json")).json();
const byTag = {};
for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) (byTag[op.tags[0]] ??= []).push({ path, method, op });
const main = document.getElementById("main");
main.replaceChildren();
for (const [tag, ops] of Object.entries(byTag)) {
  main.append(el("h2", { textContent: tag }));
  for (const { path, method, op } of ops) {
    const d = el("details");
    d.append(el("summary", {}, el("span", { className: "m " + method, textContent: method }), el("code", { textContent: path }), " — " + op.summary));
    if (op.description) d.append(el("p", { textContent: op.description }));
    const form = el("form");
    for (const p of op.parameters ?? []) form.append(el("label", { textContent: p.in + " " + p.name + (p.required ? " (required)" : "") + (p.description ? " — " + p.description : "") }, el("input", { name: p.in + ":" + p.name })));
    const content = op.requestBody?.content ?? {};
    const type = Object.keys(content)[0];
    if (type) {
      const example = content[type].example;
      form.append(el("label", { textContent: "body (" + type + ")" }, el("textarea", { name: "body", rows: 6, value: example === undefined ? "" : JSON.stringify(example, null, 2) })));
    }
    const out = el("pre", { hidden: true });
    form.append(el("button", { textContent: "Try it" }));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const data = new FormData(form);
      let url = path;
      const query = new URLSearchParams();
      for (const [k, v] of data) {
        if (!v || k === "body") continue;
        const [where, name] = k.split(":");
        if (where === "path") url = url.replace("{" + name + "}", encodeURIComponent(v));
        else query.append(name, v);
      }
      const headers = {};
      if (token.value) headers.authorization = "Bearer " + token.value;
      let body;
      if (type && data.get("body")) {
        headers["content-type"] = type;
        body = type === "application/x-www-form-urlencoded" ? new URLSearchParams(JSON.parse(data.get("body"))).toString() : data.get("body");
      }
      const res = await fetch(url + (query.size ? "?" + query : ""), { method: method.toUpperCase(), headers, body });
      const text = await res.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
      out.hidden = false;
      out.textContent = res.status + " " + res.statusText + "\\n\\n" + shown;
    });
    d.append(form, out, el("details", {}, el("summary", { textContent: "responses" }), el("pre", { textContent: JSON.stringify(op.responses, null, 2) })));
    main.append(d);
  }
}
</script></body></html>`;
