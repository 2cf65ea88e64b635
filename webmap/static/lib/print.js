/* The « Image de cette vue » menu: PNG/PDF links of /maps/…, kept in step with the map on screen.
 *
 * printMenu(box, urls, params) fills the links of a _print.html menu: urls.png
 * and urls.pdf are the image URLs, params() returns the view's URLSearchParams
 * (layers, indicator, focus, centre, zoom, scenario…) at the moment of use.
 * The links are refreshed when the size changes and just before they are
 * followed, so they always draw what is on screen.
 */

export function printMenu(box, urls, params) {
  if (!box) return null;
  var size = box.querySelector("[data-print-size]");
  var links = box.querySelectorAll("[data-print-fmt]");
  function update() {
    var p = params();
    p.delete("basemap");  // images are drawn without tiles
    if (size && size.value) p.set("size", size.value);
    links.forEach(function (a) {
      a.href = urls[a.getAttribute("data-print-fmt")] + "?" + p.toString();
    });
  }
  if (size) size.addEventListener("change", update);
  links.forEach(function (a) {
    ["pointerdown", "focus", "click"].forEach(function (ev) { a.addEventListener(ev, update); });
  });
  update();
  return update;
}
