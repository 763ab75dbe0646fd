"""One log line per request, and ordinary refusals logged as one line instead of a traceback.

``RequestLogMiddleware`` writes to the ``smartdiplomacy.request`` logger (on in production, off in
the local demo where ``runserver`` already prints a line per request): method, path (never the
query string, which may carry what someone searched for), status, duration and the signed-in
user's id. With ``LOG_FORMAT=json`` each is one JSON object a log pipeline can index.
"""

import logging
import time

from django.core.exceptions import PermissionDenied

logger = logging.getLogger("smartdiplomacy.request")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not logger.isEnabledFor(logging.INFO):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        logger.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": user_id,
            },
        )
        return response


class ForbiddenWithoutTraceback(logging.Filter):
    """Django logs every 403 from ``PermissionDenied`` with its traceback ("Forbidden (Permission
    denied): /path" and a dozen lines). A refusal is the app working as meant, so the line stays
    and the traceback goes; any other error keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
