# The stand-in backend (tests/app/todo_app.py) as the pod's app container, for tests/e2e/pod_model.sh.
#   docker build -f tests/e2e/app.Dockerfile -t podguard-e2e/app:test .   (from the repo root)
# Debian's own python3 packages (as tests/app expects), nothing from PyPI. It runs read-only as uid
# 65532: no bytecode is written (Debian ships the packages' .pyc files; the app is a script).
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN set -eux; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
      python3 python3-fastapi python3-uvicorn python3-websockets \
      python3-sqlalchemy python3-psycopg2 python3-pydantic; \
    rm -rf /var/lib/apt/lists/*
COPY tests/app/todo_app.py tests/app/todo_auth.py /app/
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 65532:65532
# 127.0.0.1:8000, as in the chart: only healthproxy, in the same network namespace, reaches it.
ENTRYPOINT ["/usr/bin/python3", "/app/todo_app.py"]
CMD ["--host", "127.0.0.1", "--port", "8000"]
