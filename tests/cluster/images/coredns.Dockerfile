# CoreDNS v1.12.4 built by tests/cluster/build-bins.sh (the context is the directory holding the binary).
FROM scratch
COPY coredns /coredns
USER 65532:65532
ENTRYPOINT ["/coredns"]
