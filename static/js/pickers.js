// Type-ahead pickers (Tom Select, from npm): every <select data-picker> becomes a search box;
// with data-picker-url the options are fetched as one types (the server answers only with what
// the reader may see), and the options the page carries (chosen or suggested) show before
// anything is typed. A picker closes after each choice unless it says data-picker-keep-open.
// No inline script or style: the page's policy forbids them.
(function () {
  "use strict";
  if (typeof TomSelect === "undefined") return;
  document.querySelectorAll("select[data-picker]").forEach(function (select) {
    var url = select.getAttribute("data-picker-url");
    var keepOpen = select.multiple && select.hasAttribute("data-picker-keep-open");
    var options = {
      plugins: select.multiple ? ["remove_button"] : [],
      maxOptions: 50,
      placeholder: select.getAttribute("data-placeholder") || (url ? "Type a name…" : "Type to filter…"),
      allowEmptyOption: !select.required,
      hidePlaceholder: true,
      // A choice made, the list gets out of the way (on a form it covers the next fields and the
      // next click would hit it), and what was typed is cleared so the next name starts afresh.
      // A list's multi-choice filter says data-picker-keep-open (smartdiplomacy.widgets.
      // filter_picker): nothing lies under it but more filters, so it stays open for the next pick.
      closeAfterSelect: !keepOpen,
      clearAfterSelect: true,
    };
    if (url) {
      options.valueField = "id";
      options.labelField = "name";
      options.searchField = ["name", "label"];
      options.shouldLoad = function (query) { return query.length >= 2; };
      options.load = function (query, callback) {
        var sep = url.indexOf("?") === -1 ? "?" : "&";
        fetch(url + sep + "q=" + encodeURIComponent(query), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.json(); })
          .then(function (rows) { callback(rows.results || rows); })
          .catch(function () { callback(); });
      };
      options.render = {
        option: function (row, escape) {
          return "<div>" + escape(row.name) + (row.label ? ' <span class="picker-meta">' + escape(row.label) + "</span>" : "") + "</div>";
        },
      };
    }
    new TomSelect(select, options);
    // The search box Tom Select adds is the control people use, and the label now names it; the
    // original select stays in the form (hidden) only to carry the value.
    select.setAttribute("aria-hidden", "true");
    select.setAttribute("tabindex", "-1");
  });
})();

// Sliders (interest, influence, strength: 0–1) show their value beside them.
(function () {
  "use strict";
  document.querySelectorAll("input[type=range][data-show-value]").forEach(function (input) {
    var output = document.createElement("output");
    output.className = "range-value";
    output.htmlFor = input.id;
    output.value = input.value;
    input.insertAdjacentElement("afterend", output);
    input.addEventListener("input", function () { output.value = input.value; });
  });
})();
