# hanbao daemon. Data (SQLite) in the /data volume; or set HANBAO_DATABASE_URL to PostgreSQL.
# Settings, rules and calendar overrides are mounted read-only (README, "Docker"):
#   docker build -t hanbao .                  (buildah/podman: add --format docker, or the
#                                              OCI format drops the HEALTHCHECK)
#   docker run -d --name hanbao --stop-timeout 90 -v hanbao-data:/data \
#     -v /etc/hanbao:/etc/hanbao:ro -e HANBAO_CONFIG=/etc/hanbao/hanbao.yaml \
#     --env-file /etc/hanbao/env -p 127.0.0.1:9464:9464 hanbao
# The base is pinned to Debian 12; pin it by digest at your registry (README, "Docker").
FROM python:3.11-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/hanbao \
    PATH=/opt/hanbao/bin:$PATH
RUN python3 -m venv /opt/hanbao

# the wheel, built from the sources (it carries templates/ and config/); the README is its
# long description, so an edit rebuilds this stage, not the dependencies below
FROM base AS wheel
# the context is what .dockerignore lets in: pyproject.toml, setup.py, MANIFEST.in, README.md,
# requirements.lock, scheduler/, jobs/, templates/, config/
COPY . /src
RUN pip wheel --no-deps --wheel-dir /dist /src

FROM base
ENV HANBAO_CONFIG=/app/config/hanbao.yaml \
    HANBAO_DATABASE_URL=sqlite:////data/hanbao.sqlite3 \
    HANBAO_HTTP_HOST=0.0.0.0 \
    HANBAO_HTTP_PORT=9464 \
    HANBAO_BEHIND_TLS_PROXY=true
# 0.0.0.0 is how a published port reaches the container. The host publishes it on 127.0.0.1,
# for the TLS reverse proxy in front and for Prometheus.

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin hanbao \
    && mkdir /data && chown hanbao:hanbao /data

# the locked dependencies, every file checked against its hash: only a change of the lock
# file reinstalls them (aiosmtpd among them: the SMTP intake of report mail serves with it)
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes --requirement /tmp/requirements.lock \
    && rm /tmp/requirements.lock
# hanbao itself, not editable; the shipped settings in /app/config as a default to start from
COPY --from=wheel /dist /tmp/dist
RUN pip install --no-deps /tmp/dist/hanbao-*.whl && rm -r /tmp/dist \
    && hanbao init --config-dir /app/config

WORKDIR /app
USER hanbao
VOLUME ["/data"]
EXPOSE 9464
# SIGTERM: the daemon finishes the message in flight (up to 60 s) and exits 0; give it that
# time with `docker run --stop-timeout 90` (or `docker stop -t 90`): docker's default is 10 s
STOPSIGNAL SIGTERM
# the shell form, so that the check follows HANBAO_HTTP_PORT given at `docker run`
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:${HANBAO_HTTP_PORT}/healthz', timeout=4).status != 200)"
CMD ["sh", "-c", "hanbao init && exec hanbao run"]
