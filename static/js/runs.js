// Live progress of overlap runs: poll each active run's status every second and update its bar;
// reload the page once a run ends so the history and the candidates in use are current.
(function () {
  "use strict";
  function watch(box) {
    var url = box.getAttribute("data-status-url");
    var bar = box.querySelector(".progress-fill");
    var meter = box.querySelector("[role=progressbar]");
    function set(name, value) {
      var el = box.querySelector('[data-field="' + name + '"]');
      if (!el) return;
      if (name === "error") { el.hidden = !value; }
      el.textContent = value === null || value === undefined ? "" : value;
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (run) {
          bar.style.width = run.percent + "%";
          meter.setAttribute("aria-valuenow", run.percent);
          ["status_label", "phase_label", "chunks_done", "chunks_total", "percent", "error"].forEach(function (name) { set(name, run[name]); });
          var chunks = box.querySelector("[data-chunks]");
          if (chunks) { chunks.hidden = !run.chunks_total; }
          box.className = box.className.replace(/status-\w+/, "status-" + run.status);
          if (run.active) { window.setTimeout(poll, 1000); }
          else { box.setAttribute("data-active", "false"); window.setTimeout(function () { window.location.reload(); }, 800); }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 1000);
  }
  document.querySelectorAll("[data-run-progress][data-active=true]").forEach(watch);
})();
