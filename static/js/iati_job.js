// The IATI import job page: polls the job's status until it is done, then shows its report.
(function () {
  const box = document.getElementById("iati-job");
  if (!box) return;
  const state = document.getElementById("iati-job-state");
  const report = document.getElementById("iati-job-report");
  async function poll() {
    const response = await fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}});
    if (!response.ok) return;
    const job = await response.json();
    const files = document.querySelector("#iati-job-files tbody");
    if (files && job.files) {
      files.replaceChildren(...job.files.map((file) => {
        const row = document.createElement("tr");
        for (const [value, numeric] of [[file.name], [file.status], [file.activities, true], [file.seconds, true]]) {
          const cell = document.createElement("td");
          if (numeric) cell.className = "num";
          cell.textContent = value;
          row.append(cell);
        }
        return row;
      }));
    }
    if (job.status === "queued") { state.textContent = "Waiting for a worker…"; }
    else if (job.status === "running") { state.textContent = `Importing: ${job.done} activities read (${job.phase})…`; }
    else {
      if (job.status === "done") {
        const strong = document.createElement("strong");
        strong.textContent = "Imported";
        state.replaceChildren(strong, ` in ${job.seconds} s.`);
      } else { location.reload(); return; }
      report.textContent = job.report.join("\n"); report.hidden = false; return;
    }
    setTimeout(poll, 1000);
  }
  if (!report.textContent.trim() && !document.querySelector(".error-box")) poll();
})();
