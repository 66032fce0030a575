# tests/lib/image_build.sh: builds of images/Dockerfile take turns. Source it, then build with
#   timeout SECONDS flock "$IMAGE_BUILD_LOCK" docker build -f images/Dockerfile ...
# Why: Debian's Docker Engine 20.10 builds with the legacy builder, which does not share a step that
# two builds run at the same time. scripts/test.sh starts the cluster stage's image builds in the
# background while the image tests build the same Dockerfile, and each compiled the trimmed OpenSSL
# and podguard, side by side on the same two cores. Holding one lock, the build that comes second
# waits and then finds every layer in Docker's cache (the same Dockerfile and the same context
# files: the repo root, or a snapshot of it).
# The lock is an flock(1) on PODGUARD_IMAGE_LOCK (default /tmp/podguard-images-dockerfile.lock),
# released when the build exits, however it exits. Waiting counts against the caller's timeout.
IMAGE_BUILD_LOCK=${PODGUARD_IMAGE_LOCK:-/tmp/podguard-images-dockerfile.lock}
