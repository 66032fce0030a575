# The stand-in frontend (tests/e2e/frontend.py), for the cluster tests: what the Next.js frontend
# does that the deployment depends on, without npm (unreachable here).
#   docker build -f tests/e2e/frontend.Dockerfile -t podguard-e2e/frontend:test .   (from the repo root)
# Debian's python3, standard library only. Runs read-only as uid 1001 (the Next.js example's user),
# listens on $HOSTNAME:$PORT = 0.0.0.0:3000; settings in frontend.py's header.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN set -eux; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get update; \
    apt-get install -y --no-install-recommends python3-minimal libpython3-stdlib; \
    rm -rf /var/lib/apt/lists/*
COPY tests/e2e/frontend.py tests/e2e/frontend_page.html tests/app/todo_auth.py /app/
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOSTNAME=0.0.0.0 PORT=3000 \
    NEXT_PUBLIC_API_URL=http://localhost:8000 BACKEND_URL=http://backend-service:8000
USER 1001:1001
EXPOSE 3000
ENTRYPOINT ["/usr/bin/python3", "/app/frontend.py"]
