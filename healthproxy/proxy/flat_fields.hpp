#pragma once
// A message head's fields as the proxy keeps them: flat, in received order, in their wire form.
// ResponseHead and RequestHead (message_head.hpp) add the status and request lines.
//
// Why not Beast's basic_fields: the proxy reads a head's fields once, removes the hop-by-hop ones,
// adds at most five (framing, Connection, X-Forwarded-*) and writes them out. basic_fields
// allocates every field on its own and indexes it in a red-black tree: at 1 KiB with 1,000
// connections, its insert and element allocation (8.9 %), its index (4.5 %) and its teardown
// (1.0 %) were 14.4 % of healthproxy's user-space instructions per request, for both heads
// (callgrind; bench/results/gaps.md). It also throws std::length_error past 65,533 bytes a name or
// value, out of the read's handler. Here the fields sit back to back in one buffer, already in their
// wire form ("Name: value\r\n"), with a small entry per field; a removed field is only marked, and
// writing the head out copies runs of lines. A name or value may be as long as the parser's header
// limit allows.
//
// The interface is the subset of Beast's basic_fields that headers.cpp, fronting.cpp, wire.cpp and
// the session use, with Beast's meanings: insert appends; set removes every field of that name, then
// appends; lookups by a known http::field compare the field code, which Beast's parser assigned
// case-insensitively (RFC 9110 5.1). One difference: iteration is in received order, where
// basic_fields moves a repeated field next to the first of its name. RFC 9110 5.3 makes only the
// order of same-name fields significant (Set-Cookie), and both keep that.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/options.hpp>
#include <boost/container/vector.hpp>

#include "healthproxy/proxy/beast.hpp"

namespace podguard::healthproxy {

class FlatFields {
  // A field's line in text_: "Name: value\r\n", starting at line_at.
  struct Entry {
    std::uint32_t line_at, name_size, value_size;
    http::field name;
    bool erased;
    std::size_t value_at() const { return line_at + name_size + 2; }
    std::size_t line_size() const { return name_size + value_size + 4; }
  };

 public:
  // One field (made by the iterators). The string_views its name_string() and value() return are
  // valid until the next insert or set on these fields.
  class value_type {
   public:
    value_type(const FlatFields* fields, std::size_t index) : fields_(fields), index_(index) {}
    http::field name() const { return entry().name; }
    std::string_view name_string() const { return {fields_->text_.data() + entry().line_at, entry().name_size}; }
    std::string_view value() const { return {fields_->text_.data() + entry().value_at(), entry().value_size}; }

   private:
    const Entry& entry() const { return fields_->entries_[index_]; }
    const FlatFields* fields_;
    std::size_t index_;
  };

  // Walks the fields that are not erased, in received order. It holds a field's position, so it
  // stays valid through erase (which only marks), insert and set (which append), but not clear.
  class const_iterator {
   public:
    struct arrow {
      value_type v;
      const value_type* operator->() const { return &v; }
    };
    value_type operator*() const { return {fields_, index_}; }
    arrow operator->() const { return {{fields_, index_}}; }
    const_iterator& operator++() {
      index_ = fields_->next_live(index_ + 1);
      return *this;
    }
    bool operator==(const const_iterator& o) const { return index_ == o.index_ && fields_ == o.fields_; }

   private:
    friend class FlatFields;
    const_iterator(const FlatFields* fields, std::size_t index) : fields_(fields), index_(index) {}
    const FlatFields* fields_;
    std::size_t index_;
  };
  using iterator = const_iterator;

  const_iterator begin() const { return {this, next_live(0)}; }
  const_iterator end() const { return {this, entries_.size()}; }

  // Appends a field. `name_string` is its name as received (a known field is written with the
  // sender's spelling, as Beast's parser keeps it); the two-argument form uses Beast's canonical name.
  void insert(http::field name, std::string_view name_string, std::string_view value);
  void insert(http::field name, std::string_view value);
  // Lookups by name take a known field (not http::field::unknown), as Beast's do.
  // Every field named `name` removed, then one appended (basic_fields::set).
  void set(http::field name, std::string_view value);
  void erase(http::field name);                   // every field of that name
  void erase(const_iterator it);                  // that one field
  std::size_t count(http::field name) const;      // how many fields of that name
  std::string_view operator[](http::field name) const;  // the first one's value, or ""
  // The same by a name in any case (RFC 9110 5.1), as basic_fields takes it: a name Beast knows
  // is looked up by its field code, any other compared case-insensitively.
  void insert(std::string_view name, std::string_view value) { insert(http::string_to_field(name), name, value); }
  void set(std::string_view name, std::string_view value);
  std::size_t count(std::string_view name) const;
  std::string_view operator[](std::string_view name) const;
  // No fields left, and their memory given back (an open stream keeps none of them).
  void clear();
  // Appends each field that is not erased as "Name: value\r\n", in order (RFC 9112 5: the value as
  // Beast's parser gave it, without surrounding whitespace, after one space).
  void append_lines(std::string& out) const;

 private:
  // Calls f(index) for each live field named `name`, in order, until f returns false.
  template <class F>
  void for_each_named(std::string_view name, F&& f) const;
  std::size_t next_live(std::size_t from) const {
    while (from < entries_.size() && entries_[from].erased) ++from;
    return from;
  }
  // The fields' lines, back to back, as they are written out. Grown without zero-filling
  // (boost::container::default_init: std::string::resize's fill was 3 % of the instructions), and
  // doubled when full (Boost's default grows by 60 %, and a browser's request head is 1-2 KB).
  using Text = boost::container::vector<
      char, void, boost::container::vector_options_t<boost::container::growth_factor<boost::container::growth_factor_100>>>;
  Text text_;
  std::vector<Entry> entries_;
};

}  // namespace podguard::healthproxy
