#pragma once
// --connect: one real connection per postgres-url, with the spec's split between a wrong secret
// (fails the pod) and an unreachable database (a note; the pod starts and healthproxy serves 503s).
#include <chrono>
#include <string>

#include "initcheck/report.hpp"

namespace podguard::initcheck {

void connect_check(const std::string& variable, const std::string& value, std::chrono::milliseconds timeout, Report& report);

}  // namespace podguard::initcheck
