"""First drawn frame and frames per second of the /graph/ map in headless Chromium; ONE JSON line.

    createdb -h 127.0.0.1 -U postgres smartdiplomacy_bench_graph
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/smartdiplomacy_bench_graph
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --stakeholders 20000 --stakes 20000 --ties 100000
    .venv/bin/python manage.py graph_refresh
    .venv/bin/python benchmarks/graph_page.py --loads 3

(and the same with ``--stakeholders 5000 --ties 50000``.) Chromium runs without a GPU
(``--disable-gpu``): WebGL falls back to SwiftShader, a software renderer on the CPU, so the
frame rates here are a floor; any integrated GPU draws 100,000 ties at the display's rate.

Starts the app server (``manage.py runserver --noreload``, the embedded default's server) on
127.0.0.1 against the database in DATABASE_URL, signs in as a cleared benchmark user (the
largest graph anyone sees), then opens /graph/ ``--loads`` times in Debian's Chromium and measures
from navigation to ``body[data-graph-ready=true]``, which static/js/graph.js sets once the API's
graph is drawn and laid out (the first frame of the whole graph). Then pans and zooms the camera
with camera animations (as the wheel and drags do) for ``--seconds`` and counts the frames
sigma.js drew (its ``afterRender`` events): the frames per second while panning and zooming.
Also opens the outcome view and a 2-hop ego view once each; the ego view's frame rate, drawn
by the same code in the same run, is the reference the whole graph's is compared with. Load
average before and after. Never collected as a test.
Beside the figures, a **reference** measured in the same browser and server in the same run —
the signed-in home page loaded ``--loads`` times to its ``load`` event — with ``vs_reference``,
the graph page's median as a multiple of the reference's, which compares across machines.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartdiplomacy.settings.local")

import django  # noqa: E402
import psutil  # noqa: E402

django.setup()

from django.contrib.auth.models import Permission  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from accounts.models import User  # noqa: E402
from graph.models import GraphSnapshot  # noqa: E402
from smartdiplomacy.benchmarking import load_average, machine, ratio  # noqa: E402
from stakeholders.models import Outcome, Stakeholder, Tie  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USERNAME = "graph-page-benchmark"
PASSWORD = "graph-page-benchmark-pw"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def benchmark_user() -> None:
    user, _ = User.objects.get_or_create(username=USERNAME)
    user.set_password(PASSWORD)
    user.is_active = True
    user.save()
    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="stakeholders", codename="view_restricted_stakeholder"
        )
    )


def server_start(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("the app server did not start within 60 s")


def time_to_ready(page, url: str) -> tuple[float, str]:
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("body[data-graph-ready=true]", timeout=120_000)
    elapsed = time.perf_counter() - started
    return elapsed, page.inner_text("#graph-status")


def cpu_seconds(processes) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def chromium_processes() -> list:
    return [p for p in psutil.Process().children(recursive=True) if "chrom" in p.name().lower()]


def cpu_of_first_frame(page, url: str, server: subprocess.Popen) -> dict:
    """CPU seconds one load of ``url`` costs the browser (its renderer, GPU process — here
    SwiftShader rasterising — and the rest) and the app server: on a shared machine these move
    far less with the load than the wall-clock time does."""
    page.goto(url.rsplit("/graph/", 1)[0] + "/")  # leave the map, so its process is idle
    time.sleep(0.5)
    processes = chromium_processes()
    gpu = [p for p in processes if "gpu-process" in " ".join(p.cmdline())]
    app = [psutil.Process(server.pid)]
    before = cpu_seconds(processes), cpu_seconds(gpu), cpu_seconds(app)
    time_to_ready(page, url)
    after = cpu_seconds(chromium_processes()), cpu_seconds(gpu), cpu_seconds(app)
    return {
        "browser_cpu_s": round(after[0] - before[0], 2),
        "of_which_gpu_process_cpu_s": round(after[1] - before[1], 2),
        "server_cpu_s": round(after[2] - before[2], 2),
    }


PHASES_JS = """() => {
  const at = (name) => performance.getEntriesByName(name).slice(-1)[0].startTime;
  const nav = performance.getEntriesByType("navigation")[0];
  const api = performance.getEntriesByType("resource")
    .filter((e) => e.name.includes("/api/v1/graph/")).slice(-1)[0];
  return {
    html_ms: Math.round(nav.responseEnd),
    scripts_ms: Math.round(at("graph:fetch") - nav.responseEnd),
    api_ms: Math.round(at("graph:parsed") - at("graph:fetch")),
    draw_ms: Math.round(at("graph:ready") - at("graph:parsed")),
    // Inside the two above: the server's answer (to its first byte), the graph built in
    // graphology, indexed and drawn by sigma (WebGL calls issued), and the wait for the frame
    // to be painted (the software renderer rasterising it).
    api_first_byte_ms: Math.round(api.responseStart - api.startTime),
    build_ms: Math.round(at("graph:built") - at("graph:parsed")),
    render_ms: Math.round(at("graph:labelled") - at("graph:built")),
    paint_ms: Math.round(at("graph:ready") - at("graph:drawn")),
    api_bytes: api.encodedBodySize,
    api_query: api.name.split("?")[1],
  };
}"""


FPS_JS = """async (seconds) => {
  const { renderer } = window.graphExplorer;
  const camera = renderer.getCamera();
  let frames = 0;
  const counted = () => { frames += 1; };
  renderer.on("afterRender", counted);
  const start = performance.now();
  // Pans and zooms as the mouse wheel and drags do: camera animations, one after another.
  let i = 0;
  while (performance.now() - start < seconds * 1000) {
    i += 1;
    await camera.animate({ x: 0.5 + 0.15 * Math.sin(i), y: 0.5 + 0.15 * Math.cos(i),
                           ratio: 0.6 + 0.3 * Math.abs(Math.sin(i / 2)) }, { duration: 400 });
  }
  renderer.off("afterRender", counted);
  return frames / ((performance.now() - start) / 1000);
}"""


HOVER_JS = """async (count) => {
  const explorer = window.graphExplorer;
  const { renderer, graph } = explorer;
  const keys = graph.nodes().sort((a, b) => graph.degree(b) - graph.degree(a)).slice(0, count);
  const painted = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  // From the hover to the frame that shows it (two animation frames: drawn, then painted).
  const time = async (onLayer) => {
    explorer.hoverLayer = onLayer;
    const out = [];
    for (const key of keys) {
      await painted();
      const started = performance.now();
      renderer.emit("enterNode", { node: key });
      await painted();
      out.push(performance.now() - started);
      renderer.emit("leaveNode", { node: key });
      await painted();
    }
    return out;
  };
  const median = (v) => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const layer = await time(true), sigma = await time(false);
  explorer.hoverLayer = true;
  return { hovers: keys.length, layer_ms: Math.round(median(layer)),
           layer_max_ms: Math.round(Math.max(...layer)), sigma_redraw_ms: Math.round(median(sigma)),
           large_nodes: explorer.largeNodes(), drawn: graph.order };
}"""


def summary(values: list[float]) -> dict:
    return {
        "min_s": round(min(values), 3),
        "median_s": round(statistics.median(values), 3),
        "max_s": round(max(values), 3),
    }


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=3, help="Loads of /graph/ to time.")
    parser.add_argument("--seconds", type=float, default=5.0, help="Panning and zooming time.")
    parser.add_argument("--screenshot", help="Save the first view of the whole graph here (PNG).")
    return parser.parse_args()


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def whole_map(page, base: str, server, loads: int):
    """``loads`` first frames of the whole map timed with their phases, then their CPU seconds,
    and what the last one drew."""
    elapsed_each, phases, status = [], [], ""
    for _ in range(loads):
        elapsed, status = time_to_ready(page, f"{base}/graph/")
        elapsed_each.append(elapsed)
        phases.append(page.evaluate(PHASES_JS))
    cpu = [cpu_of_first_frame(page, f"{base}/graph/", server) for _ in range(loads)]
    drawn = page.evaluate(
        "() => ({nodes: window.graphExplorer.graph.order,"
        " edges: window.graphExplorer.graph.size,"
        " labels: window.graphExplorer.labelsShown().size})"
    )
    return elapsed_each, phases, status, cpu, drawn


def hover_figures(page, screenshot: str | None) -> dict:
    """Hovering the 10 best connected actors (overlay against a full redraw, same run); with
    ``screenshot``, the best connected one hovered, saved beside it."""
    hover = page.evaluate(HOVER_JS, 10)
    if screenshot:
        page.evaluate(
            """() => { const { renderer, graph } = window.graphExplorer;
               const key = graph.nodes()
                 .sort((a, b) => graph.degree(b) - graph.degree(a))[0];
               renderer.emit("enterNode", { node: key }); }"""
        )
        page.wait_for_timeout(300)
        page.screenshot(path=screenshot.replace(".png", "-hover.png"))
        page.evaluate("() => window.graphExplorer.renderer.emit('leaveNode', { node: null })")
    return hover


def webgl_renderer(page) -> str:
    return page.evaluate(
        """() => { const gl = document.createElement('canvas').getContext('webgl');
           const info = gl && gl.getExtension('WEBGL_debug_renderer_info');
           return info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : 'unknown'; }"""
    )


def reference_loads(page, base: str, loads: int) -> list[float]:
    """The signed-in home page to its load event, ``loads`` times: the same-run reference."""
    reference = []
    for _ in range(loads):
        started = time.perf_counter()
        page.goto(f"{base}/", wait_until="load")
        reference.append(time.perf_counter() - started)
    return reference


def report(
    args, load_before, renderer, loads, cold_s, cold_phases, hover, cpu, fps, phases, drawn,
    status, outcome_s, outcome_status, ego_s, ego_status, ego_fps, reference,
) -> dict:  # fmt: skip
    """The one JSON line the benchmark prints."""
    return {
        "benchmark": "graph_page",
        "database": connection.vendor,
        "stakeholders": Stakeholder.objects.count(),
        "ties": Tie.objects.count(),
        "server": "manage.py runserver (embedded default settings)",
        # The machine's load while measuring: figures on a busy machine run slower.
        "load_before": load_before,
        "load_after": load_average(),
        **machine(),
        "webgl_renderer": renderer,
        "loads": args.loads,
        # Loads served the kept answer (the usual case: the registry changed less
        # recently than someone of the audience opened the map).
        "first_frame": summary(loads),
        # The one load whose answer the server built (kept answers dropped before it).
        "first_frame_cold_s": round(cold_s, 3),
        "cold_phases_ms": cold_phases,
        # Hovering the 10 best connected actors: painted on the overlay vs sigma redrawing
        # the whole map (the same actors, the same run).
        "hover": hover,
        # CPU seconds per load of the whole map (median of --loads): the figure to compare
        # between runs on a shared machine.
        "first_frame_cpu_median": {
            name: statistics.median(c[name] for c in cpu) for name in cpu[0]
        },
        "fps_panning_zooming": round(fps, 1),
        # Median of each phase: HTML received, scripts run, API answered and parsed,
        # drawn and painted.
        "phases_median_ms": {
            name: statistics.median(p[name] for p in phases)
            for name in phases[0]
            if name != "api_query"
        },
        "drawn": drawn,
        "status": status,
        "outcome_view_s": round(outcome_s, 3),
        "outcome_view_status": outcome_status,
        "ego_2_hops_s": round(ego_s, 3),
        "ego_status": ego_status,
        # Same run, same code, a small graph: the reference for the frame rate above.
        "ego_fps": round(ego_fps, 1),
        "fps_ratio_whole_over_ego": round(fps / ego_fps, 2) if ego_fps else None,
        "reference": {
            "what": "the signed-in home page to its load event, same browser and server",
            **summary(reference),
        },
        "vs_reference": ratio(statistics.median(loads), statistics.median(reference), 1),
    }


def main():
    args = arguments()
    load_before = load_average()
    if not GraphSnapshot.objects.exists():
        raise SystemExit("no graph snapshot: run `manage.py graph_refresh` first")
    benchmark_user()
    outcome = (
        Outcome.objects.filter(title__startswith="Synthetic").order_by("id").first()
        or Outcome.objects.order_by("id").first()
    )
    ego = Tie.objects.order_by("id").values_list("from_stakeholder_id", flat=True).first()
    port = free_port()
    server = server_start(port)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1366, "height": 860}).new_page()
            sign_in(page, base)
            # The first load after the map's kept answers are dropped: the server builds the
            # whole map (graph/api/map_cache.py); the loads after it are served what it kept.
            cache.clear()
            cold_s, _ = time_to_ready(page, f"{base}/graph/")
            cold_phases = page.evaluate(PHASES_JS)
            loads, phases, status, cpu, drawn = whole_map(page, base, server, args.loads)
            if args.screenshot:
                page.screenshot(path=args.screenshot)
            hover = hover_figures(page, args.screenshot)
            fps = page.evaluate(FPS_JS, args.seconds)
            renderer = webgl_renderer(page)
            outcome_s, outcome_status = time_to_ready(
                page, f"{base}/graph/?outcome={outcome.pk}&layout=outcome"
            )
            ego_s, ego_status = time_to_ready(page, f"{base}/graph/?ego={ego}&hops=2")
            ego_fps = page.evaluate(FPS_JS, min(args.seconds, 3.0))
            reference = reference_loads(page, base, args.loads)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        json.dumps(
            report(
                args, load_before, renderer, loads, cold_s, cold_phases, hover, cpu, fps,
                phases, drawn, status, outcome_s, outcome_status, ego_s, ego_status, ego_fps,
                reference,
            )
        )
    )  # fmt: skip


if __name__ == "__main__":
    main()
