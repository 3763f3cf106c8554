(function () {
"use strict";
var DATA = JSON.parse(document.getElementById("report-data").textContent);
var PAGE_SIZE = 50;
var META = DATA.meta;

function el(tag, className, children) {
  var node = document.createElement(tag);
  if (className) { node.className = className; }
  (children || []).forEach(function (child) {
    if (child === null || child === undefined) { return; }
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  });
  return node;
}
function text(tag, className, value) { var node = el(tag, className); node.textContent = value === undefined || value === null ? "" : String(value); return node; }
function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } return node; }
function objects(table) {
  return table.rows.map(function (row) {
    var out = {};
    table.columns.forEach(function (name, i) { out[name] = row[i]; });
    return out;
  });
}
function byKey(list, key) { var out = {}; list.forEach(function (item) { out[item[key]] = item; }); return out; }
function groupBy(list, index) {
  var out = {};
  list.forEach(function (row) { var k = row[index]; (out[k] = out[k] || []).push(row); });
  return out;
}

var studies = objects(DATA.studies);
var records = objects(DATA.records);
var studyById = byKey(studies, "study_id");
var recordById = byKey(records, "record_id");
var levelIndex = {}; META.levels.forEach(function (l, i) { levelIndex[l.id] = i; });
var levelLabel = {}; META.levels.forEach(function (l) { levelLabel[l.id] = l.label; });
var boxLabel = {}; META.boxes.forEach(function (b) { boxLabel[b.id] = b.label; });
var criterion = byKey(META.criteria, "id");
var sourceName = {}; META.sources.forEach(function (s) { sourceName[s.id] = s.name; });
var decisionsByStudy = groupBy(DATA.decisions, 0);
var resolutionsByStudy = groupBy(DATA.resolutions, 0);
var conflictsByStudy = groupBy(DATA.conflicts, 0);
var auditByStudy = groupBy(DATA.audit, 0);
var pairsByRecord = {};
DATA.pairs.forEach(function (pair) {
  [pair[0], pair[1]].forEach(function (id) { (pairsByRecord[id] = pairsByRecord[id] || []).push(pair); });
});
studies.forEach(function (s) {
  var c = DATA.classified[s.study_id];
  s.level = c ? c.evidence_level : "";
  s.sources = [];
  s.records.forEach(function (id) { var r = recordById[id]; if (r && s.sources.indexOf(r.source) < 0) { s.sources.push(r.source); } });
});

function reasonText(reason) {
  if (!reason) { return ""; }
  var c = criterion[reason];
  return c ? reason + " (" + c.label + ")" : reason;
}
function levelText(level) { return level ? (levelLabel[level] || level) : "not classified"; }
function badge(value, className) { return text("span", "badge " + (className || value), value); }
function levelBadge(level) {
  return level ? text("span", "badge level-" + (levelIndex[level] === undefined ? "x" : levelIndex[level]), levelText(level)) : null;
}
function kv(pairs) {
  var list = el("dl", "kv");
  pairs.forEach(function (pair) {
    if (pair[1] === "" || pair[1] === null || pair[1] === undefined) { return; }
    list.appendChild(text("dt", "", pair[0]));
    var dd = el("dd");
    if (typeof pair[1] === "object") { dd.appendChild(pair[1]); } else { dd.textContent = String(pair[1]); }
    list.appendChild(dd);
  });
  return list;
}
function linkButton(label, onClick) {
  var b = text("button", "link", label); b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}
function studyLink(id) { return linkButton(id, function () { showTab("explore"); openCard("study", id); }); }
function recordLink(id) { return linkButton(id, function () { showTab("explore"); openCard("record", id); }); }
function grid(columns, rows, cellFor) {
  if (!rows.length) { return text("p", "empty", "none"); }
  var table = el("table");
  var head = el("tr"); columns.forEach(function (c) { head.appendChild(text("th", "", c)); });
  table.appendChild(el("thead", "", [head]));
  var body = el("tbody");
  rows.forEach(function (row) {
    var tr = el("tr");
    row.forEach(function (value, i) {
      var custom = cellFor ? cellFor(i, value, row) : null;
      var td;
      if (custom) { td = el("td", "", [custom]); }
      else { td = text("td", /^-?\d+(\.\d+)?$/.test(String(value)) ? "num" : "", value); }
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
  table.appendChild(body);
  return table;
}

// --- the list ---------------------------------------------------------------------------
var search = document.getElementById("search");
var filters = {
  view: document.getElementById("f-view"), level: document.getElementById("f-level"),
  box: document.getElementById("f-box"), source: document.getElementById("f-source"),
  decision: document.getElementById("f-decision")
};
function fill(select, options) {
  options.forEach(function (o) { var opt = text("option", "", o[1]); opt.value = o[0]; select.appendChild(opt); });
}
fill(filters.level, [["", "any"]].concat(META.levels.map(function (l) { return [l.id, l.label]; }), [["-", "not classified"]]));
fill(filters.box, [["", "any"]].concat(META.boxes.map(function (b) { return [b.id, b.label]; })));
fill(filters.source, [["", "any"]].concat(META.sources.map(function (s) { return [s.id, s.name]; })));
fill(filters.decision, [["", "any"], ["included", "included"], ["excluded", "excluded"], ["pending", "pending"],
  ["conflict", "conflict"], ["duplicate", "duplicate (records)"]]);

function haystack(item) {
  if (item._hay === undefined) {
    var parts = [item.title, item.authors, item.year, item.journal, item.doi];
    if (item.record_id !== undefined) { parts.push(item.record_id, item.record_key, item.study_id, item.source, item.pmid); }
    else {
      parts.push(item.study_id);
      item.records.forEach(function (id) { var r = recordById[id]; if (r) { parts.push(id, r.record_key); } });
    }
    item._hay = parts.join(" \u0001 ").toLowerCase();
  }
  return item._hay;
}
var state = { items: [], page: 0, active: null };
function matches(item, words, isRecord) {
  var f = { level: filters.level.value, box: filters.box.value, source: filters.source.value, decision: filters.decision.value };
  var study = isRecord ? studyById[item.study_id] : item;
  var level = study ? study.level : "";
  if (f.level && (f.level === "-" ? level !== "" : level !== f.level)) { return false; }
  if (f.box && item.prisma_box !== f.box) { return false; }
  if (f.source && (isRecord ? item.source !== f.source : item.sources.indexOf(f.source) < 0)) { return false; }
  if (f.decision && item.screen_decision !== f.decision) { return false; }
  var hay = haystack(item);
  for (var i = 0; i < words.length; i++) { if (hay.indexOf(words[i]) < 0) { return false; } }
  return true;
}
function update() {
  var isRecord = filters.view.value === "records";
  var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
  var pool = isRecord ? records : studies;
  state.items = pool.filter(function (item) { return matches(item, words, isRecord); });
  state.page = 0;
  renderList();
}
function renderList() {
  var isRecord = filters.view.value === "records";
  var list = clear(document.getElementById("results"));
  var pages = Math.max(1, Math.ceil(state.items.length / PAGE_SIZE));
  var start = state.page * PAGE_SIZE;
  state.items.slice(start, start + PAGE_SIZE).forEach(function (item) {
    var id = isRecord ? item.record_id : item.study_id;
    var meta = isRecord
      ? [item.record_id, sourceName[item.source] || item.source, item.year, boxLabel[item.prisma_box] || item.prisma_box]
      : [item.study_id, item.year, item.screen_decision, levelText(item.level)];
    var b = el("button", "result", [text("span", "t", item.title || "(no title)"),
      text("span", "m", (item.authors ? item.authors.split("; ").slice(0, 3).join("; ") + " \u00b7 " : "") + meta.filter(Boolean).join(" \u00b7 "))]);
    b.type = "button";
    b.setAttribute("data-kind", isRecord ? "record" : "study");
    b.setAttribute("data-id", id);
    if (state.active === id) { b.className += " active"; }
    b.addEventListener("click", function () { openCard(isRecord ? "record" : "study", id); });
    list.appendChild(el("li", "", [b]));
  });
  document.getElementById("count").textContent = state.items.length + " of " + (isRecord ? records.length + " records" : studies.length + " studies");
  document.getElementById("page").textContent = "page " + (state.page + 1) + " of " + pages;
  document.getElementById("prev").disabled = state.page === 0;
  document.getElementById("next").disabled = state.page + 1 >= pages;
}
search.addEventListener("input", update);
Object.keys(filters).forEach(function (k) { filters[k].addEventListener("change", update); });
document.getElementById("prev").addEventListener("click", function () { state.page -= 1; renderList(); });
document.getElementById("next").addEventListener("click", function () { state.page += 1; renderList(); });

// --- cards ------------------------------------------------------------------------------
function decisionTable(rows, who) {
  return grid(["stage", who, "decision", "reason", "date", "note", "key", "file:line"], rows.map(function (r) {
    return [r[2], r[5], r[3], reasonText(r[4]), r[6], r[7], r[1], r[8] + (r[9] ? ":" + r[9] : "")];
  }));
}
function studyCard(s) {
  var card = clear(document.getElementById("card"));
  var c = DATA.classified[s.study_id];
  card.appendChild(text("h2", "", s.title || "(no title)"));
  card.appendChild(text("p", "sub", s.authors));
  card.appendChild(text("p", "sub", [s.journal, s.year, s.doi ? "doi:" + s.doi : ""].filter(Boolean).join(" \u00b7 ")));
  card.appendChild(el("p", "", [text("span", "badge", "study " + s.study_id), badge(s.screen_decision),
    text("span", "badge", boxLabel[s.prisma_box] || s.prisma_box), levelBadge(s.level)]));

  card.appendChild(text("h3", "", "Evidence level"));
  if (c) {
    var inputs = c.evidence_inputs && typeof c.evidence_inputs === "object"
      ? Object.keys(c.evidence_inputs).sort().map(function (k) { return k + " = " + c.evidence_inputs[k]; }).join("; ") : String(c.evidence_inputs || "");
    card.appendChild(kv([["level", levelText(c.evidence_level)], ["rule", c.evidence_rule],
      ["rules alone give", c.rule_level ? levelText(c.rule_level) : "no level"], ["inputs", inputs],
      ["override", c.evidence_rule === "override" || c.override_reason ? (c.override_reason || "(no reason given)") : ""],
      ["trail", c.trail], ["design", META.designs[c.design] ? c.design + " (" + META.designs[c.design] + ")" : c.design],
      ["effect", c.effect], ["interventions", Array.isArray(c.interventions) ? c.interventions.join("; ") : c.interventions]]));
  } else {
    card.appendChild(text("p", "note", "Not classified: the study's screening decision is '" + s.screen_decision + "'" +
      (s.screen_reason ? " (" + reasonText(s.screen_reason) + ")" : "") + "."));
  }
  if (c && auditOn.value === "on") { card.appendChild(markForm(s)); }
  var findings = auditByStudy[s.study_id] || [];
  if (findings.length) { card.appendChild(grid(["audit finding", "detail"], findings.map(function (f) { return [f[1], f[2]]; }))); }

  card.appendChild(text("h3", "", "Screening"));
  card.appendChild(kv([["outcome", s.screen_decision + " at " + s.screen_stage], ["reason", reasonText(s.screen_reason)],
    ["decided by", s.screen_by], ["PRISMA box", boxLabel[s.prisma_box] || s.prisma_box],
    ["title/abstract", s.ta_decision], ["full text", s.ft_decision]]));
  if (s.screen_by === "automation") { card.appendChild(text("p", "note", "Excluded by the automation criterion " + reasonText(s.screen_reason) + ".")); }
  card.appendChild(text("p", "note", "Decisions by reviewers:"));
  card.appendChild(decisionTable(decisionsByStudy[s.study_id] || [], "reviewer"));
  var resolved = resolutionsByStudy[s.study_id] || [];
  if (resolved.length) { card.appendChild(text("p", "note", "Resolutions:")); card.appendChild(decisionTable(resolved, "resolved by")); }
  var conflicts = conflictsByStudy[s.study_id] || [];
  if (conflicts.length) { card.appendChild(grid(["open conflict at", "decisions"], conflicts.map(function (x) { return [x[1], x[2]]; }))); }

  card.appendChild(text("h3", "", "Extracted values"));
  var sources = c && c.extraction_sources && typeof c.extraction_sources === "object" ? c.extraction_sources : {};
  var extracted = [];
  Object.keys(sources).sort().forEach(function (name) {
    (sources[name] || []).forEach(function (v) { extracted.push([name, v.value, v.source, v.quote, v.extractor]); });
  });
  card.appendChild(grid(["field", "value", "source", "quote", "extractor"], extracted));

  card.appendChild(text("h3", "", "Raw records and deduplication"));
  card.appendChild(text("p", "note", s.records.length + " record(s) in this cluster; kept record " + s.kept_record_id + "."));
  card.appendChild(grid(["record", "source", "file:line", "record_key", "role", "merge rule", "merged with"],
    s.records.map(function (id) {
      var r = recordById[id] || {};
      return [id, sourceName[r.source] || r.source, r.file + ":" + r.line, r.record_key,
        r.is_duplicate === "true" ? "duplicate" : "kept", r.dedup_rule, r.dedup_with];
    }), function (i, value) { return (i === 0 || i === 6) && recordById[value] ? recordLink(value) : null; }));
  var seen = {}, pairs = [];
  s.records.forEach(function (id) {
    (pairsByRecord[id] || []).forEach(function (p) { var k = p[0] + "|" + p[1]; if (!seen[k]) { seen[k] = true; pairs.push(p); } });
  });
  card.appendChild(text("p", "note", "Candidate pairs (merges, maybe pairs, human decisions):"));
  card.appendChild(grid(["record a", "record b", "title score", "outcome", "rule"], pairs,
    function (i, value) { return i < 2 && recordById[value] ? recordLink(value) : null; }));
  var provenance = s.provenance && typeof s.provenance === "object" ? s.provenance : {};
  var fields = Object.keys(provenance).sort();
  card.appendChild(text("p", "note", fields.length ? "The study's fields come from the kept record " + s.kept_record_id +
    ", except:" : "Every field of the study comes from the kept record " + s.kept_record_id + "."));
  if (fields.length) {
    card.appendChild(grid(["study field", "taken from record"], fields.map(function (k) { return [k, provenance[k]]; }),
      function (i, value) { return i === 1 && recordById[value] ? recordLink(value) : null; }));
  }
  if (s.abstract) {
    card.appendChild(text("h3", "", "Abstract"));
    card.appendChild(text("p", "abstract", s.abstract));
  }
}
function recordCard(r) {
  var card = clear(document.getElementById("card"));
  var s = studyById[r.study_id];
  card.appendChild(text("h2", "", r.title || "(no title)"));
  card.appendChild(text("p", "sub", r.authors));
  card.appendChild(el("p", "", [text("span", "badge", "record " + r.record_id), badge(r.screen_decision),
    text("span", "badge", boxLabel[r.prisma_box] || r.prisma_box), s ? levelBadge(s.level) : null]));
  card.appendChild(text("h3", "", "Where it came from"));
  card.appendChild(kv([["source", (sourceName[r.source] || r.source) + " (" + r.source + ")"], ["file", r.file], ["line", r.line],
    ["format", [r.format, r.dialect].filter(Boolean).join(", ")], ["database", r.database], ["record_key", r.record_key],
    ["entry type", r.entry_type], ["journal", r.journal], ["year", r.year],
    ["volume / issue / pages", [r.volume, r.issue, r.pages].filter(Boolean).join(" / ")], ["DOI", r.doi], ["PMID", r.pmid],
    ["accession", r.accession], ["language", r.language], ["problems", r.problems]]));
  card.appendChild(text("h3", "", "Deduplication"));
  card.appendChild(kv([["study", recordStudy(r)], ["role", r.is_duplicate === "true" ? "duplicate of the study's kept record" : "kept record of its study"],
    ["merge rule", r.dedup_rule], ["merged with", r.dedup_with && recordById[r.dedup_with] ? recordLink(r.dedup_with) : r.dedup_with]]));
  card.appendChild(text("h3", "", "Screening"));
  card.appendChild(kv([["decision", r.screen_decision + " at " + r.screen_stage],
    ["reason", r.screen_stage === "deduplication" ? "duplicate (rule " + r.dedup_rule + ")" : reasonText(r.screen_reason)],
    ["decided by", r.screen_by], ["PRISMA box", boxLabel[r.prisma_box] || r.prisma_box]]));
  var abstract = r.abstract || (s ? s.abstract : "");
  if (abstract) {
    card.appendChild(text("h3", "", r.abstract ? "Abstract" : "Abstract (as the study's)"));
    card.appendChild(text("p", "abstract", abstract));
  }
}
function recordStudy(r) { return studyById[r.study_id] ? studyLink(r.study_id) : r.study_id; }
function openCard(kind, id) {
  var item = kind === "record" ? recordById[id] : studyById[id];
  if (!item) { clear(document.getElementById("card")).appendChild(text("p", "empty", "No " + kind + " " + id + " in this report.")); return; }
  state.active = id;
  if (kind === "record") { recordCard(item); } else { studyCard(item); }
  document.getElementById("card").setAttribute("data-open", kind + ":" + id);
  Array.prototype.forEach.call(document.querySelectorAll("button.result"), function (b) {
    b.classList.toggle("active", b.getAttribute("data-id") === id);
  });
}

// --- the other tabs ---------------------------------------------------------------------
function showTab(name) {
  Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
    b.setAttribute("aria-selected", b.getAttribute("data-tab") === name ? "true" : "false");
  });
  Array.prototype.forEach.call(document.querySelectorAll("section.tab"), function (s) { s.hidden = s.id !== "tab-" + name; });
}
Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
  b.addEventListener("click", function () { showTab(b.getAttribute("data-tab")); });
});
function moveFigure(name, target) {
  var figure = document.getElementById("figure-" + name);
  if (figure) { target.appendChild(figure); }
}
function tableOf(t, cellFor) { return grid(t.columns, t.rows, cellFor); }
function studyCells(columnIndex) { return function (i, value) { return i === columnIndex && studyById[value] ? studyLink(value) : null; }; }
function flatten(value, prefix, out) {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    Object.keys(value).sort().forEach(function (k) { flatten(value[k], prefix ? prefix + "." + k : k, out); });
  } else { out.push([prefix, Array.isArray(value) ? JSON.stringify(value) : value]); }
  return out;
}
function renderPrisma() {
  moveFigure("prisma_flow", document.getElementById("prisma-figure"));
  var box = document.getElementById("prisma-counts");
  var counts = DATA.counts.boxes || {};
  if (DATA.methods) {
    box.appendChild(text("h3", "", "How screening was ordered and stopped"));
    box.appendChild(text("p", "methods", DATA.methods));
  }
  box.appendChild(text("h3", "", "Records in each box"));
  box.appendChild(grid(["box", "records"], META.boxes.map(function (b) { return [b.label, counts[b.id] === undefined ? "" : counts[b.id]]; })));
  var details = el("details", "", [text("summary", "", "Every PRISMA number (counts.json)")]);
  details.appendChild(grid(["quantity", "value"], flatten(DATA.counts, "", [])));
  box.appendChild(details);
}
function renderTables() {
  var holder = document.getElementById("tables");
  holder.appendChild(text("h3", "", "Evidence pyramid"));
  moveFigure("evidence_pyramid", holder);
  DATA.tables.forEach(function (t) {
    holder.appendChild(text("h3", "", t.title + " (" + t.id + ")"));
    holder.appendChild(tableOf(t));
    moveFigure(t.id, holder);
  });
  var rest = document.getElementById("other-figures");
  Array.prototype.forEach.call(document.querySelectorAll("#figure-store figure"), function (f) { rest.appendChild(f); });
}
function renderReconcile() {
  var holder = document.getElementById("reconcile");
  var rec = DATA.reconciled;
  var statusIndex = rec.columns.indexOf("status");
  var statuses = {};
  rec.rows.forEach(function (r) { statuses[r[statusIndex]] = (statuses[r[statusIndex]] || 0) + 1; });
  holder.appendChild(text("p", "", rec.rows.length + " values compared: " + Object.keys(statuses).sort().map(function (k) { return k + " " + statuses[k]; }).join(", ")));
  var pick = el("select"); fill(pick, [["", "every status"]].concat(Object.keys(statuses).sort().map(function (k) { return [k, k]; })));
  var filterLabel = el("label", "", ["Show ", pick]);
  var slot = el("div");
  function draw() {
    clear(slot).appendChild(grid(rec.columns, rec.rows.filter(function (r) { return !pick.value || r[statusIndex] === pick.value; })));
  }
  pick.addEventListener("change", draw);
  holder.appendChild(filterLabel); holder.appendChild(slot); draw();
  holder.appendChild(text("h3", "", "The published tables' own arithmetic"));
  holder.appendChild(tableOf(DATA.arithmetic));
}
function renderAgreement() {
  var holder = document.getElementById("agreement");
  if (!DATA.agreement.rows.length) { holder.appendChild(text("p", "empty", "No two reviewers screened the same studies, so there is no agreement to measure.")); }
  else { holder.appendChild(tableOf(DATA.agreement)); }
  holder.appendChild(text("h3", "", "Open conflicts"));
  holder.appendChild(grid(["study", "stage", "decisions"], DATA.conflicts, studyCells(0)));
  holder.appendChild(text("h3", "", "Decisions that match no record or study"));
  holder.appendChild(grid(["", "key", "stage", "decision", "reason", "reviewer", "date", "note", "file", "line"], DATA.unmatched));
}
function kappaTable(t) {
  // the agreement rows without their table cell; each table drawn as a matrix beneath, first rater in rows
  var show = t.columns.filter(function (name) { return name !== "table"; });
  var at = t.columns.indexOf("table");
  var holder = el("div");
  holder.appendChild(grid(show, t.rows.map(function (row) {
    return show.map(function (name) { return row[t.columns.indexOf(name)]; });
  })));
  t.rows.forEach(function (row) {
    var cells = at < 0 || !row[at] ? {} : JSON.parse(row[at]);
    var names = [];
    Object.keys(cells).forEach(function (key) { var first = key.split("|")[0]; if (names.indexOf(first) < 0) { names.push(first); } });
    var details = el("details", "", [text("summary", "", "Table: " + row[t.columns.indexOf("rater_a")] + " (rows) by " +
      row[t.columns.indexOf("rater_b")] + " (columns), " + row[t.columns.indexOf("field")] + ", weights " + row[t.columns.indexOf("weights")])]);
    details.appendChild(grid([""].concat(names), names.map(function (a) {
      return [a].concat(names.map(function (b) { return cells[a + "|" + b] === undefined ? "" : cells[a + "|" + b]; }));
    })));
    holder.appendChild(details);
  });
  return holder;
}
function renderLevelAudit() {
  var holder = document.getElementById("level-audit");
  var audit = DATA.level_audit;
  holder.appendChild(text("h3", "", "Agreement on the levels: raters, and the rules as a rater"));
  if (!audit.agreement.rows.length) { holder.appendChild(text("p", "empty", "No source states a level the rules can also give, and there are no raters.")); }
  else { holder.appendChild(kappaTable(audit.agreement)); }
  holder.appendChild(text("h3", "", "Where the rules and a stated level differ"));
  holder.appendChild(grid(["source", "study", "design", "effect", "rules give", "stated", "trail"],
    audit.disagreements.map(function (r) { return [r[0], r[1], r[2], r[3], levelText(r[4]), levelText(r[5]), r[7]]; }), studyCells(1)));
  holder.appendChild(text("h3", "", "Robustness of the findings to contested levels"));
  if (!audit.verdicts.length) { holder.appendChild(text("p", "empty", "No study is contested.")); }
  var list = el("ul");
  audit.verdicts.forEach(function (line) { list.appendChild(text("li", "", line)); });
  holder.appendChild(list);
  if (audit.moves.rows.length) {
    var moves = el("details", "", [text("summary", "", "Every finding that moves (" + audit.moves.rows.length + ")")]);
    moves.appendChild(tableOf(audit.moves));
    holder.appendChild(moves);
  }
  holder.appendChild(text("h3", "", "Conflicts between raters"));
  holder.appendChild(tableOf(audit.conflicts, studyCells(0)));
}
function renderAudit() {
  var holder = document.getElementById("audit");
  holder.appendChild(grid(["study", "finding", "detail"], DATA.audit, studyCells(0)));
  holder.appendChild(text("h3", "", "Interventions at their highest level of evidence"));
  holder.appendChild(tableOf(DATA.interventions));
}

// --- audit mode: a reviewer marks each study's level, offline, and downloads a rater file ---
// The marks live in this page only. The file is built as text (each cell quoted as CSV needs, and a
// cell a spreadsheet would run as a formula preceded by ', which the pipeline removes when it reads
// the file), offered as a data: link; nothing typed is ever put into the page as markup.
var marks = {};
var auditor = document.getElementById("auditor");
var auditOn = document.getElementById("audit-on");
var MARK_COLUMNS = ["key", "field", "value", "source", "quote", "extractor", "note"];
var FORMULA_START = /^[-=+@\t\r]/;
var PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
function raterName() { return auditor.value.trim().replace(/[^A-Za-z0-9 _.-]/g, "_").replace(/^[ .-]+/, ""); }
function csvCell(value) {
  var cell = String(value === undefined || value === null ? "" : value);
  var bare = cell.replace(/^'+/, "");
  if (FORMULA_START.test(bare) && !PLAIN_NUMBER.test(bare)) { cell = "'" + cell; }
  return /[",\r\n]/.test(cell) ? "\"" + cell.replace(/"/g, "\"\"") + "\"" : cell;
}
function marksCsv(name) {
  var lines = [MARK_COLUMNS.join(",")];
  Object.keys(marks).sort().forEach(function (id) {
    var m = marks[id];
    lines.push([id, "level", m.level, "report audit: " + m.verdict, "", name, m.note].map(csvCell).join(","));
  });
  return lines.join("\n") + "\n";
}
function renderMarks() {
  var ids = Object.keys(marks).sort();
  var name = raterName();
  var link = document.getElementById("audit-download");
  document.getElementById("audit-count").textContent = ids.length + " of " + Object.keys(DATA.classified).length +
    " classified studies marked" + (name ? " by " + name + "; the file is " + name + ".csv" : "; give your name to download the marks");
  if (ids.length && name) {
    link.href = "data:text/csv;charset=utf-8," + encodeURIComponent(marksCsv(name));
    link.download = name + ".csv";
    link.setAttribute("aria-disabled", "false");
  } else {
    link.removeAttribute("href");
    link.removeAttribute("download");
    link.setAttribute("aria-disabled", "true");
  }
  clear(document.getElementById("audit-marks")).appendChild(grid(["study", "level in the review", "mark", "your level", "note"],
    ids.map(function (id) {
      var m = marks[id];
      return [id, levelText(studyById[id] ? studyById[id].level : ""), m.verdict, levelText(m.level), m.note];
    }), studyCells(0)));
}
function markForm(s) {
  var mark = marks[s.study_id] || { verdict: s.level ? "agree" : "disagree", level: s.level, note: "" };
  var verdict = el("select"); verdict.id = "mark-verdict";
  fill(verdict, [["agree", "agree with " + levelText(s.level)], ["disagree", "disagree"]]);
  verdict.value = mark.verdict;
  var level = el("select"); level.id = "mark-level";
  fill(level, META.levels.map(function (l) { return [l.id, l.label]; }));
  level.value = mark.level || META.levels[0].id;
  var note = el("input", "note-input"); note.id = "mark-note"; note.type = "text"; note.maxLength = 1000; note.value = mark.note;
  var status = text("span", "note", marks[s.study_id] ? "marked" : "not marked yet"); status.id = "mark-status";
  var save = text("button", "", "Save mark"); save.type = "button"; save.id = "mark-save";
  var remove = text("button", "", "Remove mark"); remove.type = "button";
  function sync() { level.disabled = verdict.value === "agree"; }
  verdict.addEventListener("change", sync); sync();
  save.addEventListener("click", function () {
    if (verdict.value === "agree" && !s.level) {
      status.textContent = "This study has no level to agree with: choose disagree and the level you would give.";
      return;
    }
    marks[s.study_id] = { verdict: verdict.value, level: verdict.value === "agree" ? s.level : level.value, note: note.value };
    status.textContent = "marked";
    renderMarks();
  });
  remove.addEventListener("click", function () { delete marks[s.study_id]; status.textContent = "not marked"; renderMarks(); });
  return el("div", "mark", [text("strong", "", "Your audit of this level"),
    el("div", "", [el("label", "", ["Mark", verdict]), el("label", "", ["Level you would give", level]), el("label", "", ["Note", note])]),
    el("p", "", [save, " ", remove, " ", status])]);
}
function makeMark(spec) {
  // "<study id>|agree|" or "<study id>|disagree|<level id>|<note>": filled into the card's form and saved by its button
  var parts = spec.split("|");
  openCard("study", parts[0]);
  var verdict = document.getElementById("mark-verdict");
  if (!verdict) { return; }
  verdict.value = parts[1];
  verdict.dispatchEvent(new Event("change"));
  if (parts[2]) { document.getElementById("mark-level").value = parts[2]; }
  document.getElementById("mark-note").value = parts.slice(3).join("|");
  document.getElementById("mark-save").click();
}
auditor.addEventListener("input", renderMarks);
auditOn.addEventListener("change", function () {
  var open = document.getElementById("card").getAttribute("data-open") || "";
  if (open.indexOf("study:") === 0) { openCard("study", open.slice(6)); }
});

// --- start --------------------------------------------------------------------------------
var review = META.review;
document.getElementById("review-title").textContent = "Audit report: " + (review.title || review.id);
document.getElementById("review-sub").textContent = studies.length + " studies from " + records.length + " records" +
  (review.citation ? " \u00b7 " + review.citation : "");
renderPrisma(); renderTables(); renderReconcile(); renderAgreement(); renderAudit(); renderLevelAudit(); renderMarks();
update();

function applyFragment() {
  var params = {}, toMark = [];
  location.hash.replace(/^#/, "").split("&").forEach(function (part) {
    if (!part) { return; }
    var at = part.indexOf("=");
    var key = decodeURIComponent(at < 0 ? part : part.slice(0, at));
    params[key] = at < 0 ? "" : decodeURIComponent(part.slice(at + 1).replace(/\+/g, " "));
    if (key === "mark") { toMark.push(params[key]); }
  });
  if (params.tab) { showTab(params.tab); }
  if (params.auditor !== undefined) { auditor.value = params.auditor; auditor.dispatchEvent(new Event("input")); }
  if (params.audit !== undefined) { auditOn.value = params.audit; auditOn.dispatchEvent(new Event("change")); }
  toMark.forEach(makeMark);
  var changed = false;
  ["view", "level", "box", "source", "decision"].forEach(function (k) {
    if (params[k] !== undefined && filters[k].value !== params[k]) { filters[k].value = params[k]; changed = true; }
  });
  if (changed) { filters.view.dispatchEvent(new Event("change")); }
  if (params.search !== undefined) {
    search.value = params.search;
    search.dispatchEvent(new Event("input"));
  }
  if (params.open) {
    var hit = Array.prototype.filter.call(document.querySelectorAll("button.result"), function (b) { return b.getAttribute("data-id") === params.open; })[0];
    if (hit) { hit.click(); }
    else { openCard(filters.view.value === "records" ? "record" : "study", params.open); }
  }
}
window.addEventListener("hashchange", applyFragment);
applyFragment();
})();
