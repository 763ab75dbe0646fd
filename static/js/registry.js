// Registry pages: fold the filter sidebar away on narrow screens (it stays one tap away).
(function () {
  "use strict";
  document.querySelectorAll("details[data-collapse-below]").forEach(function (details) {
    var limit = parseInt(details.getAttribute("data-collapse-below"), 10);
    if (window.matchMedia("(max-width: " + limit + "px)").matches) {
      details.removeAttribute("open");
    }
  });
})();

// Power–interest grid: bring the hovered point (and its name) above its neighbours. Not on
// focus: moving a focused element in the DOM would lose the keyboard position.
(function () {
  "use strict";
  document.querySelectorAll(".pi-svg .points a").forEach(function (link) {
    function raise() { link.parentNode.appendChild(link); }
    link.addEventListener("mouseenter", raise);
  });
})();
