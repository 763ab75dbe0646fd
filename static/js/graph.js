/* The stakeholder graph map: draws /api/v1/graph/ with sigma.js (WebGL) over a graphology graph.
 *
 * Positions come from the server's layout (per audience, igraph); small views are refined here
 * with ForceAtlas2 and made overlap-free with Noverlap. Every state lives in the address, so a
 * view can be linked to; saved views store that address under a name.
 */
(function () {
  "use strict";
  const root = document.getElementById("graph-map");
  if (!root || !window.GraphMap) return;
  const { Graph, Sigma, forceAtlas2, noverlap, EdgeLineProgram, EdgeRectangleProgram, NodeCircleProgram, NodePointProgram } = window.GraphMap;

  // Colour-blind-safe (Okabe–Ito and Paul Tol's muted set); no kind is grey, so none reads as a tie.
  const KIND_COLOURS = {
    state: "#0072B2", igo: "#332288", ngo: "#009E73", firm: "#E69F00", diaspora: "#D55E00",
    womens_group: "#CC79A7", academic: "#882255", media: "#DDCC77", faith_based: "#999933",
    grassroots: "#AA4499", foundation: "#56B4E9",
  };
  // Ties are drawn in greys (opposition in a muted red), so they never compete with the kinds.
  const TIE_COLOURS = {
    funds: "#5d6975", partners_with: "#8c98a4", member_of: "#aab4be",
    communicates_with: "#c3cad2", opposes: "#b4545d", candidate: "#E69F00",
  };
  const DIMMED = "#e4e8ec";
  const QUADRANTS = JSON.parse(document.getElementById("graph-quadrants").textContent);
  // A view up to this size is refined in the browser (ForceAtlas2 from the server's positions,
  // then Noverlap) in well under a second; larger ones are drawn where the server put them.
  const REFINE_MAX_NODES = 3000;
  // Above this many actors (settings.GRAPH_MAP_LARGE_NODES) discs are GL points and a hover is
  // drawn on the overlay instead of by sigma.
  const LARGE_NODES = Number(root.dataset.largeNodes) || 3000;
  const SPAN = 1000;  // positions are scaled to this span, about the canvas's size in pixels

  const $ = (id) => document.getElementById(id);
  const form = $("graph-filters");
  const statusBox = $("graph-status");
  const panel = $("node-panel");
  const kindLabels = {};
  document.querySelectorAll(".legend-kind").forEach((button) => {
    kindLabels[button.dataset.kind] = button.querySelector(".legend-label").textContent;
    button.querySelector(".swatch").style.background = KIND_COLOURS[button.dataset.kind] || "#777";
  });
  document.querySelectorAll(".tie-line").forEach((line) => {
    line.style.borderTopColor = TIE_COLOURS[line.dataset.tie] || "#9aa5b1";
    if (line.dataset.tie === "candidate" || line.dataset.tie === "opposes") line.style.borderTopStyle = "dashed";
  });

  const initial = new URLSearchParams(location.search);
  const state = {
    // map | outcome | path; the outcome page links with layout=outcome.
    mode: initial.get("view") === "outcome" || initial.get("layout") === "outcome" ? "outcome" : "map",
    isolates: initial.get("isolates") === "1",
    hidden: new Set(initial.getAll("hide")),
    sizeBy: initial.get("size") || "degree",
    selected: initial.get("node") ? Number(initial.get("node")) : null,
    hovered: null,
    neighbours: new Set(),
    path: null,
    pathIds: initial.get("source") && initial.get("target") ? [Number(initial.get("source")), Number(initial.get("target"))] : null,
    candidates: initial.get("candidates") === "1",
  };
  if ($("size-by").querySelector(`option[value="${CSS.escape(state.sizeBy)}"]`)) $("size-by").value = state.sizeBy;
  $("show-candidates").checked = state.candidates;

  let data = { nodes: [], edges: [], candidates: [] };
  let byId = new Map();
  // Each draw builds a fresh graph and hands it to sigma whole (setGraph): filling the graph sigma
  // listens to would run its per-node and per-tie handlers 120,000 times on a large map.
  const newGraph = () => new Graph({ multi: false, type: "undirected" });
  let graph = newGraph();
  const renderer = new Sigma(graph, $("sigma"), {
    allowInvalidContainer: true,
    renderLabels: true,
    labelFont: "system-ui, sans-serif",
    labelSize: 12,
    labelWeight: "600",
    labelColor: { color: "#1d2733" },
    // Labels are chosen by placeLabels() below (largest first, none overlapping) and painted on
    // a canvas of our own; sigma draws only those a hover or selection forces. Its own grid would
    // let long labels run over each other.
    labelRenderedSizeThreshold: Infinity,
    // "line" draws ties as antialiased quads; "fast" as one-pixel GL lines, several times cheaper
    // for a software renderer: used for large graphs (draw()).
    edgeProgramClasses: { line: EdgeRectangleProgram, fast: EdgeLineProgram },
    // "circle" draws each disc as an instanced triangle, "point" as one GL point: the same
    // antialiased disc, 5-10 times cheaper for a software renderer (SwiftShader: 20,000 discs in
    // ~60 ms against ~500 ms). Used for large maps, whose discs are small (nodeType()); points
    // are capped at the GPU's largest point size, which small discs never reach.
    nodeProgramClasses: { circle: NodeCircleProgram, point: NodePointProgram },
    defaultDrawNodeLabel: drawLabel,
    zIndex: true,
    hideEdgesOnMove: false,  // switched on for large graphs in draw()
    minCameraRatio: 0.02,
    maxCameraRatio: 4,
    stagePadding: 60,
    nodeReducer: (node, attributes) => reduceNode(node, attributes),
    edgeReducer: (edge, attributes) => reduceEdge(edge, attributes),
  });
  // The placed labels' own layer, above sigma's canvases (clicks pass through to sigma). Painting
  // it never redraws the WebGL layers, which on a large map without a GPU costs most of a second.
  const labelLayer = document.createElement("canvas");
  labelLayer.className = "graph-label-layer";
  Object.assign(labelLayer.style, { position: "absolute", inset: "0", pointerEvents: "none" });
  $("sigma").appendChild(labelLayer);
  let paintedLabels = new Set();
  let paintedBoxes = [];
  // A light layer above the labels for what changes often and concerns a few actors: the hovered
  // actor's neighbourhood on a large map (redrawing 20,000 discs and 100,000 ties for each hover
  // took 1.5 s without a GPU; this layer repaints a veil and a few dozen discs), and the path's
  // hop labels. Clicks pass through.
  const overlay = document.createElement("canvas");
  overlay.className = "graph-overlay-layer";
  Object.assign(overlay.style, { position: "absolute", inset: "0", pointerEvents: "none" });
  $("sigma").appendChild(overlay);
  let hoverKey = null;  // the actor hovered on a large map (drawn on the overlay, not by sigma)
  let overlayInfo = { hover: null, hops: [] };

  window.graphExplorer = {  // tests, benchmarks, console
    renderer, state,
    get graph() { return graph; },
    get data() { return data; },
    // Every label on screen: those placed here and those sigma draws for a hover or selection.
    labelsShown: () => new Set([...paintedLabels, ...renderer.getNodeDisplayedLabels()]),
    labelBoxes: () => paintedBoxes.map((box) => ({ ...box })),  // the placed labels' text boxes
    // What the overlay shows: the hovered actor's highlight on a large map, the path's hop labels.
    overlay: () => JSON.parse(JSON.stringify(overlayInfo)),
    largeNodes: () => LARGE_NODES,
    hoverLayer: true,
  };

  // A label with a white halo, readable over ties and other discs.
  function drawLabel(context, data, settings) {
    if (!data.label) return;
    const size = settings.labelSize;
    context.font = `${settings.labelWeight} ${size}px ${settings.labelFont}`;
    const width = context.measureText(data.label).width;
    // To the right of its disc, or to the left where placeLabels() found the right side taken;
    // on a path's chain, centred under the disc (rows staggered), leaving the ties to their hops.
    let x = data.labelLeft ? data.x - data.size - 3 - width : data.x + data.size + 3;
    let y = data.y + size / 3;
    if (data.labelBelow) { x = data.x - width / 2; y = data.y + data.size + size + 2 + (data.labelRow || 0) * (size + 4); }
    context.lineWidth = 3;
    context.lineJoin = "round";
    context.strokeStyle = "rgba(255,255,255,0.92)";
    context.strokeText(data.label, x, y);
    context.fillStyle = "#1d2733";
    context.fillText(data.label, x, y);
    return { x0: x, y0: y - size, x1: x + width, y1: y + size / 3 };  // the text's box
  }

  // ---- what each node and tie looks like, given the hover, the selection and the legend -------
  // Reducers run for every node and tie on each refresh: the common case (nothing focused or
  // hidden) returns the attributes as they are.
  function reduceNode(node, attributes) {
    const focusNone = state.hovered === null && state.selected === null;
    if (focusNone && !state.hidden.size) return attributes;
    const result = attributes;  // sigma hands reducers a copy
    if (state.hidden.has(attributes.kind)) { result.hidden = true; return result; }
    if (labelled.has(node)) result.labelLeft = labelled.get(node) === "left";
    const focus = state.hovered ?? state.selected;
    if (focus !== null && graph.hasNode(String(focus)) && state.mode === "map") {
      const key = String(focus);
      if (node === key) { result.highlighted = true; result.forceLabel = true; result.zIndex = 3; }
      else if (state.neighbours.has(node)) { result.forceLabel = state.neighbours.size <= 25; result.zIndex = 2; }
      else { result.color = DIMMED; result.label = ""; result.zIndex = 0; }
    }
    return result;
  }

  function reduceEdge(edge, attributes) {
    if (state.hovered === null && state.selected === null && !state.hidden.size) return attributes;
    const result = attributes;  // sigma hands reducers a copy
    const [source, target] = graph.extremities(edge);
    if (state.hidden.has(graph.getNodeAttribute(source, "kind")) || state.hidden.has(graph.getNodeAttribute(target, "kind"))) {
      result.hidden = true; return result;
    }
    const focus = state.hovered ?? state.selected;
    if (focus !== null && state.mode === "map" && graph.hasNode(String(focus))) {
      const key = String(focus);
      // In an ego view the centre's whole view stays drawn (neighbourSet); elsewhere only its ties.
      if (source !== key && target !== key) { if (key !== form.elements.ego.value) result.hidden = true; }
      else { result.size = Math.max(attributes.size, 2); result.color = darker(attributes.color); }
    }
    return result;
  }

  // ---- labels: the most important first, never overlapping, more as one zooms in ---------------
  let labelled = new Map();  // node -> the side of its label: "right" or "left"
  let byImportance = [];  // node keys, largest first (rebuilt with the graph)
  const LABEL_HEIGHT = 16;
  // A label's width as the sum of its characters' widths in the labels' font, each measured
  // once: measuring every candidate label of a large map took most of the placement's time.
  // Kerning only narrows a text, so the sum never understates it.
  const charWidths = new Map();
  let measuring = null;
  function textWidth(label) {
    let width = 0;
    for (const char of label) {
      let w = charWidths.get(char);
      if (w === undefined) {
        if (!measuring) {
          const settings = renderer.getSettings();
          measuring = document.createElement("canvas").getContext("2d");
          measuring.font = `${settings.labelWeight} ${settings.labelSize}px ${settings.labelFont}`;
        }
        w = measuring.measureText(char).width;
        charWidths.set(char, w);
      }
      width += w;
    }
    return width;
  }
  function placeLabels() {
    const next = new Map();
    const { width, height } = renderer.getDimensions();
    const taken = new Map();  // grid of 64-px cells -> rectangles placed there
    const cell = 64;
    const overlaps = (r) => {
      for (let gx = Math.floor(r.x0 / cell); gx <= Math.floor(r.x1 / cell); gx++) {
        for (let gy = Math.floor(r.y0 / cell); gy <= Math.floor(r.y1 / cell); gy++) {
          for (const o of taken.get(gx + ":" + gy) || []) {
            if (r.x0 < o.x1 && r.x1 > o.x0 && r.y0 < o.y1 && r.y1 > o.y0) return true;
          }
        }
      }
      return false;
    };
    const take = (r) => {
      for (let gx = Math.floor(r.x0 / cell); gx <= Math.floor(r.x1 / cell); gx++) {
        for (let gy = Math.floor(r.y0 / cell); gy <= Math.floor(r.y1 / cell); gy++) {
          const key = gx + ":" + gy;
          if (!taken.has(key)) taken.set(key, []);
          taken.get(key).push(r);
        }
      }
    };
    const budget = Math.max(12, Math.round((width * height) / 14000));
    // The floating legend and actor panel cover the map: no label is placed under them.
    const canvasBox = $("sigma").getBoundingClientRect();
    for (const id of ["legend", "node-panel"]) {
      const box = $(id);
      if (!box || box.hidden) continue;
      const r = box.getBoundingClientRect();
      if (r.width && r.height) take({ x0: r.left - canvasBox.left, y0: r.top - canvasBox.top, x1: r.right - canvasBox.left, y1: r.bottom - canvasBox.top });
    }
    const inside = (r) => r.x0 >= 0 && r.x1 <= width;  // a name is not cut by the canvas's edge
    const ratio = renderer.getCamera().ratio;
    for (const key of byImportance) {
      if (next.size >= budget) break;
      const attrs = graph.getNodeAttributes(key);
      if (state.hidden.has(attrs.kind) || !attrs.label) continue;
      const display = renderer.getNodeDisplayData(key);
      if (!display) continue;
      const p = renderer.framedGraphToViewport(display);
      if (p.x < -50 || p.y < -20 || p.x > width + 50 || p.y > height + 20) continue;
      const radius = renderer.scaleSize(display.size, ratio);
      if (radius < 2.5) break;  // the rest are specks at this zoom
      // A label sits right of its disc, vertically centred; if that is taken, on the left.
      const text = textWidth(attrs.label);
      const y0 = p.y - LABEL_HEIGHT / 2 - 1, y1 = p.y + LABEL_HEIGHT / 2 + 1;
      const right = { x0: p.x - radius, y0, x1: p.x + radius + 4 + text, y1 };
      const left = { x0: p.x - radius - 4 - text, y0, x1: p.x + radius, y1 };
      if (inside(right) && !overlaps(right)) { take(right); next.set(key, "right"); }
      else if (inside(left) && !overlaps(left)) { take(left); next.set(key, "left"); }
    }
    labelled = next;
    paintLabels();
  }

  // Paints the placed labels where their discs are now (after every frame sigma draws, and after
  // each placement); a label sigma already draws (hover, selection) or of a dimmed or hidden
  // actor is left out.
  function paintLabels() {
    const { width, height } = renderer.getDimensions();
    const ratio = window.devicePixelRatio || 1;
    if (labelLayer.width !== Math.round(width * ratio) || labelLayer.height !== Math.round(height * ratio)) {
      labelLayer.width = Math.round(width * ratio); labelLayer.height = Math.round(height * ratio);
      labelLayer.style.width = `${width}px`; labelLayer.style.height = `${height}px`;
    }
    const context = labelLayer.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    const painted = new Set();
    const boxes = [];
    const bySigma = renderer.getNodeDisplayedLabels();
    const settings = renderer.getSettings();
    const cameraRatio = renderer.getCamera().ratio;
    for (const [key, side] of labelled) {
      if (bySigma.has(key) || !graph.hasNode(key)) continue;
      const display = renderer.getNodeDisplayData(key);
      if (!display || display.hidden || !display.label) continue;
      const p = renderer.framedGraphToViewport(display);
      const box = drawLabel(context, { label: display.label, x: p.x, y: p.y, size: renderer.scaleSize(display.size, cameraRatio), labelLeft: side === "left" }, settings);
      painted.add(key);
      boxes.push({ key, ...box });
    }
    paintedLabels = painted;
    paintedBoxes = boxes;
  }
  renderer.on("afterRender", paintLabels);

  function sizeCanvas(canvas) {
    const { width, height } = renderer.getDimensions();
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
      canvas.style.width = `${width}px`; canvas.style.height = `${height}px`;
    }
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    return { context, width, height };
  }
  function viewportOf(key) {
    const display = renderer.getNodeDisplayData(key);
    if (!display || display.hidden) return null;
    const p = renderer.framedGraphToViewport(display);
    return { x: p.x, y: p.y, size: renderer.scaleSize(display.size, renderer.getCamera().ratio), color: display.color, label: display.label };
  }
  function disc(context, p, colour, radius) {
    context.beginPath();
    context.arc(p.x, p.y, radius, 0, 2 * Math.PI);
    context.fillStyle = colour; context.fill();
    context.lineWidth = 1.5; context.strokeStyle = "#ffffff"; context.stroke();
  }

  // The overlay: a large map's hovered neighbourhood (a white veil over the map, then the actor's
  // ties, its neighbours' discs and names), or the path's hop labels. Painted after every frame
  // sigma draws (the camera moved) and on each hover.
  function paintOverlay() {
    overlayInfo = { hover: null, hops: [] };
    if (hoverKey !== null && !graph.hasNode(hoverKey)) hoverKey = null;
    const path = state.mode === "path" && state.path;
    // Out of the page while empty: the compositor then has one layer fewer to blend per frame.
    if (!path && hoverKey === null) { if (overlay.style.display !== "none") overlay.style.display = "none"; return; }
    if (overlay.style.display === "none") overlay.style.display = "";
    const { context, width, height } = sizeCanvas(overlay);
    const settings = renderer.getSettings();
    if (path) { paintHops(context, settings); return; }
    const centre = viewportOf(hoverKey);
    if (!centre) return;
    context.fillStyle = "rgba(255,255,255,0.72)";
    context.fillRect(0, 0, width, height);
    const neighbours = [];
    context.lineWidth = 1.6;
    graph.forEachEdge(hoverKey, (edge, attrs, source, target) => {
      const other = source === hoverKey ? target : source;
      if (state.hidden.has(graph.getNodeAttribute(other, "kind"))) return;
      const p = viewportOf(other);
      if (!p) return;
      context.strokeStyle = darker(attrs.color);
      context.beginPath(); context.moveTo(centre.x, centre.y); context.lineTo(p.x, p.y); context.stroke();
      neighbours.push([other, p]);
    });
    for (const [, p] of neighbours) disc(context, p, p.color, Math.max(3, p.size + 1));
    disc(context, centre, centre.color, Math.max(6, centre.size + 3));
    // Names: the hovered actor's always, then its largest neighbours' where they do not overlap
    // a name already written (at most 25).
    const boxes = [drawLabel(context, { label: centre.label, x: centre.x, y: centre.y, size: Math.max(6, centre.size + 3) }, settings)];
    const clear = (b) => boxes.every((o) => b.x1 <= o.x0 || o.x1 <= b.x0 || b.y1 <= o.y0 || o.y1 <= b.y0);
    neighbours.sort((a, b) => b[1].size - a[1].size);
    let named = 1;
    for (const [, p] of neighbours) {
      if (named > 25) break;
      const radius = Math.max(3, p.size + 1), width = textWidth(p.label);
      const box = { x0: p.x + radius + 3, y0: p.y - LABEL_HEIGHT / 2, x1: p.x + radius + 3 + width, y1: p.y + LABEL_HEIGHT / 2 };
      if (!clear(box)) continue;
      boxes.push(drawLabel(context, { label: p.label, x: p.x, y: p.y, size: radius }, settings));
      named += 1;
    }
    overlayInfo.hover = { key: hoverKey, neighbours: neighbours.length, named, boxes };
  }

  // Each hop's tie kind and strength above its tie, its dates below, centred between its two
  // actors (whose names sit under their discs).
  function paintHops(context, settings) {
    const tieLabels = {};
    document.querySelectorAll("#legend .legend-ties li").forEach((li) => { const line = li.querySelector(".tie-line"); tieLabels[line.dataset.tie] = li.textContent.trim(); });
    const nodes = state.path.nodes;
    context.font = `600 ${settings.labelSize}px ${settings.labelFont}`;
    context.textAlign = "center";
    context.lineJoin = "round";
    state.path.edges.forEach((edge, i) => {
      const a = viewportOf(String(nodes[i].id)), b = viewportOf(String(nodes[i + 1].id));
      if (!a || !b) return;
      const x = (a.x + b.x) / 2, y = (a.y + b.y) / 2;
      const kind = `${tieLabels[edge.kind] || edge.kind} · ${Number(edge.strength).toFixed(2)}`;
      const dates = edge.start_date || edge.end_date ? `${edge.start_date || "?"} – ${edge.end_date || "ongoing"}` : "dates not recorded";
      const lines = [[kind, y - 10, "#1d2733"], [dates, y + 20, "#4a5663"]];
      const boxes = [];
      for (const [text, ty, colour] of lines) {
        context.lineWidth = 4; context.strokeStyle = "rgba(255,255,255,0.95)"; context.strokeText(text, x, ty);
        context.fillStyle = colour; context.fillText(text, x, ty);
        const w = context.measureText(text).width;
        boxes.push({ text, x0: x - w / 2, x1: x + w / 2, y0: ty - settings.labelSize, y1: ty + 3 });
      }
      overlayInfo.hops.push({ edge: edge.id, kind: edge.kind, lines: boxes });
    });
    context.textAlign = "start";
  }
  renderer.on("afterRender", paintOverlay);
  let labelTimer = null;
  // Labels are placed again once the camera rests (while it moves, the placed ones follow their
  // discs): choosing them reads every node's position, too much for each frame of a large map.
  const scheduleLabels = () => {
    clearTimeout(labelTimer);
    labelTimer = setTimeout(() => (renderer.getCamera().isAnimated() ? scheduleLabels() : placeLabels()), 120);
  };
  renderer.getCamera().on("updated", scheduleLabels);

  // ---- frames while the camera moves ----------------------------------------------------------
  // Without a GPU every canvas layer on screen costs each frame: a WebGL one is read back and
  // blended, a 2D one cleared and blended; and sigma draws every disc a second time into its
  // picking buffer (which actor is under the pointer). Measured at 5,000 actors / 50,000 ties
  // (SwiftShader), a panning frame cost 53 CPU-ms: 6 for the empty WebGL hover layer, 6-8 for the
  // picking pass, 3 for the tie layer hidden while moving, 2 for three empty 2D layers, and
  // about 12 for reading back and blending the full-size disc layer. While the camera moves, the
  // layers that show nothing are taken off the page, the picking pass is skipped (no actor is
  // hovered mid-move) and a large map's WebGL layers are drawn at half resolution (a quarter of
  // the pixels; labels stay sharp on their own layer); the frame after the camera rests draws
  // everything again at full resolution.
  const layers = renderer.getCanvases();
  const parkedPicking = new Map();  // node program -> its picking program, while the camera moves
  const cameraMoving = () => {
    const captor = renderer.getMouseCaptor();  // the test sigma's render() makes
    return renderer.getCamera().isAnimated() || captor.isMoving || captor.draggedEvents > 0 || !!captor.currentWheelDirection;
  };
  const showLayer = (name, on) => {
    const canvas = layers[name];
    const display = on ? "" : "none";
    if (canvas && canvas.style.display !== display) canvas.style.display = display;
  };
  function setPicking(on) {
    for (const program of Object.values(renderer.nodePrograms || {})) {
      if (!on && program.pickProgram) { parkedPicking.set(program, program.pickProgram); program.pickProgram = null; }
      else if (on && parkedPicking.has(program)) { program.pickProgram = parkedPicking.get(program); parkedPicking.delete(program); }
    }
  }
  const MOVING_RESOLUTION = 0.5;
  let lowResolution = false;
  const renderParams = renderer.getRenderParams.bind(renderer);
  renderer.getRenderParams = () => {  // the programs size their viewport and discs from these
    const params = renderParams();
    if (lowResolution) params.pixelRatio *= MOVING_RESOLUTION;
    return params;
  };
  function setResolution(low) {
    if (low === lowResolution) return;
    lowResolution = low;
    const { width, height } = renderer.getDimensions();
    const ratio = (low ? MOVING_RESOLUTION : 1) * (window.devicePixelRatio || 1);
    for (const name of ["edges", "nodes", "hoverNodes"]) {
      layers[name].width = Math.round(width * ratio); layers[name].height = Math.round(height * ratio);
    }
  }
  renderer.on("resize", () => { lowResolution = false; });  // sigma sized every layer in full
  let restTimer = null;
  function frameLayers() {
    const moving = cameraMoving();
    // The selected or hovered actor drawn by sigma stays highlighted while the map moves.
    const highlight = state.hovered !== null || state.selected !== null;
    showLayer("edges", graph.size > 0 && !(moving && renderer.getSetting("hideEdgesOnMove")));
    showLayer("edgeLabels", renderer.getSetting("renderEdgeLabels"));
    showLayer("hovers", !moving || highlight);
    showLayer("hoverNodes", !moving || highlight);
    setPicking(!moving);
    setResolution(moving && graph.order > LARGE_NODES);
    // A drag may end without a frame of its own (sigma draws on camera updates): draw one once
    // the camera rests, so that ties, hover layers and picking come back.
    clearTimeout(restTimer);
    if (moving) restTimer = setTimeout(function rest() { if (cameraMoving()) restTimer = setTimeout(rest, 100); else renderer.scheduleRender(); }, 100);
  }
  renderer.on("beforeRender", frameLayers);

  function darker(colour) { return colour === TIE_COLOURS.candidate ? colour : "#3f4a56"; }

  // ---- sizes from the chosen metric -----------------------------------------------------------
  function metricValue(node, metric) {
    if (metric === "degree") return node.degree;
    const m = node.metrics;
    if (!m || m[metric] === null || m[metric] === undefined) return null;
    return metric === "constraint" ? 1 - Math.min(1, m.constraint) : m[metric];
  }

  function sizer(nodes, metric) {
    const values = nodes.map((n) => metricValue(n, metric)).filter((v) => v !== null);
    const lo = Math.min(0, ...values), hi = Math.max(1e-9, ...values);
    const [min, span] = nodes.length > 2000 ? [2, 12] : nodes.length > 300 ? [3, 14] : [4, 16];
    return (node) => {
      const v = metricValue(node, metric);
      return v === null ? min : min + span * Math.sqrt((v - lo) / (hi - lo || 1));
    };
  }

  // ---- building the drawn graph for each mode -------------------------------------------------
  function scaled(points) {
    // Centre on the origin and scale the longer side to SPAN.
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (const p of points.values()) {
      minX = Math.min(minX, p.x); maxX = Math.max(maxX, p.x); minY = Math.min(minY, p.y); maxY = Math.max(maxY, p.y);
    }
    const side = Math.max(maxX - minX, maxY - minY) || 1;
    const k = SPAN / side, cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
    for (const p of points.values()) { p.x = (p.x - cx) * k; p.y = (p.y - cy) * k; }
  }

  function visibleNodes() {
    return state.isolates ? data.nodes : data.nodes.filter((n) => n.degree > 0);
  }

  function buildMap() {
    graph = newGraph();
    renderer.setCustomBBox(null);
    const nodes = visibleNodes();
    const size = sizer(nodes, state.sizeBy);
    const n = nodes.length;
    const type = nodeType(n);
    nodes.forEach((node, i) => {
      // No stored position (no snapshot yet, or an actor added since): start on a spiral.
      const p = node.position || { x: Math.cos(i * 2.39996) * Math.sqrt(i + 1) * 10, y: Math.sin(i * 2.39996) * Math.sqrt(i + 1) * 10 };
      graph.addNode(String(node.id), {
        x: p.x, y: -p.y, size: size(node), label: node.name, kind: node.kind,
        color: KIND_COLOURS[node.kind] || "#777", pk: node.id, type,
      });
    });
    setEdgeType(data.edges.length);
    for (const e of data.edges) addEdge(e, "t");
    if (state.candidates) for (const c of data.candidates || []) addEdge({ ...c, kind: "candidate", strength: 0.3 }, "c");
    if (n && n <= REFINE_MAX_NODES) refineLayout(nodes);
    fitAroundPanels();
  }

  // The map fills the canvas except where the toolbar (top) and the legend (right) float.
  function fitAroundPanels() {
    if (!graph.order) { renderer.setCustomBBox(null); return; }
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    graph.forEachNode((_, a) => {
      minX = Math.min(minX, a.x); maxX = Math.max(maxX, a.x); minY = Math.min(minY, a.y); maxY = Math.max(maxY, a.y);
    });
    const w = Math.max(maxX - minX, 1), h = Math.max(maxY - minY, 1);
    const wide = $("sigma").clientWidth > 700;
    renderer.setCustomBBox({
      x: [minX - 0.03 * w, maxX + (wide ? 0.3 : 0.03) * w],
      y: [minY - 0.06 * h, maxY + 0.12 * h],
    });
  }

  // Above this many ties they are drawn as one-pixel GL lines ("fast", several times cheaper for a
  // software renderer).
  const LARGE_TIES = 20000;
  // Above this many they are hidden while the map moves: a software renderer draws 10,000
  // antialiased ties about 3 times a second (benchmarks/graph_page.py at 1,000 / 10,000), and
  // a 2-hop view of a hub easily holds several thousand.
  const MOVING_TIES = 2000;
  function addEdge(e, prefix) {
    const a = String(e.source), b = String(e.target);
    if (a === b || !graph.hasNode(a) || !graph.hasNode(b) || graph.hasEdge(a, b)) return;
    graph.addEdgeWithKey(prefix + e.id, a, b, {
      size: 0.6 + 2.2 * (e.strength ?? 0.5), color: TIE_COLOURS[e.kind] || TIE_COLOURS.communicates_with,
      kind: e.kind, zIndex: prefix === "c" ? 1 : 0, type: edgeType,
    });
  }
  let edgeType = "line";
  function setEdgeType(count) { edgeType = count > LARGE_TIES ? "fast" : "line"; }
  const nodeType = (count) => (count > LARGE_NODES ? "point" : "circle");

  function refineLayout(nodes) {
    const allPlaced = nodes.every((node) => node.position);
    const settings = forceAtlas2.inferSettings(graph);
    // LinLog mode pulls communities into visible clusters.
    // Strong gravity keeps separate components near each other instead of drifting apart.
    Object.assign(settings, { linLogMode: true, gravity: 0.5, scalingRatio: 10, strongGravityMode: true, adjustSizes: false, barnesHutOptimize: graph.order > 500 });
    forceAtlas2.assign(graph, { iterations: allPlaced ? 150 : 300, settings });
    const points = new Map();
    graph.forEachNode((key, attrs) => points.set(key, { x: attrs.x, y: attrs.y }));
    scaled(points);
    graph.forEachNode((key) => { const p = points.get(key); graph.mergeNodeAttributes(key, p); });
    // At the default zoom the span fills the canvas, so graph units are about pixels: Noverlap
    // with the node sizes leaves every disc apart.
    const ratio = Math.max(1, SPAN / Math.max(320, Math.min($("sigma").clientWidth, $("sigma").clientHeight)));
    noverlap.assign(graph, { maxIterations: 120, settings: { margin: 3 * ratio, ratio: 1.3 * ratio, speed: 3 } });
  }

  function buildOutcome() {
    graph = newGraph();
    const nodes = data.nodes.filter((n) => n.stake);
    const size = sizer(nodes, state.sizeBy);
    const type = nodeType(nodes.length);
    for (const node of nodes) {
      // One definition of the grid (stakeholders/power_interest.py): interest across, influence up.
      graph.addNode(String(node.id), {
        x: node.stake.interest * SPAN, y: node.stake.influence * SPAN, size: size(node),
        label: node.name, kind: node.kind, color: KIND_COLOURS[node.kind] || "#777", pk: node.id,
        forceLabel: nodes.length <= 40, type,
      });
    }
    setEdgeType(data.edges.length);
    for (const e of data.edges) addEdge(e, "t");
    // Room around the grid for its axes, the toolbar above and the legend on the right.
    renderer.setCustomBBox({ x: [-0.14 * SPAN, 1.4 * SPAN], y: [-0.16 * SPAN, 1.22 * SPAN] });
    // Stakes often share a value: nudge discs apart just enough not to cover one another (up to
    // a few thousand actors; beyond, the grid is too crowded for that to help and it costs seconds).
    if (nodes.length > 1500) return;
    const ratio = SPAN / Math.max(320, Math.min($("sigma").clientWidth, $("sigma").clientHeight) - 80);
    noverlap.assign(graph, { maxIterations: 60, settings: { margin: 1 * ratio, ratio: ratio, speed: 2 } });
  }

  function buildPath() {
    graph = newGraph();
    const nodes = state.path.nodes;
    const step = SPAN / Math.max(1, nodes.length - 1);
    nodes.forEach((node, i) => {
      graph.addNode(String(node.id), {
        x: i * step, y: 0, size: 16, label: node.name, kind: node.kind, forceLabel: true,
        color: KIND_COLOURS[node.kind] || "#777", pk: node.id, labelBelow: true, labelRow: i % 2,
      });
    });
    setEdgeType(0);
    for (const e of state.path.edges) addEdge(e, "t");
    // Room on the left for the path panel and on the right for the last name.
    renderer.setCustomBBox({ x: [-0.55 * SPAN, 1.35 * SPAN], y: [-SPAN / 3, SPAN / 3] });
  }

  function draw() {
    hoverKey = null;
    if (state.mode === "path" && state.path) buildPath();
    else if (state.mode === "outcome" && data.nodes.some((n) => n.stake)) buildOutcome();
    else buildMap();
    performance.mark("graph:built");
    state.neighbours = neighbourSet(state.selected);
    byImportance = graph.nodes().sort((a, b) => graph.getNodeAttribute(b, "size") - graph.getNodeAttribute(a, "size") || graph.degree(b) - graph.degree(a));
    labelled = new Map();
    // Level of detail: with many ties, they are hidden while the map moves (the software
    // renderer of a machine without a GPU draws 100,000 ties a few times a second at most).
    // A changed setting re-indexes the graph sigma holds, so it is set only when it changes,
    // while the previous (often empty) graph is still attached.
    const hideEdgesOnMove = graph.size > MOVING_TIES;
    if (renderer.getSetting("hideEdgesOnMove") !== hideEdgesOnMove) renderer.setSetting("hideEdgesOnMove", hideEdgesOnMove);
    renderer.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 });
    // One indexation and one WebGL frame for the whole graph; the labels are placed on that
    // frame and painted on their own layer, so the map is drawn once before it is shown.
    renderer.setGraph(graph);
    performance.mark("graph:rendered");
    placeLabels();
    performance.mark("graph:labelled");
    drawAxes();
    updateLegend();
    updateEmpty();
  }

  function neighbourSet(pk) {
    const key = pk === null ? null : String(pk);
    if (!key || !graph.hasNode(key)) return new Set();
    // An ego view is its centre's neighbourhood already (up to two hops): none of it is dimmed
    // or unnamed while the centre is selected.
    if (key === form.elements.ego.value) return new Set(graph.nodes().filter((node) => node !== key));
    return new Set(graph.neighbors(key));
  }

  // ---- outcome view axes ----------------------------------------------------------------------
  function drawAxes() {
    const box = $("outcome-axes");
    const on = state.mode === "outcome" && graph.order > 0 && !(state.mode === "path");
    box.hidden = !on;
    if (!on) return;
    box.replaceChildren();
    const at = (x, y) => renderer.graphToViewport({ x: x * SPAN, y: y * SPAN });
    const place = (cls, text, p, dx = 0, dy = 0) => {
      const el = document.createElement("div");
      el.className = cls; el.textContent = text;
      el.style.left = `${p.x + dx}px`; el.style.top = `${p.y + dy}px`;
      box.appendChild(el);
      return el;
    };
    const o = at(0, 0), right = at(1, 0), top = at(0, 1), mid = at(0.5, 0.5);
    const xAxis = place("axis-line", "", { x: o.x, y: o.y + 14 });
    xAxis.style.width = `${right.x - o.x}px`; xAxis.style.height = "1px";
    const yAxis = place("axis-line", "", { x: o.x - 14, y: top.y });
    yAxis.style.height = `${o.y - top.y}px`; yAxis.style.width = "1px";
    const vMid = place("mid-line", "", { x: mid.x, y: top.y });
    vMid.style.height = `${o.y - top.y}px`; vMid.style.borderLeftWidth = "1px";
    const hMid = place("mid-line", "", { x: o.x, y: mid.y });
    hMid.style.width = `${right.x - o.x}px`; hMid.style.borderTopWidth = "1px";
    for (const v of [0, 0.25, 0.5, 0.75, 1]) {
      place("tick tick-x", v.toFixed(2), at(v, 0), -12, 18);
      place("tick tick-y", v.toFixed(2), at(0, v), -52, -8);
    }
    place("axis-title axis-x", "Interest →", at(0.5, 0), -30, 36);
    place("axis-title axis-y", "Influence ↑", at(0, 1), -40, -36);
    for (const q of QUADRANTS) {
      const corner = at(q.high_interest ? 0.98 : 0.02, q.high_influence ? 0.98 : 0.02);
      // The quadrant's name, as on the outcome page; its meaning ("high influence, low interest")
      // is what the axes already say, so it goes in the tooltip and stays out of the way.
      const el = place("quadrant-label", q.label, corner, 0, q.high_influence ? 0 : -22);
      el.title = q.advice;
      el.dataset.quadrant = q.key;
      if (q.high_interest) el.style.transform = "translateX(-100%)";
    }
  }
  renderer.on("afterRender", () => { if (state.mode === "outcome") drawAxes(); });

  // ---- legend, counts, empty state ------------------------------------------------------------
  function updateLegend() {
    const counts = {};
    graph.forEachNode((_, attrs) => { counts[attrs.kind] = (counts[attrs.kind] || 0) + 1; });
    document.querySelectorAll(".legend-kinds li").forEach((li) => {
      const kind = li.dataset.kind;
      li.querySelector(".legend-count").textContent = counts[kind] ? `(${counts[kind]})` : "";
      li.querySelector(".legend-kind").setAttribute("aria-pressed", String(!state.hidden.has(kind)));
    });
    const isolated = data.nodes.filter((n) => n.degree === 0).length;
    const toggle = $("toggle-isolates");
    toggle.hidden = isolated === 0 || state.mode !== "map";
    $("isolate-count").textContent = String(isolated);
    toggle.setAttribute("aria-pressed", String(state.isolates));
    toggle.firstChild.textContent = state.isolates ? "Hide " : "Show ";
  }

  function updateEmpty() {
    const box = $("graph-empty");
    const isolated = data.nodes.filter((n) => n.degree === 0).length;
    if (state.mode === "path") { box.hidden = true; return; }
    if (!data.nodes.length) {
      $("empty-title").textContent = "No actors match these filters";
      $("empty-text").textContent = activeChips().length ? "Remove a filter above, or clear them all." : "The registry has no actors you may see yet.";
      box.hidden = false;
    } else if (state.mode === "outcome" && !data.nodes.some((n) => n.stake)) {
      $("empty-title").textContent = "Choose an outcome for the outcome view";
      $("empty-text").textContent = "Pick one under Filters → “Has a stake in”.";
      box.hidden = false;
    } else if (state.mode === "map" && !state.isolates && isolated === data.nodes.length) {
      $("empty-title").textContent = "None of these actors has a tie";
      $("empty-text").textContent = `${isolated} actors match; use “Show ${isolated} without ties” to see them.`;
      box.hidden = false;
    } else {
      box.hidden = true;
    }
  }

  // ---- the address holds every state ----------------------------------------------------------
  function filterParams() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (String(value).trim() !== "") params.append(key, value);
    if (!params.get("ego")) params.delete("hops");
    return params;
  }

  function pageParams() {
    const params = filterParams();
    if (state.mode === "outcome") params.set("view", "outcome");
    if (state.isolates) params.set("isolates", "1");
    for (const kind of [...state.hidden].sort()) params.append("hide", kind);
    if (state.sizeBy !== "degree") params.set("size", state.sizeBy);
    if (state.selected !== null) params.set("node", String(state.selected));
    if (state.pathIds) { params.set("source", String(state.pathIds[0])); params.set("target", String(state.pathIds[1])); }
    if (state.candidates) params.set("candidates", "1");
    return params;
  }

  function saveAddress() {
    const qs = pageParams().toString();
    history.replaceState(null, "", qs ? "?" + qs : location.pathname);
    const filters = filterParams().toString();
    document.querySelectorAll(".export-link").forEach((a) => { a.href = a.href.split("?")[0] + (filters ? "?" + filters : ""); });
    $("table-link").href = root.dataset.table + (filters ? "?" + filters : "");
  }

  // ---- active filters as removable chips ------------------------------------------------------
  function activeChips() {
    const chips = [];
    const labelOf = (name, value) => {
      const input = form.querySelector(`[name="${name}"][value="${CSS.escape(value)}"]`);
      if (input && input.nextElementSibling) return input.nextElementSibling.textContent;
      const option = form.querySelector(`select[name="${name}"] option[value="${CSS.escape(value)}"]`);
      return option ? option.textContent : value;
    };
    const names = { kind: "Kind", tie_kind: "Tie", region: "Region", country: "Country", outcome: "Outcome", sector: "Sector", min_strength: "Strength ≥", as_of: "As of" };
    for (const [key, value] of filterParams()) {
      if (key === "hops") continue;
      if (key === "ego") {
        const node = byId.get(Number(value));
        chips.push({ key, value, text: `Ego view of ${node ? node.name : "#" + value} (${form.elements.hops.value} hop${form.elements.hops.value === "2" ? "s" : ""})` });
        continue;
      }
      chips.push({ key, value, text: `${names[key] || key}: ${labelOf(key, value)}` });
    }
    return chips;
  }

  function renderChips() {
    const list = $("active-chips");
    list.replaceChildren();
    const chips = activeChips();
    for (const chip of chips) {
      const li = document.createElement("li");
      li.className = "chip";
      li.textContent = chip.text;
      const remove = document.createElement("button");
      remove.type = "button"; remove.textContent = "×"; remove.setAttribute("aria-label", `Remove ${chip.text}`);
      remove.addEventListener("click", () => { clearFilter(chip.key, chip.value); load(); });
      li.appendChild(remove);
      list.appendChild(li);
    }
    $("filter-count").textContent = chips.length ? String(chips.length) : "";
  }

  function clearFilter(key, value) {
    const field = form.elements[key];
    if (key === "ego") { form.elements.ego.value = ""; form.elements.hops.value = "1"; return; }
    if (field instanceof RadioNodeList || (field && field.type === "checkbox")) {
      form.querySelectorAll(`[name="${key}"]`).forEach((input) => { if (input.value === value) input.checked = false; });
    } else if (field) {
      field.value = "";
    }
    if (key === "as_of") syncSliderFromDate();
  }

  // ---- loading --------------------------------------------------------------------------------
  async function load() {
    const params = filterParams();
    if (state.candidates) params.set("candidates", "true");
    params.set("max_nodes", root.dataset.maxNodes);
    params.set("max_edges", root.dataset.maxEdges);
    params.set("shape", "columns");
    statusBox.textContent = "Loading…";
    statusBox.classList.remove("error");
    delete document.body.dataset.graphReady;
    const started = performance.now();
    performance.mark("graph:fetch");
    const response = await fetch(root.dataset.api + "?" + params.toString(), {
      headers: { Accept: "application/json" }, credentials: "same-origin" });
    const body = await response.json();
    performance.mark("graph:json");
    if (!response.ok) {
      statusBox.textContent = body.error ? body.error.message : "The graph could not be loaded.";
      statusBox.classList.add("error");
      document.body.dataset.graphReady = "error";
      return;
    }
    data = unpack(body);
    byId = new Map(data.nodes.map((n) => [n.id, n]));
    if (state.selected !== null && !byId.has(state.selected)) state.selected = null;
    // An ego view opens on its centre, selected.
    const egoId = Number(form.elements.ego.value);
    if (egoId && byId.has(egoId)) state.selected = egoId;
    performance.mark("graph:parsed");
    if (state.pathIds && !state.path) await findPath(...state.pathIds, { redraw: false });
    draw();
    renderChips();
    saveAddress();
    performance.mark("graph:drawn");
    statusBox.textContent = statusText(performance.now() - started);
    const selected = state.selected !== null ? byId.get(state.selected) : null;
    if (selected) openPanel(selected);
    showGaps();
    // Ready once the canvas has really painted (sigma draws on animation frames).
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    performance.mark("graph:ready");
    document.body.dataset.graphReady = "true";
  }

  // The API's columns (shape=columns: one array per field, a third of the bytes of objects and
  // parsed that much faster) back into the node and tie objects the page works with.
  function unpack(body) {
    const c = body.nodes, m = c.metrics, s = c.stake;
    const nodes = new Array(c.id.length);
    for (let i = 0; i < nodes.length; i++) {
      const hasMetrics = m && m.degree[i] !== null;
      nodes[i] = {
        id: c.id[i], name: c.name[i], kind: c.kind[i], country: c.country[i], scope: c.scope[i],
        degree: c.degree[i],
        position: c.x[i] === null ? null : { x: c.x[i], y: c.y[i] },
        metrics: hasMetrics ? { degree: m.degree[i], betweenness: m.betweenness[i], constraint: m.constraint[i], effective_size: m.effective_size[i], community: m.community[i] } : null,
        stake: s && s.interest[i] !== null ? { interest: s.interest[i], influence: s.influence[i], position: s.position[i] } : null,
      };
    }
    const e = body.edges;
    const edges = new Array(e.id.length);
    for (let i = 0; i < edges.length; i++) edges[i] = { id: e.id[i], source: e.source[i], target: e.target[i], kind: e.kind[i], strength: e.strength[i] };
    return { ...body, nodes, edges };
  }

  function statusText(ms) {
    const plural = (count, one, many) => `${count.toLocaleString("en")} ${count === 1 ? one : many}`;
    if (state.mode === "path" && state.path) return `Path of ${plural(state.path.edges.length, "hop", "hops")}.`;
    const drawn = graph.order;
    let text = `${plural(drawn, "actor", "actors")} and ${plural(graph.size, "tie", "ties")} shown`;
    const isolated = data.nodes.filter((n) => n.degree === 0).length;
    if (!state.isolates && isolated && state.mode === "map") text += `; ${plural(isolated, "actor", "actors")} without ties hidden`;
    if (data.truncated && data.total_nodes > data.nodes.length) text += ` — the ${data.nodes.length.toLocaleString("en")} best connected of ${data.total_nodes.toLocaleString("en")}`;
    if (data.truncated && data.total_edges > data.edges.length) text += ` — the ${data.edges.length.toLocaleString("en")} strongest of ${data.total_edges.toLocaleString("en")} ties`;
    return text + ` (${Math.round(ms)} ms).`;
  }

  function showGaps() {
    const box = $("graph-gaps");
    const lines = [];
    if (state.mode === "outcome" && data.nodes.some((n) => n.stake)) {
      const option = document.querySelector("#f-outcome option:checked");
      lines.push(`Outcome view of “${option ? option.textContent : ""}”: interest across, influence up, as on the outcome's page.`);
    }
    if (data.gaps && state.mode !== "path") lines.push(data.gaps.length ? "Gaps among its stakeholders: " + data.gaps.join(", ") + "." : "Its stakeholders include women's groups, local and diaspora actors.");
    box.hidden = !lines.length;
    box.textContent = lines.join(" ");
  }

  // ---- the selected actor ---------------------------------------------------------------------
  const fmt = (value, digits) => (value === null || value === undefined ? "–" : Number(value).toFixed(digits));

  function openPanel(node) {
    panel.hidden = false;
    $("panel-name").textContent = node.name;
    $("panel-kind").textContent = [kindLabels[node.kind] || node.kind, node.country, node.scope].filter(Boolean).join(" · ");
    const m = node.metrics || {};
    const rows = [
      ["Ties shown", node.degree], ["Ties in the whole graph", m.degree],
      ["Betweenness", fmt(m.betweenness, 4)], ["Constraint (Burt)", fmt(m.constraint, 3)],
      ["Effective size", fmt(m.effective_size, 2)], ["Community", m.community ?? "–"],
    ];
    if (node.stake) rows.push(["Interest", fmt(node.stake.interest, 2)], ["Influence", fmt(node.stake.influence, 2)], ["Position", node.stake.position]);
    const dl = $("panel-metrics");
    dl.replaceChildren();
    for (const [label, value] of rows) {
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = value ?? "–";
      dl.append(dt, dd);
    }
    loadPanelLists(node);
    $("panel-link").href = root.dataset.detail.replace("/0/", `/${node.id}/`);
    panel.dataset.pk = node.id;
    panel.dataset.name = node.name;
  }

  function fillList(id, items, empty) {
    const list = $(id);
    list.replaceChildren();
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
      const known = byId.get(ref);
      return known ? known.name : `actor #${ref}`;
    };
    fillList("panel-candidates", ((candidates && candidates.results) || []).map((c) => {
      const a = typeof c.stakeholder_a === "object" ? c.stakeholder_a.id : c.stakeholder_a;
      const other = a === node.id ? c.stakeholder_b : c.stakeholder_a;
      return { text: `${nameOf(other)} — score ${Number(c.score).toFixed(2)}` };
    }), "No candidates from the last run.");
  }

  function select(pk, { zoom = false } = {}) {
    state.selected = pk;
    state.neighbours = neighbourSet(pk);
    const node = pk === null ? null : byId.get(pk);
    if (node) openPanel(node); else panel.hidden = true;
    renderer.refresh({ skipIndexation: true });
    if (zoom && node && graph.hasNode(String(pk))) {
      const display = renderer.getNodeDisplayData(String(pk));
      if (display) renderer.getCamera().animate({ x: display.x, y: display.y, ratio: Math.min(renderer.getCamera().ratio, 0.35) }, { duration: 400 });
    }
    saveAddress();
  }

  // On a large map a hover is painted on the overlay (paintOverlay); sigma's frame is left as is.
  // (benchmarks/graph_page.py switches hoverLayer off to time sigma's redraw in the same run.)
  const hoverOnOverlay = () => graph.order > LARGE_NODES && window.graphExplorer.hoverLayer !== false;
  renderer.on("enterNode", ({ node }) => {
    if (state.mode !== "map") return;
    if (hoverOnOverlay()) { hoverKey = node; paintOverlay(); return; }
    state.hovered = node;
    state.neighbours = neighbourSet(node);
    renderer.refresh({ skipIndexation: true });
  });
  renderer.on("leaveNode", () => {
    if (hoverKey !== null) { hoverKey = null; paintOverlay(); return; }
    state.hovered = null;
    state.neighbours = neighbourSet(state.selected);
    renderer.refresh({ skipIndexation: true });
  });
  renderer.on("clickNode", ({ node }) => {
    const pk = graph.getNodeAttribute(node, "pk");
    if (state.mode === "path") { const n = state.path.nodes.find((x) => x.id === pk); if (n) { panel.hidden = false; openPanel(byId.get(pk) || { ...n, degree: "–" }); } return; }
    select(pk);
  });
  renderer.on("clickStage", () => { if (state.selected !== null) select(null); });

  // ---- type-ahead by name (over the actors loaded; the API already restricted them) ----------
  function typeahead(input, list, onChoose) {
    let matches = [], active = -1;
    const close = () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; };
    const render = () => {
      list.replaceChildren();
      matches.forEach((node, i) => {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        li.id = `${list.id}-${i}`;
        li.setAttribute("aria-selected", String(i === active));
        const dot = document.createElement("span"); dot.className = "swatch"; dot.style.background = KIND_COLOURS[node.kind] || "#777";
        const name = document.createElement("span"); name.textContent = node.name;
        const kind = document.createElement("span"); kind.className = "muted"; kind.textContent = kindLabels[node.kind] || node.kind;
        li.append(dot, name, kind);
        li.addEventListener("mousedown", (event) => { event.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = !matches.length;
      input.setAttribute("aria-expanded", String(!list.hidden));
      if (active >= 0) input.setAttribute("aria-activedescendant", `${list.id}-${active}`);
    };
    const choose = (i) => { const node = matches[i]; if (!node) return; input.value = node.name; input.dataset.pk = node.id; close(); onChoose(node); };
    input.addEventListener("input", () => {
      const q = input.value.trim().toLowerCase();
      delete input.dataset.pk;
      if (!q) { matches = []; close(); return; }
      const starts = [], contains = [];
      for (const node of data.nodes) {
        const name = node.name.toLowerCase();
        if (name.startsWith(q)) starts.push(node); else if (name.includes(q)) contains.push(node);
        if (starts.length >= 8) break;
      }
      const byDegree = (a, b) => b.degree - a.degree || a.name.localeCompare(b.name);
      matches = [...starts.sort(byDegree), ...contains.sort(byDegree)].slice(0, 8);
      active = matches.length ? 0 : -1;
      render();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" && matches.length) { active = (active + 1) % matches.length; render(); event.preventDefault(); }
      else if (event.key === "ArrowUp" && matches.length) { active = (active - 1 + matches.length) % matches.length; render(); event.preventDefault(); }
      else if (event.key === "Enter") { event.preventDefault(); if (active >= 0) choose(active); }
      else if (event.key === "Escape") close();
    });
    input.addEventListener("blur", close);
  }

  typeahead($("graph-search"), $("search-results"), (node) => {
    if (state.mode !== "map") { state.mode = "map"; draw(); }
    if (node.degree === 0 && !state.isolates) { state.isolates = true; draw(); }
    if (state.hidden.has(node.kind)) { state.hidden.delete(node.kind); }
    select(node.id, { zoom: true });
  });
  typeahead($("path-source"), $("path-source-results"), () => {});
  typeahead($("path-target"), $("path-target-results"), () => {});

  // ---- who can introduce us? ------------------------------------------------------------------
  async function findPath(source, target, { redraw = true } = {}) {
    const out = $("path-result");
    const params = new URLSearchParams({ source, target });
    const asOf = form.elements.as_of.value;
    if (asOf) params.set("as_of", asOf);
    const response = await fetch(`${root.dataset.pathApi}?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) { out.textContent = body.error ? body.error.message : "The path could not be found."; return; }
    state.pathIds = [source, target];
    $("path-panel").hidden = false;
    $("toggle-path").setAttribute("aria-expanded", "true");
    const names = Object.fromEntries(body.nodes.map((n) => [n.id, n.name]));
    const from = byId.get(source), to = byId.get(target);
    $("path-source").value = names[source] || (from && from.name) || $("path-source").value;
    $("path-target").value = names[target] || (to && to.name) || $("path-target").value;
    $("path-hops").replaceChildren();
    if (!body.found) {
      state.path = null;
      out.textContent = `No chain of ties links ${$("path-source").value} and ${$("path-target").value}.`;
      if (redraw) { state.mode = "map"; draw(); }
      saveAddress();
      return;
    }
    state.path = body;
    state.mode = "path";
    const between = body.nodes.length - 2;
    out.textContent = between === 0 ? "They are tied directly." : `${between} intermediar${between === 1 ? "y" : "ies"}, ${body.edges.length} hops:`;
    const tieLabels = {};
    document.querySelectorAll("#legend .legend-ties li").forEach((li) => { const line = li.querySelector(".tie-line"); tieLabels[line.dataset.tie] = li.textContent.trim(); });
    body.edges.forEach((edge, i) => {
      const li = document.createElement("li");
      li.className = "hop";
      li.textContent = `${names[body.nodes[i].id]} → ${names[body.nodes[i + 1].id]}`;
      const meta = document.createElement("span");
      meta.className = "hop-meta";
      const arrow = edge.source === body.nodes[i].id ? "" : " (recorded the other way)";
      const dates = edge.start_date || edge.end_date ? `${edge.start_date || "?"} – ${edge.end_date || "ongoing"}` : "dates not recorded";
      meta.textContent = `${tieLabels[edge.kind] || edge.kind}${arrow} · strength ${Number(edge.strength).toFixed(2)} · ${dates} · source: ${edge.origin || "not recorded"}`;
      li.appendChild(meta);
      $("path-hops").appendChild(li);
    });
    $("path-back").hidden = false;
    if (redraw) { draw(); statusBox.textContent = statusText(0); }
    saveAddress();
  }

  $("path-run").addEventListener("click", () => {
    const pick = (id) => {
      const input = $(id);
      if (input.dataset.pk) return Number(input.dataset.pk);
      const exact = data.nodes.find((n) => n.name.toLowerCase() === input.value.trim().toLowerCase());
      return exact ? exact.id : null;
    };
    const source = pick("path-source"), target = pick("path-target");
    if (!source || !target) { $("path-result").textContent = "Choose two actors from the suggestions."; return; }
    findPath(source, target);
  });
  $("path-back").addEventListener("click", () => {
    state.mode = "map"; state.path = null; state.pathIds = null;
    $("path-hops").replaceChildren(); $("path-result").textContent = ""; $("path-back").hidden = true;
    draw(); saveAddress(); statusBox.textContent = statusText(0);
  });

  // ---- toolbar, panels, legend ----------------------------------------------------------------
  function togglePanel(button, id, open) {
    const box = $(id);
    const show = open ?? box.hidden;
    box.hidden = !show;
    button.setAttribute("aria-expanded", String(show));
  }
  $("toggle-filters").addEventListener("click", (e) => togglePanel(e.currentTarget, "filters-panel"));
  $("toggle-path").addEventListener("click", (e) => {
    togglePanel(e.currentTarget, "path-panel");
    if (!$("path-panel").hidden) { $("filters-panel").hidden = true; $("toggle-filters").setAttribute("aria-expanded", "false"); }
  });
  document.querySelectorAll("[data-close]").forEach((button) => button.addEventListener("click", () => {
    $(button.dataset.close).hidden = true;
    document.querySelector(`[aria-controls="${button.dataset.close}"]`).setAttribute("aria-expanded", "false");
  }));
  // On a phone the legend starts folded, leaving the map to the map.
  if (window.matchMedia("(max-width: 700px)").matches) {
    $("legend-body").hidden = true;
    $("legend-toggle").setAttribute("aria-expanded", "false");
  }
  $("legend-toggle").addEventListener("click", (e) => {
    const body = $("legend-body");
    body.hidden = !body.hidden;
    e.currentTarget.setAttribute("aria-expanded", String(!body.hidden));
  });
  $("toggle-isolates").addEventListener("click", () => {
    state.isolates = !state.isolates;
    draw(); saveAddress(); statusBox.textContent = statusText(0);
  });
  document.querySelectorAll(".legend-kind").forEach((button) => button.addEventListener("click", () => {
    const kind = button.dataset.kind;
    if (state.hidden.has(kind)) state.hidden.delete(kind); else state.hidden.add(kind);
    updateLegend(); renderer.refresh({ skipIndexation: true }); placeLabels(); saveAddress();
  }));
  document.querySelectorAll(".legend-only").forEach((button) => button.addEventListener("click", () => {
    const kind = button.dataset.kind;
    const all = Object.keys(kindLabels);
    const alreadyOnly = all.every((k) => (k === kind) !== state.hidden.has(k));
    state.hidden = alreadyOnly ? new Set() : new Set(all.filter((k) => k !== kind));
    updateLegend(); renderer.refresh({ skipIndexation: true }); placeLabels(); saveAddress();
  }));
  $("size-by").addEventListener("change", (e) => {
    state.sizeBy = e.target.value;
    const size = sizer(visibleNodes(), state.sizeBy);
    graph.forEachNode((key, attrs) => { const node = byId.get(attrs.pk); if (node) graph.setNodeAttribute(key, "size", size(node)); });
    byImportance.sort((a, b) => graph.getNodeAttribute(b, "size") - graph.getNodeAttribute(a, "size"));
    placeLabels();
    saveAddress();
  });
  $("outcome-view-run").addEventListener("click", () => {
    if (state.mode === "outcome") { state.mode = "map"; }
    else {
      state.mode = "outcome"; state.path = null; state.pathIds = null;
      if (!form.elements.outcome.value) { togglePanel($("toggle-filters"), "filters-panel", true); form.elements.outcome.focus(); }
    }
    $("outcome-view-run").setAttribute("aria-pressed", String(state.mode === "outcome"));
    draw(); showGaps(); saveAddress();
  });
  $("outcome-view-run").setAttribute("aria-pressed", String(state.mode === "outcome"));
  $("show-candidates").addEventListener("change", (e) => { state.candidates = e.target.checked; load(); });

  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  // Chips and selects apply at once; typed numbers and dates on change.
  form.addEventListener("change", (event) => { if (event.target.name === "as_of") syncSliderFromDate(); load(); });

  // Ego view by name: the selected actor's panel.
  const ego = (hops) => () => {
    form.elements.ego.value = panel.dataset.pk;
    form.elements.hops.value = String(hops);
    state.mode = "map";
    load();
  };
  $("panel-ego").addEventListener("click", ego(1));
  $("panel-ego2").addEventListener("click", ego(2));
  $("panel-close").addEventListener("click", () => select(null));
  $("panel-path-from").addEventListener("click", () => {
    $("path-source").value = panel.dataset.name;
    $("path-source").dataset.pk = panel.dataset.pk;
    togglePanel($("toggle-path"), "path-panel", true);
    $("path-target").focus();
  });

  // ---- the time slider: ties as of a day ------------------------------------------------------
  const slider = $("as-of-range");
  const firstDay = root.dataset.firstTie ? new Date(root.dataset.firstTie + "T00:00:00Z") : null;
  const today = new Date(root.dataset.today + "T00:00:00Z");
  const dayOf = (value) => new Date(firstDay.getTime() + (today - firstDay) * (value / 1000));
  function syncSliderFromDate() {
    const value = form.elements.as_of.value;
    if (!firstDay || !value) { slider.value = "1000"; $("as-of-label").textContent = "all dates"; return; }
    const day = new Date(value + "T00:00:00Z");
    slider.value = String(Math.round(Math.max(0, Math.min(1, (day - firstDay) / ((today - firstDay) || 1))) * 999));
    $("as-of-label").textContent = value;
  }
  if (!firstDay) { slider.disabled = true; $("as-of-label").textContent = "no dated ties"; }
  slider.addEventListener("input", () => {
    if (!firstDay) return;
    $("as-of-label").textContent = Number(slider.value) >= 1000 ? "all dates" : dayOf(Number(slider.value)).toISOString().slice(0, 10);
  });
  slider.addEventListener("change", () => {
    if (!firstDay) return;
    form.elements.as_of.value = Number(slider.value) >= 1000 ? "" : dayOf(Number(slider.value)).toISOString().slice(0, 10);
    load();
  });
  syncSliderFromDate();

  // ---- export and saved views -----------------------------------------------------------------
  $("export-png").addEventListener("click", () => {
    // Sigma draws on several canvases: stack them onto one.
    const layers = $("sigma").querySelectorAll("canvas");
    const { width, height } = layers[0];
    const out = document.createElement("canvas");
    out.width = width; out.height = height;
    const ctx = out.getContext("2d");
    ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, width, height);
    layers.forEach((layer) => ctx.drawImage(layer, 0, 0));
    const link = document.createElement("a");
    link.href = out.toDataURL("image/png");
    link.download = "graph.png";
    link.click();
  });

  const csrf = () => (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  async function listViews() {
    const body = await getJson(root.dataset.viewsApi);
    const list = $("saved-views");
    list.replaceChildren();
    for (const view of (body && body.results) || []) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = view.url; a.textContent = view.name;
      li.appendChild(a);
      if (view.notes) { const note = document.createElement("div"); note.className = "muted"; note.textContent = view.notes; li.appendChild(note); }
      list.appendChild(li);
    }
  }
  $("views-menu").addEventListener("toggle", (e) => { if (e.currentTarget.open) listViews(); });
  $("save-view-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const camera = renderer.getCamera().getState();
    const response = await fetch(root.dataset.viewsApi, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ name: $("view-name").value, notes: $("view-notes").value, query: pageParams().toString(),
                             camera: { x: camera.x, y: camera.y, ratio: camera.ratio } }),
    });
    const body = await response.json();
    if (!response.ok) {
      const fields = body.error && body.error.fields ? Object.entries(body.error.fields).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`).join("; ") : "";
      $("view-saved").textContent = fields || (body.error ? body.error.message : "Not saved.");
      return;
    }
    $("view-saved").textContent = `Saved. Link: ${location.origin}${body.url}`;
    $("view-saved").dataset.url = body.url;
    listViews();
  });
  // A saved view opened by its link restores its camera once drawn.
  const savedCamera = ["cx", "cy", "cr"].map((k) => initial.get(k));
  async function start() {
    await load();
    if (savedCamera.every((v) => v !== null && v !== "")) {
      renderer.getCamera().setState({ x: Number(savedCamera[0]), y: Number(savedCamera[1]), ratio: Number(savedCamera[2]) });
    }
    if (state.selected !== null && state.mode === "map") select(state.selected);
  }
  start();
})();
