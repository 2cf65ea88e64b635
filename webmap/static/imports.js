/* Atlas de Bamako: the planners' import page (/imports).
 *
 * Uploads a file to POST /api/v1/imports, shows the preview it returns (rows
 * to add, probable duplicates, per-row errors naming the line, the field and
 * the problem) and commits it with POST /api/v1/imports/<id>/commit (all rows
 * or none). Texts come from the page's JSON config (webmap/views/editconfig.py);
 * everything read from the file is set with textContent, never parsed as HTML.
 * An ES module.
 */

import { el, fillUrl, localeOf, numberFormatter, problemText, readConfig, send } from "./lib/shared.js";

var C = readConfig("import-config");
var T = C.t, PROBLEMS = C.problems, LABELS = C.fieldLabels;
var SHOWN_ROWS = 200;
var formEl = document.getElementById("import-form");
var fileInput = document.getElementById("import-file");
var targetInput = document.getElementById("import-target");
var statusEl = document.getElementById("import-status");
var alertEl = document.getElementById("import-alert");
var previewEl = document.getElementById("import-preview");
var busy = false;

var fmt = numberFormatter(localeOf(C.lang));

function say(text) { statusEl.textContent = text || ""; }

function fail(text) {
  alertEl.textContent = text;
  alertEl.hidden = false;
  alertEl.focus();
}

function failure(res) {
  if (res.status === 0) return T.network;
  if (res.status === 401) return T.session_lost;
  if (res.status === 413) return PROBLEMS.file_too_large;
  return problemText((res.doc && res.doc.error) || {}, PROBLEMS, T.network);
}

function table(headers, rows) {
  var head = el("tr", {}, headers.map(function (h) { return el("th", { scope: "col", text: h }); }));
  var body = el("tbody", {}, rows.map(function (cells) {
    return el("tr", {}, cells.map(function (c) { return el("td", {}, [c === null || c === undefined ? "" : c]); }));
  }));
  return el("div", { class: "table-wrap" }, [el("table", {}, [el("thead", {}, [head]), body])]);
}

function more(total) {
  return total > SHOWN_ROWS ? el("p", { class: "note", text: T.more_rows.replace("%(n)s", fmt(total - SHOWN_ROWS)) }) : null;
}

/** Return a section titled "title (n)": a note and the first rows of `items` as a table, or `empty`. */
function listSection(id, title, items, note, empty, headers, toRow) {
  var box = el("section", { "aria-labelledby": id }, [el("h2", { id: id, text: title + " (" + fmt(items.length) + ")" })]);
  if (!items.length) {
    box.appendChild(el("p", { text: empty }));
    return box;
  }
  if (note) box.appendChild(el("p", { class: "note", text: note }));
  box.appendChild(table(headers, items.slice(0, SHOWN_ROWS).map(toRow)));
  var m = more(items.length);
  if (m) box.appendChild(m);
  return box;
}

/** "line 12" → "ligne 12"; "feature 3" → "objet 3"; OSM references as they are. */
function lineText(line) {
  var m = /^(line|feature) (\d+)$/.exec(String(line || ""));
  if (!m) return String(line || "");
  return (m[1] === "line" ? T.line_n : T.feature_n).replace("%(n)s", m[2]);
}

function capital(text) {
  text = String(text || "");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function kindText(key) { return C.kinds[key] || key || ""; }

function positionText(row) {
  if (row.quartier_pcode) {
    var f = row.fields || {};
    return (f.quartier_declared || row.quartier_pcode) + " (" + (C.precisions.quartier || "quartier") + ")";
  }
  var ll = row.lonlat || [row.lon, row.lat];
  if (!ll || ll[0] === null || ll[0] === undefined) return "";
  return fmt(ll[1], 5) + ", " + fmt(ll[0], 5);
}

function rowName(row) { return (row.fields || row).name || ""; }
function rowKind(row) { return kindText((row.fields || row).kind); }

// ----------------------------------------------------------- the preview
function render(doc) {
  var summary = doc.summary || doc;
  var counts = summary.counts || {};
  var rows = doc.rows_to_add || doc.to_add || [];
  var dups = doc.duplicates || [];
  var errors = doc.errors || [];
  var roads = summary.target === "roads";
  previewEl.textContent = "";

  var rowsWithErrors = counts.rows_with_errors !== undefined ? counts.rows_with_errors
    : Object.keys(errors.reduce(function (acc, e) { acc[e.line] = 1; return acc; }, {})).length;
  var countList = el("ul", { class: "import-counts" }, [
    el("li", {}, [el("strong", { text: fmt(counts.read !== undefined ? counts.read : rows.length + dups.length + rowsWithErrors) }), T.summary_read]),
    el("li", {}, [el("strong", { text: fmt(rows.length) }), T.summary_add]),
    el("li", { class: dups.length ? "is-dup" : "" }, [el("strong", { text: fmt(dups.length) }), T.summary_dup]),
    el("li", { class: rowsWithErrors ? "is-bad" : "" }, [el("strong", { text: fmt(rowsWithErrors) }), T.summary_err])
  ]);
  var meta = el("dl", { class: "import-meta" });
  [["format", summary.format], ["crs", summary.source_crs], ["encoding", summary.encoding], ["licence", summary.licence],
    ["ignored", (summary.ignored_columns || []).join(", ")]].forEach(function (pair) {
    if (pair[1]) meta.append(el("dt", { text: T[pair[0]] }), el("dd", { text: String(pair[1]) }));
  });
  previewEl.appendChild(el("section", { "aria-labelledby": "pv-summary" }, [
    el("h2", { id: "pv-summary", text: (summary.filename || "") }), countList, meta
  ]));

  // errors first: they are what the planner must fix
  previewEl.appendChild(listSection("pv-errors", T.errors_title, errors, T.errors_note, T.no_errors,
    [T.line, T.field, T.problem, T.value], function (e) {
      return [e.line_label || lineText(e.line), capital(LABELS[e.field] || e.field_label || e.field), e.message, e.value || ""];
    }));
  previewEl.appendChild(listSection("pv-dups", T.dups_title, dups, T.dups_note, T.none, [T.line, T.name, T.kind, T.matches], function (d) {
    var row = d.row || d;
    var list = el("ul", { class: "plain-list" }, (d.matches || []).map(function (mt) {
      return el("li", {}, [el("strong", { text: mt.name || "" }), " — " + kindText(mt.kind) + " — " + fmt(mt.distance_m) + " " + T.meters]);
    }));
    return [lineText(row.line), rowName(row), rowKind(row), list];
  }));
  if (roads) {
    previewEl.appendChild(listSection("pv-rows", T.roads_title, rows, null, T.none, [T.line, T.name, T.highway, T.points], function (r) {
      return [lineText(r.line), rowName(r), (r.fields || {}).highway || "", fmt(r.points || 0)];
    }));
  } else {
    previewEl.appendChild(listSection("pv-rows", T.rows_title, rows, null, T.none, [T.line, T.name, T.kind, T.position], function (r) {
      return [lineText(r.line), rowName(r), rowKind(r), positionText(r)];
    }));
  }

  // the commit box: everything listed above, or nothing
  var box = el("section", { class: "import-commit", "aria-label": T.commit });
  var include = null;
  if (dups.length) {
    include = el("input", { type: "checkbox", id: "import-include-dups" });
    box.appendChild(el("label", { for: "import-include-dups" }, [include, T.include_dups]));
  }
  var go = el("button", { type: "button", class: "btn btn-primary", id: "import-commit", text: roads ? T.commit_roads : T.commit });
  go.disabled = !rows.length && !dups.length;
  if (go.disabled) box.appendChild(el("p", { text: T.commit_none }));
  box.appendChild(go);
  go.addEventListener("click", function () { commit(doc.id, include ? include.checked : false, go, roads); });
  previewEl.appendChild(box);
  previewEl.querySelector("h2").setAttribute("tabindex", "-1");
  previewEl.querySelector("h2").focus();
}

function commit(id, includeDuplicates, button, roads) {
  if (busy) return;
  busy = true;
  button.disabled = true;
  alertEl.hidden = true;
  say(T.committing);
  send("POST", fillUrl(C.urls.importCommit, id), { include_duplicates: includeDuplicates }, C.lang).then(function (res) {
    busy = false;
    say("");
    if (!res.ok) { button.disabled = false; fail(failure(res)); return; }
    var added = res.doc && (res.doc.added !== undefined ? res.doc.added : (res.doc.facility_ids || []).length);
    var done = el("div", { class: "import-ok", role: "status", tabindex: "-1" }, [
      el("p", { text: (roads ? T.committed_roads : T.committed).replace("%(n)s", fmt(added || 0)) }),
      el("p", {}, [el("a", { href: C.urls.map, text: T.see_map + " →" }), " · ", el("a", { href: C.urls.history, text: T.see_history + " →" })])
    ]);
    var box = previewEl.querySelector(".import-commit");
    box.replaceWith(done);
    done.focus();
  });
}

formEl.addEventListener("submit", function (e) {
  e.preventDefault();
  if (busy) return;
  alertEl.hidden = true;
  previewEl.textContent = "";
  var file = fileInput.files && fileInput.files[0];
  if (!file) { fail(T.choose_file); fileInput.focus(); return; }
  if (file.size > C.maxBytes) { fail(PROBLEMS.file_too_large); return; }
  var data = new FormData();
  data.append("file", file, file.name);
  data.append("target", targetInput.value);
  busy = true;
  say(T.uploading);
  send("POST", C.urls.imports, data, C.lang).then(function (res) {
    busy = false;
    say("");
    if (!res.ok) { fail(failure(res)); return; }
    render(res.doc || {});
  });
});
