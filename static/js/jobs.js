// Live progress of a job on its own page (smartdiplomacy/jobs/templates/jobs/progress.html):
// poll the page's status endpoint every second while the job is active, update the bar, status,
// phase, counts and error from its "job", and reload the page once the job ends (its results).
(function () {
  "use strict";
  function watch(box) {
    var url = box.getAttribute("data-status-url");
    var fill = box.querySelector(".progress-fill");
    var meter = box.querySelector("[role=progressbar]");
    function set(name, text) {
      var el = box.querySelector('[data-field="' + name + '"]');
      if (el) { el.textContent = text; }
    }
    function show(job) {
      if (job.percent === null) { meter.removeAttribute("aria-valuenow"); fill.style.width = "0"; }
      else { meter.setAttribute("aria-valuenow", job.percent); fill.style.width = job.percent + "%"; }
      set("status_label", job.status_label);
      set("phase", job.phase);
      set("detail", job.detail ? " · " + job.detail : "");
      set("counts", job.progress_total ? " · " + job.progress_done + "/" + job.progress_total : "");
      set("percent", job.percent === null ? "" : " · " + job.percent + "%");
      var error = box.querySelector('[data-field="error"]');
      if (error) { error.textContent = job.error; error.hidden = !job.error; }
      box.className = box.className.replace(/status-\w+/, "status-" + job.status);
      var badge = box.querySelector(".job-status");
      if (badge) { badge.className = badge.className.replace(/status-\w+/, "status-" + job.status); }
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (data) {
          var job = data.job;
          if (!job) { return; }
          show(job);
          if (job.active) { window.setTimeout(poll, 1000); }
          else { box.setAttribute("data-active", "false"); window.setTimeout(function () { window.location.reload(); }, 800); }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 1000);
  }
  document.querySelectorAll("[data-job-progress][data-status-url][data-active=true]").forEach(watch);
})();
