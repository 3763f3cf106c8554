(function () {
"use strict";
// The screening workbench's page: talks to its own server only, shows every text it gets as text.
var state = { reviewer: "", stage: "", criteria: [], record: null, history: [], busy: false };
var LINK_PREFIXES = ["/fulltext?", "https://doi.org/"];

function $(id) { return document.getElementById(id); }
function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } return node; }
function text(tag, value, className) {
  var node = document.createElement(tag);
  node.textContent = value === undefined || value === null ? "" : String(value);
  if (className) { node.className = className; }
  return node;
}
function status(message, kind) { var node = $("status"); node.textContent = message; node.dataset.state = kind; }
function label(id) {
  var found = state.criteria.filter(function (c) { return c.id === id; })[0];
  return found ? id + " (" + found.label + ")" : id;
}

function request(path, body) {
  var options = body === undefined ? { method: "GET" } :
    { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  options.cache = "no-store";
  return window.fetch(path, options).then(function (response) {
    return response.json().then(function (data) {
      if (!response.ok) { throw new Error(data.error || response.statusText); }
      return data;
    }, function () { throw new Error("the server answered " + response.status + " without JSON"); });
  }, function () { throw new Error("the workbench server does not answer; start it again (your saved decisions are in your file)"); });
}
function query(extra) {
  var values = { reviewer: state.reviewer, stage: state.stage };
  Object.keys(extra || {}).forEach(function (name) { values[name] = extra[name]; });
  return Object.keys(values).map(function (name) {
    return encodeURIComponent(name) + "=" + encodeURIComponent(values[name]);
  }).join("&");
}

// a field as the server cut it: [piece, kind] pairs, kind "include" or "exclude" for a highlighted term
function highlighted(node, pieces) {
  clear(node);
  pieces.forEach(function (piece) {
    if (piece[1] === "include" || piece[1] === "exclude") {
      node.appendChild(text("mark", piece[0], "hl-" + piece[1]));
    } else {
      node.appendChild(document.createTextNode(piece[0]));
    }
  });
}

function showProgress(progress, stopping) {
  if (progress) {
    $("progress").textContent = "Decided " + progress.decided + " of " + progress.queue + " in the queue (include " +
      progress.include + ", exclude " + progress.exclude + ", maybe " + progress.maybe + "); " + progress.todo +
      " to do. Order: " + progress.order + ".";
  }
  if (stopping === undefined) { return; }
  var node = $("stopping");
  if (!stopping) {
    node.textContent = "Stopping rule: no state yet (the pipeline writes it when a run has one).";
    node.className = "";
    return;
  }
  var parts = ["Stopping rule" + (stopping.rule_name ? " " + stopping.rule_name : "") + ": " +
    (stopping.allowed ? "stopping is allowed" : "keep screening")];
  if (stopping.recall_target !== null && stopping.recall_target !== undefined) {
    parts.push("recall target " + stopping.recall_target);
  }
  if (stopping.confidence !== null && stopping.confidence !== undefined) { parts.push("confidence " + stopping.confidence); }
  if (stopping.screened !== null && stopping.screened !== undefined) { parts.push(stopping.screened + " screened"); }
  if (stopping.includes_found !== null && stopping.includes_found !== undefined) {
    parts.push(stopping.includes_found + " included");
  }
  if (stopping.remaining !== null && stopping.remaining !== undefined) { parts.push(stopping.remaining + " remaining"); }
  node.textContent = parts.join("; ") + (stopping.message ? ". " + stopping.message : "") + " (as of the last pipeline run)";
  node.className = stopping.allowed ? "allowed" : "";
}

function showRecord(record) {
  state.record = record;
  $("record").hidden = !record;
  $("decide").hidden = !record;
  $("done").hidden = Boolean(record);
  $("note").value = "";
  $("inclusion").value = "";
  if (!record) { $("record").dataset.key = ""; return; }
  var fields = record.fields;
  $("record").dataset.key = record.key;
  highlighted($("title"), fields.title);
  $("authors").textContent = fields.authors;
  $("source").textContent = [fields.journal, fields.year].filter(Boolean).join(", ");
  highlighted($("abstract"), fields.abstract);
  var keywords = clear($("keywords"));
  if (record.keywords.length) { keywords.appendChild(document.createTextNode("Keywords: ")); }
  record.keywords.forEach(function (pieces, i) {
    var span = document.createElement("span");
    highlighted(span, pieces);
    if (i) { keywords.appendChild(document.createTextNode("; ")); }
    keywords.appendChild(span);
  });
  $("ids").textContent = ["Study " + record.key, fields.doi ? "DOI " + fields.doi : "", fields.pmid ? "PMID " + fields.pmid : "",
    fields.records ? "Records: " + fields.records : ""].filter(Boolean).join(" · ");
  var links = clear($("links"));
  record.links.forEach(function (link) {
    if (!LINK_PREFIXES.some(function (prefix) { return link.href.indexOf(prefix) === 0; })) { return; }
    var a = text("a", link.label);
    a.href = link.href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    links.appendChild(a);
  });
  var mine = $("mine");
  mine.hidden = !record.mine;
  if (record.mine) {
    mine.textContent = "Your decision: " + record.mine.decision + (record.mine.reason ? " (" + label(record.mine.reason) + ")" : "") +
      (record.mine.note ? ", note: " + record.mine.note : "") + ". Deciding again replaces it.";
    $("note").value = record.mine.note;
  }
  window.scrollTo(0, 0);
}

function setBusy(busy) {
  state.busy = busy;
  Array.prototype.forEach.call($("decide").querySelectorAll("button"), function (b) { b.disabled = busy; });
}

function decide(decision, reason) {
  if (state.busy || !state.record) { return; }
  var key = state.record.key;
  setBusy(true);
  status("Saving " + decision + " for " + key + " ...", "saving");
  request("/api/decide", { reviewer: state.reviewer, stage: state.stage, key: key, decision: decision,
    reason: reason, note: $("note").value }).then(function (data) {
    setBusy(false);
    state.history.push(key);
    status((data.saved.how === "replaced" ? "Saved in your file, replacing your earlier row: " : "Saved in your file: ") +
      data.saved.decision + (data.saved.reason ? " (" + data.saved.reason + ")" : "") +
      " for " + data.saved.key + ".", "saved");
    showProgress(data.progress, data.stopping);
    showRecord(data.record);
  }, function (error) {
    setBusy(false);
    status("Not saved: " + error.message, "error");
  });
}

function back() {
  if (state.busy || !state.history.length) { return; }
  var key = state.history.pop();
  request("/api/record?" + query({ key: key })).then(function (data) {
    showProgress(data.progress);
    showRecord(data.record);
    status("Back to " + key + ": decide again to change your decision.", "idle");
  }, function (error) { status(error.message, "error"); });
}

function buildChoices() {
  var exclusions = clear($("exclusions"));
  var inclusion = clear($("inclusion"));
  inclusion.appendChild(text("option", "(none)"));
  inclusion.firstChild.value = "";
  var number = 0;
  state.criteria.forEach(function (c) {
    if (c.kind === "inclusion") {
      var option = text("option", c.id + ": " + c.label);
      option.value = c.id;
      inclusion.appendChild(option);
      return;
    }
    number += 1;
    var button = document.createElement("button");
    button.type = "button";
    button.dataset.reason = c.id;
    if (number <= 9) { button.appendChild(text("kbd", String(number))); button.appendChild(document.createTextNode(" ")); }
    button.appendChild(document.createTextNode(c.label + " (" + c.id + ")"));
    button.addEventListener("click", function () { decide("exclude", c.id); });
    exclusions.appendChild(button);
  });
}

function login(event) {
  event.preventDefault();
  state.reviewer = $("reviewer").value.trim();
  state.stage = $("stage").value;
  status("Opening ...", "saving");
  request("/api/state?" + query()).then(function (data) {
    state.criteria = data.criteria;
    state.history = [];
    buildChoices();
    $("who").textContent = data.reviewer + " · " + (data.stage === "full_text" ? "full text" : "title and abstract") +
      " · your file: " + data.file;
    $("login").hidden = true;
    $("screen").hidden = false;
    showProgress(data.progress, data.stopping);
    showRecord(data.record);
    status("Logged in as " + data.reviewer + ".", "idle");
  }, function (error) { status(error.message, "error"); });
}

function onKey(event) {
  if ($("screen").hidden || event.ctrlKey || event.metaKey || event.altKey) { return; }
  var tag = event.target && event.target.tagName;
  if (tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT") {
    if (event.key === "Escape") { event.target.blur(); }
    return;
  }
  var exclusions = $("exclusions").querySelectorAll("button");
  if (event.key === "i") { decide("include", $("inclusion").value); } else if (event.key === "m") { decide("maybe", $("inclusion").value); } else if (event.key === "n") {
    event.preventDefault();
    $("note").focus();
  } else if (event.key === "b" || event.key === "Backspace") { back(); } else if (/^[1-9]$/.test(event.key) && exclusions[Number(event.key) - 1]) {
    decide("exclude", exclusions[Number(event.key) - 1].dataset.reason);
  } else { return; }
  event.preventDefault();
}

$("login").addEventListener("submit", login);
$("include").addEventListener("click", function () { decide("include", $("inclusion").value); });
$("maybe").addEventListener("click", function () { decide("maybe", $("inclusion").value); });
$("back").addEventListener("click", back);
document.addEventListener("keydown", onKey);
}());
