# Stands in for python:3.12-slim-bookworm (which cannot be pulled here) when the tests build
# images/app/backend.Dockerfile: Debian's python3 with its FastAPI stack installed system-wide, and
# python3-venv for the Dockerfile's virtualenv. Built without a context:
#   docker build -t podguard-test/python-fastapi:bookworm - <tests/app/python-base.Dockerfile
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN set -eux; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
      python3 python3-venv python3-fastapi python3-uvicorn python3-websockets \
      python3-sqlalchemy python3-psycopg2 python3-pydantic; \
    rm -rf /var/lib/apt/lists/*
