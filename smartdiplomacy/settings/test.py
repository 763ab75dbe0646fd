"""Fast, deterministic settings for the test suite.

Tasks run in process here; the tests that need a real worker (marked ``services``) switch eager
mode off themselves and talk to the broker in CELERY_BROKER_URL.
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", "test-secret-key-not-for-production")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
EMBEDDED_TASKS_IN_THREADS = False  # queued jobs run in place, so tests see their outcome
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
METRICS_TOKEN = "test-metrics-token"
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# Each test process keeps its own cache, whatever CACHE_URL says: the suite runs on several
# processes (pytest-xdist) that share one Redis database with the broker, and a test's
# cache.clear() must not empty another's queues. Tests of the Redis cache set CACHES themselves.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The test process is the only one: caching reads across requests is safe, and tested.
PARTNER_TOKEN_CACHE_SECONDS = 30
SCORES_API_ANSWER_SECONDS = 10

# As in production; tests sign people in as having passed it with tests.conftest.login_verified.
TWO_FACTOR_REQUIRED = True
