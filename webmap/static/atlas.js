/* Atlas de Bamako: the interactive map of /, /embed and the unit pages (an ES module).
 *
 * Holds no user-visible text: every label comes from the page's JSON config
 * (translated on the server). Names from the data are only ever set with
 * textContent or as attribute values, never parsed as HTML. The map data is
 * decoded by lib/codec.js (as geo.publication.codec). Exports the map's API
 * for the editor (edit.js), also as window.BamakoAtlas for scripts and tests.
 */

import {
  addLandmarks, basemapSwitcher, classOf, contextLayer, createMap, decodeDeltas, decodeFacilities, decodeShapes, el,
  fillUrl as pageUrl, getJson, haloSymbol, iframeSnippet, initialBasemap, layerOfKind, loadMapData, loadScript,
  localeOf, numberFormatter, peopleRange, queryString as qs, readConfig, setupCopyButtons, shapeLatLngs,
  splitTexts, statusLine, updateLangLinks
} from "./lib/shared.js";
import { printMenu } from "./lib/print.js";

var cfg = readConfig("atlas-config");
var T = cfg.t;
var root = document.getElementById("atlas");
var layerByKind = layerOfKind(cfg.layers);
var fmt = numberFormatter(localeOf(cfg.lang));
var statusBox = document.getElementById("atlas-status");
var say = statusLine(statusBox, 8000);

function fold(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
}

// ------------------------------------------------------------------ state
var view = cfg.view;
var state = {
  layers: new Set(view.layers),
  indicator: view.indicator === "density" ? "density" : view.indicator + ":" + (view.kind || cfg.defaults.kind),
  basemap: initialBasemap(view.basemap, cfg.basemaps)
};
var isMapPage = !cfg.focus || cfg.embed || document.body.classList.contains("page-map");

function indicatorEntry(id) {
  for (var i = 0; i < cfg.indicators.length; i++) if (cfg.indicators[i].id === id) return cfg.indicators[i];
  return cfg.indicators[0];
}

function viewParams(withLang) {
  var p = new URLSearchParams();
  p.set("layers", cfg.layers.map(function (l) { return l.key; }).filter(function (k) { return state.layers.has(k); }).join(","));
  var entry = indicatorEntry(state.indicator);
  p.set("indicator", entry.indicator);
  if (entry.kind) p.set("kind", entry.kind);
  p.set("basemap", state.basemap);
  if (map) {
    var c = map.getCenter();
    p.set("center", c.lng.toFixed(5) + "," + c.lat.toFixed(5));  // lon,lat like bbox and add
    p.set("zoom", String(map.getZoom()));
  }
  if (view.focus) p.set("focus", view.focus);
  if (withLang) p.set("lang", cfg.lang);
  return p;
}

function syncUrl() {
  var keepLang = new URLSearchParams(location.search).has("lang");
  if (isMapPage) history.replaceState(null, "", location.pathname + "?" + qs(viewParams(keepLang)));
  updateLangLinks(function () { return isMapPage ? viewParams(false) : new URLSearchParams(location.search); });
  var full = document.getElementById("open-full");
  if (full) full.href = cfg.urls.map + "?" + qs(viewParams(true));
  updateShare();
}

// -------------------------------------------------------------------- map
var created = createMap(cfg, 19), map = created.map;
map.createPane("communes").style.zIndex = 420;
map.getPane("communes").style.pointerEvents = "none";

function button(label, cls, onClick) {
  var b = el("button", { type: "button", class: "map-btn " + cls, title: label, "aria-label": label });
  b.addEventListener("click", function (e) { L.DomEvent.stop(e); onClick(b); });
  return b;
}

var Tools = L.Control.extend({
  options: { position: "topright" },
  onAdd: function () {
    var box = el("div", { class: "leaflet-bar map-tools" });
    var fs = button(T.fullscreen, "btn-fullscreen", toggleFullscreen);
    box.appendChild(fs);
    box.appendChild(button(T.locate, "btn-locate", function () {
      map.locate({ setView: true, maxZoom: 16, enableHighAccuracy: true });
    }));
    L.DomEvent.disableClickPropagation(box);
    return box;
  }
});
new Tools().addTo(map);

function toggleFullscreen() {
  if (document.fullscreenElement) { document.exitFullscreen(); return; }
  if (root.requestFullscreen && !root.classList.contains("pseudo-fs")) {
    root.requestFullscreen().catch(function () { root.classList.toggle("pseudo-fs"); map.invalidateSize(); });
  } else {
    root.classList.toggle("pseudo-fs");
    map.invalidateSize();
  }
}
document.addEventListener("fullscreenchange", function () {
  var on = !!document.fullscreenElement || root.classList.contains("pseudo-fs");
  var b = root.querySelector(".btn-fullscreen");
  if (b) { b.title = on ? T.fullscreen_exit : T.fullscreen; b.setAttribute("aria-label", b.title); }
  map.invalidateSize();
});

// Popups pan clear of what floats over the map: the search box, the buttons on the right, the panel toggle.
// Every popup reads these defaults when it opens (its options inherit from L.Popup's).
function popupPadding() {
  var box = map.getContainer().getBoundingClientRect(), narrow = box.width < 600, top = 8, right = 8, bottom = 8;
  var over = function (sel) {
    var node = root.querySelector(sel);
    return node && node.offsetParent ? node.getBoundingClientRect() : null;
  };
  var search = over(".map-search"), tools = over(".leaflet-top.leaflet-right"), toggle = over("#panel-toggle");
  if (search) top = Math.max(top, search.bottom - box.top + 8);
  if (tools && narrow) top = Math.max(top, tools.bottom - box.top + 8);  // no room beside them: keep below
  else if (tools) right = Math.max(right, box.right - tools.left + 8);
  if (toggle && toggle.top > box.top + box.height / 2) bottom = Math.max(bottom, box.bottom - toggle.top + 8);
  L.Popup.prototype.options.autoPanPaddingTopLeft = L.point(8, top);
  L.Popup.prototype.options.autoPanPaddingBottomRight = L.point(right, bottom);
}
map.on("resize", popupPadding);
map.on("popupopen", function (e) { popupPadding(); e.popup.update(); });

// A map inside a page that scrolls must not take the page's gestures: an embedded map ignores the mouse wheel,
// and on touch screens a unit page's map ignores one-finger drags, until clicked or tapped once (a hint says so).
function holdGestures() {
  var inPage = cfg.embed || !isMapPage, touch = window.matchMedia("(pointer: coarse)").matches;
  if (!inPage) return;
  var wheel = cfg.embed, drag = !cfg.embed && touch;
  if (!wheel && !drag) return;
  if (wheel) map.scrollWheelZoom.disable();
  if (drag) { map.dragging.disable(); if (map.tap) map.tap.disable(); }
  root.classList.add("map-asleep");
  var container = map.getContainer();
  var hint = function () { say(wheel ? T.wheel_hint : T.drag_hint); };
  if (wheel) container.addEventListener("wheel", hint, { passive: true });
  if (drag) container.addEventListener("touchmove", hint, { passive: true });
  var wake = function () {
    if (wheel) { map.scrollWheelZoom.enable(); container.removeEventListener("wheel", hint); }
    if (drag) { map.dragging.enable(); if (map.tap) map.tap.enable(); container.removeEventListener("touchmove", hint); }
    root.classList.remove("map-asleep");
    container.removeEventListener("click", wake);
    container.removeEventListener("focus", wake);
    say("");
  };
  container.addEventListener("click", wake);
  container.addEventListener("focus", wake);
}
holdGestures();

var here = L.layerGroup().addTo(map);
map.on("locationfound", function (e) {
  here.clearLayers();
  L.circle(e.latlng, { radius: e.accuracy, weight: 1, color: "#0b57d0", fillOpacity: 0.1, interactive: false }).addTo(here);
  L.circleMarker(e.latlng, { radius: 6, color: "#fff", weight: 2, fillColor: "#0b57d0", fillOpacity: 1 })
    .bindTooltip(T.you_are_here).addTo(here);
});
map.on("locationerror", function () { say(T.locate_failed); });

// Initial extent: explicit centre/zoom, else the focused unit, else the District.
if (view.center && view.zoom) {
  map.setView([view.center[1], view.center[0]], view.zoom);  // centres are [lon, lat]
} else if (cfg.focus && cfg.focus.type === "facility") {
  map.setView([cfg.focus.bbox[1], cfg.focus.bbox[0]], view.zoom || 17);
} else if (cfg.focus) {
  var b = cfg.focus.bbox;
  map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [16, 16] });
} else if (cfg.extent && !view.zoom) {
  var e = cfg.extent;
  map.fitBounds([[e[1], e[0]], [e[3], e[2]]], { padding: [8, 8] });
} else {
  var c0 = view.center || cfg.defaults.center;
  map.setView([c0[1], c0[0]], view.zoom || cfg.defaults.zoom);
}

// --------------------------------------------------------------- basemaps
var basemaps = basemapSwitcher(map, created.attribution, root, cfg.basemaps, function () { say(T.tiles_failed); });
function setBasemap(key, byUser) { state.basemap = basemaps.set(key, byUser); }
basemaps.onFallback(function (key) { state.basemap = key; syncUrl(); });
setBasemap(state.basemap);

// ------------------------------------------------------------------ data
var data = null, Q = null, F = null, arcs = null;
var quartierShapes = [], groups = {}, markers = [], qaMarkers = [], searchIndex = [];
var labelsLayer = L.layerGroup(), communeLabels = L.layerGroup(), outlines = L.layerGroup();

function symbolSvg(key, size) {
  var s = cfg.symbols[key], hollow = s.color === "none";
  return haloSymbol(s.path, size || s.size, hollow ? "5" : "3.5",
    hollow ? { fill: "none", stroke: "#000", "stroke-width": "2.5" } : { fill: s.color, stroke: "#1a1a1a", "stroke-width": "1" });
}

// Smallest touch target of a marker, CSS pixels (WCAG 2.2 target size).
var TOUCH_PX = 24;

// variant: "" (a point at the facility, inside), "fac-approx" (quartier/commune precision), "fac-outside" (outside the District).
function iconFor(key) {
  var s = cfg.symbols[key], svg = symbolSvg(key);
  return function (variant) {
    // the box (what a finger hits) is at least TOUCH_PX wide, the symbol keeps its size in the middle
    var box = Math.max(s.size, TOUCH_PX);
    return L.divIcon({ html: svg.cloneNode(true), className: "fac-icon fac-" + key + (variant ? " " + variant : ""), iconSize: [box, box], iconAnchor: [box / 2, box / 2], popupAnchor: [0, -s.size / 2] });
  };
}

function clusterIcon(key) {
  return function (cluster) {
    var n = cluster.getChildCount(), size = n < 10 ? 28 : n < 100 ? 34 : 40;
    var div = el("div", { class: "cluster-badge", "data-n": n }, [symbolSvg(key, 11), el("span", { text: fmt(n) })]);
    div.style.borderColor = cfg.symbols[key].color === "none" ? "#000" : cfg.symbols[key].color;
    return L.divIcon({ html: div, className: "cluster-icon cluster-" + key, iconSize: [size, size] });
  };
}

function quartierName(i) { return i >= 0 ? Q.n[i] : ""; }
function communeOfFacility(i) {
  var q = F.q[i];
  return q >= 0 ? Q.c[q] : F.c[i];
}

function link(href, text) { return el("a", { href: href, text: text }); }

function facilityPopup(i) {
  var kind = data.kinds[F.k[i]], prec = data.prec[F.x[i]];
  var box = el("div", { class: "popup" });
  box.appendChild(el("h3", { text: F.n[i] || T.unnamed }));
  box.appendChild(el("p", { class: "kind", text: cfg.kinds[kind] || kind }));
  if (cfg.precisions[prec]) box.appendChild(el("p", { class: "badge", text: cfg.precisions[prec] }));
  if (F.o[i]) box.appendChild(el("p", { class: "badge badge-warn", text: T.outside }));
  var dl = el("dl");
  var q = F.q[i], c = communeOfFacility(i);
  if (q >= 0) dl.append(el("dt", { text: T.quartier }), el("dd", {}, [link(pageUrl(cfg.urls.quartier, Q.p[q]), Q.n[q])]));
  if (c >= 0) dl.append(el("dt", { text: T.commune }), el("dd", {}, [link(pageUrl(cfg.urls.commune, data.communes.p[c]), data.communes.n[c])]));
  var srcs = String(data.src[F.s[i]] || "").split(";").filter(Boolean).map(function (k) { return cfg.sources[k] || k; });
  if (srcs.length) dl.append(el("dt", { text: T.sources }), el("dd", { text: srcs.join(" ; ") }));
  box.appendChild(dl);
  var nqa = (qaByFacility[i] || []).length;
  if (nqa) box.appendChild(el("p", { class: "badge badge-qa", text: nqa + " " + T.qa_count }));
  box.appendChild(el("p", {}, [link(pageUrl(cfg.urls.facility, F.ids[i]), T.details + " →")]));
  runHooks("facilityPopup", [box, F.ids[i]]);
  return box;
}

var qaByFacility = {}, orphans = { n: [], e: [], pts: [], k: [] }, evidenceCache = {};

function checkList(codes) {
  return el("ul", { class: "checks" }, codes.map(function (check) { return el("li", { text: cfg.checks[check] || check }); }));
}

function qaFacilityPopup(f) {
  var box = el("div", { class: "popup" });
  box.appendChild(el("h3", { text: T.qa_finding }));
  box.appendChild(el("p", {}, [link(pageUrl(cfg.urls.facility, F.ids[f]), F.n[f] || T.unnamed)]));
  var list = checkList(qaByFacility[f]);
  box.appendChild(list);
  loadEvidence(F.ids[f], list);
  runHooks("qaPopup", [box, F.ids[f], qaByFacility[f].slice()]);
  return box;
}

// The evidence text is not in the map data: it comes from the facility's JSON twin when asked for.
function loadEvidence(id, list) {
  var fill = function (findings) {
    list.textContent = "";
    findings.forEach(function (q) {
      list.appendChild(el("li", {}, [el("strong", { text: cfg.checks[q.check] || q.check }), q.evidence ? T.sep + q.evidence : ""]));
    });
  };
  if (evidenceCache[id]) { fill(evidenceCache[id]); return; }
  getJson(pageUrl(cfg.urls.facility, id) + ".json")
    .then(function (doc) { evidenceCache[id] = doc.qa_findings || []; fill(evidenceCache[id]); })
    .catch(function () { /* the check labels stay */ });
}

function qaOrphanPopup(j) {
  var box = el("div", { class: "popup" });
  box.appendChild(el("h3", { text: T.qa_finding }));
  if (orphans.n[j]) box.appendChild(el("p", { text: orphans.n[j] }));
  box.appendChild(checkList([orphans.k[j]]));
  if (orphans.e[j]) box.appendChild(el("p", { text: orphans.e[j] }));
  return box;
}

function quartierSummary(i, withLinks) {
  var box = el("div", { class: "q-summary" });
  box.appendChild(el("strong", { text: Q.n[i] }));
  var c = Q.c[i];
  if (c >= 0) box.appendChild(el("div", { class: "muted", text: data.communes.n[c] }));
  var people = peopleRange(fmt, Q.pop[i], Q.lo ? Q.lo[i] : null, Q.hi ? Q.hi[i] : null, T.inhabitants);
  box.appendChild(el("div", { text: T.population + T.sep + people }));
  var entry = indicatorEntry(state.indicator), ind = data.ind[entry.id];
  if (ind && entry.id !== "density") {
    var v = ind.v[i];
    box.appendChild(el("div", { text: entry.title + T.sep + (v === null ? T.no_data : fmt(v, entry.decimals) + " " + entry.unit) }));
  }
  var dens = data.ind.density ? data.ind.density.v[i] : null;
  if (dens !== null) box.appendChild(el("div", { text: indicatorEntry("density").title + T.sep + fmt(dens) + " " + indicatorEntry("density").unit }));
  var counts = cfg.layers.filter(function (l) { return state.layers.has(l.key) && data.counts && data.counts[l.key]; })
    .map(function (l) { return l.short + T.sep + data.counts[l.key][i]; });
  if (counts.length) box.appendChild(el("div", { class: "counts", text: counts.join(" · ") }));
  if (withLinks) {
    box.appendChild(el("p", {}, [link(pageUrl(cfg.urls.quartier, Q.p[i]), T.unit_page + " →")]));
  }
  return box;
}

// The map data comes in two parts (see loadMapData): the shapes are drawn first, the facilities when the rest is in.
function build(payload, reloaded) {
  drawShapes(payload);
  drawFacilities(payload, reloaded);
}

var context = null;  // the atlas's own basemap layer (river, land, landmarks)

function drawShapes(payload) {
  data = payload;
  var decoded = decodeShapes(data), scale = decoded.scale;
  arcs = decoded.arcs; Q = decoded.Q;
  context = contextLayer(map, data.communes, arcs, cfg.context, T.river);
  basemaps.context(context);

  // Quartiers: choropleth, tooltip, popup.
  var quartierGroup = L.featureGroup().addTo(outlines);
  data.quartiers.g.forEach(function (shape, i) {
    var poly = L.polygon(shapeLatLngs(shape, arcs), { color: cfg.outline.quartier, weight: 0.8, opacity: 0.9, fillOpacity: 0.78, className: "quartier" });
    poly.bindTooltip(function () { return quartierSummary(i, false); }, { sticky: true, direction: "top", className: "q-tip", offset: [0, -8] });
    poly.bindPopup(function () { return quartierSummary(i, true); });
    // Leaflet makes a layer with a popup a Tab stop: 71 unnamed stops before the zoom buttons. Quartiers are
    // reached through the search instead; each (re)addition to the map would restore the tabindex.
    poly.on("add", function () { poly.getElement().setAttribute("tabindex", "-1"); });
    poly.addTo(quartierGroup);
    quartierShapes.push(poly);
    var lp = data.quartiers.lp;
    L.tooltip({ permanent: true, direction: "center", className: "q-label", interactive: false })
      .setLatLng([lp[2 * i] / scale, lp[2 * i + 1] / scale]).setContent(Q.n[i]).addTo(labelsLayer);
  });
  outlines.addTo(map);
  labelsLayer.addTo(map);

  // Communes: outlines on top, labels when zoomed out.
  data.communes.g.forEach(function (shape, i) {
    L.polygon(shapeLatLngs(shape, arcs), { pane: "communes", fill: false, color: cfg.outline.commune, weight: 2.6, opacity: 0.95, interactive: false }).addTo(outlines);
    var lp = data.communes.lp;
    var name = data.communes.n[i], words = name.split(" ");
    var label = el("span", {}, [el("span", { class: "c-full", text: name }), el("span", { class: "c-short", text: words[words.length - 1] })]);
    L.tooltip({ permanent: true, direction: "center", className: "c-label", interactive: false })
      .setLatLng([lp[2 * i] / scale, lp[2 * i + 1] / scale]).setContent(label).addTo(communeLabels);
  });
  communeLabels.addTo(map);
  applyIndicator();
  applyZoomClasses();
}

function drawFacilities(payload, reloaded) {
  data = payload;
  addLandmarks(context, map, data, cfg.lang);  // they come with the rest of the map data, on the atlas's basemap
  F = decodeFacilities(data);
  var scale = Math.pow(10, data.d), nf = F.ids.length;
  var qa = data.qa, nlinked = qa.f.length, norphans = qa.k.length - nlinked, acc = 0;
  qa.f.forEach(function (delta, j) {
    acc += delta;
    (qaByFacility[acc] = qaByFacility[acc] || []).push(qa.checks[qa.k[j]]);
  });
  orphans = {
    n: splitTexts(qa.orphans.n, norphans), e: splitTexts(qa.orphans.e, norphans),
    pts: decodeDeltas(qa.orphans.pt, scale), k: qa.k.slice(nlinked).map(function (c) { return qa.checks[c]; })
  };

  // Facilities, one group per map layer.
  var icons = {};
  cfg.layers.forEach(function (l) {
    var s = cfg.symbols[l.key];
    icons[l.key] = iconFor(l.key);
    // Dense layers cluster up to zoom 16; from 17, and in the sparse layers at every zoom, only markers on one
    // spot stay grouped, and a click spreads them (spiderfy) instead of opening the top one only.
    groups[l.key] = L.markerClusterGroup({
      iconCreateFunction: clusterIcon(l.key), showCoverageOnHover: false, chunkedLoading: true,
      maxClusterRadius: s.cluster ? function (zoom) { return zoom >= 17 ? 1 : 40; } : 1,
      removeOutsideVisibleBounds: !!s.cluster  // a sparse layer stays drawn in full, as a plain layer was
    });
  });
  var perLayer = {};
  for (var i = 0; i < nf; i++) {
    var key = layerByKind[data.kinds[F.k[i]]];
    if (!key) continue;
    var variant = F.o[i] ? "fac-outside" : (data.prec[F.x[i]] === "quartier" || data.prec[F.x[i]] === "commune" ? "fac-approx" : "");
    // not a Tab stop each (126 of them): keyboard users reach facilities through the search
    var m = L.marker(F.pts[i], { icon: icons[key](variant), title: F.n[i] || T.unnamed, keyboard: false, riseOnHover: true });
    m.bindPopup(facilityPopup.bind(null, i), { maxWidth: 300 });
    markers[i] = { marker: m, layer: key };
    (perLayer[key] = perLayer[key] || []).push(m);
  }
  Object.keys(perLayer).forEach(function (key) {
    if (groups[key].addLayers) groups[key].addLayers(perLayer[key]);
    else perLayer[key].forEach(function (m) { groups[key].addLayer(m); });
  });
  var qaIcon = iconFor("qa");
  var addQa = function (latlng, popup) {
    var m = L.marker(latlng, { icon: qaIcon(), title: T.qa_finding, keyboard: false, zIndexOffset: 500 });
    m.bindPopup(popup, { maxWidth: 320 });
    groups.qa.addLayer(m);
    qaMarkers.push(m);
  };
  Object.keys(qaByFacility).forEach(function (f) { addQa(F.pts[f], qaFacilityPopup.bind(null, Number(f))); });
  orphans.pts.forEach(function (p, j) { addQa(p, qaOrphanPopup.bind(null, j)); });
  document.querySelectorAll("[data-count]").forEach(function (span) {
    var key = span.getAttribute("data-count");
    var n = key === "qa" ? data.qa.k.length : (perLayer[key] || []).length;
    span.textContent = "(" + fmt(n) + ")";
  });

  buildSearch();
  applyLayers();
  if (!reloaded) highlightFocus(scale);
  root.classList.add("ready");
  if (statusBox && statusBox.textContent === T.loading) say("");
  runHooks("ready", [reloaded === true]);
}

// ------------------------------------------------------------ extensions
// The editing script (edit.js, loaded for signed-in editors only) adds its buttons to the popups
// through these hooks and redraws the map after a save with reload().
var hooks = { facilityPopup: [], qaPopup: [], ready: [] };
function runHooks(name, args) {
  hooks[name].forEach(function (fn) { fn.apply(null, args); });
}

function clearData() {
  map.closePopup();
  outlines.clearLayers();
  labelsLayer.clearLayers();
  communeLabels.clearLayers();
  Object.keys(groups).forEach(function (key) { if (map.hasLayer(groups[key])) map.removeLayer(groups[key]); });
  groups = {}; markers = []; qaMarkers = []; quartierShapes = []; searchIndex = [];
  qaByFacility = {}; evidenceCache = {};
}

// Fetch the map data again (after an edit) and redraw everything from it; the view stays where it is.
function reload(url) {
  return getJson(url, { cache: "no-store" })
    .then(function (payload) { clearData(); build(payload, true); });
}

/** The map's API for the editor (edit.js imports it); also window.BamakoAtlas, for the console and the browser tests. */
export var atlas = {
  map: map,
  config: cfg,
  say: say,
  on: function (name, fn) { hooks[name].push(fn); if (name === "ready" && data) fn(false); },
  reload: reload,
  openFacility: function (id) {
    var i = F ? F.ids.indexOf(id) : -1;
    if (i >= 0) openFacility(i, true);
    return i >= 0;
  }
};
window.BamakoAtlas = atlas;

function applyLayers() {
  cfg.layers.forEach(function (l) {
    var on = state.layers.has(l.key);
    if (on && !map.hasLayer(groups[l.key])) groups[l.key].addTo(map);
    if (!on && map.hasLayer(groups[l.key])) map.removeLayer(groups[l.key]);
  });
  document.querySelectorAll("input[name=layer]").forEach(function (c) { c.checked = state.layers.has(c.value); });
}

// An indicator may bring its own fills (the coverage shares: those of /couverture), else the ramp is spread.
function colourOf(cls, n, own) {
  if (own) return own[cls];
  var P = cfg.palette;
  if (n <= 1) return P[Math.floor(P.length / 2)];
  return P[Math.round(cls * (P.length - 1) / (n - 1))];
}

function applyIndicator() {
  var entry = indicatorEntry(state.indicator), ind = data && data.ind[entry.id];
  var select = document.getElementById("indicator");
  if (select) select.value = entry.id;
  if (!ind) {  // not in the first part of the map data: neutral fills until the rest is in
    quartierShapes.forEach(function (poly) { poly.setStyle({ fillColor: cfg.noData }); });
    return;
  }
  var n = ind.b.length, hasMissing = false;
  quartierShapes.forEach(function (poly, i) {
    var v = ind.v[i];
    if (v === null) hasMissing = true;
    poly.setStyle({ fillColor: v === null ? cfg.noData : colourOf(classOf(v, ind.b), n, ind.c) });
  });
  renderLegend(entry, ind, hasMissing);
}

// An embedded map starts with its panel closed: a compact copy of the legend stays on the map (bottom left).
var compactLegend = null;
if (cfg.embed) {
  var CompactLegend = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd: function () { return el("div", { class: "legend legend-compact", "aria-hidden": "true" }); }
  });
  compactLegend = new CompactLegend().addTo(map).getContainer();
}

function renderLegend(entry, ind, hasMissing) {
  var box = document.getElementById("legend");
  if (!box) return;
  box.textContent = "";
  box.appendChild(el("p", { class: "legend-title", text: entry.legend || entry.title }));
  var list = el("ul", { class: "legend-classes" });
  var lo = null;
  ind.b.forEach(function (upper, i) {
    var text = i === 0 ? "≤ " + fmt(upper, entry.decimals) : fmt(lo, entry.decimals) + " – " + fmt(upper, entry.decimals);
    if (ind.b.length === 1) text = fmt(upper, entry.decimals);
    var sw = el("span", { class: "swatch" });
    sw.style.background = colourOf(i, ind.b.length, ind.c);
    list.appendChild(el("li", {}, [sw, text]));
    lo = upper;
  });
  if (hasMissing) {
    var sw = el("span", { class: "swatch" });
    sw.style.background = cfg.noData;
    list.appendChild(el("li", {}, [sw, T.no_data]));
  }
  box.appendChild(list);
  if (compactLegend) compactLegend.replaceChildren.apply(compactLegend, Array.from(box.cloneNode(true).childNodes));
}

function applyZoomClasses() {
  var z = map.getZoom();
  root.classList.toggle("show-q-labels", z >= 14);
  root.classList.toggle("show-c-labels", z <= 13);
  root.classList.toggle("short-c-labels", z < 12);  // a phone's fit (11.75) is too narrow for « Commune III »
}

function highlightFocus(scale) {
  if (!cfg.focus) return;
  var f = cfg.focus, shape = null;
  if (f.type === "quartier") {
    var qi = Q.p.indexOf(f.id);
    if (qi >= 0) shape = data.quartiers.g[qi];
  } else if (f.type === "commune") {
    var ci = data.communes.p.indexOf(f.id);
    if (ci >= 0) shape = data.communes.g[ci];
  } else if (f.type === "facility") {
    var fi = F.ids.indexOf(f.id);
    if (fi >= 0 && markers[fi]) openFacility(fi, false);
  }
  if (shape) {
    L.polygon(shapeLatLngs(shape, arcs), { pane: "communes", fill: false, color: "#000", weight: 4.5, dashArray: "8 5", interactive: false }).addTo(map);
  }
}

function openFacility(i, move) {
  var entry = markers[i];
  if (!entry) return;
  // End a pan still running (a quick second choice): its moveend would re-cluster and close the new popup.
  map.stop();
  if (!state.layers.has(entry.layer)) { state.layers.add(entry.layer); applyLayers(); syncUrl(); }
  var group = groups[entry.layer];
  if (group.zoomToShowLayer) {
    group.zoomToShowLayer(entry.marker, function () { entry.marker.openPopup(); });
  } else {
    if (move) map.setView(entry.marker.getLatLng(), Math.max(map.getZoom(), 16));
    entry.marker.openPopup();
  }
}

// ----------------------------------------------------------------- search
function buildSearch() {
  Q.p.forEach(function (p, i) {
    var c = Q.c[i] >= 0 ? data.communes.n[Q.c[i]] : "";
    searchIndex.push({ type: "q", i: i, label: Q.n[i], sub: T.quartier + (c ? " · " + c : ""), key: fold(Q.n[i] + " " + Q.a[i]) });
  });
  data.communes.p.forEach(function (p, i) {
    searchIndex.push({ type: "c", i: i, label: data.communes.n[i], sub: T.commune, key: fold(data.communes.n[i]) });
  });
  F.n.forEach(function (name, i) {
    if (!name || !markers[i]) return;
    var kind = data.kinds[F.k[i]], q = quartierName(F.q[i]), label = cfg.kinds[kind] || kind;
    // The name matches as typed; the kind and the quartier (with its other spelling) match too, word by word,
    // so « cscom faladie » finds ASCOFA, the CSCOM of Faladjè.
    var around = fold(label + " " + (F.q[i] >= 0 ? Q.n[F.q[i]] + " " + (Q.a[F.q[i]] || "") : ""));
    searchIndex.push({ type: "f", i: i, label: name, sub: label + (q ? " · " + q : ""), key: fold(name), around: around });
  });
  searchIndex.forEach(function (e) {
    e.compact = e.key.replace(/ /g, "");
    e.words = e.key.split(" ");
    e.all = e.around ? e.key + " " + e.around : e.key;
    e.allWords = e.all.split(" ");
  });
}

function editDistanceAtMost1(a, b) {
  if (Math.abs(a.length - b.length) > 1) return false;
  var i = 0, j = 0, edits = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) { i++; j++; continue; }
    if (++edits > 1) return false;
    if (a.length > b.length) i++;
    else if (a.length < b.length) j++;
    else { i++; j++; }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}

function search(text) {
  var q = fold(text);
  if (q.length < 2) return [];
  var tokens = q.split(" "), compact = q.replace(/ /g, "");
  var exact = [], fuzzy = [];
  var near = function (words) {
    return function (t) {
      return t.length >= 4 && words.some(function (w) { return editDistanceAtMost1(t, w.slice(0, t.length + 1)) || editDistanceAtMost1(t, w); });
    };
  };
  var context = tokens.length > 1 ? [] : null;  // a facility found by its kind and place, not its name
  searchIndex.forEach(function (e) {
    var hit = e.compact.indexOf(compact) >= 0 || tokens.every(function (t) { return e.key.indexOf(t) >= 0; });
    if (hit) { exact.push(e); return; }
    if (tokens.every(near(e.words))) { fuzzy.push(e); return; }
    if (context && e.around && tokens.every(function (t) { return e.all.indexOf(t) >= 0 || near(e.allWords)(t); })) context.push(e);
  });
  var rank = { q: 0, c: 1, f: 2 };
  var starts = function (e) { return e.key.indexOf(q) === 0 ? 0 : 1; };
  exact.sort(function (a, b) { return rank[a.type] - rank[b.type] || starts(a) - starts(b) || a.label.localeCompare(b.label); });
  return exact.concat(fuzzy, context || []).slice(0, 12);
}

function setupSearch() {
  var input = document.getElementById("q"), list = document.getElementById("q-results");
  if (!input || !list) return;
  var results = [], active = -1;
  function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; }
  function render() {
    list.textContent = "";
    if (!results.length) {
      list.appendChild(el("li", { class: "none", role: "option", "aria-disabled": "true", text: T.search_none }));
    }
    results.forEach(function (r, i) {
      var li = el("li", { id: "q-opt-" + i, role: "option", "aria-selected": i === active ? "true" : "false" },
        [el("span", { class: "r-label", text: r.label }), el("span", { class: "r-sub", text: r.sub })]);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
      list.appendChild(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    if (active >= 0) input.setAttribute("aria-activedescendant", "q-opt-" + active);
    else input.removeAttribute("aria-activedescendant");
  }
  function choose(i) {
    var r = results[i];
    if (!r) return;
    close();
    input.value = r.label;
    if (r.type === "q") {
      var poly = quartierShapes[r.i];
      map.fitBounds(poly.getBounds(), { padding: [24, 24] });
      poly.openPopup(poly.getBounds().getCenter());
    } else if (r.type === "c") {
      var ci = r.i, b = L.polygon(shapeLatLngs(data.communes.g[ci], arcs)).getBounds();
      map.fitBounds(b, { padding: [16, 16] });
    } else {
      openFacility(r.i, true);
    }
  }
  input.addEventListener("input", function () {
    if (!data) return;
    var text = input.value;
    if (fold(text).length < 2) { close(); return; }
    results = search(text); active = -1; render();
  });
  input.addEventListener("keydown", function (e) {
    if (list.hidden && e.key !== "Enter") return;
    if (e.key === "ArrowDown") { active = Math.min(active + 1, results.length - 1); render(); e.preventDefault(); }
    else if (e.key === "ArrowUp") { active = Math.max(active - 1, 0); render(); e.preventDefault(); }
    else if (e.key === "Enter") { e.preventDefault(); if (results.length) choose(active >= 0 ? active : 0); }
    else if (e.key === "Escape") { close(); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });
  var form = input.form;
  if (form) form.addEventListener("submit", function (e) { e.preventDefault(); });
}

// ------------------------------------------------------------------ panel
function setupPanel() {
  document.querySelectorAll("input[name=layer]").forEach(function (c) {
    c.addEventListener("change", function () {
      if (c.checked) state.layers.add(c.value); else state.layers.delete(c.value);
      if (F) applyLayers();
      syncUrl();
    });
  });
  document.querySelectorAll("input[name=basemap]").forEach(function (r) {
    r.addEventListener("change", function () { if (r.checked) { setBasemap(r.value, true); syncUrl(); } });
  });
  var select = document.getElementById("indicator");
  if (select) select.addEventListener("change", function () { state.indicator = select.value; applyIndicator(); syncUrl(); });
  var toggle = document.getElementById("panel-toggle"), panel = document.getElementById("panel");
  if (toggle && panel) {
    var narrow = window.matchMedia("(max-width: 760px)").matches;
    var startOpen = !(cfg.embed || narrow || !isMapPage);
    setPanel(startOpen);
    toggle.addEventListener("click", function () { setPanel(panel.hidden); });
  }
  function setPanel(open) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    root.classList.toggle("panel-open", open);
    setTimeout(function () { map.invalidateSize(); }, 0);
  }
}

// ------------------------------------------------------------------ share
function updateShare() {
  var link = document.getElementById("share-link");
  if (!link) return;
  var origin = location.origin;
  var params = qs(viewParams(true));
  link.value = origin + cfg.urls.map + "?" + params;
  document.getElementById("share-iframe").value = iframeSnippet(origin + cfg.urls.embed + "?" + params, 480, T.iframe_title);
}

function setupShare() {
  var open = document.getElementById("share-open"), dialog = document.getElementById("share-dialog");
  if (!open || !dialog) return;
  open.addEventListener("click", function () {
    updateShare();
    if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
  });
  setupCopyButtons(dialog, T.copied, function () { say(T.copy_failed); });
}

// ------------------------------------------------------------------ start
map.on("zoomend", function () { if (data) applyZoomClasses(); });
map.on("moveend", syncUrl);
setupPanel();
setupSearch();
setupShare();
printMenu(document.querySelector("[data-print=map-print]"), cfg.urls, function () {
  var p = viewParams(true);  // a unit page's image is focused on (named after, outlined around) its unit
  if (!p.has("focus") && cfg.focus && cfg.focus.id) p.set("focus", cfg.focus.id);
  return p;
});
say(T.loading, true);
// Marker clustering (the plugin's script and its style, both named by the page) comes after the first shapes.
function clusterScript() {
  var src = root.getAttribute("data-markercluster");
  if (!document.querySelector("link[data-markercluster]")) {
    document.head.appendChild(el("link", { rel: "stylesheet", href: root.getAttribute("data-markercluster-css"), "data-markercluster": "" }));
  }
  return loadScript(src, function () { return !!L.markerClusterGroup; });
}
loadMapData(cfg.dataParts || cfg.dataUrl, drawShapes, clusterScript)
  .then(function (whole) { drawFacilities(whole, false); applyIndicator(); })  // the rest holds every indicator
  .catch(function (err) { say(T.load_failed, true); if (window.console) console.error(err); });
syncUrl();
