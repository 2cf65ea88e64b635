// Build Leaflet for the atlas: Leaflet's own sources (npm leaflet, version pinned in package.json) bundled by
// esbuild into one classic script that defines the global `L`, without what no page of the atlas uses:
// the canvas renderer, VML (Internet Explorer 8), video and SVG overlays, the layers control, WMS tiles,
// rectangles and the CRSs other than Web Mercator (EPSG:3395, EPSG:4326, Simple) with their projections.
// Everything else is Leaflet's code unchanged, so plugins (Leaflet.markercluster) work as with Leaflet itself.
// Writes ../../webmap/vendor/leaflet-atlas/: leaflet.js, leaflet.css, images/, LICENSE and BUILD.json (what
// tests/webmap/test_leaflet_build.py checks). Run by ./build, which installs the pinned packages first.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const leaflet = path.join(here, "node_modules", "leaflet");
const src = path.join(leaflet, "src");
const out = path.resolve(here, "..", "..", "webmap", "vendor", "leaflet-atlas");

// Source file → [text, replacement] pairs; a text not found fails the build (a new Leaflet must be looked at).
const EDITS = {
  "layer/index.js": [
    ["export {VideoOverlay, videoOverlay} from './VideoOverlay';\n", ""],
    ["export {SVGOverlay, svgOverlay} from './SVGOverlay';\n", ""],
  ],
  "layer/vector/index.js": [
    ["export {Canvas, canvas} from './Canvas';\n", ""],
    ["export {Rectangle, rectangle} from './Rectangle';\n", ""],
  ],
  "layer/vector/Renderer.getRenderer.js": [
    ["import {canvas} from './Canvas';\n", ""],
    ["return (this.options.preferCanvas && canvas(options)) || svg(options);", "return svg(options);"],
  ],
  "layer/vector/SVG.js": [
    ["import {vmlMixin, vmlCreate} from './SVG.VML';\n", ""],
    ["export var create = Browser.vml ? vmlCreate : svgCreate;", "export var create = svgCreate;"],
    ["if (Browser.vml) {\n\tSVG.include(vmlMixin);\n}\n", ""],
    ["return Browser.svg || Browser.vml ? new SVG(options) : null;", "return Browser.svg ? new SVG(options) : null;"],
  ],
  "layer/tile/index.js": [
    ["import {TileLayerWMS, tileLayerWMS} from './TileLayer.WMS';\n", ""],
    ["TileLayer.WMS = TileLayerWMS;\n", ""],
    ["tileLayer.wms = tileLayerWMS;\n", ""],
  ],
  "control/index.js": [
    ["import {Layers, layers} from './Control.Layers';\n", ""],
    ["Control.Layers = Layers;\n", ""],
    ["control.layers = layers;\n", ""],
  ],
  "geo/crs/index.js": [
    ["import {EPSG3395} from './CRS.EPSG3395';\n", ""],
    ["import {EPSG4326} from './CRS.EPSG4326';\n", ""],
    ["import {Simple} from './CRS.Simple';\n", ""],
    ["CRS.EPSG3395 = EPSG3395;\n", ""],
    ["CRS.EPSG4326 = EPSG4326;\n", ""],
    ["CRS.Simple = Simple;\n", ""],
  ],
  "geo/projection/index.js": [
    ["export {LonLat} from './Projection.LonLat';\n", ""],
    ["export {Mercator} from './Projection.Mercator';\n", ""],
  ],
};

const trim = {
  name: "trim",
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, (args) => {
      const rel = path.relative(src, args.path).split(path.sep).join("/");
      if (!EDITS[rel]) return undefined;
      let text = fs.readFileSync(args.path, "utf8");
      for (const [from, to] of EDITS[rel]) {
        if (!text.includes(from)) throw new Error(`${rel}: ${JSON.stringify(from)} not found`);
        text = text.replace(from, to);
      }
      return { contents: text, loader: "js" };
    });
  },
};

const pkg = JSON.parse(fs.readFileSync(path.join(leaflet, "package.json"), "utf8"));
const esbuildVersion = JSON.parse(fs.readFileSync(path.join(here, "node_modules", "esbuild", "package.json"), "utf8")).version;
const banner = `/* @preserve
 * Leaflet ${pkg.version}, a JS library for interactive maps. https://leafletjs.com
 * (c) 2010-2023 Vladimir Agafonkin, (c) 2010-2011 CloudMade — BSD-2-Clause, see LICENSE beside this file.
 * Built for the Bamako Atlas by scripts/leaflet/build (esbuild ${esbuildVersion}) without: canvas renderer, VML,
 * video and SVG overlays, layers control, WMS, rectangles, CRSs other than EPSG:3857.
 */`;

// As Leaflet's own build: `L` a plain object (plugins add to it and replace its members), `L.noConflict()`.
const entry = `import * as leaflet from ${JSON.stringify(path.join(src, "Leaflet.js"))};
var L = Object.assign({}, leaflet), oldL = window.L;
L.noConflict = function () { window.L = oldL; return this; };
window.L = L;`;

const result = await esbuild.build({
  stdin: { contents: entry, resolveDir: here, sourcefile: "leaflet-atlas.js" },
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2017",
  legalComments: "none",
  banner: { js: banner },
  write: false,
  plugins: [trim],
});
const js = result.outputFiles[0].contents;

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, "images"), { recursive: true });
fs.writeFileSync(path.join(out, "leaflet.js"), js);
fs.copyFileSync(path.join(leaflet, "dist", "leaflet.css"), path.join(out, "leaflet.css"));
for (const image of fs.readdirSync(path.join(leaflet, "dist", "images"))) {
  fs.copyFileSync(path.join(leaflet, "dist", "images", image), path.join(out, "images", image));
}
fs.copyFileSync(path.join(leaflet, "LICENSE"), path.join(out, "LICENSE"));
const sha256 = (file) => createHash("sha256").update(fs.readFileSync(path.join(out, file))).digest("hex");
const files = fs.readdirSync(out, { recursive: true }).filter((f) => fs.statSync(path.join(out, f)).isFile() && f !== "BUILD.json").sort();
const build = {
  leaflet: pkg.version,
  esbuild: esbuildVersion,
  edits: Object.fromEntries(Object.entries(EDITS).map(([file, edits]) => [file, edits.length])),
  sha256: Object.fromEntries(files.map((f) => [f.split(path.sep).join("/"), sha256(f)])),
};
fs.writeFileSync(path.join(out, "BUILD.json"), JSON.stringify(build, null, 2) + "\n");
console.log(`${path.relative(process.cwd(), out)}/leaflet.js: ${js.length} bytes (Leaflet ${pkg.version}, esbuild ${esbuildVersion})`);
