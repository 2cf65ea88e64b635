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
  return function (value, decimals) {
    return new Intl.NumberFormat(locale, { maximumFractionDigits: decimals || 0 }).format(value);
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
  return "~" + fmt(roundPeople(value)) + tail + " (" + fmt(roundPeople(low)) + "–" + fmt(roundPeople(high)) + ")";
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
  var scale = Math.pow(10, data.d);
  var nq = data.quartiers.p.length, nf = data.f.k.length;
  return {
    scale: scale,
    arcs: data.arcs.map(function (flat) { return decodeDeltas(flat, scale); }),
    Q: {
      p: data.quartiers.p, n: splitTexts(data.quartiers.n, nq), a: splitTexts(data.quartiers.a, nq),
      c: data.quartiers.c, pop: data.quartiers.pop, lo: data.quartiers.lo || null, hi: data.quartiers.hi || null
    },
    F: {
      ids: decodeIds(data.f.id), k: data.f.k, n: splitTexts(data.f.n, nf), q: data.f.q, c: data.f.c,
      x: data.f.x, s: data.f.s, o: data.f.o, pts: decodeDeltas(data.f.pt, scale)
    }
  };
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

/** Point the FR/EN links at this page with `params()` (URLSearchParams) and their language. */
export function updateLangLinks(params) {
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
  var map = L.map("map", { zoomControl: false, attributionControl: false, minZoom: 9, maxZoom: maxZoom });
  L.control.zoom({ position: "topright", zoomInTitle: cfg.t.zoom_in, zoomOutTitle: cfg.t.zoom_out }).addTo(map);
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
  var attribution = L.control.attribution({ prefix: false, position: "bottomright" }).addTo(map);
  attribution.addAttribution(escapeHtml(cfg.attribution));
  return { map: map, attribution: attribution };
}

/** Return setBasemap(key) → the key shown: switch the tiles of `map` among `specs` (the first for an unknown key).
 *
 * `root` gets the class "basemap-none" without tiles and "tiles-failed" when three tiles failed before any
 * loaded (offline); `onFail()` is called then. The radio buttons name=basemap follow.
 */
export function basemapSwitcher(map, attribution, root, specs, onFail) {
  var tiles = null, loads = 0, errors = 0;
  return function setBasemap(key) {
    var spec = specs.filter(function (b) { return b.key === key; })[0] || specs[0];
    if (tiles) { attribution.removeAttribution(tiles.options.attribution); map.removeLayer(tiles); tiles = null; }
    root.classList.toggle("basemap-none", !spec.url);
    root.classList.remove("tiles-failed");
    loads = 0; errors = 0;
    if (spec.url) {
      tiles = L.tileLayer(spec.url, { maxZoom: spec.maxZoom, subdomains: spec.subdomains, attribution: spec.attribution, crossOrigin: true });
      tiles.on("tileload", function () { loads++; root.classList.remove("tiles-failed"); });
      tiles.on("tileerror", function () {
        errors++;
        if (errors >= 3 && loads === 0 && !root.classList.contains("tiles-failed")) {
          root.classList.add("tiles-failed");
          onFail();
        }
      });
      tiles.addTo(map);
      attribution.addAttribution(spec.attribution);
    }
    document.querySelectorAll("input[name=basemap]").forEach(function (r) { r.checked = r.value === spec.key; });
    return spec.key;
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
