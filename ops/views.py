from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .selectors import worker_status


@never_cache
def healthz(request):
    """Liveness for load balancers and docker-compose: the database answers; workers reported."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        return JsonResponse({"database": f"error: {error}"}, status=503)
    status = worker_status()
    return JsonResponse(
        {
            "database": database,
            "tasks": status["mode"],
            "workers_alive": status["alive"],
            "workers_last_seen": status["last_seen"].isoformat() if status["last_seen"] else None,
        }
    )
