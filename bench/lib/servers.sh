# bench/lib/servers.sh: the servers of a bench run, each on free loopback ports, each stopped by the
# cleanup trap. Source after common.sh. PostgreSQL comes from tests/lib/postgres.sh (pg_start).
#
#   upstream_start        the one upstream for every path: nginx, 1 worker, static files /1k and /64k
#   proxy_start NAME      the path under test: direct | healthproxy | haproxy | nginx | healthproxy-2t |
#                         healthproxy-copy; PROXY_THREADS (default 1): healthproxy's --threads, HAProxy's
#                         nbthread, the nginx proxy's worker_processes (healthproxy-2t: always 2;
#                         healthproxy-copy: 1 thread, bodies copied, never spliced)
#                         sets PROXY_PORT, PROXY_PID (main process), proxy_pids() (for CPU and RSS)
#   proxy_stop
#   toxiproxy_start       sets TP_API (the API port)

SIZES=(1k 64k)
# Connection limits follow the file-descriptor limit run.sh could set (a container may cap it):
# HAProxy needs about two descriptors per connection (client and server side).
set_fd_limits() {
  FD_LIMIT=$(ulimit -n)
  HAPROXY_MAXCONN=$(( (FD_LIMIT - 200) / 2 ))
  ((HAPROXY_MAXCONN > 12000)) && HAPROXY_MAXCONN=12000
}
declare -A SIZE_BYTES=([1k]=1024 [64k]=65536)
# prepare_run PREFIX KEEP: WORK, a fresh directory /tmp/PREFIX.XXXXXX (removed at exit unless KEEP is
# 1); the descriptor limit raised as far as allowed, the connection limits that follow from it, and
# the CPU pinning (setup_pinning).
prepare_run() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 755 "$WORK"
  [[ $2 == 1 ]] || defer "rm -rf '$WORK'"
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  set_fd_limits
  setup_pinning
}

# nginx_run NAME CONF: nginx in the foreground (master + 1 worker) with its own prefix under $WORK.
# Sets NGINX_PID (the master). The command is prefixed with the pinning for its role.
nginx_run() {
  local name=$1 conf=$2; shift 2
  mkdir -p "$WORK/$name/logs"
  "$@" /usr/sbin/nginx -p "$WORK/$name/" -e "$WORK/$name/logs/error.log" -c "$conf" -g 'daemon off;' \
    >"$WORK/$name/logs/stdout.log" 2>&1 &
  NGINX_PID=$!
}

# Common nginx settings: keep-alive connections stay open for the whole run (nginx 1.22 closes a
# connection after 1000 requests by default, which would make every client reconnect mid-cell).
# worker_connections counts the client and the upstream side of each proxied connection, each one
# descriptor: up to the descriptor limit (FD_LIMIT / 2 cut the SSE cell's 9,800 streams in half).
# nginx_head NAME [WORKERS] [MULTI_ACCEPT]: MULTI_ACCEPT on accepts every pending connection at each pass
# of the event loop (nginx's default, off, accepts one per pass).
nginx_head() {
  local name=$1 workers=${2:-1} multi_accept=${3:-off}
  cat <<CONF
worker_processes $workers;
worker_rlimit_nofile $FD_LIMIT;
pid $WORK/$name/nginx.pid;
error_log $WORK/$name/logs/error.log warn;
events { worker_connections $((FD_LIMIT - 100)); multi_accept $multi_accept; }
http {
  access_log off;
  keepalive_timeout 300s;
  keepalive_requests 100000000;
  client_body_temp_path $WORK/$name/client_body;
  proxy_temp_path $WORK/$name/proxy;
  fastcgi_temp_path $WORK/$name/fastcgi;
  uwsgi_temp_path $WORK/$name/uwsgi;
  scgi_temp_path $WORK/$name/scgi;
CONF
}

# The upstream accepts every pending connection at each pass (multi_accept on). With nginx's default it
# accepted one per pass of a loop that, at 64 KiB and 1,000 connections, takes milliseconds: a proxy
# that opens hundreds of app connections at once (at a run's start: the previous run's wrk closed its
# connections mid-response, and a cut response closes the app's connection too) waited seconds for
# some of them, and wrk counted them as timeouts (bench/results/gaps.md, "Evening of 2026-12-02").
upstream_start() {
  UP_PORT=$(free_port)
  mkdir -p "$WORK/www"
  head -c 1024 /dev/urandom >"$WORK/www/1k"
  head -c 65536 /dev/urandom >"$WORK/www/64k"
  chmod 755 "$WORK/www" && chmod 644 "$WORK/www"/*
  { nginx_head upstream 1 on
    cat <<CONF
  sendfile on;
  tcp_nopush on;
  open_file_cache max=16 inactive=600s;
  open_file_cache_valid 600s;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$UP_PORT backlog=4096;
    root $WORK/www;
    location / { }
  }
}
CONF
  } >"$WORK/upstream.conf"
  nginx_run upstream "$WORK/upstream.conf" "${PIN_LOAD[@]}"
  UP_PID=$NGINX_PID
  defer "stop_family $UP_PID"
  if ! wait_until 5000 is_code 200 "http://127.0.0.1:$UP_PORT/1k"; then
    log "upstream nginx did not start:"; cat "$WORK/upstream/logs/"* >&2; return 1
  fi
  UP_PIDS=$(family "$UP_PID" | tr '\n' ' ')
}

# sse_upstream_start: bench/sse.py's upstream (the SSE cell's app), pinned with the load, on a free port;
# sets SSE_UP_PORT and SSE_UP_PID. It also answers /1k and /64k, the check proxy_start makes. False
# when it does not start.
sse_upstream_start() {
  SSE_UP_PORT=$(free_port)
  "${PIN_LOAD[@]}" "$PY" "$BENCH_DIR/sse.py" upstream --port "$SSE_UP_PORT" >"$WORK/sse-upstream.log" 2>&1 &
  SSE_UP_PID=$!
  defer "stop_pid $SSE_UP_PID"
  wait_until 5000 is_code 200 "http://127.0.0.1:$SSE_UP_PORT/1k" || { log "the SSE upstream did not start"; return 1; }
}
# sse_ramp STREAMS: the seconds over which an sse.py client opens STREAMS streams in ab.sh, per_request.sh
# and sse_bursts.sh: max(2, STREAMS / 1000), about 1,000 new streams a second.
sse_ramp() { echo $(($1 / 1000 > 2 ? $1 / 1000 : 2)); }
# HAProxy's HAPROXY_EXTRA in front of it: HAProxy sends with MSG_MORE while a response is unfinished,
# so a small event waits for the kernel's cork timer (about 200 ms here); its documentation's setting
# for streamed responses.
SSE_HAPROXY_EXTRA="option http-no-delay"

haproxy_conf() {
  cat <<CONF
global
  nbthread ${PROXY_THREADS:-1}
  maxconn $HAPROXY_MAXCONN
  pidfile $WORK/haproxy.pid
defaults
  mode http
  option http-keep-alive
  option forwardfor
  http-reuse always
  maxconn $HAPROXY_MAXCONN
  timeout connect 2s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s
  timeout http-request 10s
  ${HAPROXY_EXTRA:-}
frontend bench
  bind 127.0.0.1:$PROXY_PORT
  # The forwarded fields healthproxy adds (prepare_upstream_request), each only when the client sent none.
  http-request set-header X-Forwarded-Proto http unless { req.hdr(x-forwarded-proto) -m found }
  http-request set-header X-Forwarded-Host %[req.hdr(host)] if { req.hdr(host) -m found } !{ req.hdr(x-forwarded-host) -m found }
  default_backend app
backend app
  server up 127.0.0.1:$UP_PORT
CONF
}

nginx_proxy_conf() {
  nginx_head nginx-proxy "${PROXY_THREADS:-1}"
  cat <<CONF
  # The forwarded fields healthproxy adds (prepare_upstream_request), each only when the client sent none.
  # Unlike healthproxy, nginx counts an empty field as none and keeps only the first of repeated lines;
  # the bench's requests have neither.
  map \$http_x_forwarded_proto \$fwd_proto { "" \$scheme; default \$http_x_forwarded_proto; }
  map \$http_x_forwarded_host \$fwd_host { "" \$http_host; default \$http_x_forwarded_host; }
  upstream app {
    server 127.0.0.1:$UP_PORT;
    # As many idle app connections as healthproxy's pool keeps per thread: with 64, at 1,000 client
    # connections most requests opened a new one (bench/results/gaps.md, "Profiles").
    keepalive 1024;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:$PROXY_PORT backlog=4096;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$fwd_proto;
      proxy_set_header X-Forwarded-Host \$fwd_host;
      # Large enough that a 64 KiB response is buffered in memory, never in a temp file.
      proxy_buffer_size 16k;
      proxy_buffers 8 16k;
      proxy_busy_buffers_size 32k;
    }
  }
}
CONF
}

# hp_run THREADS [FLAGS...]: healthproxy on free ports in front of the upstream, pinned like every
# proxy; its database is $DATABASE_URL. Sets PROXY_PORT, HP_ADMIN, PROXY_PID.
hp_run() {
  local threads=$1; shift
  PROXY_PORT=$(free_port)
  HP_ADMIN=$(free_port)
  while [[ $HP_ADMIN == "$PROXY_PORT" ]]; do HP_ADMIN=$(free_port); done
  HP_LOG="$WORK/healthproxy-$threads-$(date +%s%N).log"
  "${PIN_PROXY[@]}" "$HEALTHPROXY" --listen "127.0.0.1:$PROXY_PORT" --admin "127.0.0.1:$HP_ADMIN" \
    --upstream "127.0.0.1:$UP_PORT" --threads "$threads" --drain-min 0s --drain-max 2s "$@" >"$HP_LOG" 2>&1 &
  PROXY_PID=$!
}

# proxy_start NAME: starts the path under test and waits until it serves (healthproxy: /readyz 200,
# which needs the database UP). False when it does not.
proxy_start() {
  PROXY_NAME=$1 PROXY_PID=
  case $1 in
    direct) PROXY_PORT=$UP_PORT ;;
    healthproxy) hp_run "${PROXY_THREADS:-1}" ;;
    healthproxy-2t) hp_run 2 ;;
    healthproxy-copy) hp_run 1 --splice-min-size 0 ;;
    haproxy)
      PROXY_PORT=$(free_port)
      haproxy_conf >"$WORK/haproxy.cfg"
      "${PIN_PROXY[@]}" /usr/sbin/haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
      PROXY_PID=$! ;;
    nginx)
      PROXY_PORT=$(free_port)
      nginx_proxy_conf >"$WORK/nginx-proxy.conf"
      nginx_run nginx-proxy "$WORK/nginx-proxy.conf" "${PIN_PROXY[@]}"
      PROXY_PID=$NGINX_PID ;;
    *) log "unknown path $1"; return 1 ;;
  esac
  [[ -n $PROXY_PID ]] && defer "stop_family $PROXY_PID"
  local ok=0
  if [[ $1 == healthproxy* ]]; then
    wait_until 15000 is_code 200 "http://127.0.0.1:$HP_ADMIN/readyz" && ok=1
  else
    wait_until 5000 is_code 200 "http://127.0.0.1:$PROXY_PORT/1k" && ok=1
  fi
  if ((ok == 0)); then
    log "$1 did not become ready"
    case $1 in
      healthproxy*) tail -20 "$HP_LOG" >&2 ;;
      haproxy) tail -20 "$WORK/haproxy.log" >&2 ;;
      nginx) cat "$WORK/nginx-proxy/logs/"* >&2 ;;
    esac
    return 1
  fi
  # One request per size through the path: a 200 with the whole body.
  local size got
  for size in "${SIZES[@]}"; do
    got=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$PROXY_PORT/$size")
    [[ $got == "200 ${SIZE_BYTES[$size]}" ]] || { log "$1: GET /$size gave '$got'"; return 1; }
  done
}

# proxy_pids: the processes whose CPU and memory count for the path under test.
proxy_pids() { [[ -n $PROXY_PID ]] && family "$PROXY_PID" | tr '\n' ' '; }

proxy_stop() {
  [[ -n $PROXY_PID ]] || return 0
  stop_family "$PROXY_PID"
  undefer "stop_family $PROXY_PID"
  PROXY_PID=
}

# toxiproxy_start: toxiproxy-server on a free loopback port with one proxy "pg" to PostgreSQL;
# sets TP_API and TP_PORT.
toxiproxy_start() {
  local server
  server=$(command -v toxiproxy-server 2>/dev/null || true)
  if [[ -z $server ]]; then
    local gobin; gobin=$(go env GOBIN 2>/dev/null); [[ -n $gobin ]] || gobin="$(go env GOPATH 2>/dev/null || echo /root/go)/bin"
    [[ -x $gobin/toxiproxy-server ]] && server=$gobin/toxiproxy-server
  fi
  [[ -n $server ]] || { log "toxiproxy-server not found (bash scripts/install-deps.sh --test-tools)"; return 1; }
  TP_API=$(free_port)
  "$server" -host 127.0.0.1 -port "$TP_API" >"$WORK/toxiproxy.log" 2>&1 &
  defer "stop_pid $!"
  wait_until 5000 is_code 200 "http://127.0.0.1:$TP_API/version" || { log "toxiproxy did not start"; return 1; }
  TP_PORT=$(free_port)
  local code
  code=$(curl -s -m 3 -o "$WORK/toxi.out" -w '%{http_code}' -X POST \
    -d "{\"name\":\"pg\",\"listen\":\"127.0.0.1:$TP_PORT\",\"upstream\":\"127.0.0.1:$PG_PORT\"}" "http://127.0.0.1:$TP_API/proxies")
  [[ $code == 201 ]] || { log "toxiproxy: creating the proxy gave $code: $(cat "$WORK/toxi.out")"; return 1; }
}
