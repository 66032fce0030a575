#pragma once
// Redaction: what may be shown of a connection string or a driver message.
#include <string>
#include <string_view>
#include <vector>

namespace podguard {

// postgresql://user:pw@host/db -> postgresql://***@host/db. The whole user info goes: the spec is
// "never print any part of a secret", and a user name is half of a credential. Key=value strings get
// password='***' and user='***'. Anything that is neither a URL nor key=value comes back as "***".
std::string redact_userinfo(std::string_view conninfo);

// Replaces every occurrence of each secret (at least 3 bytes long) in `text` with ***.
// For driver and server messages, which may quote the user name or the host.
std::string scrub(std::string_view text, const std::vector<std::string>& secrets);

}  // namespace podguard
