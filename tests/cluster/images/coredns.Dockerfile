# CoreDNS v1.12.4 built by tests/cluster/build-bins.sh (the context is the directory holding the binary).
# Runs as root with only NET_BIND_SERVICE (manifests/coredns.yaml): it binds port 53.
FROM scratch
COPY coredns /coredns
ENTRYPOINT ["/coredns"]
