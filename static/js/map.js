// The maps' readout (tri_portal/maps.py): hovering or focusing a territory of a map
// writes its name and figure (its <title>) under the map. Without this script the
// title still shows on hover and is read by screen readers; the table says the same.
(function () {
  "use strict";
  document.querySelectorAll("figure.map-figure").forEach(function (figure) {
    var readout = figure.querySelector(".map-readout");
    if (!readout) {
      return;
    }
    var initial = readout.textContent;
    function show(event) {
      var link = event.target.closest ? event.target.closest("a") : null;
      var title = link ? link.querySelector("title") : null;
      readout.textContent = title ? title.textContent : initial;
    }
    figure.addEventListener("focusin", show);
    figure.addEventListener("mouseover", show);
    figure.addEventListener("focusout", function () {
      readout.textContent = initial;
    });
  });
})();
