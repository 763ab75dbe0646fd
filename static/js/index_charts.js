// Charts of the index dashboard (Apache ECharts, from npm; no CDN). The figures come from the
// page (json_script "index-chart-data"); the tables under each chart show the same to anyone
// without JavaScript or with a screen reader.
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  const charts = [];
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));

  // The methodology page: a tornado of how far each weight's ±step moves ranks on average.
  const effects = document.getElementById("sensitivity-chart-data");
  const tornadoElement = document.getElementById("chart-tornado");
  if (effects && tornadoElement) {
    const rows = JSON.parse(effects.textContent).filter((e) => e.down && e.up).reverse();
    const tornado = echarts.init(tornadoElement);
    charts.push(tornado);
    const step = tornadoElement.dataset.step;
    tornado.setOption({
      grid: { left: 200, right: 24, top: 28, bottom: 28 },
      legend: { top: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
        valueFormatter: (v) => `${Math.abs(v).toFixed(2)} places on average` },
      xAxis: { type: "value", axisLabel: { formatter: (v) => Math.abs(v) } },
      yAxis: { type: "category", data: rows.map((e) => e.label), axisLabel: { width: 190, overflow: "truncate" } },
      series: [
        { name: `weight −${step} %`, type: "bar", stack: "move", data: rows.map((e) => -e.down.mean_shift), itemStyle: { color: "#f59e0b" } },
        { name: `weight +${step} %`, type: "bar", stack: "move", data: rows.map((e) => e.up.mean_shift), itemStyle: { color: "#0f766e" } },
      ],
    });
  }

  const source = document.getElementById("index-chart-data");
  if (!source) return;
  const data = JSON.parse(source.textContent);
  const PILLARS = [
    ["digital", "Digital", "#2563eb"],
    ["multi_stakeholder", "Multi-stakeholder", "#0d9488"],
    ["feminist", "Feminist", "#9333ea"],
    ["composite", "Composite", "#1e293b"],
  ];
  function chart(id) {
    const element = document.getElementById(id);
    if (!element) return null;
    const made = echarts.init(element, null, { renderer: "canvas" });
    charts.push(made);
    return made;
  }
  const round = (value) => (value === null || value === undefined ? "no data" : value.toFixed(1));

  // The composite's distribution, in tenths of the scale.
  const histogram = chart("chart-histogram");
  if (histogram) {
    histogram.setOption({
      grid: { left: 36, right: 8, top: 10, bottom: 28 },
      tooltip: { trigger: "axis", formatter: (p) => `${p[0].name}: ${p[0].value} engagement${p[0].value === 1 ? "" : "s"}` },
      xAxis: { type: "category", data: data.histogram.map((b) => `${b.low}–${b.high}`), axisLabel: { fontSize: 10 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: data.histogram.map((b) => b.count), itemStyle: { color: "#475569" } }],
    });
  }

  // Pillars and composite by quarter: lines broken where a quarter had no engagement, the
  // composite's dots sized by how many it had (a one-engagement quarter is a small dot).
  const time = chart("chart-time");
  if (time) {
    const quarters = data.quarters;
    const most = Math.max(1, ...quarters.map((q) => q.count));
    time.setOption({
      grid: { left: 40, right: 16, top: 36, bottom: 40 },
      legend: { top: 0 },
      tooltip: {
        trigger: "axis",
        formatter: (items) => {
          const q = quarters[items[0].dataIndex];
          const lines = items.map((i) => `${i.marker}${i.seriesName}: ${round(i.value)}`);
          return `<strong>${q.quarter}</strong> · ${q.count} engagement${q.count === 1 ? "" : "s"}<br>${lines.join("<br>")}`;
        },
      },
      xAxis: { type: "category", data: quarters.map((q) => q.quarter) },
      yAxis: { type: "value", min: 0, max: 100 },
      series: PILLARS.map(([key, name, colour]) => ({
        type: "line",
        name,
        data: quarters.map((q) => q[key]),
        connectNulls: false,
        lineStyle: { color: colour, width: key === "composite" ? 3 : 1.5, type: key === "composite" ? "solid" : "dashed" },
        itemStyle: { color: colour },
        symbolSize: key === "composite" ? (value, params) => 4 + 14 * Math.sqrt(quarters[params.dataIndex].count / most) : 4,
      })),
    });
  }

  // The world, shaded by each country's average composite.
  const map = chart("chart-map");
  const script = document.getElementById("index-charts-script");
  if (map && script && typeof topojson !== "undefined") {
    fetch(script.dataset.world)
      .then((response) => response.json())
      .then((world) => {
        const shapes = topojson.feature(world, world.objects.countries);
        shapes.features.forEach((feature) => { feature.properties.iso = feature.id; });
        echarts.registerMap("world", shapes);
        const rows = data.countries.filter((c) => c.numeric);
        const byIso = Object.fromEntries(rows.map((c) => [c.numeric, c]));
        map.setOption({
          tooltip: {
            trigger: "item",
            formatter: (p) => {
              const row = byIso[p.name];
              if (!row) return `${p.data ? p.data.label : ""} no scored engagement`;
              return `<strong>${row.name}</strong><br>average composite ${round(row.mean)}<br>${row.count} engagement${row.count === 1 ? "" : "s"}`;
            },
          },
          visualMap: { min: 0, max: 100, left: 8, bottom: 8, calculable: true, text: ["100", "0"], inRange: { color: ["#fde68a", "#0f766e"] } },
          series: [{
            type: "map",
            map: "world",
            nameProperty: "iso",
            roam: true,
            emphasis: { label: { show: false } },
            itemStyle: { areaColor: "#eef0f3", borderColor: "#cbd5e1" },
            data: rows.map((c) => ({ name: c.numeric, value: c.mean, label: c.name })),
          }],
        });
      })
      .catch(() => { map.getDom().classList.add("chart-failed"); });
  }

})();
