# PostgreSQL 15 from Debian for tests/e2e/pod_model.sh (the registry's postgres image cannot be pulled
# here). Runs as uid 65532 with a read-only root: the data directory and the socket directory are
# tmpfs mounts (docker run --tmpfs), initialised at every start by postgres-entrypoint.sh.
#   docker build -f tests/e2e/postgres.Dockerfile -t podguard-e2e/postgres:test .   (from the repo root)
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN set -eux; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get update; \
    apt-get install -y --no-install-recommends postgresql-common; \
    sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf; \
    apt-get install -y --no-install-recommends postgresql-15; \
    rm -rf /var/lib/apt/lists/*; \
    # initdb and postgres refuse to run as a uid without a passwd entry.
    groupadd -g 65532 pg; \
    useradd -u 65532 -g 65532 -M -d /nonexistent -s /usr/sbin/nologin pg
COPY tests/e2e/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
USER 65532:65532
EXPOSE 5432
ENTRYPOINT ["/bin/sh", "/usr/local/bin/postgres-entrypoint.sh"]
