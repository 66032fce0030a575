#pragma once
// initcheck --explain-url NAME: how the driver named by the URL's scheme reads the value, what
// healthproxy's libpq probe would use, and the findings, as one JSON object per value:
//   {"variable", "reader" ("libpq", "libpq key=value", "sqlalchemy+psycopg2", "sqlalchemy+asyncpg", ...),
//    "parsed" (false: the driver rejects the string), "user", "password" ("***" when present, null
//    when absent), "hosts" [..], "ports" [..] (as written; "" = default 5432), "dbname", "params"
//    [[key, value], ..] (secret keywords "***"), "probe" {libpq keyword: value} (secrets "***"),
//    "probe_dropped" [..], "findings" [{"severity", "rule", "message", "hint"}], "verdict" ("ok",
//    "warnings", "error")}
// For operators and for tests/drivers/sqlalchemy_differential.py. `reveal_secrets` (the hidden
// flag --explain-reveal-secrets, tests only) prints user, password and secret keywords as read:
// on stdout only, never in a log line.
#include <string>
#include <string_view>

#include "initcheck/env_source.hpp"
#include "initcheck/exit_code.hpp"

namespace podguard::initcheck {

std::string explain_url(std::string_view variable, std::string_view value, bool reveal_secrets);

// NAME from the environment, or "-": one value per line from stdin (a value with a line break cannot
// be given this way). Exit 0 when no value has an error, 1 otherwise, 64 when NAME is not set.
ExitCode run_explain(const std::string& name, bool reveal_secrets, const EnvLookup& env);

}  // namespace podguard::initcheck
