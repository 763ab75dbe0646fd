// Pages that show a secret once (a partner token, a webhook's signing secret): the field selects
// itself when focused, and a Copy button copies it.
(function () {
  document.querySelectorAll("[data-select-on-focus]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.copy);
      var hint = document.getElementById(button.dataset.copyHint);
      field.select();
      if (navigator.clipboard) {
        navigator.clipboard.writeText(field.value).then(function () { if (hint) hint.textContent = "Copied."; });
      } else if (document.execCommand("copy") && hint) {
        hint.textContent = "Copied.";
      }
    });
  });
})();
