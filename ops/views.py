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
    reported; the broker answers and how many tasks wait in each queue. A broker that is down is
    reported but is no reason to take web out of service: pages do not need it."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        return JsonResponse({"database": f"error: {error}"}, status=503)
    status = worker_status()
    broker = broker_status()
    return JsonResponse(
        {
            "database": database,
            "tasks": status["mode"],
            "workers_alive": status["alive"],
            "workers_last_seen": status["last_seen"].isoformat() if status["last_seen"] else None,
            "broker": broker["broker"],
            "queues": broker["queues"],
        }
    )


def _metrics_allowed(request) -> bool:
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404  # /metrics is off until an operator gives it a token
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), expected.encode())


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
