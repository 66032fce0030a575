# Helpers for the healthproxy integration tests (bash): the stand-in app, healthproxy on free loopback
# ports, bounded polling, and the Go test tools (promtool, toxiproxy). Source after testlib.sh (and
# postgres.sh when a database is needed). Every network call here goes to 127.0.0.1 only.
HP_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
APP_PY="$HP_LIB_DIR/../app/todo_app.py"
TOOLS="$HP_LIB_DIR/../tools"
PY=/usr/bin/python3  # Debian's: it has fastapi, uvicorn, websockets, psycopg2
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the source tree

admin_url() { echo "http://127.0.0.1:$HP_ADMIN$1"; }
proxy_url() { echo "http://127.0.0.1:$HP_PORT$1"; }

# status_field PATH: one field of healthproxy's /status JSON, e.g. status_field database.reason.
status_field() {
  curl -s -m 2 "$(admin_url /status)" | $PY -c '
import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d[k]
print("null" if d is None else (str(d).lower() if isinstance(d, bool) else d))' "$1" 2>/dev/null
}
status_is() { [[ $(status_field "$1") == "$2" ]]; }

# app_start [DATABASE_URL]: the stand-in app on a free port; sets APP_PORT, APP_PID.
app_start() {
  APP_PORT=$(free_port)
  DATABASE_URL=${1:-$(pg_url)} $PY "$APP_PY" --port "$APP_PORT" >>"$WORK/app.log" 2>&1 &
  APP_PID=$!
  defer "kill -9 $APP_PID 2>/dev/null"
  wait_until 20000 is_code 200 "http://127.0.0.1:$APP_PORT/health" || { echo "the app did not start"; cat "$WORK/app.log"; return 1; }
}

# hp_start NAME [FLAGS...]: healthproxy on free loopback ports, logging to $WORK/hp-NAME.log; waits
# for /startupz. Sets HP_PID, HP_PORT, HP_ADMIN, HP_LOG. The database URL comes from DATABASE_URL
# (export it, or pass it as VAR=value before the call). HP_WRAP (an array) runs it under a wrapper;
# HP_START_MS (default 5000) bounds the wait, for a slow one such as valgrind.
hp_start() {
  local name=$1; shift
  HP_PORT=$(free_port)
  HP_ADMIN=$(free_port)
  while [[ $HP_ADMIN == "$HP_PORT" ]]; do HP_ADMIN=$(free_port); done
  HP_LOG="$WORK/hp-$name.log"
  "${HP_WRAP[@]}" "$HEALTHPROXY" --listen "127.0.0.1:$HP_PORT" --admin "127.0.0.1:$HP_ADMIN" "$@" >"$HP_LOG" 2>&1 &
  HP_PID=$!
  defer "kill -9 $HP_PID 2>/dev/null"
  if ! wait_until "${HP_START_MS:-5000}" is_code 200 "$(admin_url /startupz)"; then
    echo "healthproxy ($name) did not start:"; cat "$HP_LOG"; return 1
  fi
}
HP_WRAP=()

# hp_stop: SIGTERM and wait (bounded) for the current healthproxy.
hp_stop() {
  kill -TERM "$HP_PID" 2>/dev/null
  local i
  for ((i = 0; i < 100; i++)); do kill -0 "$HP_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$HP_PID" 2>/dev/null
  wait "$HP_PID" 2>/dev/null
}

# check_no_secrets LABEL SECRET...: the current healthproxy's log, /metrics and /status never contain
# any of the secrets (the password, raw and percent-encoded, and the whole URL).
check_no_secrets() {
  local label=$1; shift
  curl -s -m 2 "$(admin_url /metrics)" >"$WORK/secrets-metrics" 2>&1
  curl -s -m 2 "$(admin_url /status)" >"$WORK/secrets-status" 2>&1
  local s f bad=()
  for s in "$@"; do
    [[ -z $s ]] && continue
    for f in "$HP_LOG" "$WORK/secrets-metrics" "$WORK/secrets-status"; do
      grep -qF -- "$s" "$f" && bad+=("$(basename "$f") contains a secret: $(grep -F -- "$s" "$f" | head -1 | cut -c1-200)")
    done
  done
  if ((${#bad[@]})); then fail "$label: no secret in the log, /metrics or /status" "${bad[@]}"
  else pass "$label: no secret in the log, /metrics or /status"; fi
}

# ---- Go test tools: installed on first use with `go install` (GOBIN, default ~/go/bin) ----
go_cmd() { command -v go 2>/dev/null || { [[ -x /usr/local/go/bin/go ]] && echo /usr/local/go/bin/go; }; }
go_bin_dir() {
  local go; go=$(go_cmd) || return 1
  local d; d=$("$go" env GOBIN); [[ -n $d ]] || d="$("$go" env GOPATH)/bin"
  echo "$d"
}

# ensure_promtool: sets PROMTOOL, installing it when missing.
PROMTOOL_VERSION=${PROMTOOL_VERSION:-v0.316.0}
ensure_promtool() {
  local dir; dir=$(go_bin_dir 2>/dev/null)
  PROMTOOL=$(command -v promtool 2>/dev/null || true)
  [[ -z $PROMTOOL && -n $dir && -x $dir/promtool ]] && PROMTOOL=$dir/promtool
  [[ -n $PROMTOOL ]] && return 0
  local go; go=$(go_cmd) || { echo "promtool is missing and there is no Go to install it"; return 1; }
  echo "installing promtool $PROMTOOL_VERSION (go install, takes a few minutes the first time)"
  # Bounded below CTest's 300 s: scripts/install-deps.sh is where it belongs. Needs Go >= 1.26.7.
  timeout 240 "$go" install "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_VERSION" || return 1
  PROMTOOL=$dir/promtool
  [[ -x $PROMTOOL ]]
}

# ensure_toxiproxy: sets TOXIPROXY_SERVER, installing it when missing. toxiproxy v2's commands are
# cmd/server and cmd/cli (the module has no cmd/toxiproxy-server), so they are renamed on install.
TOXIPROXY_VERSION=${TOXIPROXY_VERSION:-v2.5.0}
ensure_toxiproxy() {
  local dir; dir=$(go_bin_dir 2>/dev/null)
  TOXIPROXY_SERVER=$(command -v toxiproxy-server 2>/dev/null || true)
  [[ -z $TOXIPROXY_SERVER && -n $dir && -x $dir/toxiproxy-server ]] && TOXIPROXY_SERVER=$dir/toxiproxy-server
  [[ -n $TOXIPROXY_SERVER ]] && return 0
  local go; go=$(go_cmd) || { echo "toxiproxy-server is missing and there is no Go to install it"; return 1; }
  echo "installing toxiproxy $TOXIPROXY_VERSION (go install)"
  local tmp; tmp=$(mktemp -d)
  GOBIN=$tmp timeout 240 "$go" install "github.com/Shopify/toxiproxy/v2/cmd/server@$TOXIPROXY_VERSION" \
    "github.com/Shopify/toxiproxy/v2/cmd/cli@$TOXIPROXY_VERSION" || { rm -rf "$tmp"; return 1; }
  mkdir -p "$dir"
  install -m 755 "$tmp/server" "$dir/toxiproxy-server" && install -m 755 "$tmp/cli" "$dir/toxiproxy-cli"
  rm -rf "$tmp"
  TOXIPROXY_SERVER=$dir/toxiproxy-server
  [[ -x $TOXIPROXY_SERVER ]]
}

# json_field JSON KEY: one top-level field of a JSON object given as text (booleans as true/false).
json_field() {
  $PY -c '
import json, sys
v = json.loads(sys.argv[1]).get(sys.argv[2])
print(json.dumps(v) if isinstance(v, (bool, list, dict)) or v is None else v)' "$1" "$2" 2>/dev/null
}

# metric NAME_WITH_LABELS: the value of one sample in healthproxy's /metrics (empty when absent).
metric() { curl -s -m 2 "$(admin_url /metrics)" | awk -v n="$1" '$1 == n { print $2; exit }'; }

# num_le A B / num_ge A B: numeric comparisons that accept decimals.
num_le() { $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null; }
num_ge() { $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null; }

# check_ctx NAME CONTEXT CMD...: like check, but a failure also prints CONTEXT (e.g. a tool's output).
check_ctx() {
  local name=$1 ctx=$2; shift 2
  if "$@"; then pass "$name"; else fail "$name" "condition failed: $*" "$ctx"; fi
}
