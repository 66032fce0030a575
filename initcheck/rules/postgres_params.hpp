#pragma once
#include "common/conninfo.hpp"
#include "common/finding.hpp"

namespace podguard::initcheck {

// Query parameters (and key=value keywords) checked against the driver that reads them.
void check_driver_params(const ConnInfo& info, Findings& out);

}  // namespace podguard::initcheck
