/* Atlas de Bamako: the coverage view (/couverture and /embed/couverture).
 *
 * Quartiers coloured by the share of inhabitants within a distance of a kind
 * of facility, the distance image beyond it, catchments, facilities; a
 * scenario of added and removed facilities kept in the URL; suggested sites;
 * the ranked table of underserved quartiers. Every number comes from
 * /api/v1/coverage*, every label from the page's JSON config (translated on
 * the server). Names from the data are only set with textContent or as
 * attribute values, never parsed as HTML. The map data (quartier outlines,
 * facilities) is the main map's, decoded by lib/codec.js. An ES module.
 */

import {
  addLandmarks, afterPaint, basemapSwitcher, classOf, contextLayer, createMap, decodeFacilities, decodeShapes, el,
  fillUrl, getJson, haloSymbol, iframeSnippet, initialBasemap, layerOfKind, loadMapData, localeOf, numberFormatter,
  peopleRange, queryString as qs, readConfig, roundPeople, setupCopyButtons, shapeLatLngs, shareRange, statusLine,
  updateLangLinks
} from "./lib/shared.js";
import { printMenu } from "./lib/print.js";

var cfg = readConfig("coverage-config");
var C = cfg.coverage, T = C.t;
// On a static copy (bamako-atlas publish) the requests the page builds are looked up in the files written for the
// default views (C.site); any other goes to the live atlas (C.liveUrl) when there is one.
function siteUrl(u) {
  if (!C.site) return u;
  return C.site[u.slice(1)] || (C.liveUrl ? C.liveUrl + u : u);
}
var LOCALE = localeOf(cfg.lang);
var root = document.getElementById("cov");
var layerByKind = layerOfKind(cfg.layers);

// ---------------------------------------------------------------- helpers
var fmt = numberFormatter(LOCALE);
var say = statusLine(document.getElementById("cov-status"), 6000);
function $(id) { return document.getElementById(id); }
function signed(value, decimals) {
  return new Intl.NumberFormat(LOCALE, { maximumFractionDigits: decimals || 0, signDisplay: "exceptZero" }).format(value);
}
function pct(share) {
  if (share === null || share === undefined) return "—";
  var fine = (share > 0.99 && share < 1) || (share > 0 && share < 0.01);
  return new Intl.NumberFormat(LOCALE, { style: "percent", maximumFractionDigits: fine ? 1 : 0 }).format(share);
}
function shareOf(r) { return shareRange(LOCALE, r.share_covered, r.share_covered_low, r.share_covered_high); }
function about(n) { return n === null || n === undefined ? "—" : fmt(roundPeople(n)); }
function distance(m) {
  if (m === null || m === undefined) return "—";
  return m < 1000 ? fmt(Math.round(m)) + "\u00a0" + T.m : fmt(m / 1000, 1) + "\u00a0" + T.km;
}
function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
}
function minutes(m) { return fmt(m, 1) + "\u00a0" + T.minutes; }
// The threshold as the figures read it: "2 km" or "15 min à pied".
function reach() {
  return S.mode ? fill(S.mode === "moto" ? T.min_moto : T.min_walk, { min: fmt(S.minutes, 1) }) : distance(S.threshold);
}
function phrase(entry) { return entry.phrase.replace("%(distance)s", reach()); }
// The sentence naming how the figures were produced, from the answer's own method.
function methodText(method) {
  if (!method || method.name === "straight_line") return T.method_distance;
  if (method.mode === "moto") return T.method_moto;
  return method.roads ? T.method_walk_roads : T.method_walk;
}

// ------------------------------------------------------------ data lookups
function inRing(lat, lng, ring) {
  var inside = false;
  for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    var yi = ring[i][0], xi = ring[i][1], yj = ring[j][0], xj = ring[j][1];
    if ((yi > lat) !== (yj > lat) && lng < (xj - xi) * (lat - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
function quartierAt(latlng) {
  for (var q = 0; q < shapes.length; q++) {
    var hit = shapes[q].some(function (poly) {
      return inRing(latlng.lat, latlng.lng, poly[0]) && !poly.slice(1).some(function (h) { return inRing(latlng.lat, latlng.lng, h); });
    });
    if (hit) return q;
  }
  return -1;
}

// ------------------------------------------------------------------ state
var S = {
  kind: C.state.kind,
  threshold: C.state.threshold_m,
  mode: C.state.mode,
  minutes: C.state.minutes,
  add: C.state.add.map(function (p) { return [p[0], p[1]]; }),
  remove: C.state.remove.slice(),
  basemap: initialBasemap(cfg.view.basemap, cfg.basemaps),
  edit: false,
  show: { surface: true, catchments: false, facilities: true }
};
var doc = null, rows = {}, showAllRows = false;
// The table's sort (a column of doc.units, 1 or -1) and commune filter; the commune goes into the CSV links.
var tableSort = { key: null, dir: 1 }, tableCommune = "";

function entryOf(kind) {
  for (var i = 0; i < C.kinds.length; i++) if (C.kinds[i].key === kind) return C.kinds[i];
  return C.kinds[0];
}
function params() {
  var p = new URLSearchParams();
  p.set("kind", S.kind);
  if (S.mode) { p.set("mode", S.mode); p.set("minutes", String(S.minutes)); }
  else p.set("threshold_m", String(S.threshold));
  if (S.add.length) p.set("add", S.add.map(function (a) { return a[0].toFixed(6) + "," + a[1].toFixed(6); }).join(";"));
  if (S.remove.length) p.set("remove", S.remove.slice().sort().join(","));
  return p;
}
function pageParams(withLang) {
  var p = params();
  if (S.basemap !== cfg.defaults.basemap) p.set("basemap", S.basemap);
  if (withLang) p.set("lang", cfg.lang);
  return p;
}
// The image of what is on screen: the scenario, the map's centre and zoom, a focused unit, the language.
function imageParams() {
  var p = params();
  if (typeof map !== "undefined" && map) {
    var c = map.getCenter();
    p.set("center", c.lng.toFixed(5) + "," + c.lat.toFixed(5));
    p.set("zoom", String(map.getZoom()));
  }
  if (cfg.view && cfg.view.focus) p.set("focus", cfg.view.focus);
  if (cfg.lang !== "fr") p.set("lang", cfg.lang);
  return p;
}
function syncUrl() {
  var keepLang = new URLSearchParams(location.search).has("lang");
  history.replaceState(null, "", location.pathname + "?" + qs(pageParams(keepLang)));
  updateLangLinks(function () { return pageParams(false); });
  var q = qs(params()), full = $("cov-open-full");
  if (full) full.href = C.urls.page + "?" + qs(pageParams(true));
  var link = $("cov-link");
  if (!link) return;
  link.value = location.origin + C.urls.page + "?" + qs(pageParams(true));
  $("cov-iframe").value = iframeSnippet(location.origin + C.urls.embed + "?" + qs(pageParams(true)), 520, T.iframe_title);
  var qc = tableCommune ? q + "&commune=" + encodeURIComponent(tableCommune) : q;
  $("cov-dl-csv").href = $("cov-table-csv").href = siteUrl(C.urls.csv + "?" + qc);
  $("cov-dl-csvfr").href = $("cov-table-csvfr").href = siteUrl(C.urls.csvfr + "?" + qc);
  $("cov-dl-geojson").href = siteUrl(C.urls.geojson + "?" + q);
  var shown = qs(imageParams());
  $("cov-dl-png").href = C.urls.png + "?" + shown;
  $("cov-dl-pdf").href = C.urls.pdf + "?" + shown;
  $("cov-api").href = siteUrl(C.urls.api + "?" + q);
}

// -------------------------------------------------------------------- map
var created = createMap(cfg, 18), map = created.map;
[["surface", 405], ["catchments", 415], ["communes", 420], ["facilities", 450]].forEach(function (p) {
  map.createPane(p[0]).style.zIndex = p[1];
});
["surface", "catchments", "communes"].forEach(function (p) { map.getPane(p).style.pointerEvents = "none"; });
var e = cfg.extent;
if (cfg.view.center && cfg.view.zoom) map.setView([cfg.view.center[1], cfg.view.center[0]], cfg.view.zoom);  // [lon, lat]
else map.fitBounds([[e[1], e[0]], [e[3], e[2]]], { padding: [6, 6] });

var basemaps = basemapSwitcher(map, created.attribution, root, cfg.basemaps, function () { say(cfg.t.tiles_failed); });
function setBasemap(key, byUser) { S.basemap = basemaps.set(key, byUser); $("cov-basemap").value = S.basemap; }
basemaps.onFallback(function (key) { S.basemap = key; $("cov-basemap").value = key; syncUrl(); });
setBasemap(S.basemap);

var surface = L.imageOverlay(siteUrl(C.urls.surface + "?" + qs(params())), C.surfaceBounds,
  { pane: "surface", interactive: false, className: "cov-surface" });
var catchLayer = L.geoJSON(null, { pane: "catchments", interactive: false,
  style: { color: "#222", weight: 1.2, opacity: 0.8, dashArray: "5 4", fill: false } });
var facLayer = L.layerGroup(), siteLayer = L.layerGroup().addTo(map), suggestLayer = L.layerGroup().addTo(map);

// ------------------------------------------------------------ map data
var data = null, Q = null, F = null, shapes = [], polys = [], context = null;
function build(payload) {
  data = payload;
  var decoded = decodeShapes(data), arcs = decoded.arcs;
  context = contextLayer(map, data.communes, arcs, cfg.context, cfg.t.river);
  basemaps.context(context);
  Q = decoded.Q;
  data.quartiers.g.forEach(function (shape, i) {
    shapes.push(shapeLatLngs(shape, arcs));
    var poly = L.polygon(shapes[i], { color: "#ffffff", weight: 0.9, opacity: 1, fillOpacity: 0.92, fillColor: C.noValue,
      bubblingMouseEvents: false, className: "quartier" });
    poly.bindTooltip(function () { return quartierBox(i, false); }, { sticky: true, direction: "top", className: "q-tip", offset: [0, -8] });
    poly.on("click", function (ev) {
      if (S.edit) addSite(ev.latlng);
      else L.popup({ maxWidth: 300 }).setLatLng(ev.latlng).setContent(quartierBox(i, true)).openOn(map);
    });
    // not a Tab stop each (Leaflet makes layers with a tooltip one): the table lists the quartiers
    poly.on("add", function () { poly.getElement().setAttribute("tabindex", "-1"); });
    poly.addTo(map);
    polys.push(poly);
  });
  data.communes.g.forEach(function (shape) {
    L.polygon(shapeLatLngs(shape, arcs), { pane: "communes", fill: false, color: "#1a1a1a", weight: 2.2, opacity: 0.9, interactive: false }).addTo(map);
  });
  // the rest after the shapes' first paint (loadMapData merges the rest of the data once this is done)
  return afterPaint().then(function () {
    drawFacilities();
    update();
    fillQuartierPicker(decoded.scale);
  });
}

// A keyboard way to add a site: a quartier chosen in a list, the site at a point inside it.
function fillQuartierPicker(scale) {
  var select = $("cov-add-q"), lp = data.quartiers.lp;
  if (!select) return;
  Q.n.map(function (name, i) { return { i: i, name: name, c: Q.c[i] >= 0 ? data.communes.n[Q.c[i]] : "" }; })
    .sort(function (a, b) { return a.name.localeCompare(b.name, cfg.lang); })
    .forEach(function (q) { select.appendChild(el("option", { value: String(q.i), text: q.name + (q.c ? " (" + q.c + ")" : "") })); });
  select.disabled = false;
  $("cov-add-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (select.value === "") return;
    var i = Number(select.value);
    addSite(L.latLng(lp[2 * i] / scale, lp[2 * i + 1] / scale));
  });
}

map.on("click", function () { if (S.edit) say(T.outside); });

// ------------------------------------------------------------ facilities
function symbolColor(kind) {
  var s = cfg.symbols[layerByKind[kind]];
  return s && s.color !== "none" ? s.color : "#444";
}
var facMarkers = {};
function drawFacilities() {
  facLayer.clearLayers();
  facMarkers = {};
  if (!F) return;
  var kinds = entryOf(S.kind).kinds;
  for (var i = 0; i < F.ids.length; i++) {
    var kind = data.kinds[F.k[i]];
    if (F.o[i] || kinds.indexOf(kind) < 0) continue;
    var approx = data.prec[F.x[i]] !== "exact", color = symbolColor(kind);
    // a white ring keeps every kind's colour readable on the blue quartiers and the red distances
    var m = L.circleMarker(F.pts[i], { pane: "facilities", radius: kinds.length > 3 ? 4.5 : 6.5, color: approx ? color : "#fff",
      weight: approx ? 2.5 : 2, fillColor: approx ? "#fff" : color, fillOpacity: 1, bubblingMouseEvents: false });
    m.base = { color: m.options.color, fillColor: m.options.fillColor, fillOpacity: 1, dashArray: null };
    m.bindTooltip(el("span", { text: F.n[i] || T.unnamed }), { direction: "top", offset: [0, -6] });
    m.on("click", facilityClick.bind(null, i));
    m.addTo(facLayer);
    facMarkers[F.ids[i]] = m;
  }
  styleRemoved();
  if (S.show.facilities && !map.hasLayer(facLayer)) facLayer.addTo(map);
}
function styleRemoved() {
  Object.keys(facMarkers).forEach(function (id) {
    var gone = S.remove.indexOf(id) >= 0, m = facMarkers[id];
    m.setStyle(gone ? { color: "#333", fillColor: "#fff", fillOpacity: 0.5, dashArray: "2 2" } : m.base);
    var node = m.getElement && m.getElement();
    if (node) node.classList.toggle("cov-removed", gone);
  });
}
function facilityClick(i, ev) {
  var id = F.ids[i];
  if (S.edit) { toggleRemove(id); return; }
  var kind = data.kinds[F.k[i]], gone = S.remove.indexOf(id) >= 0;
  var box = el("div", { class: "popup" }, [el("h3", { text: F.n[i] || T.unnamed }), el("p", { class: "kind", text: C.kindNames[kind] || kind })]);
  if (cfg.precisions[data.prec[F.x[i]]]) box.appendChild(el("p", { class: "badge", text: cfg.precisions[data.prec[F.x[i]]] }));
  var served = el("p", { class: "served" });
  box.appendChild(served);
  servedBy(id, served);
  var b = el("button", { type: "button", class: "btn", text: gone ? T.restore : T.remove });
  b.addEventListener("click", function () { map.closePopup(); toggleRemove(id); });
  box.appendChild(el("p", {}, [b, " ", el("a", { href: fillUrl(cfg.urls.facility, id), text: cfg.t.details + " →" })]));
  L.popup({ maxWidth: 300 }).setLatLng(ev.latlng || F.pts[i]).setContent(box).openOn(map);
}
function toggleRemove(id) {
  var at = S.remove.indexOf(id);
  if (at >= 0) S.remove.splice(at, 1); else S.remove.push(id);
  styleRemoved();
  scenarioChanged();
}

// ------------------------------------------------------- scenario sites
var STAR = "M10 1.5l2.5 5.6 6 .6-4.5 4 1.3 6-5.3-3.1-5.3 3.1 1.3-6-4.5-4 6-.6z";
function starIcon(label, cls) {
  var svg = haloSymbol(STAR, "24", "4", { fill: "#111", stroke: "#111", "stroke-width": "1" });
  return L.divIcon({ html: el("div", { class: "cov-star" + (cls ? " " + cls : "") }, [svg, el("span", { text: label })]),
    className: "cov-site-icon", iconSize: [24, 24], iconAnchor: [12, 12] });
}
function drawSites() {
  siteLayer.clearLayers();
  S.add.forEach(function (p, i) {
    var m = L.marker([p[1], p[0]], { icon: starIcon(String(i + 1)), draggable: true, keyboard: true, title: fill(T.new_site, { n: i + 1 }), zIndexOffset: 800 });
    m.on("click", function (ev) {
      if (S.edit) { removeSite(i); return; }
      var info = doc && doc.scenario.add[i];
      var del = el("button", { type: "button", class: "btn", text: T.delete });
      del.addEventListener("click", function () { map.closePopup(); removeSite(i); });
      L.popup().setLatLng(ev.latlng).setContent(el("div", { class: "popup" }, [el("h3", { text: fill(T.new_site, { n: i + 1 }) }),
        info && info.quartier_name ? el("p", { text: info.quartier_name }) : null, el("p", {}, [del])])).openOn(map);
    });
    m.on("dragend", function () {
      var ll = m.getLatLng();
      if (quartierAt(ll) < 0) { say(T.outside); m.setLatLng([p[1], p[0]]); return; }
      S.add[i] = [Math.round(ll.lng * 1e6) / 1e6, Math.round(ll.lat * 1e6) / 1e6];
      scenarioChanged();
    });
    m.addTo(siteLayer);
  });
}
function addSite(latlng) {
  if (quartierAt(latlng) < 0) { say(T.outside); return; }
  if (S.add.length >= C.maxAdd) { say(fill(T.too_many, { n: C.maxAdd })); return; }
  S.add.push([Math.round(latlng.lng * 1e6) / 1e6, Math.round(latlng.lat * 1e6) / 1e6]);
  scenarioChanged();
}
function removeSite(i) { S.add.splice(i, 1); scenarioChanged(); }
// A scenario change is answered where the user acts: its effect on the map's status line (the summary may be
// scrolled out of view) and under the scenario's lists. A scenario in the URL (« Tester un CSCOM ici » on a
// quartier page) is announced once it is computed: on a phone the summary lies below the map.
var announceEffect = S.add.length > 0 || S.remove.length > 0;
function scenarioChanged() {
  clearSuggestions();
  drawSites();
  announceEffect = true;
  update();
}
function renderEffect() {
  var d = doc.district, box = $("cov-effect"), text = "";
  if (d.pop_covered_change === 0) {
    text = T.no_change;  // not « 0 habitants couverts (0 points) »
  } else if (d.pop_covered_change !== undefined) {
    text = fill(T.change, { delta: signed(d.pop_covered_change), points: signed(d.share_covered_change * 100, 1) });
  }
  box.textContent = text;
  box.hidden = !text;
  box.classList.toggle("is-loss", d.pop_covered_change < 0);
  if (announceEffect && text) say(text);
  announceEffect = false;
}

// --------------------------------------------------------------- update
var seq = 0, inflight = null, loadingTimer = null;
function update() {
  syncUrl();
  var my = ++seq;
  if (inflight) inflight.abort();
  inflight = window.AbortController ? new AbortController() : null;
  clearTimeout(loadingTimer);
  loadingTimer = setTimeout(function () { say(T.loading, true); }, 300);
  var p = params();
  p.set("unit", "quartier");
  getJson(siteUrl(C.urls.api + "?" + qs(p)), { signal: inflight && inflight.signal }).then(function (body) {
    if (my !== seq) return;
    clearTimeout(loadingTimer);
    say("");
    doc = body;
    rows = {};
    doc.units.forEach(function (r) { rows[r.pcode] = r; });
    recolour();
    renderLegend();
    renderSummary();
    renderScenario();
    renderEffect();
    renderTable();
    loadDifference();
  }).catch(function (err) {
    if (err.name === "AbortError" || my !== seq) return;
    clearTimeout(loadingTimer);
    say(T.failed + T.sep + err.message, true);
  });
  surface.setUrl(siteUrl(C.urls.surface + "?" + qs(params())));
  if (S.show.surface && !map.hasLayer(surface)) surface.addTo(map);
  if (S.show.catchments) loadCatchments();
}
function shareClass(share) {
  return share === null || share === undefined ? -1 : classOf(share, C.bins);
}
function recolour() {
  polys.forEach(function (poly, i) {
    var r = rows[Q.p[i]], cls = r ? shareClass(r.share_covered) : -1;
    poly.setStyle({ fillColor: cls < 0 ? C.noValue : C.colors[cls] });
  });
}

// ------------------------------------------------- straight line vs minutes
var differenceUrl = null;
/** Show, in walking minutes, what the straight line gets wrong: District totals of /api/v1/coverage/difference. */
function loadDifference() {
  var box = $("cov-difference");
  // the comparison is worded for walking
  if (S.mode !== "walk" || !doc.links || !doc.links.difference) { box.hidden = true; differenceUrl = null; return; }
  var url = doc.links.difference;
  if (url === differenceUrl) return;
  differenceUrl = url;
  getJson(url).then(function (diff) {
    if (url !== differenceUrl) return;
    var sum = function (key) { return diff.units.reduce(function (n, u) { return n + (u[key] || 0); }, 0); };
    box.textContent = fill(T.difference, { distance: distance(diff.threshold_m), min: fmt(diff.threshold_min, 1),
      changes: about(sum("pop_nearest_changes")), loses: about(sum("pop_loses")), gains: about(sum("pop_gains")) });
    box.hidden = false;
  }).catch(function () { box.hidden = true; differenceUrl = null; });
}

// --------------------------------------------------------------- catchments
var servedByUrl = {}, catchKey = null;
function catchUrl() {
  var p = params();
  p.delete("threshold_m");
  p.delete("minutes");
  return siteUrl(C.urls.catchments + "?" + qs(p));
}
function loadCatchments() {
  var url = catchUrl();
  if (catchKey === url) return Promise.resolve();
  return getJson(url).then(function (geo) {
    catchKey = url;
    catchLayer.clearLayers();
    catchLayer.addData(geo);
    remember(url, geo);
    if (S.show.catchments && !map.hasLayer(catchLayer)) catchLayer.addTo(map);
  }).catch(function (err) { say(T.failed + T.sep + err.message); });
}
function remember(url, geo) {
  var served = servedByUrl[url] = {};
  geo.publication.ogc.forEach(function (f) { served[f.properties.id] = f.properties.pop_served; });
}
function servedBy(id, node) {
  var url = catchUrl();
  var show = function () {
    var n = servedByUrl[url][id];
    if (n !== undefined) node.textContent = T.served + T.sep + fmt(n) + " " + T.inhabitants;
  };
  if (servedByUrl[url]) { show(); return; }
  getJson(url).then(function (geo) { remember(url, geo); show(); }).catch(function () { /* the popup stays without it */ });
}

// --------------------------------------------------------------- legend
function swatch(color, cls) {
  var s = el("span", { class: "swatch" + (cls ? " " + cls : "") });
  s.style.background = color;
  return s;
}
function mark(kind, color) {
  var dot = el("span", { class: "dot dot-" + kind });
  if (color && kind === "hollow") dot.style.borderColor = color;
  else if (color) dot.style.background = color;
  return el("span", { class: "mark" }, [dot]);
}
function renderLegend() {
  var box = $("cov-legend"), entry = entryOf(S.kind);
  box.textContent = "";
  box.appendChild(el("p", { class: "legend-title", text: phrase(entry) }));
  box.appendChild(el("p", { class: "legend-caption", text: T.share_caption }));
  var list = el("ul", { class: "legend-classes" }), lo = 0;
  C.bins.forEach(function (hi, i) {
    list.appendChild(el("li", {}, [swatch(C.colors[i]), fmt(lo * 100) + "–" + pct(hi)]));
    lo = hi;
  });
  var missing = doc && doc.units.some(function (r) { return r.share_covered === null; });
  if (missing) list.appendChild(el("li", {}, [swatch(C.noValue), T.no_people]));
  box.appendChild(list);
  if (S.show.surface) {
    box.appendChild(el("p", { class: "legend-title", text: fill(S.mode ? T.surface_time_title : T.surface_title, { distance: reach() }) }));
    var bands = el("ul", { class: "legend-classes" });
    var at = S.mode ? function (b) { return minutes(b * S.minutes); } : function (b) { return distance(b * S.threshold); };
    C.bands.forEach(function (b, i) {
      var text = i + 1 < C.bands.length ? at(b) + " – " + at(C.bands[i + 1]) : fill(T.more_than, { distance: at(b) });
      bands.appendChild(el("li", {}, [swatch(C.bandColors[i], "swatch-band"), text]));
    });
    box.appendChild(bands);
  }
  var marks = el("ul", { class: "legend-classes legend-marks" });
  var color = symbolColor(entry.kinds[0]);
  var existing = Object.keys(facMarkers).length - S.remove.length;
  marks.appendChild(el("li", {}, [mark("solid", color), T.facilities + " (" + fmt(existing) + ")"]));
  marks.appendChild(el("li", {}, [mark("hollow", color), T.approximate]));
  if (S.add.length) marks.appendChild(el("li", {}, [el("span", { class: "mark mark-star", text: "★" }), T.added]));
  if (S.remove.length) marks.appendChild(el("li", {}, [mark("removed"), T.removed]));
  box.appendChild(marks);
}
function renderSummary() {
  var box = $("cov-summary"), d = doc.district, entry = entryOf(S.kind);
  box.textContent = "";
  box.appendChild(el("p", { class: "cov-big" }, [el("strong", { text: shareOf(d) }), " ",
    fill(T.district_summary, { covered: "~" + about(d.pop_covered), pop: fmt(d.pop), distance: reach() })]));
  box.appendChild(el("p", { class: "cov-method", text: methodText(doc.method) }));
  if (d.share_covered_low !== d.share_covered_high) box.appendChild(el("p", { class: "note", text: T.range_note }));
  if (d.pop_covered_change !== undefined) {
    box.appendChild(el("p", { class: "cov-change" + (d.pop_covered_change < 0 ? " is-loss" : "") },
      [fill(T.change, { delta: signed(d.pop_covered_change), points: signed(d.share_covered_change * 100, 1) })]));
  }
  if (d.pop_depending_on_approximate >= 1) box.appendChild(el("p", { class: "note", text: fill(T.approx_people, { n: about(d.pop_depending_on_approximate) }) }));
  if (d.share_depending_on_unsurveyed > 0) box.appendChild(el("p", { class: "note", text: fill(T.unsurveyed, { share: pct(d.share_depending_on_unsurveyed) }) }));
  var walk = $("cov-walk");
  walk.textContent = S.mode ? "" : fill(T.walk, { min: fmt(S.threshold / 1000 * C.walk.minPerKm), speed: fmt(C.walk.speed, 1), detour: fmt(C.walk.detour, 2) });
  walk.hidden = !!S.mode;
  var note = $("cov-data-note");
  if (note) note.textContent = entry.note;
}

// --------------------------------------------------------------- scenario list
function renderScenario() {
  var added = $("cov-added"), removed = $("cov-removed");
  added.textContent = ""; removed.textContent = "";
  doc.scenario.add.forEach(function (a, i) {
    var del = el("button", { type: "button", class: "btn btn-small", text: T.delete, "aria-label": T.delete + " " + fill(T.new_site, { n: i + 1 }) });
    del.addEventListener("click", function () { removeSite(i); });
    added.appendChild(el("li", {}, [el("span", { text: (a.quartier_name || "") + " " }), del]));
  });
  if (!doc.scenario.add.length) added.appendChild(el("li", { class: "muted", text: T.none_added }));
  doc.scenario.remove.forEach(function (r) {
    var back = el("button", { type: "button", class: "btn btn-small", text: T.restore, "aria-label": T.restore + " " + (r.name || r.id) });
    back.addEventListener("click", function () { toggleRemove(r.id); });
    removed.appendChild(el("li", {}, [el("span", { text: (r.name || r.id) + " " }), back]));
  });
  if (!doc.scenario.remove.length) removed.appendChild(el("li", { class: "muted", text: T.none_removed }));
  $("cov-clear").disabled = !S.add.length && !S.remove.length;
}

// --------------------------------------------------------------- suggestions
var suggested = [];
function clearSuggestions() {
  suggested = [];
  suggestLayer.clearLayers();
  $("cov-suggestions").textContent = "";
  $("cov-suggest-all").hidden = true;
}
function suggest() {
  var input = $("cov-k"), k = parseInt(input.value, 10);
  if (!(k >= 1 && k <= C.maxK)) { k = Math.min(C.maxK, Math.max(1, k || 3)); input.value = k; }
  var p = params();
  p.set("k", String(k));
  clearSuggestions();
  var list = $("cov-suggestions");
  list.appendChild(el("li", { class: "muted", text: T.loading }));
  getJson(siteUrl(C.urls.suggest + "?" + qs(p))).then(function (body) {
    list.textContent = "";
    suggested = body.sites;
    if (!suggested.length) { list.appendChild(el("li", { class: "muted", text: T.suggest_none })); return; }
    suggested.forEach(function (s) {
      var add = el("button", { type: "button", class: "btn btn-small", text: T.add_site });
      add.addEventListener("click", function () { adopt([s]); });
      var where = [s.quartier_name, s.commune_name].filter(Boolean).join(", ");
      list.appendChild(el("li", {}, [el("strong", { text: fill(T.site, { n: s.rank }) }), " — " + where + T.sep,
        el("span", { class: "gain", text: fill(T.gain, { n: fmt(s.gain) }) }), " ", add]));
      var m = L.marker([s.lat, s.lon], { icon: L.divIcon({ html: el("span", { text: String(s.rank) }), className: "cov-suggest-icon", iconSize: [24, 24] }),
        title: fill(T.site, { n: s.rank }), zIndexOffset: 700 });
      m.on("click", function () { adopt([s]); });
      m.addTo(suggestLayer);
    });
    $("cov-suggest-all").hidden = suggested.length < 2;
  }).catch(function (err) { list.textContent = ""; say(T.failed + T.sep + err.message, true); });
}
function adopt(sites) {
  var room = C.maxAdd - S.add.length;
  sites.slice(0, room).forEach(function (s) { S.add.push([s.lon, s.lat]); });
  scenarioChanged();
}

// --------------------------------------------------------------- table
function td(text, cls) { return el("td", { class: cls || "", text: text }); }
function median(r) {
  if (!S.mode) return distance(r.median_distance_m);
  return r.median_min === null || r.median_min === undefined ? "—" : minutes(r.median_min);
}
function renderTable() {
  var head = $("cov-table-head"), body = $("cov-table-body");
  if (!head) return;
  var scenario = doc.units.length && doc.units[0].share_covered_before !== undefined;
  head.textContent = "";
  [[T.rank, "num", "rank"], [T.quartier, "", "name"], [T.population, "num opt", "pop"], [T.uncovered, "num", "pop_uncovered"],
   [scenario ? T.share + " (" + T.before_after + ")" : T.share, "num", "share_covered"],
   S.mode ? [T.median_time, "num opt", "median_min"] : [T.median, "num opt", "median_distance_m"]].forEach(function (h) {
    var th = el("th", { scope: "col", class: h[1] }, [el("button", { type: "button", class: "sort-button", title: T.sort, text: h[0] })]);
    if (tableSort.key === h[2]) th.setAttribute("aria-sort", tableSort.dir > 0 ? "ascending" : "descending");
    th.firstChild.addEventListener("click", function () {
      tableSort = { key: h[2], dir: tableSort.key === h[2] ? -tableSort.dir : 1 };
      renderTable();
    });
    head.appendChild(th);
  });
  communeFilter();
  var caption = $("cov-table-caption");
  if (caption) caption.textContent = methodText(doc.method);
  body.textContent = "";
  var units = tableUnits();
  var limit = showAllRows ? units.length : Math.min(20, units.length);
  units.slice(0, limit).forEach(function (r) {
    var flags = el("span", { class: "flags" });
    if (!r.has_facility_data) flags.appendChild(el("span", { class: "badge", title: T.partial_help, text: T.partial }));
    if (r.pop_depending_on_approximate >= 1) {
      flags.appendChild(el("span", { class: "badge badge-approx", title: fill(T.approx_people, { n: about(r.pop_depending_on_approximate) }),
        text: fill(T.approx_short, { n: about(r.pop_depending_on_approximate) }) }));
    }
    var share = scenario ? pct(r.share_covered_before) + " → " + shareOf(r) : shareOf(r);
    var name = el("th", { scope: "row" }, [el("a", { href: fillUrl(cfg.urls.quartier, r.pcode), text: r.name || r.pcode }),
      el("span", { class: "sub", text: r.commune_name }), flags]);
    var change = scenario && Math.abs(r.pop_covered_change) >= 1 ? (r.pop_covered_change > 0 ? "is-better" : "is-worse") : "";
    var tr = el("tr", { class: change },
      [td(r.rank === null ? "—" : String(r.rank), "num"), name, td(peopleRange(fmt, r.pop, r.pop_low, r.pop_high, ""), "num opt"),
       td(about(r.pop_uncovered), "num"), td(share, "num wrap"), td(median(r), "num opt")]);
    tr.addEventListener("mouseenter", function () { highlight(r.pcode, true); });
    tr.addEventListener("mouseleave", function () { highlight(r.pcode, false); });
    body.appendChild(tr);
  });
  var more = $("cov-table-more");
  more.hidden = units.length <= 20;
  more.textContent = fill(showAllRows ? T.show_less : T.show_all, { n: fmt(units.length) });
}
/** Return the table's rows: doc.units of the chosen commune, in the chosen order (missing values last). */
function tableUnits() {
  var units = doc.units.filter(function (r) { return !tableCommune || r.commune_pcode === tableCommune; });
  if (!tableSort.key) return units;
  var k = tableSort.key, d = tableSort.dir;
  return units.slice().sort(function (a, b) {
    var x = a[k], y = b[k];
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (typeof x === "string" ? x.localeCompare(y, LOCALE) : x - y) * d;
  });
}
/** Fill the commune filter of the table once from the rows (the table itself needs the script). */
function communeFilter() {
  var select = $("cov-table-commune");
  if (!select || select.options.length > 1) return;
  var seen = {};
  doc.units.forEach(function (r) { if (r.commune_pcode) seen[r.commune_pcode] = r.commune_name; });
  Object.keys(seen).sort().forEach(function (c) { select.appendChild(el("option", { value: c, text: seen[c] })); });
  select.closest(".table-filters").hidden = Object.keys(seen).length < 2;
  select.addEventListener("change", function () { tableCommune = select.value; renderTable(); syncUrl(); });
}
function highlight(pcode, on) {
  var i = Q ? Q.p.indexOf(pcode) : -1;
  if (i >= 0) polys[i].setStyle({ color: on ? "#000" : "#fff", weight: on ? 3 : 0.9 });
  if (i >= 0 && on) polys[i].bringToFront();
}

// --------------------------------------------------------------- quartier box
function quartierBox(i, withLink) {
  var r = rows[Q.p[i]], box = el("div", { class: "q-summary" });
  box.appendChild(el("strong", { text: Q.n[i] }));
  if (Q.c[i] >= 0) box.appendChild(el("div", { class: "muted", text: data.communes.n[Q.c[i]] }));
  if (r) {
    box.appendChild(el("div", { text: T.population + T.sep + peopleRange(fmt, r.pop, r.pop_low, r.pop_high, T.inhabitants) }));
    var share = r.share_covered_before !== undefined ? pct(r.share_covered_before) + " → " + shareOf(r) : shareOf(r);
    box.appendChild(el("div", { text: T.share + T.sep + share + " (" + reach() + ")" }));
    box.appendChild(el("div", { text: T.uncovered + T.sep + about(r.pop_uncovered) + " " + T.inhabitants }));
    box.appendChild(el("div", { text: (S.mode ? T.median_time : T.median) + T.sep + median(r) }));
    box.appendChild(el("div", { text: T.facilities_in_unit + T.sep + fmt(r.facilities) }));
    if (!r.has_facility_data) box.appendChild(el("div", { class: "badge", text: T.partial }));
    if (r.pop_depending_on_approximate >= 1) box.appendChild(el("div", { class: "muted", text: fill(T.approx_people, { n: about(r.pop_depending_on_approximate) }) }));
  }
  if (withLink) box.appendChild(el("p", {}, [el("a", { href: fillUrl(cfg.urls.quartier, Q.p[i]), text: T.unit_page + " →" })]));
  return box;
}

// --------------------------------------------------------------- controls
var slider = $("cov-threshold"), out = $("cov-threshold-out"), sliderTimer = null;
function showThreshold() {
  out.textContent = distance(S.threshold);
  slider.setAttribute("aria-valuetext", distance(S.threshold));
}
slider.addEventListener("input", function () {
  S.threshold = C.steps[parseInt(slider.value, 10)];
  showThreshold();
  clearSuggestions();
  clearTimeout(sliderTimer);
  sliderTimer = setTimeout(update, 120);
});
var minuteSlider = $("cov-minutes"), minuteOut = $("cov-minutes-out");
function showMinutes() {
  minuteOut.textContent = reach();
  minuteSlider.setAttribute("aria-valuetext", reach());
}
minuteSlider.addEventListener("input", function () {
  S.minutes = C.minuteSteps[parseInt(minuteSlider.value, 10)];
  showMinutes();
  clearSuggestions();
  clearTimeout(sliderTimer);
  sliderTimer = setTimeout(update, 120);
});
$("cov-method").addEventListener("change", function () {
  S.mode = this.value;
  $("cov-minutes-field").hidden = !S.mode;
  $("cov-threshold-field").hidden = !!S.mode;
  showMinutes();
  clearSuggestions();
  catchKey = null;
  update();
});
$("cov-kind").addEventListener("change", function () {
  S.kind = this.value;
  S.threshold = entryOf(S.kind).default_m;
  var idx = C.steps.indexOf(S.threshold);
  if (idx >= 0) slider.value = idx;
  S.remove = [];
  showThreshold();
  clearSuggestions();
  catchKey = null;
  drawFacilities();
  update();
});
document.querySelectorAll("input[name=cov-layer]").forEach(function (box) {
  box.addEventListener("change", function () {
    S.show[box.value] = box.checked;
    var layer = { surface: surface, catchments: catchLayer, facilities: facLayer }[box.value];
    if (box.value === "catchments" && box.checked) loadCatchments();
    if (box.checked && !map.hasLayer(layer)) layer.addTo(map);
    if (!box.checked && map.hasLayer(layer)) map.removeLayer(layer);
    if (doc) renderLegend();
  });
});
$("cov-basemap").addEventListener("change", function () { setBasemap(this.value, true); syncUrl(); });
var editBtn = $("cov-edit");
editBtn.addEventListener("click", function () {
  S.edit = !S.edit;
  editBtn.setAttribute("aria-pressed", S.edit ? "true" : "false");
  root.classList.toggle("is-editing", S.edit);
  say(S.edit ? T.edit_on : "");
});
$("cov-clear").addEventListener("click", function () { S.add = []; S.remove = []; styleRemoved(); scenarioChanged(); });
$("cov-suggest").addEventListener("click", suggest);
$("cov-suggest-all").addEventListener("click", function () { adopt(suggested); });
var more = $("cov-table-more");
if (more) more.addEventListener("click", function () { showAllRows = !showAllRows; renderTable(); });
setupCopyButtons(document, T.copied, function () { say(T.copy_failed); });

// --------------------------------------------------------------- start
showThreshold();
showMinutes();
drawSites();
surface.addTo(map);
printMenu(document.querySelector("[data-print=cov-print]"), C.urls, imageParams);
say(T.loading, true);
// the shapes first (build), the facilities when the rest of the map data is in
loadMapData(cfg.dataParts || cfg.dataUrl, build)
  .then(function (whole) { data = whole; F = decodeFacilities(whole); addLandmarks(context, map, whole, cfg.lang); drawFacilities(); })
  .catch(function (err) { say(T.load_failed, true); if (window.console) console.error(err); });
