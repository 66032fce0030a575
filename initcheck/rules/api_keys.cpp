// openai-key and anthropic-key: the shapes the providers issue, and the mix-ups people make.
#include <algorithm>
#include <array>

#include "common/ascii.hpp"
#include "initcheck/rules/rules.hpp"

namespace podguard::initcheck {

namespace {

bool key_charset(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char c) { return ascii::is_alnum(c) || c == '-' || c == '_'; });
}

bool starts_with_openai_shape(std::string_view decoded) { return decoded.starts_with("sk-"); }
bool starts_with_anthropic_shape(std::string_view decoded) { return decoded.starts_with("sk-ant-"); }

// Strips a pasted "Bearer " or "x-api-key: " prefix, reporting it.
std::string_view strip_header_prefix(std::string_view v, Findings& out) {
  struct Prefix {
    std::string_view text, shown;
  };
  for (auto [prefix, shown] : {Prefix{"authorization: bearer ", "Authorization: Bearer"}, Prefix{"bearer ", "Bearer"},
                               Prefix{"x-api-key: ", "x-api-key:"}, Prefix{"x-api-key:", "x-api-key:"}}) {
    if (ascii::istarts_with(v, prefix)) {
      add_error(out, "api-key.header-prefix", "starts with an HTTP header prefix ('" + std::string(shown) + "')",
                "store only the key; the SDK adds the header itself");
      return ascii::trim(v.substr(prefix.size()));
    }
  }
  return v;
}

void check_charset_and_length(std::string_view v, std::size_t min_length, std::size_t max_length, const char* provider, Findings& out) {
  if (!key_charset(v))
    add_error(out, "api-key.charset", std::string("contains characters that never appear in ") + provider + " keys",
              "check for a truncated copy, a stray character, or two values pasted together");
  if (v.size() < min_length)
    add_error(out, "api-key.length", std::string("is too short for a ") + provider + " key (a truncated copy?)",
              "copy the whole key again from the provider's console");
  else if (v.size() > max_length)
    add_error(out, "api-key.length", std::string("is too long for a ") + provider + " key (two values pasted together?)",
              "copy the key again, alone");
}

}  // namespace

void check_openai_key(std::string_view value, Findings& out) {
  if (is_base64_of(value, starts_with_openai_shape)) {
    add_error(out, "value.base64", "is a base64-encoded key (encoded twice, or put in stringData already encoded)",
              "in a Secret's data: encode once; in stringData: put the plain key");
    return;
  }
  auto v = strip_header_prefix(value, out);
  if (v.starts_with("sk-ant-")) {
    add_error(out, "openai-key.anthropic-key", "holds an Anthropic key (sk-ant-...), not an OpenAI key",
              "put it in ANTHROPIC_API_KEY, or put the OpenAI key (sk-proj-...) here");
    return;
  }
  if (v.starts_with("org-")) {
    add_error(out, "openai-key.prefix", "holds an OpenAI organization ID (org-...), not an API key",
              "create an API key (sk-proj-...) under API keys in the OpenAI dashboard");
    return;
  }
  if (v.starts_with("proj_")) {
    add_error(out, "openai-key.prefix", "holds an OpenAI project ID (proj_...), not an API key",
              "create an API key (sk-proj-...) for that project");
    return;
  }
  if (v.starts_with("sess-")) {
    add_error(out, "openai-key.prefix", "holds a ChatGPT browser session token, not an API key", "create an API key (sk-proj-...)");
    return;
  }
  if (!v.starts_with("sk-")) {
    add_error(out, "openai-key.prefix", "does not start with sk-, as every OpenAI API key does",
              "project keys look like sk-proj-..., service account keys like sk-svcacct-...");
    return;
  }
  if (v.starts_with("sk-admin-")) {
    add_error(out, "openai-key.admin-key", "holds an OpenAI admin key, which only works on the Administration API",
              "use a project key (sk-proj-...) for chat and responses");
    return;
  }
  // sk-proj- and sk-svcacct- keys run to ~164 characters; legacy sk- keys are 51.
  check_charset_and_length(v, 40, 400, "OpenAI", out);
}

void check_anthropic_key(std::string_view value, Findings& out) {
  if (is_base64_of(value, starts_with_anthropic_shape)) {
    add_error(out, "value.base64", "is a base64-encoded key (encoded twice, or put in stringData already encoded)",
              "in a Secret's data: encode once; in stringData: put the plain key");
    return;
  }
  auto v = strip_header_prefix(value, out);
  if (v.starts_with("sk-") && !v.starts_with("sk-ant-")) {
    add_error(out, "anthropic-key.openai-key", "holds an OpenAI key (sk-...), not an Anthropic key",
              "put it in OPENAI_API_KEY, or put the Anthropic key (sk-ant-api03-...) here");
    return;
  }
  if (v.starts_with("sk-ant-admin")) {
    add_error(out, "anthropic-key.admin-key", "holds an Anthropic Admin API key, which cannot call the Messages API",
              "create an API key (sk-ant-api03-...) in the Anthropic Console");
    return;
  }
  if (v.starts_with("sk-ant-oat") || v.starts_with("sk-ant-sid") || v.starts_with("sk-ant-ort")) {
    add_error(out, "anthropic-key.oauth-token", "holds a login or OAuth token, not an API key",
              "create an API key (sk-ant-api03-...) in the Anthropic Console");
    return;
  }
  if (!v.starts_with("sk-ant-api")) {
    add_error(out, "anthropic-key.prefix", "does not start with sk-ant-api03-, as Anthropic API keys do",
              "copy the key from the Anthropic Console (it is shown once, at creation)");
    return;
  }
  if (!v.starts_with("sk-ant-api03-"))
    add_warning(out, "anthropic-key.version", "has an unfamiliar key version (expected sk-ant-api03-)",
                "check that it is a current API key");
  // sk-ant-api03- keys are 108 characters.
  check_charset_and_length(v, 90, 200, "Anthropic", out);
}

}  // namespace podguard::initcheck
