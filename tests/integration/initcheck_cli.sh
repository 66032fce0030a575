#!/usr/bin/env bash
# initcheck end to end, without a database: exit codes, one line per finding, the termination log,
# JSON logs, --env-file, and that no value ever reaches the output.
source "$(dirname "$0")/../lib/testlib.sh"
EXAMPLES="$(dirname "$0")/../../examples"

run_capture "$WORK/out" "$INITCHECK"
expect_rc "no --require is a usage error" 64 "$WORK/out"
run_capture "$WORK/out" "$INITCHECK" --require DATABASE_URL=postgres
expect_rc "an unknown kind is a usage error" 64 "$WORK/out"
expect_in "the usage error names the kind" "unknown kind 'postgres'" "$WORK/out"
run_capture "$WORK/out" "$INITCHECK" --require A=secret --bogus
expect_rc "an unknown flag is a usage error" 64 "$WORK/out"
run_capture "$WORK/out" "$INITCHECK" --help
expect_rc "--help" 0 "$WORK/out"
expect_in "--help lists the kinds" "postgres-url | openai-key | anthropic-key | secret | nonempty | http-url" "$WORK/out"

# The seed stack's good configuration.
run_capture "$WORK/out" "$INITCHECK" --env-file "$EXAMPLES/good.env" --termination-log "$WORK/tl" \
  --require DATABASE_URL=postgres-url --require 'OPENAI_API_KEY=openai-key|ANTHROPIC_API_KEY=anthropic-key' \
  --require BETTER_AUTH_SECRET=secret --require BETTER_AUTH_URL=http-url
expect_rc "examples/good.env passes" 0 "$WORK/out"
expect_in "summary line" "configuration accepted: 4 variables checked, 0 errors" "$WORK/out"

# Every classic mistake at once.
run_capture "$WORK/out" "$INITCHECK" --env-file "$EXAMPLES/broken.env" --termination-log "$WORK/tl" \
  --require DATABASE_URL=postgres-url --require OPENAI_API_KEY=openai-key --require ANTHROPIC_API_KEY=anthropic-key \
  --require BETTER_AUTH_SECRET=secret --require BETTER_AUTH_URL=http-url --require MISSING_VAR=nonempty
expect_rc "examples/broken.env fails" 1 "$WORK/out"
for rule in postgres-url.password-at-sign postgres-url.asyncpg-sslmode api-key.header-prefix anthropic-key.openai-key \
            secret.too-short value.quoted value.missing env-file.duplicate; do
  expect_in "finding $rule" "[$rule]" "$WORK/tl"
done
expect_in "the hint for '@' names the escape" "percent-encode '@' in the password as %40" "$WORK/tl"
check "termination log within 4096 bytes" test "$(stat -c %s "$WORK/tl")" -le 4096
# No value from broken.env may appear anywhere: take every value and grep for it.
while IFS='=' read -r key value; do
  [[ -z $key || $key == \#* || -z $value ]] && continue
  value=${value//\"/}
  [[ ${#value} -lt 6 ]] && continue
  for secret_part in "${value:0:12}" "${value: -10}"; do
    if grep -qF -- "$secret_part" "$WORK/out" "$WORK/tl"; then fail "value of $key leaked" "$secret_part"; continue 2; fi
  done
done <"$EXAMPLES/broken.env"
pass "no value from broken.env appears in the log or termination message"

# JSON logs.
run_capture "$WORK/out" env DATABASE_URL='postgresql://u:pw@db:99999/x' "$INITCHECK" --require DATABASE_URL=postgres-url \
  --log-format json --termination-log "$WORK/tl"
expect_rc "a bad port fails" 1 "$WORK/out"
check "every JSON line parses and carries variable/rule/hint" python3 - "$WORK/out" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
found = [l for l in lines if l.get("rule") == "postgres-url.port-range"]
assert found and found[0]["variable"] == "DATABASE_URL" and found[0]["level"] == "error" and found[0]["hint"], lines
PY

# --strict: a warning (localhost) fails only with --strict.
run_capture "$WORK/out" env DATABASE_URL='postgresql://u:pw@localhost:6432/todo' "$INITCHECK" --require DATABASE_URL=postgres-url --termination-log "$WORK/tl"
expect_rc "a localhost warning passes" 0 "$WORK/out"
run_capture "$WORK/out" env DATABASE_URL='postgresql://u:pw@localhost:6432/todo' "$INITCHECK" --require DATABASE_URL=postgres-url --strict --termination-log "$WORK/tl"
expect_rc "the same warning fails under --strict" 1 "$WORK/out"

# The default /dev/termination-log is written only when Kubernetes created it.
if [[ ! -e /dev/termination-log ]]; then
  run_capture "$WORK/out" env A=x "$INITCHECK" --require A=nonempty
  check "no /dev/termination-log is created outside Kubernetes" test ! -e /dev/termination-log
fi

# A trailing newline from `echo` into a Secret.
export NL_SECRET=$'Xk2_vR9-pQ7zL4mN8wT1yU6sA3dF5gH0\n'
run_capture "$WORK/out" "$INITCHECK" --require NL_SECRET=secret --termination-log "$WORK/tl"
expect_rc "a trailing newline fails" 1 "$WORK/out"
expect_in "it is named as echo without -n" "echo without -n" "$WORK/tl"
finish
