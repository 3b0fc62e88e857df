// The condition tree editor. Node shapes come from the builder JSON Schema (/v1/schema): every node kind,
// its fields, enums and optional parts are read from it, so a new node kind shows up without code here.
// Names (events, traits, properties, saved segments) come from the catalog (/v1/catalog). The editor only
// changes the tree and reports it (`onChange`); checking, DSL and SQL happen on the server.

const KIND_LABELS = {
  and: "all of (and)", or: "any of (or)", not: "not", trait: "profile trait", trait_time: "trait date in a window",
  anniversary: "date anniversary", did: "did an event", sequence: "sequence (then ...)",
  aggregate: "aggregate (total / average / min / max / distinct)", share: "share of events",
  occurrence: "first / last event", regular: "regularly (in K of N periods)", stopped: "stopped doing",
  restarted: "restarted after a gap", rank: "rank (top / bottom)", segment: "in saved segment",
  property: "property filter", filter_and: "all of (and)", filter_or: "any of (or)", filter_not: "not",
  in_last: "in last", in_next: "in next", more_than_ago: "more than ... ago", between_ago: "between ... ago",
  before: "before a date", after: "after a date", between_dates: "between two dates", on_date: "on a day",
  calendar: "calendar period", named: "named period or holiday", anchored: "within ... after (anchored)",
};
const FIELD_LABELS = {
  min_periods: "at least (periods)", periods: "of last (periods)", n: "number", m: "and", low: "from", high: "to",
  at: "date", start: "from date", end: "to date", day: "day", within: "within", negated: "did not",
  percent: "percent", where: "where", func: "measure", op: "operator", gap: "after a gap of", anchor: "anchor",
};
const OP_LABELS = {
  "=": "=", "!=": "≠", ">": ">", ">=": "≥", "<": "<", "<=": "≤", in: "is one of", not_in: "is none of",
  contains: "contains", not_contains: "does not contain", starts_with: "starts with", ends_with: "ends with",
  is_set: "is set", is_not_set: "is not set", at_least: "at least", at_most: "at most", exactly: "exactly",
  between: "between",
};
// Fields shown first, in this order (the schema's order puts inherited fields first).
const FIRST = ["which", "direction", "func", "trait", "property", "name", "negated", "event"];
const LIST_OPS = ["in", "not_in"], TEXT_OPS = ["contains", "not_contains", "starts_with", "ends_with"];
const PRESENCE_OPS = ["is_set", "is_not_set"];

export function createTreeEditor(root, { schema, catalog, segmentNames, onChange }) {
  const defs = schema.$defs;
  const refName = (s) => s && s.$ref ? s.$ref.split("/").pop() : null;
  // every kind the schema has, the common ones first
  const ORDER = ["did", "trait", "trait_time", "anniversary", "sequence", "aggregate", "share", "occurrence", "regular",
    "stopped", "restarted", "rank", "segment", "and", "or", "not"];
  const conditionKinds = Object.keys(schema.discriminator.mapping).sort((a, b) => order(a) - order(b));
  function order(k) { return ORDER.includes(k) ? ORDER.indexOf(k) : ORDER.length; }
  const events = Object.keys(catalog.events);
  const traits = Object.keys(catalog.traits);
  const timeTraits = traits.filter((t) => ["date", "timestamp"].includes(catalog.traits[t].type));
  const dateTraits = traits.filter((t) => catalog.traits[t].type === "date");
  const eventProps = (e) => (catalog.events[e] ? catalog.events[e].properties : Object.keys(catalog.properties));
  const numericProps = (e) => eventProps(e).filter((p) => catalog.properties[p] && catalog.properties[p].type === "number");
  const mainEvent = events.includes("order_completed") ? "order_completed" : events[0];
  let tree = null;

  // ---- defaults for new nodes: generic from the schema, made sensible with the catalog -------------------
  const WINDOWS = {
    in_last: { amount: 30, unit: "day" }, in_next: { amount: 7, unit: "day" }, more_than_ago: { amount: 60, unit: "day" },
    between_ago: { low: 60, high: 120, unit: "day" }, before: { at: "2026-01-01" }, after: { at: "2026-01-01" },
    between_dates: { start: "2026-01-01", end: "2026-01-31" }, on_date: { day: "2026-01-01" },
    calendar: { which: "previous", period: "month" }, named: { name: "black_friday" },
    anchored: { amount: 7, unit: "day", anchor: timeTraits[0] || mainEvent },
  };
  const firstValue = (spec) => (spec && spec.values && spec.values.length ? spec.values[0] : spec && spec.type === "number" ? 0 : spec && spec.type === "boolean" ? true : "");
  const ev = (name = mainEvent) => ({ name });
  const CONDITIONS = {
    trait: () => ({ kind: "trait", trait: traits.includes("country") ? "country" : traits[0], op: "=", value: firstValue(catalog.traits.country || catalog.traits[traits[0]]) }),
    trait_time: () => ({ kind: "trait_time", trait: timeTraits[0], window: { kind: "in_last", ...WINDOWS.in_last } }),
    anniversary: () => ({ kind: "anniversary", trait: dateTraits[0] || timeTraits[0], direction: "next", amount: 7, unit: "day" }),
    did: () => ({ kind: "did", event: ev(), window: { kind: "in_last", ...WINDOWS.in_last } }),
    sequence: () => ({ kind: "sequence", event: ev(events.includes("cart_added") ? "cart_added" : mainEvent), window: { kind: "in_last", ...WINDOWS.in_last },
      steps: [{ negated: true, event: ev(), within: { amount: 1, unit: "day" } }] }),
    aggregate: () => ({ kind: "aggregate", func: "total", property: numericProps(mainEvent)[0] || eventProps(mainEvent)[0], event: ev(), op: ">", value: 100 }),
    share: () => { const p = eventProps(mainEvent).find((x) => catalog.properties[x] && catalog.properties[x].type === "boolean") || eventProps(mainEvent)[0];
      return { kind: "share", event: { name: mainEvent, where: { kind: "property", property: p, op: "=", value: firstValue(catalog.properties[p]) } }, op: ">", value: 50 }; },
    occurrence: () => ({ kind: "occurrence", which: "last", event: ev(), window: { kind: "more_than_ago", ...WINDOWS.more_than_ago } }),
    regular: () => ({ kind: "regular", event: ev(), min_periods: 3, periods: 4, unit: "month" }),
    stopped: () => ({ kind: "stopped", event: ev(), duration: { amount: 30, unit: "day" } }),
    restarted: () => ({ kind: "restarted", event: ev(), gap: { amount: 60, unit: "day" } }),
    rank: () => ({ kind: "rank", direction: "top", amount: 10, percent: true, measure: { func: "total", property: numericProps(mainEvent)[0], event: ev() } }),
    segment: () => ({ kind: "segment", name: segmentNames()[0] || "vips" }),
    and: () => ({ kind: "and", conditions: [CONDITIONS.did(), CONDITIONS.trait()] }),
    or: () => ({ kind: "or", conditions: [CONDITIONS.did(), CONDITIONS.trait()] }),
    not: () => ({ kind: "not", condition: CONDITIONS.did() }),
    property: (event) => { const p = eventProps(event)[0]; return { kind: "property", property: p, op: "=", value: firstValue(catalog.properties[p]) }; },
  };
  CONDITIONS.filter_and = (event) => ({ kind: "filter_and", conditions: [CONDITIONS.property(event), CONDITIONS.property(event)] });
  CONDITIONS.filter_or = (event) => ({ kind: "filter_or", conditions: [CONDITIONS.property(event), CONDITIONS.property(event)] });
  CONDITIONS.filter_not = (event) => ({ kind: "filter_not", condition: CONDITIONS.property(event) });

  function blank(def, context) {  // any object of the schema, required fields only
    const d = defs[def], out = {};
    const kind = d.properties.kind && d.properties.kind.const;
    if (kind && CONDITIONS[kind]) return CONDITIONS[kind](context);
    if (kind && WINDOWS[kind]) return { kind, ...WINDOWS[kind] };
    for (const key of d.required || []) out[key] = blankValue(d.properties[key], key);
    if (kind) out.kind = kind;
    return out;
  }
  function blankValue(s, key) {
    if (refName(s)) return blank(refName(s));
    if (s.discriminator) return blank(refName(s.oneOf[0]));
    if (s.enum) return s.enum[0];
    if (s.type === "integer") return Math.max(1, s.minimum || 0);
    if (s.type === "number") return 0;
    if (s.type === "boolean") return false;
    if (s.type === "array") return [];
    if (key === "name") return mainEvent;
    return "";
  }

  // ---- tree access -------------------------------------------------------------------------------------
  const get = (path) => path.reduce((o, k) => (o == null ? o : o[k]), tree);
  function set(path, value) {
    if (!path.length) { tree = value; return; }
    const parent = get(path.slice(0, -1));
    if (value === undefined) delete parent[path[path.length - 1]]; else parent[path[path.length - 1]] = value;
  }
  function changed(structural = true) {
    tree = fixups(tree);
    if (structural) render();
    onChange(tree);
  }

  // Keep the invariants the schema's validators state, so an edit never builds a tree that cannot exist.
  function fixups(node, event) {
    if (Array.isArray(node)) return node.map((n) => fixups(n, event));
    if (!node || typeof node !== "object") return node;
    if ("op" in node && "n" in node) {  // a count
      if (node.op === "between" && node.m == null) node.m = Number(node.n) + 1;
      if (node.op !== "between") delete node.m;
    }
    if ((node.kind === "trait" || node.kind === "property") && typeof node.op === "string") {
      const v = node.value;
      if (PRESENCE_OPS.includes(node.op)) delete node.value;
      else if (LIST_OPS.includes(node.op)) node.value = Array.isArray(v) ? v : v == null || v === "" ? [] : [v];
      else if (TEXT_OPS.includes(node.op)) node.value = Array.isArray(v) ? String(v[0] ?? "") : v == null ? "" : String(v);
      else if (Array.isArray(v) || v == null) node.value = Array.isArray(v) && v.length ? v[0] : firstValue(spec(node, event));
    }
    if ("func" in node && "event" in node && !("kind" in node)) {  // a measure
      if (node.func === "count") delete node.property;
      else if (!node.property) node.property = numericProps(node.event.name)[0];
    }
    const inner = node.name && ("where" in node) ? node.name : event;
    for (const [k, v] of Object.entries(node)) {
      if (v === null) delete node[k]; else node[k] = fixups(v, k === "where" ? node.name : inner);
    }
    return node;
  }
  const spec = (node, event) => node.kind === "trait" ? catalog.traits[node.trait] : catalog.properties[node.property];

  // ---- rendering ---------------------------------------------------------------------------------------
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (v !== false && v != null) e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c != null) e.append(c);
    return e;
  };
  const ptr = (path) => "/" + path.join("/");
  const idOf = (path) => "t" + ptr(path).replace(/[^A-Za-z0-9_]/g, "-");
  const label = (key) => FIELD_LABELS[key] || key.replace(/_/g, " ");
  const fieldLabel = (key, def) => (def === "EventRef" && key === "name" ? "event" : def === "SegmentRef" ? "segment" : label(key));
  const humanKind = (k) => KIND_LABELS[k] || k.replace(/_/g, " ");
  const button = (text, title, onclick, extra = {}) =>
    el("button", { type: "button", class: "small", title, "aria-label": title, onclick, ...extra }, text);

  function select(path, options, value, onPick, aria) {
    const known = options.map((o) => (Array.isArray(o) ? o : [o, OP_LABELS[o] || o]));
    if (value != null && !known.some(([v]) => v === value)) known.push([value, `${value} (unknown)`]);
    const s = el("select", { id: idOf(path), "data-path": ptr(path), "aria-label": aria },
      known.map(([v, text]) => el("option", { value: v, selected: v === value }, text)));
    s.addEventListener("change", () => onPick(s.value));
    return s;
  }
  function field(text, path, control) {
    return el("span", { class: "field" }, el("label", { for: control.id || idOf(path) }, label(text)), control);
  }
  function numberInput(path, value, integer, aria) {
    const i = el("input", { type: "number", id: idOf(path), "data-path": ptr(path), value: value ?? "", step: integer ? "1" : "any",
      min: integer ? "0" : null, "aria-label": aria, class: "num" });
    i.addEventListener("input", () => {
      const n = i.value === "" ? null : Number(i.value);
      set(path, n == null || Number.isNaN(n) ? i.value : n);
      changed(false);
    });
    return i;
  }
  function textInput(path, value, aria, parse = (x) => x, listId = null) {
    const i = el("input", { type: "text", id: idOf(path), "data-path": ptr(path), value: value ?? "", "aria-label": aria, list: listId });
    i.addEventListener("input", () => { set(path, parse(i.value)); changed(false); });
    return i;
  }

  // A condition node of the segment (or of an event's filter): kind picker, fields, and its tools.
  function node(value, path, tools, filterEvent) {
    const isFilter = filterEvent !== undefined;
    const kinds = isFilter ? filterKinds() : conditionKinds;
    const box = el("div", { class: `node kind-${value.kind}`, "data-node": ptr(path), role: "group", "aria-label": humanKind(value.kind) });
    const head = el("div", { class: "node-head" },
      select(path.concat("kind"), kinds.map((k) => [k, humanKind(k)]), value.kind,
        (k) => { set(path, retype(value, k, filterEvent)); changed(); }, isFilter ? "filter kind" : "condition kind"),
      tools);
    box.append(head, fields(value, path, filterEvent));
    return box;
  }
  // A new kind for a node: a group or a not takes the old node inside it; a group changes only its kind;
  // otherwise keep what both kinds have (event, window, trait).
  function retype(old, kind, filterEvent) {
    const groups = ["and", "or", "filter_and", "filter_or"], nots = ["not", "filter_not"];
    if (groups.includes(kind)) {
      const conditions = groups.includes(old.kind) ? old.conditions
        : [old, CONDITIONS[filterEvent !== undefined ? "property" : "did"](filterEvent)];
      return { kind, conditions };
    }
    if (nots.includes(kind) && !nots.includes(old.kind)) return { kind, condition: old };
    const fresh = CONDITIONS[kind](filterEvent);
    for (const k of ["event", "window", "trait"]) if (k in fresh && old[k] !== undefined) fresh[k] = old[k];
    return fresh;
  }
  // Tools a list gives each item: move, nest, remove.
  function itemTools(listPath, i, count, minItems, childIsFilter, filterEvent) {
    const list = () => get(listPath);
    const move = (d) => { const l = list(); [l[i], l[i + d]] = [l[i + d], l[i]]; changed(); focusLater(listPath.concat(i + d)); };
    const remove = () => {
      const l = list();
      l.splice(i, 1);
      const collapse = l.length < minItems && l.length === 1 && listPath[listPath.length - 1] === "conditions";
      if (collapse) set(listPath.slice(0, -1), l[0]);  // a group of one is its member
      changed();
      focusLater(collapse ? listPath.slice(0, -1) : listPath.concat(Math.max(0, i - 1)));  // keep the keyboard nearby
    };
    const tools = [
      button("↑", "move up", () => move(-1), { disabled: i === 0 }),
      button("↓", "move down", () => move(1), { disabled: i === count - 1 }),
    ];
    if (childIsFilter !== undefined) tools.push(...nestTools(listPath.concat(i), childIsFilter, filterEvent));
    tools.push(button("✕", "remove", remove, { disabled: count <= 1 && minItems > 0 }));
    return el("span", { class: "tools" }, tools);
  }
  function nestTools(path, isFilter, filterEvent) {
    const [and, or, not] = isFilter ? ["filter_and", "filter_or", "filter_not"] : ["and", "or", "not"];
    const wrap = (kind) => () => {
      const inner = get(path);
      set(path, kind === not ? { kind, condition: inner } : { kind, conditions: [inner, CONDITIONS[isFilter ? "property" : "did"](filterEvent)] });
      changed();
    };
    return [button("+and", "nest in and (add a condition next to it)", wrap(and)), button("+or", "nest in or (add an alternative)", wrap(or)),
      button("not", "negate (nest in not)", wrap(not))];
  }
  const focusLater = (path) => requestAnimationFrame(() => { const e = root.querySelector(`[data-node="${ptr(path)}"] select`); if (e) e.focus(); });

  function fields(obj, path, filterEvent) {
    const def = refName(schemaOf(obj, filterEvent));
    const props = defs[def].properties;
    const keys = Object.keys(props).filter((k) => k !== "kind").sort((a, b) => rank(a) - rank(b));
    const wrap = el("div", { class: "fields" });
    for (const key of keys) {
      const part = fieldOf(obj, key, props[key], path.concat(key), def, filterEvent);
      if (part) wrap.append(part);
    }
    return wrap;
  }
  const rank = (k) => (FIRST.includes(k) ? FIRST.indexOf(k) : FIRST.length);
  function schemaOf(obj, filterEvent) {
    const map = filterEvent !== undefined ? FILTER_MAP : { ...schema.discriminator.mapping, ...WINDOW_MAP };
    return { $ref: map[obj.kind] };
  }
  const FILTER_MAP = defs.EventRef.properties.where.anyOf[0].discriminator.mapping;
  const filterKinds = () => Object.keys(FILTER_MAP).sort((a, b) => (b === "property") - (a === "property"));
  const WINDOW_MAP = defs.Did.properties.window.anyOf[0].discriminator.mapping;

  function fieldOf(obj, key, s, path, def, filterEvent) {
    const value = obj[key];
    const optional = s.anyOf && s.anyOf.some((x) => x.type === "null");
    const inner = optional ? s.anyOf.filter((x) => x.type !== "null") : null;
    const one = inner && inner.length === 1 ? inner[0] : s;
    // parts the node's own rules decide (see fixups)
    if (key === "m" && obj.op !== "between") return null;
    if (key === "value" && (obj.kind === "trait" || obj.kind === "property")) return valueField(obj, path);
    if (key === "property" && def === "Measure" && obj.func === "count") return null;
    if (key === "year") return field(key, path, textInput(path, value, "year (empty, this, last or a year)",
      (x) => (x === "" ? undefined : /^\d+$/.test(x) ? Number(x) : x)));
    if (key === "conditions") return list(obj, key, path, one.items, filterEvent);
    if (key === "steps") return list(obj, key, path, one.items, filterEvent);
    if (key === "condition") {  // not: one child, which can be unwrapped
      const isFilter = filterEvent !== undefined;
      const tools = el("span", { class: "tools" }, ...nestTools(path, isFilter, filterEvent),
        button("unwrap", "remove the not, keep its condition", () => { set(path.slice(0, -1), get(path)); changed(); }));
      return node(value, path, tools, filterEvent);
    }
    if (value == null && optional) {
      const add = () => {
        const made = one.discriminator ? (key === "where" ? CONDITIONS.property(obj.name) : { kind: "in_last", ...WINDOWS.in_last })
          : refName(one) === "Duration" ? { amount: 1, unit: "day" } : refName(one) ? blank(refName(one)) : blankValue(one, key);
        set(path, made); changed(); focusLater(path);
      };
      return el("span", { class: "field optional" }, button(`+ ${label(key)}`, `add ${label(key)}`, add, { "data-add": ptr(path) }));
    }
    const removable = optional ? button("✕", `remove ${label(key)}`, () => { set(path, undefined); changed(); }) : null;
    if (one.discriminator) {  // a window or an event filter
      if (key === "where") {
        return el("div", { class: "sub" }, el("span", { class: "sub-label" }, "where"),
          node(value, path, el("span", { class: "tools" }, ...nestTools(path, true, obj.name), removable), obj.name));
      }
      const box = el("div", { class: "sub window", "data-node": ptr(path) },
        el("label", { for: idOf(path.concat("kind")) }, label(key)),
        select(path.concat("kind"), Object.keys(one.discriminator.mapping).map((k) => [k, humanKind(k)]), value.kind,
          (k) => { set(path, { kind: k, ...WINDOWS[k] }); changed(); }, `${label(key)} kind`),
        fields(value, path), removable);
      return box;
    }
    if (refName(one)) {  // a nested object: event, count, duration, measure
      const box = el("div", { class: `sub sub-${key}`, "data-node": ptr(path) }, key === "event" ? null : el("span", { class: "sub-label" }, label(key)),
        fieldsOf(refName(one), path, filterEvent), removable);
      return box;
    }
    return field(fieldLabel(key, def), path, scalar(obj, key, one, path, def, filterEvent));
  }
  function fieldsOf(def, path, filterEvent) {
    const props = defs[def].properties;
    const wrap = el("span", { class: "fields inline" });
    for (const key of Object.keys(props).filter((k) => k !== "kind").sort((a, b) => rank(a) - rank(b))) {
      const part = fieldOf(get(path), key, props[key], path.concat(key), def, filterEvent);
      if (part) wrap.append(part);
    }
    return wrap;
  }
  function scalar(obj, key, s, path, def, filterEvent) {
    const value = obj[key];
    const renames = (def === "TraitCondition" && key === "trait") || (def === "PropertyCondition" && key === "property");
    const pick = (v) => { set(path, v); if (renames) retypeValue(get(path.slice(0, -1))); changed(); };
    const names = nameOptions(obj, key, def, filterEvent);
    if (names) return select(path, names, value, pick, label(key));
    if (s.enum) return select(path, s.enum, value, pick, label(key));
    if (s.type === "integer" || s.type === "number" || (s.anyOf && s.anyOf.some((x) => x.type === "number")))
      return numberInput(path, value, s.type === "integer", label(key));
    if (s.type === "boolean") {
      const c = el("input", { type: "checkbox", id: idOf(path), "data-path": ptr(path), checked: !!value });
      c.addEventListener("change", () => pick(c.checked));
      return c;
    }
    return textInput(path, value, label(key));
  }
  function retypeValue(n) {  // a new trait or property: a value of its type
    const v = firstValue(n.kind === "trait" ? catalog.traits[n.trait] : catalog.properties[n.property]);
    if (!PRESENCE_OPS.includes(n.op)) n.value = LIST_OPS.includes(n.op) ? [v] : TEXT_OPS.includes(n.op) ? "" : v;
  }
  function nameOptions(obj, key, def, filterEvent) {
    if (key === "name" && def === "EventRef") return events;
    if (key === "property" && def === "PropertyCondition") return eventProps(filterEvent);
    if (key === "name" && def === "SegmentRef") return segmentNames();
    if (key === "trait" && def === "TraitCondition") return traits;
    if (key === "trait") return def === "Anniversary" ? dateTraits.concat(timeTraits.filter((t) => !dateTraits.includes(t))) : timeTraits;
    if (key === "anchor") return timeTraits.concat(events);
    if (key === "property" && (def === "Aggregate" || def === "Measure"))
      return obj.func === "count_distinct" ? eventProps(obj.event.name) : numericProps(obj.event.name);
    return null;
  }
  // The value of a trait or property condition: its widget follows the operator and the field's type.
  function valueField(obj, path) {
    const where = path.slice(0, -1);
    const spec = obj.kind === "trait" ? catalog.traits[obj.trait] : catalog.properties[obj.property];
    const type = spec ? spec.type : "string";
    const typed = (x) => (type === "number" && x !== "" && !Number.isNaN(Number(x)) ? Number(x) : type === "boolean" ? x === "true" : x);
    if (PRESENCE_OPS.includes(obj.op)) return null;
    const listId = spec && spec.values && spec.values.length ? idOf(where) + "-values" : null;
    const datalist = listId ? el("datalist", { id: listId }, spec.values.map((v) => el("option", { value: v }))) : null;
    if (LIST_OPS.includes(obj.op)) {
      const i = textInput(path, (obj.value || []).join(", "), "values, separated by commas",
        (x) => x.split(",").map((p) => p.trim()).filter((p) => p).map(typed));
      return el("span", { class: "field" }, el("label", { for: i.id }, "values"), i, datalist);
    }
    if (type === "boolean" && !TEXT_OPS.includes(obj.op))
      return field("value", path, select(path, [["true", "true"], ["false", "false"]], String(obj.value), (v) => { set(path, v === "true"); changed(); }, "value"));
    if (type === "number" && !TEXT_OPS.includes(obj.op)) return field("value", path, numberInput(path, obj.value, false, "value"));
    return el("span", { class: "field" }, el("label", { for: idOf(path) }, "value"), textInput(path, obj.value, "value", (x) => x, listId), datalist);
  }
  function list(obj, key, path, itemSchema, filterEvent) {
    const items = obj[key];
    const isSteps = key === "steps";
    const isFilter = filterEvent !== undefined;
    const min = isSteps ? 1 : 2;
    const ul = el("ol", { class: `items ${key}`, "aria-label": isSteps ? "steps" : "conditions" });
    items.forEach((item, i) => {
      const p = path.concat(i);
      if (isSteps) {
        ul.append(el("li", { class: "step", "data-node": ptr(p) }, el("span", { class: "sub-label" }, "then"),
          fieldsOf("SequenceStep", p), itemTools(path, i, items.length, min)));
      } else {
        ul.append(el("li", {}, node(item, p, itemTools(path, i, items.length, min, isFilter, filterEvent), isFilter ? filterEvent : undefined)));
      }
    });
    const add = isSteps
      ? button("+ step", "add a step", () => { items.push({ negated: false, event: ev(), within: { amount: 1, unit: "day" } }); changed(); }, { "data-add": ptr(path) })
      : addPicker(path, isFilter ? filterKinds() : conditionKinds,
        (k) => { items.push(CONDITIONS[k](filterEvent)); changed(); focusLater(path.concat(items.length - 1)); }, filterEvent);
    return el("div", { class: "list" }, ul, add);
  }
  function addPicker(path, kinds, onAdd) {
    const id = idOf(path) + "-new";
    const s = el("select", { id, "data-new": ptr(path), "aria-label": "kind of condition to add" },
      kinds.map((k) => el("option", { value: k }, humanKind(k))));
    return el("span", { class: "add" }, el("label", { for: id }, "add"), s,
      button("+ add", "add this condition", () => onAdd(s.value), { "data-add": ptr(path) }));
  }

  function render() {
    const scrollY = window.scrollY;
    const active = document.activeElement && root.contains(document.activeElement) ? document.activeElement.id : null;
    root.replaceChildren();
    if (!tree) {
      root.append(el("p", { class: "muted" }, "No condition yet: ask for a segment, type DSL, or start one here."),
        addPicker([], conditionKinds, (k) => { tree = CONDITIONS[k](); changed(); }));
    } else {
      const rootTools = el("span", { class: "tools" }, ...nestTools([], false),
        button("✕", "remove the whole condition", () => { tree = null; changed(); }));
      root.append(node(tree, [], rootTools));
      if (tree.kind !== "and" && tree.kind !== "or") {
        root.append(addPicker(["root"], conditionKinds, (k) => {
          tree = { kind: "and", conditions: [tree, CONDITIONS[k]()] }; changed();
        }));
      }
    }
    if (active) { const e = document.getElementById(active); if (e) e.focus(); }
    window.scrollTo(0, scrollY);
  }

  // Diagnostics with a `path` go on their node: the deepest element drawn for that path or a parent of it.
  function showErrors(diagnostics) {
    root.querySelectorAll(".node-error").forEach((e) => e.remove());
    root.querySelectorAll(".has-error").forEach((e) => e.classList.remove("has-error"));
    for (const d of diagnostics) {
      if (!d.path) continue;
      let target = null;
      for (let n = d.path.length; n >= 0 && !target; n--) {
        const p = ptr(d.path.slice(0, n));
        target = root.querySelector(`[data-node="${p}"]`) || root.querySelector(`[data-path="${p}"]`);
      }
      target = target || root.querySelector(".node");
      if (!target) continue;
      const holder = target.closest("[data-node]") || target;
      holder.classList.add("has-error");
      const msg = d.message + (d.suggestion ? ` (did you mean ${d.suggestion}?)` : "");
      holder.append(el("div", { class: "node-error", role: "alert", "data-error-path": ptr(d.path) }, msg));
    }
  }

  return {
    set(value) { tree = value ? fixups(JSON.parse(JSON.stringify(value))) : null; render(); },
    get: () => tree,
    render,
    showErrors,
  };
}
