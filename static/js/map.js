// /map/: actors and engagements on the world map (Apache ECharts' geo component over
// world-atlas's country shapes, both from npm; no tiles, nothing from the internet). The first
// view is in the page (json_script "map-data"); zooming asks /api/v1/map/ for the clusters of
// the new zoom with the page's filters. Everything drawn is what the server gave this reader.
(function () {
  "use strict";
  const script = document.getElementById("map-script");
  const element = document.getElementById("map-canvas");
  const source = document.getElementById("map-data");
  const filters = document.getElementById("map-filters");
  if (filters && window.innerWidth > 860) filters.open = true;
  if (!script || !element || !source || typeof echarts === "undefined" || typeof topojson === "undefined") return;

  let data = JSON.parse(source.textContent);
  const chart = echarts.init(element, null, { renderer: "canvas" });
  window.addEventListener("resize", () => chart.resize());
  const COUNTRY_ZOOM = 3;
  const selection = document.getElementById("map-selection");
  const unplacedNote = document.getElementById("map-unplaced");
  let centroids = {};
  let requested = 1;
  let pending = null;

  // The centre of each country's largest polygon (a planar centroid in degrees: good enough to
  // place a marker; France's is in France, not between it and French Guiana).
  function centroid(geometry) {
    const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
    let best = null;
    let bestArea = 0;
    polygons.forEach((polygon) => {
      const ring = polygon[0];
      let area = 0, cx = 0, cy = 0;
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const cross = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
        area += cross;
        cx += (ring[j][0] + ring[i][0]) * cross;
        cy += (ring[j][1] + ring[i][1]) * cross;
      }
      if (Math.abs(area) > bestArea && area !== 0) {
        bestArea = Math.abs(area);
        best = [cx / (3 * area), cy / (3 * area)];
      }
    });
    return best;
  }

  const escape = (text) => String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  const numericOf = () => Object.fromEntries(data.countries.map((c) => [c.country, c.numeric]));
  const countryByNumeric = () => Object.fromEntries(data.countries.filter((c) => c.numeric).map((c) => [c.numeric, c]));

  function position(cluster, numerics) {
    if (cluster.coordinates) return cluster.coordinates;
    const numeric = numerics[cluster.country];
    return numeric ? centroids[numeric] || null : null;
  }

  function markerSeries() {
    const numerics = numericOf();
    const actors = [], engagements = [], notDrawn = [];
    data.clusters.forEach((cluster) => {
      const at = position(cluster, numerics);
      if (!at) { notDrawn.push(cluster); return; }
      if (cluster.stakeholders) actors.push({ name: cluster.key, value: [...at, cluster.stakeholders], cluster });
      if (cluster.engagements) engagements.push({ name: cluster.key, value: [...at, cluster.engagements], cluster });
    });
    if (unplacedNote) {
      const names = Object.fromEntries(data.countries.map((c) => [c.country, c.name]));
      unplacedNote.hidden = !notDrawn.length;
      unplacedNote.textContent = notDrawn.length ? `Too small for this map's shapes, listed here: ${notDrawn.map((c) => `${names[c.country] || c.country} (${c.count})`).join(", ")}.` : "";
    }
    const narrow = element.clientWidth < 600;
    const size = (value) => (narrow ? 7 + 3 * Math.sqrt(value[2]) : 9 + 4 * Math.sqrt(value[2]));
    const label = { show: !narrow, formatter: (p) => String(p.value[2]), color: "#fff", fontSize: 10, fontWeight: 600 };
    return [
      { name: "Actors", type: "scatter", coordinateSystem: "geo", geoIndex: 0, data: actors, symbol: "circle", symbolSize: size, label, itemStyle: { color: "#0f4c81", borderColor: "#fff", borderWidth: 1, opacity: 0.9 }, zlevel: 1 },
      { name: "Engagements", type: "scatter", coordinateSystem: "geo", geoIndex: 0, data: engagements, symbol: "diamond", symbolSize: size, symbolOffset: narrow ? [5, -5] : [8, -8], label, itemStyle: { color: "#c2410c", borderColor: "#fff", borderWidth: 1, opacity: 0.9 }, zlevel: 1 },
    ];
  }

  // The choropleth: each scored country shaded on the legend's scale (the visualMap below is
  // its legend), the others left grey.
  const LOW = [253, 230, 138], HIGH = [15, 118, 110];
  function shade(value) {
    const t = Math.min(1, Math.max(0, value / 100));
    return `rgb(${LOW.map((low, i) => Math.round(low + (HIGH[i] - low) * t)).join(",")})`;
  }
  function choropleth() {
    return data.countries.filter((c) => c.numeric && c.mean_composite !== null).map((c) => ({ name: c.numeric, itemStyle: { areaColor: shade(c.mean_composite) } }));
  }

  // world-atlas draws Russia's Chukotka and Fiji across the antimeridian (179° next to −179°),
  // which a flat map joins with a line across the world: points on the far side are put on
  // the line instead. Antarctica is left out (no actor there, and it takes a quarter of the map).
  function antimeridianFixed(ring) {
    const east = ring.filter((point) => point[0] > 0).length >= ring.length / 2;
    const crosses = ring.some((point, i) => i && Math.abs(point[0] - ring[i - 1][0]) > 180);
    if (!crosses) return ring;
    return ring.map(([lon, lat]) => (east && lon < -90 ? [180, lat] : !east && lon > 90 ? [-180, lat] : [lon, lat]));
  }
  function shapesFixed(feature) {
    const g = feature.geometry;
    if (!g) return feature;
    if (g.type === "Polygon") g.coordinates = g.coordinates.map(antimeridianFixed);
    if (g.type === "MultiPolygon") g.coordinates = g.coordinates.map((polygon) => polygon.map(antimeridianFixed));
    return feature;
  }

  function list(title, keys) {
    const byKey = Object.fromEntries(data.features.map((f) => [f.id, f]));
    const features = keys.map((k) => byKey[k]).filter(Boolean);
    const actors = features.filter((f) => f.properties.layer === "stakeholder");
    const engagements = features.filter((f) => f.properties.layer === "engagement");
    const LIMIT = 60;
    const item = (f) => {
      const p = f.properties;
      const where = [p.subnational_area, p.precision === "point" ? "" : ""].filter(Boolean).join(", ");
      const extra = p.layer === "stakeholder" ? p.kind_label : `${p.start_date}${p.composite !== null ? ` · composite ${p.composite.toFixed(1)}` : ""}`;
      return `<li><a href="${escape(p.url)}">${escape(p.name)}</a> <span class="muted small">${escape(extra)}${where ? ` · ${escape(where)}` : ""}</span></li>`;
    };
    const block = (heading, rows) => rows.length ? `<h3>${heading}</h3><ul>${rows.slice(0, LIMIT).map(item).join("")}</ul>${rows.length > LIMIT ? `<p class="muted small">and ${rows.length - LIMIT} more.</p>` : ""}` : "";
    selection.innerHTML = `<h2>${escape(title)}</h2>` + (features.length ? block(plural(actors.length, "actor", "actors"), actors) + block(plural(engagements.length, "engagement", "engagements"), engagements) : `<p class="muted">Nothing on the map here for these filters.</p>`);
  }

  function draw(first) {
    const option = {
      tooltip: {
        trigger: "item",
        formatter: (p) => {
          if (p.seriesType === "scatter") {
            const c = p.data && p.data.cluster;
            if (!c) return "";
            return `${plural(c.stakeholders, "actor", "actors")}, ${plural(c.engagements, "engagement", "engagements")}<br>click to list them`;
          }
          const row = countryByNumeric()[p.name];
          if (!row) return p.name && p.componentType === "geo" ? "nothing shown here" : "";
          const mean = row.mean_composite === null ? "no scored engagement" : `average composite ${row.mean_composite.toFixed(1)} (${plural(row.scored, "scored engagement", "scored engagements")})`;
          return `<strong>${escape(row.name)}</strong><br>${mean}<br>${plural(row.stakeholders, "actor", "actors")}, ${plural(row.engagements, "engagement", "engagements")} shown`;
        },
      },
      geo: { regions: choropleth() },
      series: [
        // Only the visualMap's: the legend of the shading.
        { name: "Average composite", type: "scatter", coordinateSystem: "geo", geoIndex: 0, data: [] },
        ...markerSeries(),
      ],
    };
    if (first) {
      // A phone shows the Old World, where the actors are, larger; the whole world is a tap away.
      if (element.clientWidth < 600) Object.assign(option.geo, { zoom: 2, center: [30, 12] });
      Object.assign(option.geo, { map: "world", nameProperty: "iso", roam: true, scaleLimit: { min: 1, max: 64 }, tooltip: { show: true }, itemStyle: { areaColor: "#eef0f3", borderColor: "#cbd5e1" }, emphasis: { label: { show: false }, itemStyle: { areaColor: "#cbd5e1" } }, select: { disabled: true } });
      option.visualMap = { type: "continuous", min: 0, max: 100, seriesIndex: 0, left: 8, bottom: 8, itemHeight: element.clientWidth < 600 ? 50 : 90, itemWidth: 10, text: ["100", "0"], calculable: false, inRange: { color: ["#fde68a", "#0f766e"] }, textStyle: { fontSize: 11 } };
      option.legend = { top: 4, right: 8, data: ["Actors", "Engagements"] };
    }
    chart.setOption(option, { replaceMerge: ["series"] });
  }

  function zoomOf() {
    const geo = chart.getOption().geo;
    return geo && geo[0] && geo[0].zoom ? geo[0].zoom : 1;
  }

  // A new zoom asks for its clusters when it crosses from countries to places, or changes the
  // grid by half or more; the answer is dropped if another zoom came since.
  function refresh() {
    const zoom = Math.min(64, Math.max(1, zoomOf()));
    const crossed = (zoom >= COUNTRY_ZOOM) !== (requested >= COUNTRY_ZOOM);
    if (!crossed && (zoom < COUNTRY_ZOOM || Math.abs(Math.log(zoom / requested)) < Math.log(1.5))) return;
    requested = zoom;
    const params = new URLSearchParams(window.location.search);
    params.set("zoom", zoom.toFixed(2));
    const asked = zoom;
    fetch(`${element.dataset.api}?${params}`, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((answer) => { if (asked === requested) { data = answer; draw(false); } })
      .catch(() => {});
  }

  chart.on("georoam", () => { clearTimeout(pending); pending = setTimeout(refresh, 250); });
  chart.on("click", (p) => {
    if (p.seriesType === "scatter") {
      const c = p.data.cluster;
      const name = c.country ? (data.countries.find((row) => row.country === c.country) || {}).name : "";
      list(c.by === "country" ? `${name || "Here"}` : `Around here${name ? ` (${name})` : ""}`, c.members);
    } else if (p.componentType === "geo") {
      const row = countryByNumeric()[p.name];
      if (!row) { list("", []); return; }
      const keys = data.features.filter((f) => f.properties.country === row.country).map((f) => f.id);
      list(row.name, keys);
    }
  });
  document.querySelectorAll("[data-map-zoom]").forEach((button) => {
    button.addEventListener("click", () => {
      const how = button.dataset.mapZoom;
      const zoom = how === "reset" ? 1 : Math.min(64, Math.max(1, zoomOf() * (how === "in" ? 2 : 0.5)));
      chart.setOption(how === "reset" ? { geo: { zoom: 1, center: null } } : { geo: { zoom } });
      clearTimeout(pending);
      pending = setTimeout(refresh, 50);
    });
  });

  fetch(script.dataset.world)
    .then((response) => response.json())
    .then((world) => {
      const shapes = topojson.feature(world, world.objects.countries);
      shapes.features = shapes.features.filter((feature) => feature.id !== "010").map(shapesFixed);
      shapes.features.forEach((feature) => {
        feature.properties.iso = feature.id;
        const at = feature.geometry ? centroid(feature.geometry) : null;
        if (at) centroids[feature.id] = at;
      });
      echarts.registerMap("world", shapes);
      draw(true);
      element.dataset.drawn = "true";
    })
    .catch(() => { element.classList.add("chart-failed"); });
})();
