#pragma once
#include <string>

namespace podguard::initcheck {

// Kubernetes mounts /dev/termination-log (terminationMessagePath) in every container. At the default
// path the message is written only when that file exists, so a run outside Kubernetes never creates
// files under /dev; a path given with --termination-log is created. Failures are reported, not fatal.
bool write_termination_log(const std::string& path, bool create, const std::string& message, std::string& error);

}  // namespace podguard::initcheck
