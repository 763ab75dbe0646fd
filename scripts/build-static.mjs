// Copy the browser builds of our npm dependencies into static/vendor/ for Django's staticfiles.
import { copyFileSync, mkdirSync, existsSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const root = dirname(dirname(new URL(import.meta.url).pathname));
const out = join(root, "static", "vendor");
mkdirSync(out, { recursive: true });

const files = {
  "cytoscape.min.js": "cytoscape/dist/cytoscape.min.js",
  "layout-base.js": "layout-base/layout-base.js",
  "cose-base.js": "cose-base/cose-base.js",
  "cytoscape-fcose.js": "cytoscape-fcose/cytoscape-fcose.js",
  // Charts of the index (and the map of countries: world-atlas's shapes, read by topojson-client).
  "echarts.min.js": "echarts/dist/echarts.min.js",
  "topojson-client.min.js": "topojson-client/dist/topojson-client.min.js",
  "countries-110m.json": "world-atlas/countries-110m.json",
  // Type-ahead pickers for every stakeholder, outcome, sector and country field.
  "tom-select.complete.min.js": "tom-select/dist/js/tom-select.complete.min.js",
  "tom-select.complete.min.js.map": "tom-select/dist/js/tom-select.complete.min.js.map",
  "tom-select.default.min.css": "tom-select/dist/css/tom-select.default.min.css",
  // These two name their source maps; collectstatic's manifest (production, Docker) fails without.
  "tom-select.default.min.css.map": "tom-select/dist/css/tom-select.default.min.css.map",
};
for (const [name, spec] of Object.entries(files)) {
  const source = require.resolve(spec);
  if (!existsSync(source)) throw new Error(`missing ${spec}: run npm ci`);
  copyFileSync(source, join(out, name));
  console.log(`static/vendor/${name} <- ${spec}`);
}
// The graph map: sigma.js (WebGL) over a graphology graph, with ForceAtlas2, Noverlap and Louvain.
// They ship as modules only, so esbuild bundles them into one script exposing window.GraphMap.
const esbuild = require("esbuild");
esbuild.buildSync({
  stdin: {
    contents: [
      'import Graph from "graphology";',
      'import Sigma from "sigma";',
      'import forceAtlas2 from "graphology-layout-forceatlas2";',
      'import noverlap from "graphology-layout-noverlap";',
      'import louvain from "graphology-communities-louvain";',
      'import { EdgeLineProgram, EdgeRectangleProgram, NodeCircleProgram, NodePointProgram } from "sigma/rendering";',
      "window.GraphMap = { Graph, Sigma, forceAtlas2, noverlap, louvain, EdgeLineProgram, EdgeRectangleProgram, NodeCircleProgram, NodePointProgram };",
    ].join("\n"),
    resolveDir: root,
    loader: "js",
  },
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2019",
  outfile: join(out, "graph-map.min.js"),
  legalComments: "inline",
});
console.log("static/vendor/graph-map.min.js <- sigma, graphology, forceatlas2, noverlap, louvain");
writeFileSync(join(out, ".built"), new Date().toISOString() + "\n");
