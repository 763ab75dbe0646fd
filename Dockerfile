# syntax=docker/dockerfile:1
#
# One image for every role of the stack: web (gunicorn, the default CMD), Celery worker, Celery
# beat and the one-shot migrate job; docker-compose.yml picks the command.
#
#   docker build -t smartdiplomacy .
#   docker compose up -d --scale worker=3

# --- Stage 1: vendor assets (Cytoscape.js and friends) from npm -----------------------------------
FROM node:20-slim AS assets
WORKDIR /build
# The lock file alone decides what npm installs; this layer stays cached until it changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# The build step copies files from node_modules into static/vendor/ (see package.json "build").
COPY . .
RUN npm run build && test -d static/vendor

# --- Stage 2: the Python application ----------------------------------------------------------------
# Debian 12 (bookworm): its postgresql-client is 15, the server's version (docker-compose.yml). A
# newer pg_dump writes settings (transaction_timeout in 17) that pg_restore into a 15 server refuses.
FROM python:3.11-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PORT=8000

WORKDIR /app

# pg_dump / pg_restore for `manage.py backup` and `restore` (the compose service "backup").
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# Every dependency, direct or not, at the exact version of the lock (wheels exist for all of them
# on linux/amd64 and arm64, so no compiler is needed).
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY . .
COPY --from=assets /build/static/vendor ./static/vendor

# Static files are collected into the image once, at build time, hashed and compressed for
# whitenoise. The key and hosts below exist only for this one command: they are not ENV, so the
# running container has no secret unless the deployment gives it one.
RUN DJANGO_SETTINGS_MODULE=smartdiplomacy.settings.production \
    SECRET_KEY=build-only-collectstatic-key-never-used-at-runtime-0123456789abcdef \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && python -m compileall -q /app

# The overlap job's compiled kernels (Numba) built into the image, so that no worker spends its
# first seconds compiling them; the cache is keyed on the source, which the image fixes.
ENV NUMBA_CACHE_DIR=/app/.numba-cache
RUN python -c "from partnerships.overlap.kernels import kernels_warm; print(kernels_warm())" \
    && chmod -R a+rX /app/.numba-cache

# The code stays owned by root and read-only to the process; the app user may write only /app/data
# (an optional SQLite file or imports), /app/backups (the backup volume starts as this directory)
# and /tmp (the beat schedule, gunicorn's metrics).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /app/data/media /app/backups \
    && chown -R app:app /app/data /app/backups
USER app:app

ENV DJANGO_SETTINGS_MODULE=smartdiplomacy.settings.production

EXPOSE 8000
CMD ["gunicorn", "smartdiplomacy.wsgi:application", "-c", "gunicorn.conf.py"]
