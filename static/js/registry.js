// Power–interest grid: bring the hovered point (and its name) above its neighbours. Not on
// focus: moving a focused element in the DOM would lose the keyboard position.
(function () {
  "use strict";
  document.querySelectorAll(".pi-svg .points a").forEach(function (link) {
    function raise() { link.parentNode.appendChild(link); }
    link.addEventListener("mouseenter", raise);
  });
})();
