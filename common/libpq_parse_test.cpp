// The libpq model against the linked libpq itself: PQconninfoParse() on the same strings, generated
// from a seeded generator (set PODGUARD_SEED to replay a run; the seed is printed).
#include "common/libpq_parse.hpp"

#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <string>

#include "tests/support/url_generator.hpp"

using namespace podguard;

namespace {

struct LibpqResult {
  bool ok = false;
  std::vector<std::pair<std::string, std::string>> options;
};

LibpqResult libpq_parse(const std::string& text) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> parsed(PQconninfoParse(text.c_str(), &error), PQconninfoFree);
  LibpqResult out;
  if (error) PQfreemem(error);
  if (!parsed) return out;
  out.ok = true;
  for (auto* o = parsed.get(); o->keyword; ++o)
    if (o->val) out.options.emplace_back(o->keyword, o->val);
  return out;
}

std::string show(const std::vector<std::pair<std::string, std::string>>& options) {
  std::string s;
  for (const auto& [k, v] : options) s += k + "=[" + v + "] ";
  return s;
}

}  // namespace

TEST_CASE("libpq_parse: uri_decode is conninfo_uri_decode") {
  CHECK(pq::uri_decode("p%40ss") == "p@ss");
  CHECK(pq::uri_decode("%2Fvar%2Frun") == "/var/run");
  CHECK_FALSE(pq::uri_decode("100%").has_value());
  CHECK_FALSE(pq::uri_decode("%4").has_value());
  CHECK_FALSE(pq::uri_decode("%zz").has_value());
  CHECK_FALSE(pq::uri_decode("a%00b").has_value());
}

TEST_CASE("libpq_parse: the issue's inputs read as libpq reads them") {
  auto p = pq::parse_connection_string("postgresql://qa:ab?cd#efGh7x@pg.acme-internal.io:5432/todo", pq::Keywords::linked);
  REQUIRE(p.ok());
  CHECK(*p.get("password") == "ab?cd#efGh7x");
  CHECK(*p.get("host") == "pg.acme-internal.io");
  CHECK(*p.get("dbname") == "todo");
  CHECK_FALSE(pq::parse_connection_string("postgresql://u:pa%ss@h/db").ok());
  CHECK(*pq::parse_connection_string("postgresql://h/d?ssl=true").get("sslmode") == "require");
  CHECK(*pq::parse_connection_string("requiressl=1").get("sslmode") == "require");
  CHECK(pq::parse_connection_string("postgresql://h/d?bogus=1").unknown_keyword == "bogus");
  CHECK(pq::parse_connection_string("host=a host=b").repeated == std::vector<std::string>{"host"});
  // A keyword of a newer libpq: the linked one rejects it, the model for the app's driver does not.
  CHECK(pq::parse_connection_string("postgresql://h/d?load_balance_hosts=random", pq::Keywords::linked).ok() ==
              (PQlibVersion() >= 160000));
  CHECK(pq::parse_connection_string("postgresql://h/d?load_balance_hosts=random", pq::Keywords::newest).ok());
}

TEST_CASE("libpq_parse: agrees with PQconninfoParse on generated connection strings") {
  auto seed = test::seed_from_env();
  std::cout << "libpq differential: seed " << seed << " (replay: PODGUARD_SEED=" << seed << ")\n";
  std::mt19937_64 rng(seed);
  test::UrlGenerator gen(rng);
  constexpr int count = 12000;
  int disagreements = 0, accepted = 0;
  for (int i = 0; i < count; ++i) {
    std::string text = i % 6 == 5 ? gen.keyvalue() : gen.libpq_url();
    auto model = pq::parse_connection_string(text, pq::Keywords::linked);
    auto real = libpq_parse(text);
    accepted += real.ok;
    bool same = model.ok() == real.ok && (!real.ok || model.options == real.options);
    if (!same && ++disagreements <= 5) {
      INFO("seed " << seed << " #" << i << ": " << text);
      INFO("libpq: " << (real.ok ? show(real.options) : "rejects"));
      INFO("model: " << (model.ok() ? show(model.options) : "rejects (" + model.error + ")"));
      CHECK(same);
    }
  }
  std::cout << "libpq differential: " << count << " strings, " << accepted << " accepted by libpq, " << disagreements
            << " disagreements\n";
  CHECK(disagreements == 0);
  CHECK(accepted > count / 4);  // the generator must exercise the accepting paths, not only rejections
  CHECK(accepted < count);      // and the rejecting ones
}
