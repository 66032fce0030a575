# The Todo chatbot's FastAPI backend, for the todo-chatbot chart (healthproxy in front of it).
# Goes in the app's repository as backend/Dockerfile, next to requirements.txt and the app package;
# copy backend.dockerignore to backend/.dockerignore too (it keeps .env files out of the image).
#
#   docker build -t todo-chatbot/backend:1.0.0 backend/
#
# Build arguments:
#   PYTHON_IMAGE  the base of both stages (python:3.12-slim-bookworm); pin a digest in CI
#   VENV_OPTIONS  extra `python3 -m venv` options (none); podguard's own test passes
#                 --system-site-packages to build offline on Debian's python3 packages
#
# Stages: `build` makes a virtualenv from requirements.txt and byte-compiles the app; `runtime` is a
# fresh base with only the virtualenv and the app: no pip cache, no compilers, no build files.
# The reasons for each choice are in images/app/README.md.

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

# ---------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ARG VENV_OPTIONS=""
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN python3 -m venv ${VENV_OPTIONS} /opt/venv \
 && /opt/venv/bin/pip install -r requirements.txt
COPY . .
# Byte-compiled here, because the pod's root file system is read-only: Python cannot write
# __pycache__ at run time.
RUN /opt/venv/bin/python -m compileall -q /app \
 && rm -f requirements.txt Dockerfile .dockerignore

# ---------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="todo-chatbot backend" \
      org.opencontainers.image.description="FastAPI + uvicorn behind podguard's healthproxy"
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
# UVICORN_HOST/UVICORN_PORT instead of --host/--port, so that `docker run -e UVICORN_HOST=0.0.0.0`
# can open the app up when it runs alone; in the pod it listens on loopback only, and everything
# reaches it through healthproxy.
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UVICORN_HOST=127.0.0.1 UVICORN_PORT=8000
# Numeric, so that Kubernetes' runAsNonRoot can verify it (a name cannot be checked); the chart's
# backend.runAsUser is 1000 too. The files stay root-owned: the app cannot modify its own code.
USER 1000:1000
EXPOSE 8000
# uvicorn is PID 1 (exec form, no shell in between), so it gets the kubelet's SIGTERM itself: it
# stops accepting, finishes the requests in flight and exits 0. `python -m uvicorn` rather than the
# `uvicorn` script: the same command whichever way the virtualenv got its packages.
STOPSIGNAL SIGTERM
# --proxy-headers --forwarded-allow-ips 127.0.0.1: X-Forwarded-For/-Proto are believed only from
#   healthproxy (same pod, loopback): the client address and the https scheme are right in logs and
#   redirects, and no client can forge them.
# --timeout-keep-alive 75: longer than healthproxy's upstream idle timeout (a few seconds; at most
#   60 s in any setting we document), so healthproxy always closes an idle pooled connection first.
#   The other way round (uvicorn's 5 s default racing a proxy that reuses a connection at 5 s) the
#   app closes a connection just as a request goes out on it, and the client gets a 502.
ENTRYPOINT ["/opt/venv/bin/python", "-m", "uvicorn", "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1", "--timeout-keep-alive", "75"]
CMD ["app.main:app"]
