// Live progress of an import job: poll its status every second while it runs, then reload the
// page to show the result (the summary, the errors, the import button).
(function () {
  "use strict";
  var card = document.getElementById("job-progress");
  if (!card) return;
  var url = card.getAttribute("data-status-url");
  var bar = card.querySelector(".progress");
  var fill = card.querySelector(".progress-bar");
  var text = document.getElementById("progress-text");
  var title = document.getElementById("progress-title");
  var label = document.getElementById("job-status-label");
  var phases = { checking: "Checking", writing: "Writing", queued: "Waiting for a worker" };

  function number(n) { return Number(n).toLocaleString("en-GB"); }

  function show(data) {
    label.textContent = data.status_label;
    title.textContent = data.status === "importing" ? "Importing…" : "Checking the file…";
    if (data.percent === null) {
      bar.classList.add("indeterminate");
      bar.removeAttribute("aria-valuenow");
      text.textContent = data.status === "importing"
        ? (phases[data.phase] || "Importing") + "… nothing is visible in the registry until every row is in."
        : "Starting…";
    } else {
      bar.classList.remove("indeterminate");
      bar.setAttribute("aria-valuenow", data.percent);
      fill.style.width = data.percent + "%";
      text.textContent = (data.phase && phases[data.phase] ? phases[data.phase] + ": " : "") +
        number(data.rows_processed) + " of " + number(data.rows_total) + " rows (" + data.percent + "%)";
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (!data.active) { window.location.reload(); return; }
        show(data);
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
