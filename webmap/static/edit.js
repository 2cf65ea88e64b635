/* Atlas de Bamako: the planners' editor on the map page (loaded for signed-in editors only).
 *
 * Adds, edits, moves, retires and merges facilities through the JSON API
 * (/api/v1/facilities…), then redraws the map from fresh data. Holds no
 * user-visible text: labels come from the page (webmap/templates/_edit.html)
 * and its JSON config (webmap/views/editconfig.py). Names and every value from
 * the server are set with textContent or as form values, never parsed as HTML.
 * Writes carry the session's CSRF token (<meta name="csrf-token">). An ES module
 * over the map's API (atlas.js).
 */

import { atlas as A } from "./atlas.js";
import {
  el, fillUrl as url, getJson, problemText as apiProblem, readConfig, send, withLang as addLang
} from "./lib/shared.js";

var E = readConfig("atlas-edit-config");
var T = E.t, PROBLEMS = E.problems, LABELS = E.fieldLabels;
var map = A.map;
var root = document.getElementById("atlas");
var [panel, form, titleEl, alertBox, conflictBox, retireBox, retireForm, mergeForm, outsideBox, outsideInput] = [
  "edit-panel", "edit-form", "edit-title", "edit-alert", "edit-conflict", "edit-retire", "edit-retire-form", "edit-merge",
  "ef-outside-box", "ef-outside"
].map(function (id) { return document.getElementById(id); });
var pickButton = panel.querySelector("[data-edit-pick]");

/** Fields of the form sent as facility columns (the API's names). */
var TEXT_FIELDS = ["name", "kind", "location_precision", "operator_type", "opening_hours", "confidence", "note"];
var NUMBER_FIELDS = ["beds", "doctors", "nurses", "pupils"];
var FIELDS = TEXT_FIELDS.concat(NUMBER_FIELDS);
var POSITION_FIELDS = ["lonlat", "lon", "lat", "position", "quartier_pcode", "confirm_outside"];

var kindLabels = {};
E.kinds.forEach(function (g) { g.kinds.forEach(function (k) { kindLabels[k.key] = k.label; }); });
var choiceLabels = { kind: kindLabels, location_precision: {}, operator_type: {}, confidence: {} };
E.precisions.forEach(function (o) { choiceLabels.location_precision[o.key] = o.label; });
E.operators.forEach(function (o) { choiceLabels.operator_type[o.key] = o.label; });
E.confidences.forEach(function (o) { choiceLabels.confidence[o.key] = o.label; });

// ---------------------------------------------------------------- helpers
/** Call the JSON API; resolves to {ok, status, doc} (status 0: no answer). */
function api(method, address, body) {
  return send(method, address, body, E.lang);
}

/** Return the facility row of an API answer ({facility: …} or the row itself). */
function rowOf(doc) {
  if (!doc) return null;
  return doc.facility || doc;
}

function errorOf(doc) {
  return (doc && doc.error) || {};
}

/** Return the current values a 409 answer carries. */
function currentOf(doc) {
  var err = errorOf(doc);
  return (doc && doc.current) || err.current || null;
}

function problemText(err) {
  return apiProblem(err, PROBLEMS, T.network);
}

function isBlank(v) {
  return v === null || v === undefined || (typeof v === "string" && v.trim() === "");
}

function display(field, value) {
  if (isBlank(value)) return T.empty;
  var labels = choiceLabels[field];
  if (labels && labels[value] !== undefined) return labels[value];
  return String(value);
}

function parseCoordinate(text) {
  var s = String(text || "").trim().replace(",", ".");
  if (!/^[-+]?\d+(\.\d+)?$/.test(s)) return null;
  var v = parseFloat(s);
  return isFinite(v) ? v : null;
}

// ----------------------------------------------------------- the layout
// Tools first in the layers panel; the editor over the map, next to it.
var tools = document.getElementById("edit-tools");
var side = document.getElementById("panel");
if (tools && side) {
  side.insertBefore(tools, side.firstChild);
  tools.hidden = false;
}
root.appendChild(panel);

var AddControl = L.Control.extend({
  options: { position: "topright" },
  onAdd: function () {
    var box = el("div", { class: "leaflet-bar map-tools edit-map-tools" });
    var label = tools.querySelector("[data-edit-add]").textContent;
    var b = el("button", { type: "button", class: "map-btn btn-add", title: label, "aria-label": label });
    b.addEventListener("click", function (e) { L.DomEvent.stop(e); openCreate(null, b); });
    box.appendChild(b);
    L.DomEvent.disableClickPropagation(box);
    return box;
  }
});
new AddControl().addTo(map);
tools.querySelector("[data-edit-add]").addEventListener("click", function (e) { openCreate(null, e.currentTarget); });

// ---------------------------------------------------------------- state
var mode = null;        // "create" | "edit" | "merge"
var original = null;    // the facility row being edited, as the server last gave it
var pending = null;     // what to redo after a conflict: function(currentRow)
var opener = null;      // the element to give focus back to
var pin = null;         // the draggable marker of the position
var picking = false;    // a map click sets the position
var precisionTouched = false;
var busy = false;

// ------------------------------------------------------------ the panel
function show(which) {
  panel.hidden = false;
  root.classList.add("editing");
  form.hidden = which !== "form";
  mergeForm.hidden = which !== "merge";
  retireBox.hidden = !(which === "form" && mode === "edit");
  conflictBox.hidden = true;
  clearErrors();
  setTimeout(function () { map.invalidateSize(); }, 0);
}

function close() {
  panel.hidden = true;
  root.classList.remove("editing");
  setPicking(false);
  removePin();
  mode = null; original = null; pending = null;
  if (opener && document.body.contains(opener)) opener.focus();
  opener = null;
}

panel.querySelectorAll("[data-edit-close]").forEach(function (b) { b.addEventListener("click", close); });
panel.addEventListener("keydown", function (e) {
  if (e.key === "Escape" && !busy) { e.preventDefault(); close(); }
});

function clearErrors() {
  alertBox.hidden = true;
  alertBox.textContent = "";
  panel.querySelectorAll(".field-error").forEach(function (p) { p.hidden = true; p.textContent = ""; });
  panel.querySelectorAll("[aria-invalid]").forEach(function (n) { n.removeAttribute("aria-invalid"); });
}

function alertMessage(text, link) {
  alertBox.textContent = text;
  if (link) {
    alertBox.appendChild(document.createTextNode(" "));
    alertBox.appendChild(el("a", { href: link.href, text: link.text }));
  }
  alertBox.hidden = false;
}

/** Show a message next to a field; return whether the field was found. */
function fieldError(field, text, scope) {
  var id = POSITION_FIELDS.indexOf(field) >= 0 ? "ef-pos-err" : "ef-" + field + "-err";
  if (scope === "retire") id = "er-reason-err";
  if (scope === "merge") id = field === "reason" ? "em-reason-err" : "em-keep-err";
  var box = document.getElementById(id);
  if (!box) return false;
  box.textContent = text;
  box.hidden = false;
  var input = document.querySelector("[aria-describedby~='" + id + "']:not(fieldset)");
  if (input) input.setAttribute("aria-invalid", "true");
  var details = box.closest("details");
  if (details) details.open = true;
  return true;
}

function focusFirstError() {
  var bad = panel.querySelector("[aria-invalid=true]");
  if (bad && !bad.hidden) bad.focus();
}

function setBusy(on) {
  busy = on;
  panel.classList.toggle("is-busy", on);
  panel.querySelectorAll("button[type=submit], [data-edit-reapply]").forEach(function (b) { b.disabled = on; });
  if (on) A.say(T.saving, true);
}

/** Handle an answer that is not a success, whatever the action. */
function failed(res, scope) {
  var err = errorOf(res.doc);
  A.say("");
  if (res.status === 409 && currentOf(res.doc)) { showConflict(currentOf(res.doc)); return; }
  if (res.status === 401) { alertMessage(T.session_lost, { href: E.urls.login, text: T.login }); return; }
  if (res.status === 400 || res.status === 422) {
    var field = err.field || err.parameter;
    var code = err.code;
    if (code === "outside_district") {
      outsideBox.hidden = false;
    }
    if (scope === "retire" && field === "version") field = null;
    if (field && fieldError(field, problemText(err), scope)) {
      alertMessage(T.check_fields);
      focusFirstError();
      if (code === "outside_district") outsideInput.focus();
      return;
    }
  }
  if (res.status === 404) { alertMessage(T.not_found); return; }
  alertMessage(res.status === 0 ? T.network : problemText(err));
}

// ------------------------------------------------------------- position
function pinIcon() {
  return L.divIcon({ className: "edit-pin", html: "<span></span>", iconSize: [30, 42], iconAnchor: [15, 42] });
}

function placePin(latlng) {
  if (!pin) {
    pin = L.marker(latlng, { icon: pinIcon(), draggable: true, keyboard: false, zIndexOffset: 2000, title: LABELS.position });
    pin.on("dragend", function () { setPoint(pin.getLatLng(), false); });
    pin.addTo(map);
  } else {
    pin.setLatLng(latlng);
  }
}

function removePin() {
  if (pin) { map.removeLayer(pin); pin = null; }
}

function setPicking(on) {
  picking = on;
  pickButton.setAttribute("aria-pressed", on ? "true" : "false");
  root.classList.toggle("edit-picking", on);
}

function setPosMode(value) {
  form.querySelectorAll("input[name=pos_mode]").forEach(function (r) { r.checked = r.value === value; });
  form.querySelector(".pos-point").hidden = value !== "point";
  form.querySelector(".pos-quartier").hidden = value !== "quartier";
  if (value === "quartier") { setPicking(false); removePin(); }
  if (!precisionTouched) form.elements.location_precision.value = value === "quartier" ? "quartier" : "exact";
}

function posMode() {
  var checked = form.querySelector("input[name=pos_mode]:checked");
  return checked ? checked.value : "point";
}

/** Put the position at ``latlng`` (from a click, a drag or the map centre). */
function setPoint(latlng, pan) {
  setPosMode("point");
  form.elements.lat.value = latlng.lat.toFixed(6);
  form.elements.lon.value = latlng.lng.toFixed(6);
  placePin(latlng);
  outsideBox.hidden = true;
  outsideInput.checked = false;
  if (pan && !map.getBounds().contains(latlng)) map.panTo(latlng);
}

function coordinatesTyped() {
  var lat = parseCoordinate(form.elements.lat.value), lon = parseCoordinate(form.elements.lon.value);
  if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return;
  placePin(L.latLng(lat, lon));
  if (!map.getBounds().contains(pin.getLatLng())) map.panTo(pin.getLatLng());
  outsideBox.hidden = true;
  outsideInput.checked = false;
}
form.elements.lat.addEventListener("change", coordinatesTyped);
form.elements.lon.addEventListener("change", coordinatesTyped);
form.querySelectorAll("input[name=pos_mode]").forEach(function (r) {
  r.addEventListener("change", function () { if (r.checked) setPosMode(r.value); });
});
form.elements.location_precision.addEventListener("change", function () { precisionTouched = true; });
pickButton.addEventListener("click", function () { setPicking(!picking); });
panel.querySelector("[data-edit-center]").addEventListener("click", function () {
  setPoint(map.getCenter(), false);
  A.say(T.center_set);
});

map.on("click", function (e) {
  if (panel.hidden || !picking || mode === "merge") return;
  map.closePopup();  // the click also opened the quartier's popup
  setPoint(e.latlng, false);
});

// ------------------------------------------------------------ the form
function fill(row) {
  FIELDS.forEach(function (f) {
    var input = form.elements[f];
    var v = row ? row[f] : null;
    input.value = isBlank(v) ? "" : String(v);
    if (input.tagName === "SELECT" && input.value !== (isBlank(v) ? "" : String(v))) {
      input.appendChild(new Option(String(v), String(v)));  // a value outside the menu: keep it visible
      input.value = String(v);
    }
  });
  if (!row || !row.location_precision) form.elements.location_precision.value = "exact";
  form.elements.reason.value = "";
  form.elements.quartier_pcode.value = "";
  outsideBox.hidden = true;
  outsideInput.checked = false;
  precisionTouched = false;
  if (row && row.lat !== null && row.lat !== undefined) {
    form.elements.lat.value = Number(row.lat).toFixed(6);
    form.elements.lon.value = Number(row.lon).toFixed(6);
    placePin(L.latLng(row.lat, row.lon));
  } else {
    form.elements.lat.value = "";
    form.elements.lon.value = "";
    removePin();
  }
  form.querySelectorAll("input[name=pos_mode]").forEach(function (r) { r.checked = r.value === "point"; });
  form.querySelector(".pos-point").hidden = false;
  form.querySelector(".pos-quartier").hidden = true;
}

function formValue(f) {
  var v = form.elements[f].value;
  if (NUMBER_FIELDS.indexOf(f) >= 0) {
    if (v.trim() === "") return null;
    var n = Number(v);
    return isFinite(n) ? n : v;
  }
  return v.trim();
}

function same(f, a, b) {
  if (isBlank(a) && isBlank(b)) return true;
  if (NUMBER_FIELDS.indexOf(f) >= 0) return Number(a) === Number(b);
  return String(a).trim() === String(b).trim();
}

/** Return the planner's changes: {fields: {…}, position: {lon, lat} | {quartier_pcode} | null}. */
function changes(base) {
  var fields = {};
  FIELDS.forEach(function (f) {
    var v = formValue(f);
    if (!base) { if (!isBlank(v)) fields[f] = v; return; }
    if (f === "location_precision" && !precisionTouched) return;  // the server sets it from the move
    if (!same(f, v, base[f])) fields[f] = v;
  });
  var position = null;
  if (posMode() === "quartier") {
    if (form.elements.quartier_pcode.value) position = { quartier_pcode: form.elements.quartier_pcode.value };
  } else {
    var lat = parseCoordinate(form.elements.lat.value), lon = parseCoordinate(form.elements.lon.value);
    if (lat !== null && lon !== null) {
      var moved = !base || base.lat === null || base.lat === undefined ||
        Math.abs(lat - base.lat) > 5e-7 || Math.abs(lon - base.lon) > 5e-7;
      if (moved) position = { lon: lon, lat: lat };
    }
  }
  return { fields: fields, position: position };
}

/** Check what the browser can check; return false after showing the problems. */
function checkForm() {
  var ok = true;
  if (!form.elements.name.value.trim()) { fieldError("name", PROBLEMS.name_required); ok = false; }
  if (!form.elements.kind.value) { fieldError("kind", PROBLEMS.kind_required); ok = false; }
  if (posMode() === "quartier") {
    if (!form.elements.quartier_pcode.value && mode === "create") {
      fieldError("quartier_pcode", PROBLEMS.position_required); ok = false;
    }
  } else {
    var latText = form.elements.lat.value.trim(), lonText = form.elements.lon.value.trim();
    if (latText === "" && lonText === "") {
      if (mode === "create") { fieldError("lonlat", PROBLEMS.position_required); ok = false; }
    } else if (parseCoordinate(latText) === null || parseCoordinate(lonText) === null) {
      fieldError("lonlat", PROBLEMS.bad_coordinates); ok = false;
    }
  }
  if (!ok) { alertMessage(T.check_fields); focusFirstError(); }
  return ok;
}

function body(ch, extra) {
  var out = {};
  Object.keys(ch.fields).forEach(function (f) { out[f] = ch.fields[f]; });
  if (ch.position) Object.keys(ch.position).forEach(function (k) { out[k] = ch.position[k]; });
  if (ch.position && outsideInput.checked) out.confirm_outside = true;
  var reason = form.elements.reason.value.trim();
  if (reason) out.reason = reason;
  Object.keys(extra || {}).forEach(function (k) { out[k] = extra[k]; });
  return out;
}

function submit(ch) {
  if (mode === "create") {
    setBusy(true);
    api("POST", E.urls.facilities, body(ch)).then(function (res) {
      setBusy(false);
      if (res.ok) saved(rowOf(res.doc), T.created, res.doc);
      else failed(res);
    });
    return;
  }
  if (!Object.keys(ch.fields).length && !ch.position) { alertMessage(T.nothing); return; }
  setBusy(true);
  api("PATCH", url(E.urls.facility, original.id), body(ch, { version: original.version })).then(function (res) {
    setBusy(false);
    if (res.ok) { saved(rowOf(res.doc), T.saved, res.doc); return; }
    if (res.status === 409) pending = reapplyEdit(ch);
    failed(res);
  });
}

form.addEventListener("submit", function (e) {
  e.preventDefault();
  if (busy) return;
  clearErrors();
  conflictBox.hidden = true;
  if (!checkForm()) return;
  submit(changes(mode === "edit" ? original : null));
});

// ------------------------------------------------------------ conflicts
/** Redo an edit on top of the current values: the planner's own changes only. */
function reapplyEdit(ch) {
  var redo = function (current) {
    original = current;
    fill(current);
    Object.keys(ch.fields).forEach(function (f) { form.elements[f].value = isBlank(ch.fields[f]) ? "" : String(ch.fields[f]); });
    if (ch.fields.location_precision !== undefined) precisionTouched = true;
    if (ch.position && ch.position.lat !== undefined) setPoint(L.latLng(ch.position.lat, ch.position.lon), false);
    if (ch.position && ch.position.quartier_pcode) {
      setPosMode("quartier");
      form.elements.quartier_pcode.value = ch.position.quartier_pcode;
    }
    submit(ch);
  };
  redo.changes = ch;
  return redo;
}

function showConflict(current) {
  var mine = pending && pending.changes ? pending.changes : null;
  document.getElementById("edit-conflict-text").textContent = current.status === "retired" ? T.retired_gone : T.conflict;
  var table = document.getElementById("edit-conflict-table");
  table.textContent = "";
  var head = el("tr", {}, [el("th", { scope: "col", text: T.conflict_field }), el("th", { scope: "col", text: T.conflict_current }),
    el("th", { scope: "col", text: T.conflict_mine })]);
  table.appendChild(el("thead", {}, [head]));
  var tbody = el("tbody");
  var ch = mine || (mode === "edit" ? changes(original) : { fields: {}, position: null });
  FIELDS.forEach(function (f) {
    var changed = Object.prototype.hasOwnProperty.call(ch.fields, f);
    if (!changed && isBlank(current[f])) return;
    tbody.appendChild(el("tr", { class: changed ? "is-mine" : "" }, [
      el("th", { scope: "row", text: LABELS[f] || f }),
      el("td", { text: display(f, current[f]) }),
      el("td", { text: changed ? display(f, ch.fields[f]) : "—" })
    ]));
  });
  var here = current.lat !== null && current.lat !== undefined ? Number(current.lat).toFixed(6) + ", " + Number(current.lon).toFixed(6) : T.empty;
  var there = ch.position ? (ch.position.quartier_pcode || ch.position.lat.toFixed(6) + ", " + ch.position.lon.toFixed(6)) : "—";
  tbody.appendChild(el("tr", { class: ch.position ? "is-mine" : "" }, [
    el("th", { scope: "row", text: LABELS.position }), el("td", { text: here }), el("td", { text: there })
  ]));
  tbody.appendChild(el("tr", {}, [el("th", { scope: "row", text: T.version }), el("td", { text: String(current.version) }), el("td", { text: "—" })]));
  table.appendChild(tbody);
  var retired = current.status === "retired";
  var reapply = conflictBox.querySelector("[data-edit-reapply]");
  reapply.hidden = retired || !pending;
  conflictBox.querySelector("[data-edit-take-current]").hidden = retired;
  conflictBox.current = current;
  conflictBox.hidden = false;
  alertBox.hidden = true;
  var text = document.getElementById("edit-conflict-text");
  text.setAttribute("tabindex", "-1");
  text.focus();  // read first; the buttons come next in the tab order
  panel.querySelector(".edit-body").scrollTop = 0;
}

var reapplyButton = conflictBox.querySelector("[data-edit-reapply]");
reapplyButton.textContent = T.reapply;
reapplyButton.addEventListener("click", function () {
  var redo = pending, current = conflictBox.current;
  if (!redo || !current) return;
  conflictBox.hidden = true;
  pending = null;
  redo(current);
});
var takeButton = conflictBox.querySelector("[data-edit-take-current]");
takeButton.textContent = T.take_current;
takeButton.addEventListener("click", function () {
  var current = conflictBox.current;
  conflictBox.hidden = true;
  pending = null;
  if (mode === "merge") { openMerge(mergeForm.pair[0], mergeForm.pair[1], null); return; }
  original = current;
  fill(current);
  form.elements.name.focus();
});

// -------------------------------------------------------- after a save
function saved(row, message, doc) {
  close();
  A.say(message);
  var dataUrl = (doc && (doc.map_data_url || doc.mapDataUrl)) || E.urls.mapData;
  A.reload(dataUrl).then(function () {
    if (row && row.id && row.status !== "retired") A.openFacility(row.id);
    A.say(message);
  }, function () { A.say(T.reloaded_failed, true); });
}

// ---------------------------------------------------------- open forms
function openCreate(latlng, from) {
  mode = "create";
  original = null;
  pending = null;
  opener = from || document.activeElement;
  titleEl.textContent = T.new_title;
  show("form");
  fill(null);
  setPicking(true);
  if (latlng) setPoint(latlng, false);
  form.elements.name.focus();
}

function openEdit(id, from) {
  opener = from || document.activeElement;
  api("GET", url(E.urls.facility, id)).then(function (res) {
    if (!res.ok) { A.say(res.status === 404 ? T.not_found : problemText(errorOf(res.doc))); return; }
    var row = rowOf(res.doc);
    mode = "edit";
    original = row;
    pending = null;
    titleEl.textContent = T.edit_title;
    show("form");
    fill(row);
    setPicking(false);
    document.getElementById("edit-retire-details").open = false;
    retireForm.elements.reason.value = "";
    if (row.lat !== null && row.lat !== undefined && !map.getBounds().contains([row.lat, row.lon])) map.panTo([row.lat, row.lon]);
    form.elements.name.focus();
  });
}

// --------------------------------------------------------------- retire
function retire(version) {
  var reason = retireForm.elements.reason.value.trim();
  setBusy(true);
  api("DELETE", url(E.urls.facility, original.id), { version: version, reason: reason }).then(function (res) {
    setBusy(false);
    if (res.ok) { saved(null, T.retired, res.doc); return; }
    if (res.status === 409) pending = function (current) { original = current; retire(current.version); };
    failed(res, "retire");
  });
}

retireForm.addEventListener("submit", function (e) {
  e.preventDefault();
  if (busy || !original) return;
  clearErrors();
  conflictBox.hidden = true;
  if (!retireForm.elements.reason.value.trim()) {
    fieldError("reason", PROBLEMS.reason_required, "retire");
    retireForm.elements.reason.setAttribute("aria-invalid", "true");
    retireForm.elements.reason.focus();
    return;
  }
  retire(original.version);
});

// ---------------------------------------------------------------- merge
function describe(row) {
  var parts = [kindLabels[row.kind] || row.kind];
  if (row.sources) parts.push(row.sources.split(";").map(function (k) { return A.config.sources[k] || k; }).join(" ; "));
  parts.push(row.id);
  return parts.join(" · ");
}

/** Open the merge form for facilities ``a`` and ``b`` (ids); ``keep`` is the one chosen first. */
function openMerge(a, b, from, keep) {
  if (from) opener = from;
  Promise.all([api("GET", url(E.urls.facility, a)), api("GET", url(E.urls.facility, b))]).then(function (res) {
    var bad = res.filter(function (r) { return !r.ok; })[0];
    if (bad) { A.say(bad.status === 404 ? T.not_found : problemText(errorOf(bad.doc))); return; }
    var rows = res.map(function (r) { return rowOf(r.doc); });
    mode = "merge";
    pending = null;
    mergeForm.pair = [a, b];
    mergeForm.rows = rows;
    titleEl.textContent = T.merge_title;
    show("merge");
    removePin();
    setPicking(false);
    document.getElementById("em-intro").textContent = T.merge_intro;
    var box = document.getElementById("em-choices");
    box.textContent = "";
    var chosen = keep || b;
    rows.forEach(function (row) {
      var radio = el("input", { type: "radio", name: "keep_id", value: row.id });
      radio.checked = row.id === chosen;
      box.appendChild(el("label", { class: "merge-choice" }, [
        radio,
        el("span", {}, [el("strong", { class: "merge-name", text: row.name || T.unnamed }), el("span", { class: "muted", text: describe(row) })])
      ]));
    });
    mergeForm.elements.reason.value = "";
    (box.querySelector("input:checked") || box.querySelector("input")).focus();
  });
}

mergeForm.addEventListener("submit", function (e) {
  e.preventDefault();
  if (busy || !mergeForm.rows) return;
  clearErrors();
  conflictBox.hidden = true;
  var checked = mergeForm.querySelector("input[name=keep_id]:checked");
  if (!checked) { fieldError("keep_id", PROBLEMS.same_facility, "merge"); return; }
  var keep = mergeForm.rows.filter(function (r) { return r.id === checked.value; })[0];
  var drop = mergeForm.rows.filter(function (r) { return r.id !== checked.value; })[0];
  var payload = { keep_id: keep.id, keep_version: keep.version, drop_id: drop.id, drop_version: drop.version };
  var reason = mergeForm.elements.reason.value.trim();
  if (reason) payload.reason = reason;
  setBusy(true);
  api("POST", E.urls.merge, payload).then(function (res) {
    setBusy(false);
    if (res.ok) { saved(rowOf(res.doc) || keep, T.merged, res.doc); return; }
    if (res.status === 409) {
      pending = function () { openMerge(keep.id, drop.id, null, keep.id); };
    }
    failed(res, "merge");
  });
});

// --------------------------------------------------------------- popups
A.on("facilityPopup", function (box, id) {
  var b = el("button", { type: "button", class: "btn btn-small edit-open", text: T.edit, "data-facility": id });
  b.addEventListener("click", function () { map.closePopup(); openEdit(id, null); });
  box.appendChild(el("p", { class: "edit-popup-actions" }, [b]));
});

A.on("qaPopup", function (box, id, checks) {
  if (checks.indexOf("duplicate") < 0) return;
  var b = el("button", { type: "button", class: "btn btn-small edit-merge-open", text: T.merge, "data-facility": id });
  b.addEventListener("click", function () {
    b.disabled = true;
    getJson(addLang(url(E.urls.facilityPage, id) + ".json", E.lang))
      .then(function (doc) {
        var finding = (doc.qa_findings || []).filter(function (q) { return q.check === "duplicate" && q.related_id; })[0];
        b.disabled = false;
        if (!finding) { A.say(T.not_found); return; }
        map.closePopup();
        openMerge(id, finding.related_id, null, finding.related_id);
      })
      .catch(function () { b.disabled = false; A.say(T.network); });
  });
  box.appendChild(el("p", { class: "edit-popup-actions" }, [b]));
});
