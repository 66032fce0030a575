#pragma once
#include "initcheck/env_source.hpp"
#include "initcheck/exit_code.hpp"
#include "initcheck/options.hpp"
#include "initcheck/report.hpp"

namespace podguard::initcheck {

// Checks every requirement; fills `report`. Returns usage when --env-file cannot be read.
ExitCode evaluate(const Options& options, const EnvLookup& env, Report& report);

// evaluate(), then the log lines and the termination message; the exit code decides the pod's fate.
ExitCode run(const Options& options, const EnvLookup& env);

}  // namespace podguard::initcheck
