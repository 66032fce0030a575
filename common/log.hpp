#pragma once
// Logging setup shared by both binaries: one line per event on stderr, as text or JSON (spdlog).
// Callers pass structured fields; nothing here knows about secrets, so callers pass only redacted text.
#include <initializer_list>
#include <string>
#include <string_view>

namespace podguard::log {

enum class Format { text, json };
enum class Level { debug, info, warn, error };

struct Field {
  std::string_view key;
  std::string value;
};

// Call once, first thing in main. Until then, events go to stderr as text.
void setup(std::string_view program, Format format, Level min_level = Level::info);
bool parse_format(std::string_view text, Format& out);

void event(Level level, std::string_view message, std::initializer_list<Field> fields = {});
inline void debug(std::string_view m, std::initializer_list<Field> f = {}) { event(Level::debug, m, f); }
inline void info(std::string_view m, std::initializer_list<Field> f = {}) { event(Level::info, m, f); }
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) { event(Level::warn, m, f); }
inline void error(std::string_view m, std::initializer_list<Field> f = {}) { event(Level::error, m, f); }

// The line `event` would write, without the timestamp/level prefix: for tests and termination messages.
std::string render_fields(std::string_view message, std::initializer_list<Field> fields, Format format);

}  // namespace podguard::log
