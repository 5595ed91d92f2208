# hanbao daemon. Data (SQLite) in the /data volume; or set HANBAO_DATABASE_URL to PostgreSQL.
# Settings, rules and calendar overrides are mounted read-only (README, "Docker"):
#   docker build -t hanbao .
#   docker run -d --name hanbao -v hanbao-data:/data \
#     -v /etc/hanbao:/etc/hanbao:ro -e HANBAO_CONFIG=/etc/hanbao/hanbao.yaml \
#     --env-file /etc/hanbao/env -p 127.0.0.1:9464:9464 hanbao
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HANBAO_CONFIG=/app/config/hanbao.yaml \
    HANBAO_DATABASE_URL=sqlite:////data/hanbao.sqlite3 \
    HANBAO_HTTP_HOST=0.0.0.0 \
    HANBAO_HTTP_PORT=9464 \
    HANBAO_BEHIND_TLS_PROXY=true
# 0.0.0.0 is how a published port reaches the container. The host publishes it on 127.0.0.1,
# for the TLS reverse proxy in front (HANBAO_BEHIND_TLS_PROXY=true says so) and for Prometheus.

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin hanbao \
    && mkdir /data && chown hanbao:hanbao /data

WORKDIR /app
# dependencies first, so code changes do not reinstall them
COPY pyproject.toml README.md ./
RUN mkdir scheduler jobs && touch scheduler/__init__.py jobs/__init__.py \
    && pip install . && pip uninstall -y hanbao && rm -rf scheduler jobs build *.egg-info
COPY scheduler ./scheduler
COPY jobs ./jobs
COPY templates ./templates
COPY config ./config
# editable: the code finds templates/ and config/ beside it in /app
RUN pip install --no-deps -e . && rm -rf build

USER hanbao
VOLUME ["/data"]
EXPOSE 9464
# the shell form, so that the check follows HANBAO_HTTP_PORT given at `docker run`
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:${HANBAO_HTTP_PORT}/healthz', timeout=4).status != 200)"
CMD ["sh", "-c", "hanbao init && exec hanbao run"]
