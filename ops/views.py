import hmac
import os

import prometheus_client
from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import multiprocess

from .broker import broker_status
from .metrics import operations_registry
from .selectors import worker_status


@never_cache
def healthz(request):
    """Liveness for load balancers and docker-compose: the database answers (503 if not); workers
    reported; the broker answers. A broker that is down is reported but is no reason to take web
    out of service: pages do not need it.

    How many tasks wait in each queue is told only to a scraper holding ``METRICS_TOKEN`` (as on
    ``/metrics``): anyone may call this URL, and the depth of a queue moves when someone changes
    restricted records (their refreshes are queued), so it would tell the uncleared that hidden
    work exists.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        return JsonResponse({"database": f"error: {error}"}, status=503)
    status = worker_status()
    broker = broker_status()
    body = {
        "database": database,
        "tasks": status["mode"],
        "workers_alive": status["alive"],
        "workers_last_seen": status["last_seen"].isoformat() if status["last_seen"] else None,
        "broker": broker["broker"],
    }
    if settings.METRICS_TOKEN and _bearer_matches(request):
        body["queues"] = broker["queues"]
    return JsonResponse(body)


def _bearer_matches(request) -> bool:
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.encode(), settings.METRICS_TOKEN.encode()
    )


def _metrics_allowed(request) -> bool:
    if not settings.METRICS_TOKEN:
        raise Http404  # /metrics is off until an operator gives it a token
    return _bearer_matches(request)


@never_cache
def metrics(request):
    """Prometheus metrics, for a scraper holding ``METRICS_TOKEN`` (``Authorization: Bearer …``).

    django-prometheus's request, database and cache metrics (every gunicorn worker's, summed
    through prometheus_client's multiprocess directory when gunicorn set one up), then
    ``ops.metrics``'s tasks, queues and jobs.
    """
    if not _metrics_allowed(request):
        response = HttpResponse(
            "A bearer token is needed.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.REGISTRY
    body = prometheus_client.generate_latest(registry) + prometheus_client.generate_latest(
        operations_registry()
    )
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
