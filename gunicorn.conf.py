"""Gunicorn settings, every one overridable from the environment.

Used by the Docker image and docker-compose (``gunicorn smartdiplomacy.wsgi:application -c
gunicorn.conf.py``). TLS ends at the proxy in front; gunicorn speaks plain HTTP behind it.
"""

import multiprocessing
import os


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "")
    return value if value.strip() else default


def _env_int(name: str, default: int) -> int:
    value = _env(name, str(default))
    try:
        return int(value)
    except ValueError as error:
        raise ValueError(f"{name} must be an integer, not {value!r}") from error


def _default_workers() -> int:
    # One process per core (at least 2, at most 8) of one thread each: the API's work is Python on
    # the CPU, and more processes or threads than cores only queue for the GIL and the cores.
    # Measured with benchmarks/scores_api_load.py on 2 cores, 32 partner clients, 2026-11-26:
    # 2 x 1 served 742-864 requests/s at p95 55-70 ms, 3 x 1 628-833 at 69-88 ms, 2 x 2 598-752
    # at 76-88 ms (a second thread waits for the GIL behind the first). Slow clients are no
    # reason for threads here: the TLS proxy in front buffers requests and responses.
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = multiprocessing.cpu_count()
    return max(2, min(cores, 8))


# --- Socket ---------------------------------------------------------------------------------------
# GUNICORN_BIND wins (e.g. "unix:/run/gunicorn.sock"); otherwise PORT (as set by many PaaS).
bind = [_env("GUNICORN_BIND", f"0.0.0.0:{_env('PORT', '8000')}")]
backlog = _env_int("GUNICORN_BACKLOG", 2048)

# --- Workers --------------------------------------------------------------------------------------
# GUNICORN_WORKER_CLASS may name another for measurements. Measured 2026-12-04 with
# benchmarks/scores_api_load.py (32 clients, 2 workers of 1 thread, 2 cores), which now prints
# ``worker_cpu_shares``: a gthread worker's main thread accepts connections while its request
# thread is busy and then serves every request of those kept-alive connections, so in 3 runs of
# 9 one worker took all 32 clients ([1.0, 0.0], 233-377 requests/s) while the other idled. Sync
# workers always shared the work ([0.5, 0.5]) but served fewer requests (360-515/s against
# 485-641 for gthread, alternating runs at load 1.6-2.2): each waits, after every response, for
# the client to close (gunicorn's graceful close). A gthread worker that stops accepting while
# busy shares the connections but starved 26 of 32 clients for the whole run behind the
# kept-alive six. Kept: gthread, made to share the clients (smartdiplomacy/gunicorn_worker.py).
worker_class = _env("GUNICORN_WORKER_CLASS", "smartdiplomacy.gunicorn_worker.BalancedThreadWorker")
workers = _env_int("GUNICORN_WORKERS", _env_int("WEB_CONCURRENCY", _default_workers()))
threads = _env_int("GUNICORN_THREADS", 1)
# GUNICORN_WORKER_CONNECTIONS caps the connections a worker holds (gunicorn's default, 1000,
# kept). A cap makes the workers share the clients, since a full worker stops accepting and
# closes kept-alive connections above it, but the churn costs: at 17 (32 clients, 2 workers of 1
# thread, 2026-12-04 near midnight, load 0.4-2.1) shares were [0.5, 0.5] and p95 92.1 / 81.8 ms at
# 505 / 620 requests/s, against [1.0, 0.0] and 121.3 / 101.1 ms at 312 / 422 requests/s
# uncapped in alternating runs; balanced uncapped runs reach 62-66 ms at about 700/s. And with
# more clients than the cap allows, the clients beyond it wait for a free slot.
worker_connections = _env_int("GUNICORN_WORKER_CONNECTIONS", 1000)
# Recycle workers now and then so a slow leak never grows unbounded; jitter avoids all restarting
# at once. Not too often: a new worker imports Django, numpy, scipy and networkx again, and at
# partner polling rates a worker recycled every 1,000 requests restarted every few seconds (p95
# 141 ms against 72 ms with 20,000).
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 2000)

# --- Timeouts -------------------------------------------------------------------------------------
# Long jobs (overlap runs, imports) go to Celery, so a request that takes longer than this is a bug.
timeout = _env_int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)

# --- Proxy ----------------------------------------------------------------------------------------
# Which peers gunicorn believes about the scheme (X-Forwarded-Proto sets wsgi.url_scheme).
# The default trusts only the local host; behind a proxy in another container or machine, set
# FORWARDED_ALLOW_IPS to its address, or "*" when only the proxy can reach this port (as
# docker-compose.yml does). Django reads X-Forwarded-Proto itself through SECURE_PROXY_SSL_HEADER,
# so the proxy must always overwrite that header.
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# --- Logging --------------------------------------------------------------------------------------
# The app itself logs one line per request with its duration and user id (ops.request_log), so
# gunicorn's access log is off unless GUNICORN_ACCESS_LOG names a file or "-" (stdout).
accesslog = _env("GUNICORN_ACCESS_LOG", "") or None
# Builds a request's access-log fields only when accesslog is set (see the class).
logger_class = "smartdiplomacy.gunicorn_worker.AccessLogWhenAsked"
errorlog = _env("GUNICORN_ERROR_LOG", "-")  # "-" is stderr
loglevel = _env("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
# Gunicorn's own lines in the app's format: JSON objects unless LOG_FORMAT=plain.
if _env("LOG_FORMAT", "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",  # ISO 8601, UTC
            }
        },
        "handlers": {
            "error_console": {"class": "logging.StreamHandler", "formatter": "json"},
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["error_console"], "level": loglevel.upper(),
                               "propagate": False},
            # With a logconfig_dict gunicorn logs access whatever accesslog says: silence it
            # unless GUNICORN_ACCESS_LOG asked for it.
            "gunicorn.access": {"handlers": ["console"] if accesslog else [],
                                "level": "INFO" if accesslog else "CRITICAL",
                                "propagate": False},
        },
    }  # fmt: skip

# --- Misc -----------------------------------------------------------------------------------------
# /dev/shm is RAM-backed, so the heartbeat files of workers never block on a slow disk (a known
# gunicorn issue inside containers). Fall back to the default where it does not exist.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
# gunicorn >= 25.1 opens a control socket for `gunicornc`, by default at ~/.gunicorn/gunicorn.ctl:
# shared by every gunicorn of the same user and unwritable for the image's user. Containers are
# managed through Docker instead, so it stays off unless GUNICORN_CONTROL_SOCKET names a path.
# (Older gunicorns ignore both names.)
_control_socket = _env("GUNICORN_CONTROL_SOCKET", "")
if _control_socket:
    control_socket = _control_socket
control_socket_disable = not _control_socket
# Load the app in each worker (not the master), so a fresh DB connection per process is certain.
preload_app = False


def on_starting(server):
    """Give the workers one directory for their Prometheus metrics (prometheus_client's
    multiprocess mode), emptied at every start, so /metrics answers for all of them whichever
    worker serves the scrape. Set here, in the master before any worker forks."""
    import glob
    import tempfile

    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
    if not directory:
        directory = tempfile.mkdtemp(prefix="smartdiplomacy-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        server._metrics_directory_made = directory  # removed again by on_exit
    os.makedirs(directory, exist_ok=True)
    for stale in glob.glob(os.path.join(directory, "*.db")):  # only prometheus_client's files
        os.remove(stale)


def on_exit(server):
    directory = getattr(server, "_metrics_directory_made", None)
    if directory:
        import shutil

        shutil.rmtree(directory, ignore_errors=True)


def child_exit(server, worker):
    """A recycled or killed worker's live gauges are dropped (its counters stay in the sums), and
    its share of the connections is forgotten (``smartdiplomacy.gunicorn_worker``)."""
    from prometheus_client import multiprocess

    from smartdiplomacy.gunicorn_worker import release

    multiprocess.mark_process_dead(worker.pid)
    release(worker.pid)


def post_worker_init(worker):
    """Import every view now, then take what is loaded out of the garbage collector's sight.

    Django imports the views at the first request; numpy, scipy, networkx and Django leave some
    200,000 long-lived objects that each full collection walks again: measured at 95 ms, a pause
    every few thousand requests that every request in flight waits out. ``gc.freeze`` moves them
    to a generation the collector never scans (they live as long as the worker anyway): a full
    collection then takes about 11 ms.
    """
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    gc.freeze()
