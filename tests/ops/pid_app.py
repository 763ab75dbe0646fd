"""A WSGI app that answers with its worker's pid after a little work (for
tests/ops/test_gunicorn_worker). Django is set up: gunicorn.conf.py's post_worker_init loads
the project's views."""

import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartdiplomacy.settings.test")
django.setup()


def application(environ, start_response):
    busy_until = time.perf_counter() + 0.003  # the GIL held, as a page's rendering holds it
    while time.perf_counter() < busy_until:
        pass
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
