/* The stakeholder graph explorer: draws /api/v1/graph/ with Cytoscape.js (and fcose). */
(function () {
  "use strict";
  const root = document.querySelector(".graph-layout");
  if (!root || typeof cytoscape === "undefined") return;
  if (typeof cytoscapeFcose !== "undefined") cytoscape.use(cytoscapeFcose);

  const form = document.getElementById("graph-filters");
  const statusBox = document.getElementById("graph-status");
  const gapsBox = document.getElementById("graph-gaps");
  const panel = document.getElementById("node-panel");
  const names = document.getElementById("graph-names");
  const css = getComputedStyle(document.documentElement);
  const kindColour = (kind) => (css.getPropertyValue("--k-" + kind) || "#888").trim() || "#888";
  const TIE_STYLE = {
    funds: { colour: "#1f5fa8", line: "solid", arrow: "triangle" },
    partners_with: { colour: "#2a9d8f", line: "solid", arrow: "none" },
    member_of: { colour: "#5a3fa0", line: "dotted", arrow: "triangle" },
    communicates_with: { colour: "#9aa5b1", line: "solid", arrow: "none" },
    opposes: { colour: "#c0392b", line: "dashed", arrow: "tee" },
  };
  let data = { nodes: [], edges: [], candidates: [] };
  const FAST_EDGES = 1500;
  let byName = new Map();

  const cy = cytoscape({
    container: document.getElementById("cy"),
    minZoom: 0.02,
    maxZoom: 4,
    // Large graphs stay responsive while panning and zooming.
    hideEdgesOnViewport: true,
    textureOnViewport: true,
    style: [
      // Drawn by z-index alone, so the outcome view's quadrants stay under edges and nodes.
      { selector: "*", style: { "z-index-compare": "manual" } },
      { selector: "node", style: { "z-index": 2,
          "background-color": "data(colour)", width: "data(size)", height: "data(size)",
          label: "data(name)", "font-size": 9, "min-zoomed-font-size": 11,
          "text-valign": "bottom", "text-margin-y": 3, color: "#222",
          "text-outline-color": "#fff", "text-outline-width": 2, "border-width": 0 } },
      { selector: "node[?restricted]", style: { "border-width": 2, "border-color": "#000", "border-style": "dashed" } },
      { selector: "edge", style: {
          width: "data(width)", "line-color": "data(colour)", "line-style": "data(line)",
          "target-arrow-shape": "data(arrow)", "target-arrow-color": "data(colour)",
          "curve-style": "bezier", opacity: 0.55, "arrow-scale": 0.8, "z-index": 1 } },
      { selector: "node[stance = 'opposes']", style: { "border-width": 3, "border-color": "#c0392b" } },
      { selector: "node[stance = 'neutral']", style: { "border-width": 2, "border-color": "#7b8794" } },
      { selector: "node.quadrant", style: {
          shape: "rectangle", width: "data(w)", height: "data(h)", "background-color": "data(colour)",
          "background-opacity": 1, "border-width": 1, "border-color": "#dde3ea", "border-style": "solid",
          label: "data(name)", "font-size": "data(fontSize)", "min-zoomed-font-size": 0, color: "#5b6673",
          "text-valign": "top", "text-margin-y": "data(margin)", "text-wrap": "wrap",
          "text-max-width": "data(w)", "text-outline-width": 0, "z-index": 0, events: "no" } },
      // Thousands of ties: straight "haystack" lines without arrows draw many times faster.
      { selector: "edge.fast", style: { "curve-style": "haystack", "haystack-radius": 0, "target-arrow-shape": "none" } },
      { selector: "edge.candidate", style: {
          "line-style": "dashed", "line-color": "#e9a23b", "line-dash-pattern": [6, 4], opacity: 0.9,
          width: 2, "target-arrow-shape": "none" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#111" } },
      { selector: "node.on-path", style: { "border-width": 5, "border-color": "#f1c40f", opacity: 1, "z-index": 10 } },
      { selector: "edge.on-path", style: { "line-color": "#f1c40f", "target-arrow-color": "#f1c40f", opacity: 1, width: 5, "z-index": 10 } },
      { selector: ".faded", style: { opacity: 0.12 } },
    ],
  });

  window.graphExplorer = { cy };  // for tests and the console

  function query() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (String(value).trim() !== "") params.append(key, value);
    if (!params.get("ego")) params.delete("hops");
    return params;
  }

  function metricValue(node, metric) {
    if (metric === "degree") return node.metrics ? node.metrics.degree : node.degree;
    if (!node.metrics || node.metrics[metric] === null || node.metrics[metric] === undefined) return null;
    return metric === "constraint" ? 1 - Math.min(1, node.metrics.constraint) : node.metrics[metric];
  }

  function sizes(metric) {
    const values = data.nodes.map((n) => metricValue(n, metric)).filter((v) => v !== null);
    const lo = Math.min(...values, 0), hi = Math.max(...values, 1e-9);
    return (node) => {
      const v = metricValue(node, metric);
      const [min, span] = data.nodes.length > 500 ? [8, 28] : [12, 48];
      return v === null ? min : min + span * Math.sqrt((v - lo) / (hi - lo || 1));
    };
  }

  function elements() {
    const size = sizes(document.getElementById("size-by").value);
    const fast = data.edges.length > FAST_EDGES ? "fast" : "";
    const els = data.nodes.map((n) => ({
      group: "nodes",
      data: { id: String(n.id), pk: n.id, name: n.name, kind: n.kind, colour: kindColour(n.kind),
              size: size(n), restricted: n.sensitivity !== "public",
              stance: n.stake ? n.stake.position : null },
      position: n.position ? { x: n.position.x, y: n.position.y } : undefined,
    }));
    for (const e of data.edges) {
      const style = TIE_STYLE[e.kind] || TIE_STYLE.communicates_with;
      els.push({ group: "edges", classes: fast, data: { id: "t" + e.id, source: String(e.source), target: String(e.target),
        kind: e.kind, strength: e.strength, width: 0.8 + 4 * e.strength, colour: style.colour,
        line: style.line, arrow: style.arrow } });
    }
    for (const c of data.candidates || []) {
      els.push({ group: "edges", classes: "candidate", data: { id: "c" + c.id, source: String(c.source),
        target: String(c.target), width: 2, colour: "#e9a23b", line: "dashed", arrow: "none" } });
    }
    return els;
  }

  const QUADRANTS = [
    // [id, label, column (0 low influence, 1 high), row (0 high interest, 1 low), colour]
    ["keep-informed", "High interest, low influence: keep informed", 0, 0, "#f4f8fc"],
    ["manage-closely", "High interest, high influence: manage closely", 1, 0, "#eef6f2"],
    ["monitor", "Low interest, low influence: monitor", 0, 1, "#fafafa"],
    ["keep-satisfied", "Low interest, high influence: keep satisfied", 1, 1, "#fbf6ee"],
  ];

  function outcomeViewPossible() {
    return data.nodes.some((node) => node.stake);
  }

  // The outcome view: the power–interest grid of one outcome, influence across and interest up,
  // with the ties among its stakeholders drawn over it.
  function outcomeLayout() {
    const side = Math.max(520, 90 * Math.sqrt(data.nodes.length));
    const half = side / 2;
    cy.add(QUADRANTS.map(([id, name, column, row, colour]) => ({
      group: "nodes", classes: "quadrant", selectable: false, grabbable: false, locked: true,
      data: { id: "quadrant-" + id, name, colour, w: half, h: half, fontSize: side / 40,
              margin: side / 40 + 6 },
      position: { x: column * half + half / 2, y: row * half + half / 2 },
    })));
    const jitter = (pk, salt) => (((pk * 7919 + salt * 104729) % 1000) / 1000 - 0.5) * side * 0.02;
    cy.batch(() => {
      for (const node of data.nodes) {
        const stake = node.stake || { interest: 0, influence: 0 };
        cy.getElementById(String(node.id)).position({
          x: stake.influence * side + jitter(node.id, 7),
          y: (1 - stake.interest) * side + jitter(node.id, 13),
        });
      }
    });
    cy.fit(undefined, 30);
  }

  function showGaps() {
    const outcomeOption = document.querySelector("#f-outcome option:checked");
    const lines = [];
    if (document.getElementById("layout-by").value === "outcome") {
      lines.push(outcomeViewPossible()
        ? `Outcome view of “${outcomeOption ? outcomeOption.textContent : ""}”: influence across, interest up; a red ring opposes, a grey one is neutral.`
        : "Outcome view: choose an outcome under “Has a stake in” and apply.");
    }
    if (data.gaps) lines.push(data.gaps.length ? "Gaps among this outcome's stakeholders: " + data.gaps.join(", ") + "." : "This outcome's stakeholders include women's groups, local and diaspora actors.");
    gapsBox.hidden = !lines.length;
    gapsBox.textContent = lines.join(" ");
  }

  function runLayout() {
    const choice = document.getElementById("layout-by").value;
    const n = data.nodes.length;
    cy.remove(".quadrant");
    showGaps();
    if (choice === "outcome" && outcomeViewPossible()) { outcomeLayout(); return; }
    const havePositions = n > 0 && data.nodes.every((node) => node.position);
    let name = choice;
    if (choice === "auto" || choice === "outcome") name = havePositions && n > 300 ? "preset" : "fcose";
    if (name === "preset" && !havePositions) name = "fcose";
    if (name === "fcose" && typeof cytoscapeFcose === "undefined") name = "cose";
    const options = { name, animate: false, fit: true, padding: 30 };
    if (name === "fcose") Object.assign(options, { quality: n > 600 ? "draft" : "default", randomize: true,
      nodeRepulsion: 6000, idealEdgeLength: 80, numIter: n > 600 ? 1000 : 2500 });
    if (name === "concentric") Object.assign(options, { concentric: (node) => node.degree(), levelWidth: () => 2, minNodeSpacing: 6 });
    cy.layout(options).run();
  }

  function draw() {
    cy.elements().remove();
    cy.add(elements());
    runLayout();
    byName = new Map();
    const options = document.createDocumentFragment();
    for (const n of data.nodes) {
      byName.set(n.name.toLowerCase(), n);
      const option = document.createElement("option");
      option.value = n.name;
      options.appendChild(option);
    }
    names.replaceChildren(options);
  }

  function setLinks(params) {
    const qs = params.toString();
    document.querySelectorAll(".export-link").forEach((a) => {
      a.href = a.href.split("?")[0] + (qs ? "?" + qs : "");
    });
    const table = document.getElementById("table-link");
    table.href = root.dataset.table + (qs ? "?" + qs : "");
  }

  // The page's own address also keeps the chosen layout, so an outcome view can be linked to.
  function pageQuery(params) {
    const page = new URLSearchParams(params);
    const layout = document.getElementById("layout-by").value;
    if (layout !== "auto") page.set("layout", layout);
    return page.toString();
  }

  async function load() {
    const params = query();
    setLinks(params);
    history.replaceState(null, "", "?" + pageQuery(params));
    if (document.getElementById("show-candidates").checked) params.set("candidates", "true");
    // The browser's budget: the server keeps the best connected actors and strongest ties.
    params.set("max_nodes", root.dataset.maxNodes);
    params.set("max_edges", root.dataset.maxEdges);
    statusBox.textContent = "Loading…";
    statusBox.classList.remove("error");
    const started = performance.now();
    performance.mark("graph:fetch");
    const response = await fetch(root.dataset.api + "?" + params.toString(), {
      headers: { Accept: "application/json" }, credentials: "same-origin" });
    const body = await response.json();
    if (!response.ok) {
      statusBox.textContent = body.error ? body.error.message : "The graph could not be loaded.";
      statusBox.classList.add("error");
      return;
    }
    data = body;
    performance.mark("graph:parsed");
    draw();
    performance.mark("graph:drawn");
    const plural = (count, one, many) => `${count} ${count === 1 ? one : many}`;
    const shown = `${plural(data.nodes.length, "actor", "actors")} and ${plural(data.edges.length, "tie", "ties")} shown`;
    let cut = "";
    if (data.truncated && data.total_nodes > data.nodes.length) cut += ` — the ${data.nodes.length} best connected of ${data.total_nodes} actors`;
    if (data.truncated && data.total_edges > data.edges.length) cut += ` — the ${data.edges.length} strongest of ${data.total_edges} ties`;
    if (cut) cut += "; filter to see the rest";
    const cands = data.candidates && data.candidates.length ? `, ${data.candidates.length} candidate partnerships` : "";
    statusBox.textContent = shown + cands + cut + ` (${Math.round(performance.now() - started)} ms).`;
    // An ego view opens on its centre, selected, with its panel.
    const egoId = Number(params.get("ego"));
    const egoNode = egoId ? data.nodes.find((node) => node.id === egoId) : null;
    if (egoNode) {
      cy.getElementById(String(egoId)).select();
      openPanel(egoNode);
      cy.fit(undefined, 30);  // the panel narrowed the canvas
    }
    // Ready once the canvas has really painted the graph (Cytoscape draws on animation frames).
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    performance.mark("graph:ready");
    document.body.dataset.graphReady = "true";
  }

  function fmt(value, digits) {
    return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
  }

  function openPanel(node) {
    if (panel.hidden) { panel.hidden = false; cy.resize(); }  // the canvas column just narrowed
    document.getElementById("panel-name").textContent = node.name;
    const kindLabel = document.querySelector(`#f-kind option[value="${node.kind}"]`);
    document.getElementById("panel-kind").textContent = [kindLabel ? kindLabel.textContent : node.kind, node.country, node.scope].filter(Boolean).join(" · ");
    const m = node.metrics || {};
    const rows = [
      ["Ties shown", node.degree], ["Ties in the whole graph", m.degree],
      ["Betweenness", fmt(m.betweenness, 4)], ["Constraint (Burt)", fmt(m.constraint, 3)],
      ["Effective size", fmt(m.effective_size, 2)], ["Community", m.community ?? "–"],
    ];
    const dl = document.getElementById("panel-metrics");
    dl.innerHTML = "";
    for (const [label, value] of rows) {
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = value ?? "–";
      dl.append(dt, dd);
    }
    loadPanelLists(node);
    document.getElementById("panel-link").href = root.dataset.detail.replace("/0/", `/${node.id}/`);
    panel.dataset.pk = node.id;
    panel.dataset.name = node.name;
  }

  function fillList(id, items, empty) {
    const list = document.getElementById(id);
    list.innerHTML = "";
    if (!items.length) items = [{ text: empty, muted: true }];
    for (const item of items) {
      const li = document.createElement("li");
      li.textContent = item.text;
      if (item.muted) li.className = "muted";
      list.appendChild(li);
    }
  }

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    return response.ok ? response.json() : null;
  }

  async function loadPanelLists(node) {
    // The registry's own endpoints: they apply the same restriction as the graph.
    const [stakes, candidates] = await Promise.all([
      getJson(`${root.dataset.stakesApi}?stakeholder=${node.id}&page_size=8&ordering=-interest`),
      getJson(`${root.dataset.candidatesApi}?stakeholder=${node.id}&page_size=5`),
    ]);
    if (String(node.id) !== panel.dataset.pk) return;  // another node was chosen meanwhile
    fillList("panel-stakes", ((stakes && stakes.results) || []).map((s) => ({
      text: `${s.outcome_title} — interest ${Number(s.interest).toFixed(2)}, ${s.position}` })), "No stakes recorded.");
    const nameOf = (ref) => {
      if (ref && typeof ref === "object") return ref.name;
      const known = data.nodes.find((n) => n.id === ref);
      return known ? known.name : `actor #${ref}`;
    };
    fillList("panel-candidates", ((candidates && candidates.results) || []).map((c) => {
      const a = typeof c.stakeholder_a === "object" ? c.stakeholder_a.id : c.stakeholder_a;
      const other = a === node.id ? c.stakeholder_b : c.stakeholder_a;
      return { text: `${nameOf(other)} — score ${Number(c.score).toFixed(2)}` };
    }), "No candidates from the last run.");
  }

  function focusNode(node) {
    const el = cy.getElementById(String(node.id));
    if (!el.length) return;
    cy.$(":selected").unselect();
    el.select();
    cy.animate({ center: { eles: el }, zoom: Math.max(cy.zoom(), 1.2) }, { duration: 300 });
    openPanel(node);
  }

  cy.on("tap", "node", (event) => {
    const pk = event.target.data("pk");
    const node = data.nodes.find((n) => n.id === pk);
    if (node) openPanel(node);
  });
  cy.on("tap", (event) => { if (event.target === cy) cy.elements().removeClass("on-path faded"); });

  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  document.getElementById("size-by").addEventListener("change", () => {
    const size = sizes(document.getElementById("size-by").value);
    cy.batch(() => data.nodes.forEach((n) => cy.getElementById(String(n.id)).data("size", size(n))));
  });
  document.getElementById("layout-by").addEventListener("change", () => {
    history.replaceState(null, "", "?" + pageQuery(query()));
    runLayout();
  });
  const outcomeButton = document.getElementById("outcome-view-run");
  if (outcomeButton) outcomeButton.addEventListener("click", () => {
    if (!document.getElementById("f-outcome").value) {
      statusBox.textContent = "Choose an outcome under “Has a stake in” for the outcome view.";
      return;
    }
    document.getElementById("layout-by").value = "outcome";
    load();
  });
  document.getElementById("show-candidates").addEventListener("change", load);
  const search = document.getElementById("graph-search");
  const onSearch = () => {
    const node = byName.get(search.value.trim().toLowerCase());
    if (node) focusNode(node);
  };
  search.addEventListener("change", onSearch);
  search.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); onSearch(); } });
  document.getElementById("panel-close").addEventListener("click", () => { panel.hidden = true; cy.resize(); });
  const ego = (hops) => () => {
    document.getElementById("f-ego").value = panel.dataset.pk;
    document.getElementById("f-hops").value = String(hops);
    load();
  };
  document.getElementById("panel-ego").addEventListener("click", ego(1));
  document.getElementById("panel-ego2").addEventListener("click", ego(2));
  document.getElementById("panel-path-from").addEventListener("click", () => {
    document.getElementById("path-source").value = panel.dataset.name;
    document.getElementById("path-target").focus();
  });

  document.getElementById("path-run").addEventListener("click", async () => {
    const out = document.getElementById("path-result");
    const source = byName.get(document.getElementById("path-source").value.trim().toLowerCase());
    const target = byName.get(document.getElementById("path-target").value.trim().toLowerCase());
    if (!source || !target) { out.textContent = "Choose two actors shown in the graph."; return; }
    const response = await fetch(`${root.dataset.pathApi}?source=${source.id}&target=${target.id}`, { credentials: "same-origin" });
    const body = await response.json();
    if (!response.ok) { out.textContent = body.error.message; return; }
    cy.elements().removeClass("on-path faded");
    if (!body.found) { out.textContent = `No chain of ties links ${source.name} and ${target.name}.`; return; }
    out.textContent = `${body.nodes.length - 2} intermediar${body.nodes.length === 3 ? "y" : "ies"}: ` + body.nodes.map((n) => n.name).join(" → ");
    cy.elements().addClass("faded");
    for (const n of body.nodes) cy.getElementById(String(n.id)).removeClass("faded").addClass("on-path");
    for (const e of body.edges) cy.getElementById("t" + e.id).removeClass("faded").addClass("on-path");
    const onPath = cy.$(".on-path");
    if (onPath.length) cy.animate({ fit: { eles: onPath, padding: 80 } }, { duration: 300 });
  });

  document.getElementById("export-png").addEventListener("click", () => {
    const link = document.createElement("a");
    link.href = cy.png({ full: true, scale: 2, bg: "#ffffff" });
    link.download = "graph.png";
    link.click();
  });

  const askedLayout = new URLSearchParams(location.search).get("layout");
  if (askedLayout && document.querySelector(`#layout-by option[value="${CSS.escape(askedLayout)}"]`)) {
    document.getElementById("layout-by").value = askedLayout;
  }
  load();
})();
