# The stand-in frontend of tests/cluster (frontend-standin.py), on the backend stand-in's image, which
# already has Debian's python3. uid 1001, as the chart's frontend defaults.
#   docker build -f tests/cluster/images/frontend-standin.Dockerfile -t podguard-cluster/frontend:1 .
ARG BASE=podguard-cluster/backend:1
FROM ${BASE}
COPY tests/cluster/images/frontend-standin.py /app/frontend-standin.py
USER 1001:1001
ENTRYPOINT ["/usr/bin/python3", "/app/frontend-standin.py"]
CMD []
