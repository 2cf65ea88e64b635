/* Atlas de Bamako: helpers shared by atlas.js, coverage.js, edit.js and imports.js.
 *
 * Loaded before them as window.BamakoCommon. Builds DOM nodes with textContent
 * and attribute values only, never by parsing HTML. The decoders mirror
 * geo.publication.codec.decode_* (data format described in geo/display.py and geo/codec.py).
 */
window.BamakoCommon = (function () {
  "use strict";

  /** Return a new element with attributes ("text" sets textContent, "class" the class name) and children. */
  function el(tag, attrs, children) {
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

  /** Return fmt(value, decimals): a number formatted for the locale, at most `decimals` (default 0) decimals. */
  function numberFormatter(locale) {
    return function (value, decimals) {
      return new Intl.NumberFormat(locale, { maximumFractionDigits: decimals || 0 }).format(value);
    };
  }

  /** Return URL `u` with the page language as parameter `lang`. */
  function withLang(u, lang) {
    return u + (u.indexOf("?") >= 0 ? "&" : "?") + "lang=" + encodeURIComponent(lang);
  }

  /** Return the `n` newline-separated texts of `text` (none when n is 0). */
  function splitTexts(text, n) {
    return n === 0 ? [] : text.split("\n");
  }

  /** Return [lat, lon] points from flat delta-encoded integers divided by `scale`. */
  function decodeDeltas(flat, scale) {
    var pts = [], lat = 0, lon = 0;
    for (var i = 0; i < flat.length; i += 2) {
      lat += flat[i]; lon += flat[i + 1];
      pts.push([lat / scale, lon / scale]);
    }
    return pts;
  }

  /** Return the rings of a shape (polygons of rings of arc references; ~ref runs an arc backwards). */
  function shapeLatLngs(shape, arcs) {
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
  function decodeIds(encoded) {
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

  return {
    el: el,
    numberFormatter: numberFormatter,
    withLang: withLang,
    splitTexts: splitTexts,
    decodeDeltas: decodeDeltas,
    shapeLatLngs: shapeLatLngs,
    decodeIds: decodeIds
  };
})();
