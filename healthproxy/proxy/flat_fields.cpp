#include "healthproxy/proxy/flat_fields.hpp"

#include <cstring>
#include <functional>

namespace podguard::healthproxy {

void FlatFields::insert(http::field name, std::string_view name_string, std::string_view value) {
  // A view into text_ itself (h.set(f, h[g])) would dangle once text_ grows: copy it first.
  std::less<const char*> lt;
  auto inside = [&](std::string_view v) {
    return !v.empty() && !lt(v.data(), text_.data()) && lt(v.data(), text_.data() + text_.size());
  };
  if (inside(name_string) || inside(value)) {
    std::string copy(name_string);
    copy += value;
    return insert(name, std::string_view(copy).substr(0, name_string.size()), std::string_view(copy).substr(name_string.size()));
  }
  BOOST_ASSERT(name == http::string_to_field(name_string));  // the lookups by code rely on it
  if (entries_.empty()) {
    // One allocation each for a typical head: an app's response head has about 8 fields in 300
    // bytes, a browser's request 15 to 20 in 1-2 KB, to which the proxy adds up to five.
    entries_.reserve(24);
    text_.reserve(1024);
  }
  Entry e{};
  e.name = name;
  e.line_at = static_cast<std::uint32_t>(text_.size());
  e.name_size = static_cast<std::uint32_t>(name_string.size());
  e.value_size = static_cast<std::uint32_t>(value.size());
  text_.resize(text_.size() + e.line_size(), boost::container::default_init);
  char* p = text_.data() + e.line_at;
  std::memcpy(p, name_string.data(), name_string.size());
  p += name_string.size();
  *p++ = ':';
  *p++ = ' ';
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
  entries_.push_back(e);
}

void FlatFields::insert(http::field name, std::string_view value) { insert(name, http::to_string(name), value); }

void FlatFields::set(http::field name, std::string_view value) {
  erase(name);
  insert(name, value);
}

void FlatFields::erase(http::field name) {
  BOOST_ASSERT(name != http::field::unknown);
  for (auto& e : entries_)
    if (e.name == name) e.erased = true;
}

void FlatFields::erase(const_iterator it) {
  if (it.index_ < entries_.size()) entries_[it.index_].erased = true;
}

std::size_t FlatFields::count(http::field name) const {
  BOOST_ASSERT(name != http::field::unknown);
  std::size_t n = 0;
  for (const auto& e : entries_) n += !e.erased && e.name == name;
  return n;
}

std::string_view FlatFields::operator[](http::field name) const {
  BOOST_ASSERT(name != http::field::unknown);
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (!entries_[i].erased && entries_[i].name == name) return value_type(this, i).value();
  return {};
}

template <class F>
void FlatFields::for_each_named(std::string_view name, F&& f) const {
  auto code = http::string_to_field(name);
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto& e = entries_[i];
    if (e.erased) continue;
    bool match = code != http::field::unknown ? e.name == code
                                              : e.name == http::field::unknown && beast::iequals(value_type(this, i).name_string(), name);
    if (match && !f(i)) return;
  }
}

void FlatFields::set(std::string_view name, std::string_view value) {
  if (auto code = http::string_to_field(name); code != http::field::unknown) return set(code, value);
  for_each_named(name, [&](std::size_t i) { return entries_[i].erased = true; });
  insert(http::field::unknown, name, value);
}

std::size_t FlatFields::count(std::string_view name) const {
  std::size_t n = 0;
  for_each_named(name, [&](std::size_t) { return ++n; });
  return n;
}

std::string_view FlatFields::operator[](std::string_view name) const {
  std::string_view v;
  for_each_named(name, [&](std::size_t i) {
    v = value_type(this, i).value();
    return false;
  });
  return v;
}

void FlatFields::append_lines(std::string& out) const {
  // Lines of fields that were not erased lie next to each other in text_: one copy per run.
  std::size_t i = 0;
  while ((i = next_live(i)) < entries_.size()) {
    std::size_t from = entries_[i].line_at, to = from;
    for (; i < entries_.size() && !entries_[i].erased; ++i) to += entries_[i].line_size();
    out.append(text_.data() + from, to - from);
  }
}

void FlatFields::clear() {
  decltype(text_)().swap(text_);
  std::vector<Entry>().swap(entries_);
}

}  // namespace podguard::healthproxy
