/* Atlas de Bamako: sortable and filterable tables (an ES module, progressive enhancement).
 *
 * Without this script the tables are plain HTML tables. With it:
 * - `table[data-sortable]`: each column header (but `th[data-nosort]`) becomes a button
 *   sorting the rows; a cell's `data-sort` (a number) wins over its text;
 * - `table[data-filters]`: a select per `th[data-filter="param"]` column, built from the rows'
 *   `data-<param>` values and the cells' text, hides the other rows; the link
 *   `a[data-csv-for="<table id>"]` carries the selection as `?param=value` (the API's filters).
 * Texts come from `<script id="tables-config" type="application/json">` (translated by the server).
 */
import { el, localeOf, readConfig } from "./lib/shared.js";

var cfg = readConfig("tables-config");
var collator = new Intl.Collator(localeOf(cfg.lang), { numeric: true, sensitivity: "base" });

/** Return the sort key of a cell: its data-sort number, else its text. */
function keyOf(cell) {
  if (!cell) return "";
  var raw = cell.getAttribute("data-sort");
  if (raw !== null && raw !== "" && !isNaN(Number(raw))) return Number(raw);
  return cell.textContent.trim();
}

function compare(a, b) {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return collator.compare(a, b);
}

/** Make the header cells of `table` sort its (first) tbody. */
export function makeSortable(table) {
  var head = table.tHead && table.tHead.rows[0];
  var body = table.tBodies[0];
  if (!head || !body) return;
  Array.prototype.forEach.call(head.cells, function (th, index) {
    if (th.hasAttribute("data-nosort")) return;
    var button = el("button", { type: "button", class: "sort-button", title: cfg.sort }, []);
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(head.cells, function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var d = compare(keyOf(a.cells[index]), keyOf(b.cells[index]));
        return ascending ? d : -d;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
}

/** Add a select per filterable column of `table`, and keep the table's CSV link in step. */
export function makeFilterable(table) {
  var head = table.tHead && table.tHead.rows[0];
  var body = table.tBodies[0];
  if (!head || !body) return;
  var filters = [];
  Array.prototype.forEach.call(head.cells, function (th, index) {
    var param = th.getAttribute("data-filter");
    if (!param) return;
    var labels = {};
    Array.prototype.forEach.call(body.rows, function (row) {
      var value = row.getAttribute("data-" + param);
      if (value) labels[value] = row.cells[index] ? row.cells[index].textContent.trim() : value;
    });
    var values = Object.keys(labels).sort(function (a, b) { return collator.compare(labels[a], labels[b]); });
    if (values.length < 2) return;
    var select = el("select", { "data-param": param }, [el("option", { value: "", text: cfg.all })]);
    values.forEach(function (v) { select.appendChild(el("option", { value: v, text: labels[v] })); });
    filters.push(select);
    select.addEventListener("change", apply);
    filters[filters.length - 1].label = el("label", { class: "table-filter" }, [th.textContent.trim() + cfg.sep, select]);
  });
  if (!filters.length) return;
  var count = el("span", { class: "note", role: "status" }, []);
  var bar = el("div", { class: "table-filters" }, filters.map(function (s) { return s.label; }).concat([count]));
  var wrap = table.closest(".table-wrap") || table;
  wrap.parentNode.insertBefore(bar, wrap);
  var links = table.id ? document.querySelectorAll('a[data-csv-for="' + table.id + '"]') : [];

  function apply() {
    var shown = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var ok = filters.every(function (s) { return !s.value || row.getAttribute("data-" + s.getAttribute("data-param")) === s.value; });
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    count.textContent = cfg.shown.replace("{n}", shown).replace("{total}", body.rows.length);
    Array.prototype.forEach.call(links, function (a) {
      var url = new URL(a.getAttribute("data-href") || a.getAttribute("href"), window.location.href);
      if (!a.hasAttribute("data-href")) a.setAttribute("data-href", a.getAttribute("href"));
      filters.forEach(function (s) {
        if (s.value) url.searchParams.set(s.getAttribute("data-param"), s.value);
      });
      a.setAttribute("href", url.pathname + url.search);
    });
  }
  apply();
}

Array.prototype.forEach.call(document.querySelectorAll("table[data-filters]"), makeFilterable);
Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), makeSortable);
