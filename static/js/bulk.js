// Bulk edit on a list: "tick all" ticks the page, the chosen action shows only its value, the
// count of ticked rows is said, and deleting asks first. Without script the form still works.
(function () {
  "use strict";
  var form = document.querySelector("form[data-bulk]");
  if (!form) return;
  var boxes = function () { return document.querySelectorAll("input.bulk-ids"); };
  var all = document.querySelector("input[data-select-all]");
  var count = form.querySelector("[data-bulk-count]");
  var action = form.querySelector("select[name='bulk-action']");
  function say() {
    var n = Array.prototype.filter.call(boxes(), function (b) { return b.checked; }).length;
    count.textContent = n ? n + " ticked" : "Tick rows in the list first";
  }
  function show() {
    form.querySelectorAll(".bulk-value").forEach(function (span) {
      // data-for may name several actions ("tag_add tag_remove") that share one value field.
      span.hidden = span.getAttribute("data-for").split(" ").indexOf(action.value) < 0;
    });
  }
  if (all) all.addEventListener("change", function () {
    boxes().forEach(function (b) { b.checked = all.checked; });
    say();
  });
  boxes().forEach(function (b) { b.addEventListener("change", say); });
  action.addEventListener("change", show);
  form.addEventListener("submit", function (event) {
    if (action.value === "delete") {
      var n = Array.prototype.filter.call(boxes(), function (b) { return b.checked; }).length;
      if (!window.confirm("Delete " + n + " stakeholder(s) with their stakes and ties?")) event.preventDefault();
    }
  });
  show();
  say();
})();
