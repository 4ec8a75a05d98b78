# Steward's production image: the wheel alone, run by a non-root user.
# The build steps are the ones CI runs in .ci/wheel-smoke on every change (this machine has no Docker engine):
#   1. `pip wheel --no-deps` of the checkout's tracked files (.dockerignore keeps the rest out)
#   2. `pip install` of that wheel alone into a fresh Python environment
# Build: docker build -t steward .        Run: see compose.yaml and the README's "Production".

FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN python -m pip wheel --no-cache-dir -q --no-deps -w /dist .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8080 \
    LOG_FORMAT=json \
    STEWARD_DATA_DIR=/var/lib/steward
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/steward --create-home steward
COPY --from=build /dist/ /tmp/dist/
RUN python -m pip install /tmp/dist/steward-*.whl && rm -rf /tmp/dist
USER steward
WORKDIR /var/lib/steward
EXPOSE 8080
# /healthz answers 200 when the database and Slack's socket are up, 503 otherwise.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"]
# SIGTERM: Steward stops taking envelopes, finishes or releases what it claimed, and exits 0 (STEWARD_SHUTDOWN_SECONDS).
STOPSIGNAL SIGTERM
CMD ["steward", "run"]
