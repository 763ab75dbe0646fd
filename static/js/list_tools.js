// List tools: the page-size menu applies as soon as it changes (its Show button is for no-JS).
(function () {
  "use strict";
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () { form.submit(); });
    });
  });
})();

// Every list: fold the filter sidebar away on narrow screens (it stays one tap away).
(function () {
  "use strict";
  document.querySelectorAll("details[data-collapse-below]").forEach(function (details) {
    var limit = parseInt(details.getAttribute("data-collapse-below"), 10);
    if (window.matchMedia("(max-width: " + limit + "px)").matches) {
      details.removeAttribute("open");
    }
  });
})();
