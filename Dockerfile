# syntax=docker/dockerfile:1
# tradeloop in one image: the web app and API (`tradeloop serve`, the default command) and
# the bot supervisor (`tradeloop bots run`). compose.yaml runs both beside PostgreSQL; the
# README's "Run in production" says how. Needs BuildKit (the default since Docker 23).

# 1. the package and every dependency as wheels (all of them ship manylinux wheels for
#    CPython 3.11: no compiler needed)
FROM python:3.11-slim AS wheels
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY migrations ./migrations
RUN pip wheel --wheel-dir /wheels ".[postgres]"

# 2. the runtime: those wheels installed, no build tools, no dev extras, a non-root user
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    TRADELOOP_DATA_DIR=/data \
    TRADELOOP_WEB_PORT=8000 \
    TRADELOOP_WEB_WORKERS=2
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links /wheels "tradeloop[postgres]"
RUN groupadd --gid 10001 tradeloop \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /data \
        --shell /usr/sbin/nologin tradeloop \
    && mkdir /data && chown 10001:10001 /data && chmod 0700 /data
COPY --chmod=0755 deploy/entrypoint.sh /usr/local/bin/tradeloop-entrypoint
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
# slim has no curl: python's urllib asks /api/health (503 when the database does not answer)
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/health' % os.environ.get('TRADELOOP_WEB_PORT', '8000'), timeout=4)"
ENTRYPOINT ["tradeloop-entrypoint"]
CMD ["serve"]
