// The IATI import job page of a folder: while the job runs, the table of its files follows the
// job's status (the progress itself is the one partial's, static/js/jobs.js, which reloads the
// page with the report once the job ends).
(function () {
  const box = document.getElementById("iati-job");
  const files = document.querySelector("#iati-job-files tbody");
  if (!box || !files) return;
  async function poll() {
    const response = await fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}});
    if (!response.ok) return;
    const job = await response.json();
    if (job.files) {
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
    if (job.status === "queued" || job.status === "running") setTimeout(poll, 1000);
  }
  poll();
})();
