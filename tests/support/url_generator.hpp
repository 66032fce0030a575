#pragma once
// Connection strings for the differential tests: libpq URLs, SQLAlchemy URLs and key=value strings
// built from the pieces that break parsers: passwords from all printable ASCII (each byte raw or
// percent-encoded), malformed and %00 escapes, host names, IPv4, bracketed IPv6 (also unclosed or
// empty), host lists, socket paths, valid and invalid ports, mixed and broken query parameters.
// Deterministic for a seed (common/libpq_parse_test.cpp, tests/drivers/sqlalchemy_differential.py
// has the same shapes in Python).
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace podguard::test {

// PODGUARD_SEED when set (to replay a failure), else a fresh one.
inline std::uint64_t seed_from_env() {
  if (const char* s = std::getenv("PODGUARD_SEED"); s && *s) return std::strtoull(s, nullptr, 10);
  return std::random_device{}() * 0x100000001ULL ^ std::random_device{}();
}

class UrlGenerator {
 public:
  explicit UrlGenerator(std::mt19937_64& rng) : rng_(rng) {}

  std::string libpq_url() { return pick({"postgresql://", "postgresql://", "postgresql://", "postgres://"}) + body(); }
  std::string sqlalchemy_url(std::string_view driver) { return "postgresql+" + std::string(driver) + "://" + body(); }

  std::string keyvalue() {
    std::string out;
    int pairs = between(1, 5);
    for (int i = 0; i < pairs; ++i) {
      if (!out.empty() || chance(10)) out += pick({" ", "  ", "\t", " \n "});
      out += chance(92) ? pick(keys()) : pick({"bogus", "", "ssl", "Host"});
      out += pick({"=", "=", "=", " = ", "= ", " ="});
      std::string v = chance(30) ? password() : pick(values());
      if (chance(35)) {
        std::string q = "'";
        for (char c : v) q += (c == '\'' || c == '\\') ? std::string("\\") + c : std::string(1, c);
        out += q + (chance(97) ? "'" : "");
      } else {
        for (char c : v) out += (c == ' ' || c == '\\' || c == '\'') && chance(85) ? std::string("\\") + c : std::string(1, c);
      }
    }
    return out;
  }

 private:
  std::mt19937_64& rng_;

  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return between(1, 100) <= percent; }
  std::string pick(std::initializer_list<std::string_view> options) {
    return std::string(*(options.begin() + between(0, static_cast<int>(options.size()) - 1)));
  }
  std::string pick(const std::vector<std::string>& options) { return options[static_cast<std::size_t>(between(0, static_cast<int>(options.size()) - 1))]; }

  static std::string hex(unsigned char c) {
    static constexpr char d[] = "0123456789ABCDEF";
    return std::string{'%', d[c >> 4], d[c & 15]};
  }

  // Printable ASCII, each byte raw or percent-encoded; now and then a malformed or NUL escape.
  std::string password() {
    std::string out;
    int n = between(0, 14);
    for (int i = 0; i < n; ++i) {
      auto c = static_cast<unsigned char>(between(0x20, 0x7e));
      int roll = between(1, 100);
      if (roll <= 55) out += static_cast<char>(c);
      else if (roll <= 97) out += hex(c);
      else if (roll <= 99) out += pick({"%", "%G1", "%4", "%zz"});
      else out += "%00";
    }
    return out;
  }

  std::string user() {
    if (chance(80)) return pick({"app", "todo", "neondb_owner", "qa", "u", "app%40corp", "a.b-c_d", "ME"});
    return password();
  }

  std::string hostname() {
    return pick({"db", "pg.acme-internal.io", "todo-postgresql.todo.svc.cluster.local", "ep-cool-1.us-east-2.aws.neon.tech",
                 "my_db", "localhost", "10.0.0.5", "127.0.0.1", "300.1.1.1", "-bad-", "h..x", "db%2Dx", "%2Fcloudsql%2Fp%3Ar%3Ai",
                 "%2Ftmp", "d b", "ho#st", "x@y"});
  }

  std::string port() {
    return pick({"5432", "5432", "6432", "1", "65535", "0", "65536", "99999", "", "54x2", "+5432", " 5432", "05432", "5_432", "%35432"});
  }

  std::string endpoint() {
    std::string h;
    int roll = between(1, 100);
    if (roll <= 70) h = hostname();
    else if (roll <= 85) h = "[" + pick({"::1", "2001:db8::1234", "fe80::1%25eth0", "not-an-ip", "::1]x", ""}) + (chance(95) ? "]" : "");
    else if (roll <= 95) h = "";
    else h = pick({"a:b:c", "[::1]junk", "h]"});
    if (chance(45)) h += ":" + port();
    return h;
  }

  static const std::vector<std::string>& keys() {
    static const std::vector<std::string> k{"host", "port", "dbname", "user", "password", "sslmode", "channel_binding",
                                            "connect_timeout", "application_name", "options", "target_session_attrs",
                                            "sslrootcert", "keepalives", "hostaddr", "passfile", "requiressl", "gssencmode"};
    return k;
  }
  static const std::vector<std::string>& values() {
    static const std::vector<std::string> v{"require", "disable", "verify-full", "read-write", "10", "todo", "db2",
                                            "/tmp", "-c statement_timeout=5000", "a b", "x,y", "5432,5433", "", "1",
                                            "true", "%2Fvar%2Frun", "a+b", "q'uote", "back\\slash"};
    return v;
  }

  std::string query() {
    std::string out;
    int n = between(0, 4);
    for (int i = 0; i < n; ++i) {
      if (i) out += chance(95) ? "&" : pick({"&&", ";"});
      std::string key = chance(85) ? pick(keys()) : pick({"ssl", "bogus", "command_timeout", "sslmode%3D", "", "host%3A"});
      if (key == "ssl" && chance(50)) {
        out += "ssl=true";
        continue;
      }
      std::string value = chance(15) ? password() : pick(values());
      std::string encoded;
      for (char c : value) encoded += (c == ' ' || c == '=' || c == '&' || c == '#' || c == '%') && chance(70) ? hex(static_cast<unsigned char>(c)) : std::string(1, c);
      out += key + (chance(96) ? "=" : "") + encoded;
    }
    if (chance(5)) out += "&";
    return out;
  }

  std::string body() {
    std::string out;
    int roll = between(1, 100);
    if (roll <= 70) out += user() + ":" + password() + "@";
    else if (roll <= 80) out += user() + "@";
    else if (roll <= 85) out += ":" + password() + "@";
    else if (roll <= 88) out += user() + ":" + password() + "@" + password() + "@";
    int hosts = chance(80) ? 1 : between(2, 3);
    for (int i = 0; i < hosts; ++i) out += (i ? "," : "") + endpoint();
    int path = between(1, 100);
    if (path <= 75) out += "/" + pick({"todo", "neondb", "app_db", "d%20b", "db%2Fx", "d@b", "db#frag", "", "t%zz", "db/x"});
    else if (path <= 80) out += "/";
    if (chance(55)) out += "?" + query();
    return out;
  }
};

}  // namespace podguard::test
