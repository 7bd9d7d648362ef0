# syntax=docker/dockerfile:1
# The OpsFlow image: worker (default command), CLI, codec server, migrate+seed job.
#   docker build -t opsflow:local .      (docker compose up --build does this)

# --- build: wheels for opsflow and every runtime dependency (no dev extra) ---
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# A compiler only here, for any dependency without a wheel for this platform; the
# runtime stage never carries it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY opsflow ./opsflow
COPY opsflow_app ./opsflow_app
COPY workflows ./workflows
COPY activities ./activities
RUN pip wheel --wheel-dir /wheels .

# --- runtime ---
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OPSFLOW_DATA_DIR=/var/lib/opsflow
RUN groupadd --system --gid 10001 opsflow \
    && useradd --system --uid 10001 --gid opsflow --no-create-home \
       --home-dir /var/lib/opsflow --shell /usr/sbin/nologin opsflow \
    && install -d -o opsflow -g opsflow /var/lib/opsflow
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels opsflow && rm -rf /wheels
WORKDIR /app
# The entry scripts only; the package itself comes from site-packages (owned by root,
# so the unprivileged user cannot modify the code it runs).
COPY worker.py client.py ./
USER opsflow
# 9464: worker metrics (OPSFLOW_METRICS_PORT); 8081: codec server.
EXPOSE 9464 8081 8080
# worker.py drains on SIGTERM (compose stop_grace_period covers the drain).
STOPSIGNAL SIGTERM
CMD ["python", "worker.py"]
