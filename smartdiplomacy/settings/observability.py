"""Logging and error reporting, shared by the settings modules (not a settings module itself).

``logging_config`` builds ``LOGGING``: plain lines for people at a terminal, or one JSON object a
line (python-json-logger) for a log pipeline, with every Django line printed once.
``sentry_init`` turns on Sentry's SDK when a DSN is given, sending no personal data.
"""


def logging_config(*, fmt: str, level: str, requests: bool, tasks: bool) -> dict:
    """``fmt``: "json" or "plain"; ``requests``: one line per request (``smartdiplomacy.request``);
    ``tasks``: one line per task (``smartdiplomacy.task``)."""
    if fmt not in ("json", "plain"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {fmt!r}")
    formatters = {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "forbidden_without_traceback": {"()": "ops.request_log.ForbiddenWithoutTraceback"}
        },
        "formatters": formatters,
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "filters": ["forbidden_without_traceback"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own configuration gives "django" a console handler of its own (in DEBUG)
            # that prints what then propagates to the root's: every line twice. Only the root's.
            "django": {"handlers": [], "level": level, "propagate": True},
            # runserver's request lines: with its own handler, as Django has it, unless JSON.
            **(
                {"django.server": {"handlers": [], "level": level, "propagate": True}}
                if fmt == "json"
                else {}
            ),
            "django.db.backends": {"level": "WARNING"},
            "smartdiplomacy.request": {"level": "INFO" if requests else "WARNING"},
            "smartdiplomacy.task": {"level": "INFO" if tasks else "WARNING"},
            # Celery's "Task … succeeded" says less than smartdiplomacy.task's line; failures are
            # still logged with their traceback (ERROR).
            "celery.app.trace": {"level": "WARNING"},
        },
    }


def sentry_init(*, dsn: str | None, environment: str, traces_sample_rate: float) -> bool:
    """Report errors of web and workers to Sentry when ``dsn`` is set. Do no harm: no personal
    data (``send_default_pii``), no request bodies and no local variables (either could hold a
    restricted actor's name); an event carries the exception, its stack and the URL path."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
    )
    return True
