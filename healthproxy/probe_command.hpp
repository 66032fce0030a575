#pragma once
#include "healthproxy/cli.hpp"

namespace podguard::healthproxy {

// `healthproxy probe http://HOST:PORT/PATH`: GET, exit 0 on a 2xx answer, 1 otherwise (the status or
// the error on stderr). For exec probes and `helm test` in images without a shell or curl.
ExitCode run_probe(const ProbeCommand& command);

}  // namespace podguard::healthproxy
