/* Atlas de Bamako: the helpers shared by atlas.js, coverage.js, edit.js and imports.js (an ES module).
 *
 * Names from the data can hold markup: every node is built with textContent
 * and attribute values, never by parsing HTML. Coordinates in the map data
 * are integers in 10^-d degrees, (lat, lon) pairs delta-encoded along each
 * line; polygons are rings of shared arcs; ids run as integer steps.
 */

// --------------------------------------------------------------- DOM
var SVG_NS = "http://www.w3.org/2000/svg";

/** Return a new element with attributes ("text" sets textContent, "class" the class name) and children. */
export function el(tag, attrs, children) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) {
    if (k === "text") node.textContent = attrs[k];
    else if (k === "class") node.className = attrs[k];
    else node.setAttribute(k, attrs[k]);
  });
  (children || []).forEach(function (c) {
    if (c !== null && c !== undefined) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  });
  return node;
}

/** Return a new SVG element with attributes and children. */
function svg(tag, attrs, children) {
  var node = document.createElementNS(SVG_NS, tag);
  Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
  (children || []).forEach(function (c) { node.appendChild(c); });
  return node;
}

/** Return `text` escaped for a place that takes HTML (Leaflet's attribution line). */
export function escapeHtml(text) {
  return el("div", { text: text }).innerHTML;
}

/** Return the JSON object the server put in <script type="application/json" id=…>. */
export function readConfig(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

/** Return the Intl locale of the page language ("fr" or "en"). */
export function localeOf(lang) {
  return lang === "en" ? "en-GB" : "fr-FR";
}

/** Return fmt(value, decimals): a number formatted for the locale, at most `decimals` (default 0) decimals. */
export function numberFormatter(locale) {
  var formats = {};  // one Intl.NumberFormat per number of decimals: making one costs far more than using it
  return function (value, decimals) {
    var d = decimals || 0;
    return (formats[d] || (formats[d] = new Intl.NumberFormat(locale, { maximumFractionDigits: d }))).format(value);
  };
}

/** Return say(message, sticky): show a status message in `box`, hidden after `delayMs` unless sticky. */
export function statusLine(box, delayMs) {
  var timer = null;
  return function say(message, sticky) {
    if (!box) return;
    box.textContent = message || "";
    box.hidden = !message;
    clearTimeout(timer);
    if (message && !sticky) timer = setTimeout(function () { box.hidden = true; }, delayMs);
  };
}

/** Return a 20×20 SVG symbol of path `d`: a white halo `haloWidth` wide under the shape painted with `paint`. */
export function haloSymbol(d, size, haloWidth, paint) {
  var halo = svg("path", { d: d, fill: "none", stroke: "#fff", "stroke-width": haloWidth, "stroke-linejoin": "round" });
  var body = svg("path", Object.assign({ d: d, "stroke-linejoin": "round" }, paint));
  return svg("svg", { viewBox: "0 0 20 20", width: size, height: size, "aria-hidden": "true", focusable: "false" }, [halo, body]);
}

// ------ wire decoders, as geo.publication.codec.decode_* (the reference decoders)
/** Return the `n` newline-separated texts of `text` (none when n is 0). */
export function splitTexts(text, n) {
  return n === 0 ? [] : text.split("\n");
}

/** Return [lat, lon] points from flat delta-encoded integers divided by `scale`. */
export function decodeDeltas(flat, scale) {
  var pts = [], lat = 0, lon = 0;
  for (var i = 0; i < flat.length; i += 2) {
    lat += flat[i]; lon += flat[i + 1];
    pts.push([lat / scale, lon / scale]);
  }
  return pts;
}

/** Return the rings of a shape (polygons of rings of arc references; ~ref runs an arc backwards). */
export function shapeLatLngs(shape, arcs) {
  return shape.map(function (polygon) {
    return polygon.map(function (refs) {
      var out = [];
      refs.forEach(function (ref, j) {
        var arc = ref >= 0 ? arcs[ref] : arcs[~ref].slice().reverse();
        out = out.concat(j === 0 ? arc : arc.slice(1));
      });
      return out;
    });
  });
}

/** Return identifiers from their encoding (a number adds to the trailing digits of the previous one). */
export function decodeIds(encoded) {
  var out = [];
  encoded.forEach(function (item) {
    if (typeof item === "number") {
      var m = /^(.*?)(\d+)$/.exec(out[out.length - 1]), n = String(parseInt(m[2], 10) + item);
      while (n.length < m[2].length) n = "0" + n;
      out.push(m[1] + n);
    } else {
      out.push(item);
    }
  });
  return out;
}

/** Round a number of people to two significant digits (25 347 → 25 000), what an estimate bears. */
export function roundPeople(v) {
  if (!v) return 0;
  var step = Math.pow(10, Math.floor(Math.log10(Math.abs(v))) - 1);
  return Math.round(v / step) * step;
}

function missing(v) { return v === null || v === undefined; }

/**
 * Return an estimate with its interval, rounded to what it bears: « ~25 000 hab. (15 000–40 000) ».
 * Without both bounds the figure is given whole; `unit` (« hab. ») is left out when empty. The pages'
 * twin is `population` in webmap/templating.py. `fmt` is a numberFormatter.
 */
export function peopleRange(fmt, value, low, high, unit) {
  if (missing(value)) return "—";
  var tail = unit ? " " + unit : "";
  if (missing(low) || missing(high)) return fmt(value) + tail;
  var head = "~" + fmt(roundPeople(value)) + tail;
  if (roundPeople(low) !== roundPeople(high)) return head + " (" + fmt(roundPeople(low)) + "–" + fmt(roundPeople(high)) + ")";
  // Bounds that round alike: outwards at the estimate's precision, as webmap/templating.py and the printed maps.
  var step = Math.pow(10, Math.max(0, Math.floor(Math.log10(Math.max(Math.abs(value), 1))) - 1));
  var below = Math.floor(low / step) * step, above = Math.ceil(high / step) * step;
  return below === above ? head : head + " (" + fmt(below) + "–" + fmt(above) + ")";
}

/**
 * Return a share (0–1) as a percentage with its range, « 72 % (68–75 %) »: whole percents, one decimal
 * only next to 0 % or 100 %; the share alone when the range rounds to it or is unknown.
 */
export function shareRange(locale, share, low, high) {
  if (missing(share)) return "—";
  var fine = function (v) { return (v > 0.99 && v < 1) || (v > 0 && v < 0.01); };
  var digits = [share, low, high].some(function (v) { return !missing(v) && fine(v); }) ? 1 : 0;
  var pct = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: digits });
  var num = new Intl.NumberFormat(locale, { maximumFractionDigits: digits });
  var text = pct.format(share);
  if (missing(low) || missing(high)) return text;
  var lo = num.format(low * 100), hi = pct.format(high);
  if (lo === num.format(share * 100) && hi === text) return text;
  return text + " (" + lo + "–\u2060" + hi + ")";  // a word joiner: a narrow cell breaks before "(", not after "–"
}

/** Return the decoded columns of /api/v1/map-data.json: scale, arcs, quartiers (Q) and facilities (F). */
export function decodeMapData(data) {
  var out = decodeShapes(data);
  out.F = decodeFacilities(data);
  return out;
}

/** Return scale, arcs and quartiers (Q) of the map data or of its part "shapes". */
export function decodeShapes(data) {
  var scale = Math.pow(10, data.d), nq = data.quartiers.p.length;
  return {
    scale: scale,
    arcs: data.arcs.map(function (flat) { return decodeDeltas(flat, scale); }),
    Q: {
      p: data.quartiers.p, n: splitTexts(data.quartiers.n, nq), a: splitTexts(data.quartiers.a, nq),
      c: data.quartiers.c, pop: data.quartiers.pop, lo: data.quartiers.lo || null, hi: data.quartiers.hi || null
    }
  };
}

/** Return the facilities (F) of the map data or of its part "rest". */
export function decodeFacilities(data) {
  var scale = Math.pow(10, data.d), nf = data.f.k.length;
  return {
    ids: decodeIds(data.f.id), k: data.f.k, n: splitTexts(data.f.n, nf), q: data.f.q, c: data.f.c,
    x: data.f.x, s: data.f.s, o: data.f.o, pts: decodeDeltas(data.f.pt, scale)
  };
}

/** Return a promise resolved after the browser has painted the next frame (work that can wait for the first view). */
export function afterPaint() {
  return new Promise(function (resolve) {
    requestAnimationFrame(function () { setTimeout(resolve, 0); });
  });
}

/** Return a promise of the map data at `url` (or at the URLs {shapes, rest}) in two parts, part=shapes then part=rest:
 * the first from the page itself (<script id="map-shapes" type="application/json">) when it has it, else fetched.
 * `onShapes(shapes)` is called as soon as the first is in (it may return a promise of its own work), and the
 * promise resolves to the whole data once that work, `before()` (a promise, e.g. a script to load) and the rest are in. */
export function loadMapData(url, onShapes, before) {
  var part = typeof url === "string" ? function (name) { return url + (url.indexOf("?") >= 0 ? "&" : "?") + "part=" + name; }
    : function (name) { return url[name]; };  // {shapes, rest}: the config's URLs of both parts
  var inline = document.getElementById("map-shapes");
  var first = inline ? Promise.resolve(JSON.parse(inline.textContent)) : getJson(part("shapes"));
  return first.then(function (shapes) {
    var drawn = onShapes(shapes);
    return Promise.all([getJson(part("rest")), before ? before() : null, drawn]).then(function (r) {
      return Object.assign(shapes, r[0]);
    });
  });
}

/** Return a promise that loads the classic script at `src` (resolves at once when `ready()` is already true). */
export function loadScript(src, ready) {
  if (ready && ready()) return Promise.resolve();
  return new Promise(function (resolve, reject) {
    var s = document.createElement("script");
    s.src = src;
    s.onload = function () { resolve(); };
    s.onerror = function () { reject(new Error("script " + src)); };
    document.head.appendChild(s);
  });
}

// --------------------------- URLs and requests to the atlas's own server
/** Return URL `u` with the page language as parameter `lang`. */
export function withLang(u, lang) {
  return u + (u.indexOf("?") >= 0 ? "&" : "?") + "lang=" + encodeURIComponent(lang);
}

/** Return a page URL from its template ("/quartiers/PCODE", "/facilities/ID") and a value. */
export function fillUrl(template, value) {
  return template.replace(/PCODE|ID/, encodeURIComponent(value));
}

/** Return the query string of `params`, commas and semicolons kept readable (they need no escaping there). */
export function queryString(params) {
  return params.toString().replace(/%2C/g, ",").replace(/%3B/g, ";");
}

/** Point the FR/EN links at this page with `params()` (URLSearchParams) and their language (not on a static copy). */
export function updateLangLinks(params) {
  if (document.documentElement.hasAttribute("data-static-site")) return;  // a static copy: one file per language
  document.querySelectorAll("a[data-lang]").forEach(function (a) {
    var p = params();
    p.set("lang", a.getAttribute("data-lang"));
    a.href = location.pathname + "?" + queryString(p);
  });
}

/** GET JSON from the atlas; rejects with the server's error message (or the HTTP status). */
export function getJson(url, options) {
  var init = Object.assign({ credentials: "same-origin" }, options);
  return fetch(url, init).then(function (r) {
    return r.json().catch(function () { return {}; }).then(function (body) {
      if (!r.ok) throw new Error((body.error && body.error.message) || String(r.status));
      return body;
    });
  });
}

/** Send a write with the session's CSRF token; resolves to {ok, status, doc} (status 0: no answer).
 *
 * `body` is sent as JSON, or as it is when it is FormData; `lang` is added to the URL.
 */
export function send(method, address, body, lang) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  var headers = { Accept: "application/json", "X-CSRF-Token": meta ? meta.getAttribute("content") : "" };
  var options = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  return fetch(withLang(address, lang), options).then(function (r) {
    return r.text().then(function (text) {
      var doc = null;
      try { doc = text ? JSON.parse(text) : null; } catch (e) { doc = null; }
      return { ok: r.ok, status: r.status, doc: doc };
    });
  }, function () { return { ok: false, status: 0, doc: null }; });
}

/** Return the text of an API error: its message, else the page's text for its code, else `fallback`. */
export function problemText(err, problems, fallback) {
  return err.message || problems[err.code] || fallback;
}

// --------------------------- the Leaflet map (Leaflet is the global `L`)
/** Return {map, attribution}: a Leaflet map in #map with zoom (top right), scale and the atlas's attribution. */
export function createMap(cfg, maxZoom) {
  // Quarter zoom steps: fitting the District fills a phone screen (whole steps left it a third of it).
  var map = L.map("map", { zoomControl: false, attributionControl: false, minZoom: 9, maxZoom: maxZoom, zoomSnap: 0.25 });
  L.control.zoom({ position: "topright", zoomInTitle: cfg.t.zoom_in, zoomOutTitle: cfg.t.zoom_out }).addTo(map);
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
  var attribution = L.control.attribution({ prefix: false, position: "bottomright" }).addTo(map);
  attribution.addAttribution(escapeHtml(cfg.attribution));
  return { map: map, attribution: attribution };
}

// ------------------------------------------------------------- basemaps
var BASEMAP_STORE = "bamako-atlas:basemap";

/** Return the basemap the user chose on an earlier page or visit (null: none, or storage blocked). */
export function storedBasemap() {
  try { return window.localStorage.getItem(BASEMAP_STORE); } catch (e) { return null; }
}

/** Remember the user's basemap for the next pages and visits (quietly skipped when storage is blocked). */
export function rememberBasemap(key) {
  try { window.localStorage.setItem(BASEMAP_STORE, key); } catch (e) { /* private mode, sandboxed iframe */ }
}

/** Return the basemap a page starts with: the URL's, else the stored choice, else the server's default. */
export function initialBasemap(viewKey, specs) {
  if (new URLSearchParams(location.search).has("basemap")) return viewKey;
  var stored = storedBasemap();
  return specs.some(function (b) { return b.key === stored; }) ? stored : viewKey;
}

/** Return the atlas's own basemap drawn from the decoded map data: the Niger along the limit between the
 * left-bank and right-bank communes (`ctx.banks`, P-codes), labelled `riverName`, in a pane "river" over the
 * quartiers' fill and under the commune limits (z 410) that lets clicks through; the land is the map's
 * background colour (CSS). */
export function contextLayer(map, communes, arcs, ctx, riverName) {
  if (!map.getPane("river")) {
    var pane = map.createPane("river");
    pane.style.zIndex = 410;
    pane.style.pointerEvents = "none";
  }
  var bank = {};
  communes.p.forEach(function (p, i) {
    if (ctx.banks[0].indexOf(p) >= 0) bank[i] = 0;
    else if (ctx.banks[1].indexOf(p) >= 0) bank[i] = 1;
  });
  var sides = {};  // arc → banks of the communes using it
  communes.g.forEach(function (shape, i) {
    if (!(i in bank)) return;
    shape.forEach(function (polygon) {
      polygon.forEach(function (refs) {
        refs.forEach(function (ref) { var a = ref >= 0 ? ref : ~ref; (sides[a] = sides[a] || {})[bank[i]] = true; });
      });
    });
  });
  var lines = Object.keys(sides).filter(function (a) { return sides[a][0] && sides[a][1]; })
    .map(function (a) { return arcs[a]; });
  var group = L.layerGroup();
  var river = L.polyline(lines, { pane: "river", color: ctx.water, opacity: 0.55, lineCap: "round", lineJoin: "round", interactive: false, className: "context-river" });
  var widen = function () {
    var lat = map.getCenter().lat * Math.PI / 180;
    var metresPerPixel = 40075016.7 * Math.cos(lat) / (256 * Math.pow(2, map.getZoom()));
    river.setStyle({ weight: Math.max(3, Math.min(60, ctx.width_m / metresPerPixel)) });
  };
  widen();
  group.on("add", function () { map.on("zoomend", widen); widen(); map.getContainer().style.backgroundColor = ctx.land; });
  group.on("remove", function () { map.off("zoomend", widen); map.getContainer().style.backgroundColor = ""; });
  if (!lines.length) return group;  // another District: the land colour alone
  group.addLayer(river);
  var longest = lines.reduce(function (a, b) { return b.length > a.length ? b : a; });
  L.tooltip({ permanent: true, direction: "center", className: "river-label", interactive: false, pane: "river" })
    .setLatLng(longest[Math.floor(longest.length / 2)]).setContent(riverName).addTo(group);
  return group;
}

/** Give the atlas's basemap `group` (from contextLayer) the landmarks of the map data (`data.lm`, see
 * geo.publication.landmarks): a small symbol and a name in `lang` each, from its zoom on, in a pane "landmarks"
 * over the markers (so the names stay readable; taps go through them), under tooltips and popups. Labels never
 * cover one another, the unit and river names, nor run off the map: in list order (the priority), a label goes
 * right of its symbol, else left, above or below, else it is hidden until a closer zoom or another view. A
 * backdrop: no clicks, no Tab stops, hidden from screen readers. Calling it again replaces them. */
export function addLandmarks(group, map, data, lang) {
  if (group.landmarks) group.removeLayer(group.landmarks);
  group.landmarks = null;
  var lm = data && data.lm;
  if (!lm || !lm.k.length) return;
  if (!map.getPane("landmarks")) {
    var pane = map.createPane("landmarks");
    pane.style.zIndex = 620;
    pane.style.pointerEvents = "none";
  }
  var names = splitTexts(lang === "en" ? lm.e : lm.n, lm.k.length), pts = decodeDeltas(lm.pt, Math.pow(10, data.d));
  var layer = L.layerGroup(), items = lm.k.map(function (k, i) {
    var html = '<i aria-hidden="true"></i><span>' + escapeHtml(names[i]) + "</span>";
    var icon = L.divIcon({ className: "landmark lm-" + lm.kinds[k], html: html, iconSize: [0, 0], iconAnchor: [0, 0] });
    var marker = L.marker(pts[i], { icon: icon, pane: "landmarks", interactive: false, keyboard: false }).addTo(layer);
    return { marker: marker, zoom: lm.z[i] };
  });
  function rect(e, pad) {
    var r = e.getBoundingClientRect();
    return { l: r.left - pad, r: r.right + pad, t: r.top - pad, b: r.bottom + pad };
  }
  function hits(r, boxes) {
    return boxes.some(function (o) { return r.l < o.r && o.l < r.r && r.t < o.b && o.t < r.b; });
  }
  function place() {
    var z = map.getZoom(), frame = map.getContainer().getBoundingClientRect();
    // the names the map already shows (communes, quartiers, the river) come first
    var unitNames = map.getContainer().querySelectorAll(".leaflet-tooltip-pane .leaflet-tooltip, .river-label");
    var taken = Array.prototype.map.call(unitNames, function (t) { return rect(t, 0); })
      .filter(function (r) { return r.r > r.l && r.b > r.t; });
    items.forEach(function (it) {
      var el = it.marker.getElement();
      if (!el) return;
      el.setAttribute("aria-hidden", "true");
      el.classList.remove("lm-hidden", "lm-left", "lm-up", "lm-down");
      var shown = z >= it.zoom && ["", "lm-left", "lm-up", "lm-down"].some(function (side, _, sides) {
        sides.forEach(function (other) { if (other) el.classList.toggle(other, other === side); });
        var dot = rect(el.querySelector("i"), 2), label = rect(el.querySelector("span"), 2);
        var inside = label.l >= frame.left && label.r <= frame.right && label.t >= frame.top && label.b <= frame.bottom;
        if (!inside || hits(dot, taken) || hits(label, taken)) return false;
        taken.push(dot, label);
        return true;
      });
      el.classList.toggle("lm-hidden", !shown);
    });
  }
  layer.on("add", function () { map.on("moveend", place); place(); });
  layer.on("remove", function () { map.off("moveend", place); });
  group.landmarks = layer;
  group.addLayer(layer);
}

/** Return {set(key, byUser) → key shown, context(layer)}: the basemap of `map` among `specs` (the first for an
 * unknown key). The key "atlas" shows the vector layer given to context() (once the map data is in); online
 * tiles are only asked for when the browser says it is online, and when three fail before any loaded the
 * map falls back to "atlas" — silently, except `onFail()` right after the user's own choice. A choice by
 * the user is remembered across pages and visits. `root` gets the class "basemap-<key>"; the radio buttons
 * name=basemap follow.
 */
export function basemapSwitcher(map, attribution, root, specs, onFail) {
  var tiles = null, context = null, current = null, loads = 0, errors = 0;
  function spec(key) { return specs.filter(function (b) { return b.key === key; })[0] || specs[0]; }
  function show(key) {
    var s = spec(key);
    if (tiles) { attribution.removeAttribution(tiles.options.attribution); map.removeLayer(tiles); tiles = null; }
    if (context && map.hasLayer(context) && s.key !== "atlas") map.removeLayer(context);
    if (context && s.key === "atlas" && !map.hasLayer(context)) context.addTo(map);
    specs.forEach(function (b) { root.classList.toggle("basemap-" + b.key, b.key === s.key); });
    root.classList.remove("tiles-failed");
    current = s.key;
    document.querySelectorAll("input[name=basemap]").forEach(function (r) { r.checked = r.value === s.key; });
    var select = root.querySelector("select[data-basemap]");
    if (select) select.value = s.key;
    return s;
  }
  function set(key, byUser) {
    var s = spec(key);
    if (byUser) rememberBasemap(s.key);
    if (s.url && navigator.onLine === false) return show("atlas").key;
    show(s.key);
    if (!s.url) return s.key;
    loads = 0; errors = 0;
    var layer = L.tileLayer(s.url, { maxZoom: s.maxZoom, subdomains: s.subdomains, attribution: s.attribution, crossOrigin: true });
    layer.on("tileload", function () { loads++; });
    layer.on("tileerror", function () {
      errors++;
      if (errors >= 3 && loads === 0 && tiles === layer) {
        show("atlas");
        root.classList.add("tiles-failed");
        if (byUser) onFail();
        if (set.onChange) set.onChange("atlas");
      }
    });
    tiles = layer.addTo(map);
    attribution.addAttribution(s.attribution);
    return s.key;
  }
  return {
    set: set,
    current: function () { return current; },
    /** Give (or replace) the vector layer of the "atlas" basemap, shown at once when it is the current one. */
    context: function (layer) {
      if (context && map.hasLayer(context)) map.removeLayer(context);
      context = layer;
      if (current === "atlas") context.addTo(map);
    },
    /** Call fn(key) when the map falls back to "atlas" by itself. */
    onFallback: function (fn) { set.onChange = fn; }
  };
}

/** Return the class of `value` among the upper `bins` (the last class for anything larger). */
export function classOf(value, bins) {
  for (var i = 0; i < bins.length; i++) if (value <= bins[i]) return i;
  return bins.length - 1;
}

/** Return {facility kind: map layer key} from the config's layers ({key, kinds}). */
export function layerOfKind(layers) {
  var out = {};
  layers.forEach(function (l) { l.kinds.forEach(function (k) { out[k] = l.key; }); });
  return out;
}

// ----------------------------------------------- « Partager / Intégrer »
/** Return the HTML of an <iframe> showing `src`, built as an element and serialised (attributes escaped). */
export function iframeSnippet(src, height, title) {
  // an inert document: its elements never load anything
  var frame = document.implementation.createHTMLDocument("").createElement("iframe");
  [["src", src], ["width", "100%"], ["height", String(height)], ["style", "border:0"], ["loading", "lazy"], ["title", title]]
    .forEach(function (a) { frame.setAttribute(a[0], a[1]); });
  return frame.outerHTML;
}

/** Make each [data-copy=<field id>] button in `scope` copy its field; it says `copied` for a moment. */
export function setupCopyButtons(scope, copied, onFail) {
  scope.querySelectorAll("[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var field = document.getElementById(b.getAttribute("data-copy"));
      field.select();
      var done = function () { b.textContent = copied; setTimeout(function () { b.textContent = b.getAttribute("data-label"); }, 1500); };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(field.value).then(done, onFail);
      else { try { document.execCommand("copy"); done(); } catch (e) { onFail(); } }
    });
  });
}
