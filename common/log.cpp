#include "common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/ascii.hpp"
#include "common/json.hpp"

namespace podguard::log {

namespace {

Format g_format = Format::text;
std::shared_ptr<spdlog::logger> g_logger;

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

bool needs_quotes(std::string_view v) {
  return v.empty() || std::any_of(v.begin(), v.end(), [](char c) {
           return ascii::is_space(c) || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20;
         });
}

}  // namespace

void setup(std::string_view program, Format format, Level min_level) {
  g_format = format;
  g_logger = std::make_shared<spdlog::logger>(std::string(program), std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == Format::json)
    g_logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n",%v})",
                          spdlog::pattern_time_type::utc);
  else
    g_logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %n: %v", spdlog::pattern_time_type::utc);
  g_logger->set_level(to_spdlog(min_level));
  g_logger->flush_on(spdlog::level::debug);
}

bool parse_format(std::string_view text, Format& out) {
  if (text == "text") out = Format::text;
  else if (text == "json") out = Format::json;
  else return false;
  return true;
}

std::string render_fields(std::string_view message, std::initializer_list<Field> fields, Format format) {
  std::string out;
  if (format == Format::json) {
    out += "\"msg\":";
    append_json_string(out, message);
    for (const auto& f : fields) {
      out += ',';
      append_json_string(out, f.key);
      out += ':';
      append_json_string(out, f.value);
    }
    return out;
  }
  out += message;
  for (const auto& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    if (needs_quotes(f.value)) append_json_string(out, f.value);
    else out += f.value;
  }
  return out;
}

void event(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!g_logger) setup("podguard", Format::text);
  if (!g_logger->should_log(to_spdlog(level))) return;
  g_logger->log(to_spdlog(level), "{}", render_fields(message, fields, g_format));
}

}  // namespace podguard::log
