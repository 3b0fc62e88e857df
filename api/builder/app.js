// The builder page: ask in plain English, edit the tree or the DSL, see the read-back, SQL and who matches,
// save versions, diff them and export. Every call goes to this server's /v1 API; nothing else is fetched.
import { createTreeEditor } from "./tree.js";

const $ = (id) => document.getElementById(id);
const DIALECTS = ["duckdb", "postgres", "snowflake", "bigquery", "clickhouse", "redshift", "spark", "trino", "mysql"];
const HISTORY_KEY = "segment-builder.history";
let editor, catalog;
let seq = 0;                 // the newest refresh; older answers are dropped
let lastDraft = null;        // the answer to the last request, while the tree is still what it returned
let shown = null;            // {dsl, label}: the version or template on screen, until the next edit
let dslTimer = null, treeTimer = null;

// ---- the API ------------------------------------------------------------------------------------------
async function api(method, url, body) {
  const headers = { "Content-Type": "application/json" };
  const key = sessionStorage.getItem("segment-builder.key");
  if (key) headers["X-API-Key"] = key;
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401) { $("key-box").hidden = false; $("api-key").focus(); }
  const data = r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text();
  if (!r.ok) { const e = new Error(data.detail || String(data)); e.problem = data; throw e; }
  return data;
}
const text = (el, value) => { el.textContent = value ?? ""; };
const make = (tag, cls, value) => { const e = document.createElement(tag); if (cls) e.className = cls; if (value != null) e.textContent = value; return e; };

// ---- ask ----------------------------------------------------------------------------------------------
async function ask(event) {
  event.preventDefault();
  const request = $("request").value.trim();
  if (!request) return;
  const current = $("refine").checked && editor.get() ? $("dsl").value : null;
  $("ask-button").disabled = true;
  text($("status"), "thinking…");
  try {
    const answer = await api("POST", "/v1/draft", { request, current, preview: false });
    lastDraft = answer;
    addHistory({ request, status: answer.status, explanation: answer.explanation || answer.question || answer.refusal || "" });
    showAnswer(answer);
    if (answer.condition) { editor.set(answer.condition); refresh(); }
    $("request").value = "";
  } catch (err) {
    text($("status"), "error: " + err.message);
    $("status").className = "status error";
  } finally {
    $("ask-button").disabled = false;
  }
}
function showAnswer(a) {
  const status = $("status");
  status.className = `status ${a.status}`;
  text(status, { complete: "Complete", partial: "Unfinished: part of the request is not placed yet", question: "A question first",
    refused: "Refused" }[a.status] || a.status);
  text($("explanation"), a.explanation || "");
  const open = $("open-points");
  open.replaceChildren();
  if (a.status === "partial" || a.status === "question") {
    for (const p of a.open_points || []) open.append(make("p", "open-point", `not placed: '${p.text}'`));
    if (a.question) open.append(make("p", "question", a.question));
  }
  if (a.status === "refused" && a.refusal) open.append(make("p", "question", a.refusal));
  const ul = $("assumptions");
  ul.replaceChildren(...(a.assumptions || []).map((s) => make("li", null, "assumed: " + s)));
}
function addHistory(item) {
  const items = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
  items.push(item);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(items.slice(-50)));
  drawHistory();
}
function drawHistory() {
  const items = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
  $("history").replaceChildren(...items.map((h) => {
    const li = make("li");
    li.append(make("span", "you", h.request), make("span", `answer ${h.status}`, `${h.status}: ${h.explanation}`));
    return li;
  }));
}

// ---- the tree, the DSL, and everything computed from them ---------------------------------------------
function treeEdited() {  // every tree edit: check at once (debounced a little), then preview and SQL
  clearTimeout(treeTimer);
  treeTimer = setTimeout(refresh, 150);
}
function dslEdited() {
  clearTimeout(dslTimer);
  dslTimer = setTimeout(async () => {
    const mine = ++seq;
    const dsl = $("dsl").value;
    if (!dsl.trim()) { editor.set(null); showChecked({ valid: false, diagnostics: [] }); clearResult(); return; }
    const checked = await api("POST", "/v1/builder/check", { dsl, name: $("name").value || null });
    if (mine !== seq) return;
    if (checked.condition) editor.set(checked.condition);
    showChecked(checked, false);
    if (checked.valid) runSegment(checked.condition, mine);
  }, 300);
}
async function refresh() {
  const mine = ++seq;
  const tree = editor.get();
  if (!tree) { $("dsl").value = ""; showChecked({ valid: false, diagnostics: [] }); clearResult(); return; }
  const checked = await api("POST", "/v1/builder/check", { condition: tree, name: $("name").value || null });
  if (mine !== seq) return;
  showChecked(checked, true);
  if (checked.valid) runSegment(checked.condition, mine);
  else clearResult("fix the errors to see who matches");
}
function showChecked(checked, fromTree) {
  if (fromTree && checked.dsl != null) $("dsl").value = checked.dsl;
  editor.showErrors(checked.diagnostics || []);
  const list = $("dsl-errors");
  list.replaceChildren(...(checked.diagnostics || []).map((d) => {
    const where = d.line ? `line ${d.line}, column ${d.column}: ` : "";
    const li = make("li", d.severity, `${d.severity}: ${where}${d.message}${d.suggestion ? ` (did you mean ${d.suggestion}?)` : ""}`);
    if (d.line) {
      const go = make("button", "small", "show");
      go.type = "button";
      go.setAttribute("aria-label", `show line ${d.line}, column ${d.column} in the text`);
      go.addEventListener("click", () => selectSpan(d));
      li.append(" ", go);
    }
    return li;
  }));
  if (checked.valid) {
    const fromDraft = lastDraft && lastDraft.dsl === checked.dsl;
    if (!fromDraft) {
      lastDraft = null;
      showAnswer({ status: "complete", explanation: checked.explanation });
      text($("status"), shown && shown.dsl === checked.dsl ? shown.label : "Edited");
    } else text($("explanation"), checked.explanation);
  } else if (editor.get() || $("dsl").value.trim()) {
    $("status").className = "status error";
    text($("status"), "Not valid yet");
  }
}
function selectSpan(d) {  // select the diagnostic's characters in the DSL box
  const lines = $("dsl").value.split("\n");
  const offset = (line, col) => lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + col - 1;
  const box = $("dsl");
  box.focus();
  box.setSelectionRange(offset(d.line, d.column), offset(d.span ? d.span.end_line : d.line, d.span ? d.span.end_column : d.column + 1));
}
async function runSegment(condition, mine) {
  const [preview, sql] = await Promise.allSettled([
    api("POST", "/v1/preview", { condition, sample_size: 10 }),
    api("POST", "/v1/compile", { condition, dialect: $("dialect").value }),
  ]);
  if (mine !== seq) return;
  if (sql.status === "fulfilled") text($("sql"), sql.value.sql); else text($("sql"), sql.reason.message);
  if (preview.status === "fulfilled") showPreview(preview.value); else clearResult(preview.reason.message);
}
async function recompile() {
  const tree = editor.get();
  if (!tree) return;
  try { text($("sql"), (await api("POST", "/v1/compile", { condition: tree, dialect: $("dialect").value })).sql); }
  catch (err) { text($("sql"), err.message); }
}
function showPreview(p) {
  const pct = p.share == null ? "" : ` (${(p.share * 100).toFixed(1)}%)`;
  const count = $("count");
  count.dataset.count = p.count;
  text(count, `${p.count.toLocaleString("en")} of ${p.total.toLocaleString("en")} contacts${pct}`);
  text($("as-of"), `as of ${p.as_of}`);
  const stats = make("table", "stats");
  for (const s of p.stats || []) {
    const tr = make("tr");
    tr.append(make("th", null, s.label), make("td", null, s.value == null ? "–" : s.kind === "rate" ? `${(s.value * 100).toFixed(1)}%` : s.value.toLocaleString("en")));
    stats.append(tr);
  }
  $("stats").replaceChildren(stats);
  $("sample").replaceChildren(table(p.sample || []));
  for (const w of p.warnings || []) $("stats").append(make("p", "warning", w));
}
function clearResult(why) {
  const count = $("count");
  delete count.dataset.count;
  text(count, why || "–");
  $("stats").replaceChildren();
  $("sample").replaceChildren();
  text($("sql"), "");
}
function table(rows) {
  const t = make("table", "sample");
  if (!rows.length) return make("p", "muted", "nobody");
  const cols = Object.keys(rows[0]);
  const head = make("tr");
  cols.forEach((c) => head.append(make("th", null, c)));
  t.append(head);
  for (const r of rows) {
    const tr = make("tr");
    cols.forEach((c) => tr.append(make("td", null, r[c] == null ? "" : String(r[c]))));
    t.append(tr);
  }
  return t;
}

// ---- saved segments: save, open, versions, diffs, export ------------------------------------------------
async function save(event) {
  event.preventDefault();
  const name = $("name").value.trim(), tree = editor.get();
  if (!tree) { text($("save-status"), "nothing to save"); return; }
  try {
    const v = await api("POST", `/v1/segments/${encodeURIComponent(name)}`, { condition: tree, note: $("note").value });
    text($("save-status"), `saved ${name} v${v.version}`);
    $("note").value = "";
    location.hash = "segment=" + encodeURIComponent(name);
    await loadNames();
    await showVersions(name);
  } catch (err) {
    text($("save-status"), "not saved: " + err.message + (err.problem?.diagnostics || []).map((d) => ` ${d.message}`).join(";"));
  }
}
async function loadNames() {
  const { segments } = await api("GET", "/v1/segments");
  const open = $("open-name"), chosen = open.value;
  open.replaceChildren(...segments.map((s) => {
    const o = make("option", null, s.template ? `${s.name} (template)` : `${s.name} (${s.versions} version${s.versions > 1 ? "s" : ""})`);
    o.value = s.name;
    return o;
  }));
  if (chosen) open.value = chosen;
  window.segmentNames = segments.map((s) => s.name);
}
async function openSegment(name) {
  const detail = await api("GET", `/v1/segments/${encodeURIComponent(name)}`);
  $("name").value = detail.template ? "" : name;
  if (!detail.template) location.hash = "segment=" + encodeURIComponent(name);
  const latest = detail.versions[detail.versions.length - 1];
  $("open-name").value = name;
  loadVersion(name, latest, detail.template);
  drawVersions(name, detail);
}
function loadVersion(name, v, template = false) {
  lastDraft = null;
  shown = { dsl: v.dsl, label: template ? `Template ${name}` : `${name} v${v.version}` };
  editor.set(v.condition);
  showAnswer({ status: "complete", explanation: "" });
  text($("status"), shown.label);
  refresh();
}
async function showVersions(name) { drawVersions(name, await api("GET", `/v1/segments/${encodeURIComponent(name)}`)); }
function drawVersions(name, detail) {
  $("diff").replaceChildren();
  $("versions").replaceChildren(...(detail.template ? [] : detail.versions.slice().reverse()).map((v) => {
    const li = make("li");
    li.dataset.version = v.version;
    li.append(make("span", "version", `v${v.version}`), make("span", "muted", ` ${v.saved_at}${v.note ? " · " + v.note : ""} `));
    const open = make("button", "small", `open v${v.version}`);
    open.type = "button";
    open.addEventListener("click", () => loadVersion(name, v));
    li.append(open);
    if (v.version > 1) {
      const diff = make("button", "small", `diff v${v.version - 1} → v${v.version}`);
      diff.type = "button";
      diff.addEventListener("click", () => showDiff(name, v.version - 1, v.version));
      li.append(" ", diff);
    }
    li.append(make("code", "version-dsl", v.dsl));
    return li;
  }));
}
async function showDiff(name, old, neu) {
  const d = await api("GET", `/v1/segments/${encodeURIComponent(name)}/diff?old=${old}&new=${neu}`);
  const box = $("diff");
  const pre = make("pre", "diff");
  for (const line of d.definition) pre.append(make("span", line.startsWith("+") ? "plus" : line.startsWith("-") ? "minus" : null, line + "\n"));
  const who = make("p", "diff-members", `v${old} → v${neu} as of ${d.as_of}: ${d.entered.length} enter, ${d.left.length} leave`);
  box.replaceChildren(make("h3", null, `Diff v${old} → v${neu}`), pre, who);
}
async function exportMembers() {
  const name = $("name").value.trim();
  if (!name) { text($("export-status"), "save the segment first (exports read saved segments)"); return; }
  const format = $("export-format").value;
  const url = `/v1/segments/${encodeURIComponent(name)}/export?format=${format}&hash_emails=${$("hash-emails").checked}`;
  const headers = {};
  const key = sessionStorage.getItem("segment-builder.key");
  if (key) headers["X-API-Key"] = key;
  const r = await fetch(url, { headers });
  if (!r.ok) { text($("export-status"), "export failed: " + (await r.text())); return; }
  const blob = await r.blob();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${name}.${format}`;
  document.body.append(a);
  a.click();
  a.remove();
  text($("export-status"), `exported ${name}.${format} (the newest saved version)`);
}

// ---- start --------------------------------------------------------------------------------------------
async function start() {
  $("dialect").replaceChildren(...DIALECTS.map((d) => { const o = make("option", null, d); o.value = d; return o; }));
  $("api-key").addEventListener("change", () => { sessionStorage.setItem("segment-builder.key", $("api-key").value); location.reload(); });
  let schema;
  [schema, catalog] = await Promise.all([api("GET", "/v1/schema"), api("GET", "/v1/catalog")]);
  await loadNames();
  editor = createTreeEditor($("tree"), { schema, catalog, segmentNames: () => window.segmentNames || [], onChange: treeEdited });
  editor.set(null);
  $("ask-form").addEventListener("submit", ask);
  $("request").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) ask(e); });
  $("dsl").addEventListener("input", dslEdited);
  $("dialect").addEventListener("change", recompile);
  $("save-form").addEventListener("submit", save);
  $("open").addEventListener("click", () => openSegment($("open-name").value));
  $("export").addEventListener("click", exportMembers);
  $("clear-history").addEventListener("click", () => { localStorage.removeItem(HISTORY_KEY); drawHistory(); });
  drawHistory();
  const m = location.hash.match(/segment=([^&]+)/);
  if (m) await openSegment(decodeURIComponent(m[1]));
  document.body.dataset.ready = "true";
}
start().catch((err) => { text($("status"), "the builder could not start: " + err.message); $("status").className = "status error"; });
