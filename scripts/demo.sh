#!/usr/bin/env bash
# The main job: build the static binaries and show initcheck at work on the example env files:
# examples/good.env passes (exit 0), examples/broken.env fails with one line per finding (exit 1),
# exactly as an init container would in a pod. Installs its own dependencies first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset static >/dev/null
cmake --build --preset static -j "$(nproc)" --target initcheck >/dev/null
bin=build/static/initcheck/initcheck
requires=(--require DATABASE_URL=postgres-url --require 'OPENAI_API_KEY=openai-key|ANTHROPIC_API_KEY=anthropic-key'
          --require BETTER_AUTH_SECRET=secret --require BETTER_AUTH_URL=http-url)
tl=$(mktemp)

echo "### initcheck on examples/good.env"
"$bin" --env-file examples/good.env "${requires[@]}" --termination-log "$tl" && echo "-> exit 0: the pod would start"
echo
echo "### initcheck on examples/broken.env"
set +e
"$bin" --env-file examples/broken.env "${requires[@]}" --termination-log "$tl"
rc=$?
set -e
echo "-> exit $rc: the pod would go to CrashLoopBackOff. kubectl describe pod would show this termination message:"
sed 's/^/    /' "$tl"
rm -f "$tl"
[[ $rc -eq 1 ]]
