# Bounded polling on loopback, shared by the tests (tests/lib/testlib.sh sources it) and bench/
# (bench/lib/common.sh sources it): free ports, milliseconds, wait-until, HTTP status codes.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# free_port: a port the kernel just handed out on 127.0.0.1 (free at that moment).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# wait_until TIMEOUT_MS CMD...: runs CMD every 50 ms until it succeeds; false when the time is up.
wait_until() {
  local limit=$1; shift
  local end=$(( $(now_ms) + limit ))
  while :; do
    "$@" && return 0
    (( $(now_ms) >= end )) && return 1
    sleep 0.05
  done
}

# http_code ARGS...: curl's status code (000 when no answer), bounded by CURL_MAX seconds (default 5).
http_code() { curl -s -o /dev/null -m "${CURL_MAX:-5}" -w '%{http_code}' "$@"; }
is_code() { [[ $(http_code "${@:2}") == "$1" ]]; }
