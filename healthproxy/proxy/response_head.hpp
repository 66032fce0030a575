#pragma once
// The app's response head as the proxy keeps it: status line and fields flat, in received order,
// read by one parser (ResponseParser) and written by serialize_head (wire.hpp).
//
// Why not Beast's http::response_header: the proxy reads a response head's fields once, removes the
// hop-by-hop ones, adds at most three and writes them out. Beast's basic_fields allocates every
// field on its own and indexes it in a red-black tree: at 1 KiB with 1,000 connections, its insert
// and element allocation (8.9 %), its index (4.5 %) and its teardown (1.0 %) were 14.4 % of
// healthproxy's user-space instructions per request, for both heads (callgrind;
// bench/results/gaps.md). It also throws past 65,533 bytes a name or value. Here the fields sit
// back to back in one string, already in their wire form ("Name: value\r\n"), with a small entry
// per field; a removed field is only marked, and writing the head out copies runs of lines.
//
// The interface is the subset of Beast's basic_fields and header<false> that headers.cpp, wire.cpp
// and the session use, with Beast's meanings: insert appends; set removes every field of that name,
// then appends; lookups by a known http::field compare the field code, which Beast's parser assigned
// case-insensitively (RFC 9110 5.1). One difference: iteration is in received order, where
// basic_fields moves a repeated field next to the first of its name. RFC 9110 5.3 makes only the
// order of same-name fields significant (Set-Cookie), and both keep that.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "healthproxy/proxy/beast.hpp"

namespace podguard::healthproxy {

class ResponseHead {
  // A field's line in text_: "Name: value\r\n", starting at line_at.
  struct Entry {
    std::uint32_t line_at, name_size, value_size;
    http::field name;
    bool erased;
    std::size_t value_at() const { return line_at + name_size + 2; }
    std::size_t line_size() const { return name_size + value_size + 4; }
  };

 public:
  // One field of a ResponseHead (made by its iterators). The string_views its name_string() and
  // value() return are valid until the next insert or set on that head.
  class value_type {
   public:
    value_type(const ResponseHead* head, std::size_t index) : head_(head), index_(index) {}
    http::field name() const { return entry().name; }
    std::string_view name_string() const { return {head_->text_.data() + entry().line_at, entry().name_size}; }
    std::string_view value() const { return {head_->text_.data() + entry().value_at(), entry().value_size}; }

   private:
    const Entry& entry() const { return head_->entries_[index_]; }
    const ResponseHead* head_;
    std::size_t index_;
  };

  // Walks the fields that are not erased, in received order. Stays valid through erase (which only
  // marks) but not through insert or set.
  class const_iterator {
   public:
    struct arrow {
      value_type v;
      const value_type* operator->() const { return &v; }
    };
    value_type operator*() const { return {head_, index_}; }
    arrow operator->() const { return {{head_, index_}}; }
    const_iterator& operator++() {
      index_ = head_->next_live(index_ + 1);
      return *this;
    }
    bool operator==(const const_iterator& o) const { return index_ == o.index_ && head_ == o.head_; }

   private:
    friend class ResponseHead;
    const_iterator(const ResponseHead* head, std::size_t index) : head_(head), index_(index) {}
    const ResponseHead* head_;
    std::size_t index_;
  };
  using iterator = const_iterator;

  const_iterator begin() const { return {this, next_live(0)}; }
  const_iterator end() const { return {this, entries_.size()}; }

  // Appends a field. `name_string` is its name as received (a known field is written with the app's
  // spelling, as Beast's parser keeps it); the two-argument form uses Beast's canonical name.
  void insert(http::field name, std::string_view name_string, std::string_view value);
  void insert(http::field name, std::string_view value);
  // Lookups by name take a known field (not http::field::unknown), as Beast's do.
  // Every field named `name` removed, then one appended (basic_fields::set).
  void set(http::field name, std::string_view value);
  void erase(http::field name);                   // every field of that name
  void erase(const_iterator it);                  // that one field
  std::size_t count(http::field name) const;      // how many fields of that name
  std::string_view operator[](http::field name) const;  // the first one's value, or ""
  // No fields left, and their memory given back (an open stream keeps none of them).
  void clear();
  // Appends each field that is not erased as "Name: value\r\n", in order (RFC 9112 5: the value as
  // Beast's parser gave it, without surrounding whitespace, after one space).
  void append_lines(std::string& out) const;

  // The status line. `result` takes any three-digit code (basic_parser accepts 100-999).
  unsigned version() const { return version_; }
  void version(unsigned v) { version_ = v; }
  unsigned result_int() const { return status_; }
  http::status result() const { return http::int_to_status(status_); }
  void result(unsigned code) { status_ = code; }
  void result(http::status code) { status_ = static_cast<unsigned>(code); }
  // As Beast's header: the reason phrase received, or the standard one for the status when there
  // was none ("<unknown-status>" for a code Beast has no name for).
  std::string_view reason() const { return reason_.empty() ? http::obsolete_reason(result()) : std::string_view(reason_); }
  void reason(std::string_view r) { reason_.assign(r.data(), r.size()); }

 private:
  std::size_t next_live(std::size_t from) const {
    while (from < entries_.size() && entries_[from].erased) ++from;
    return from;
  }
  std::string text_;  // the fields' lines, back to back, as they are written out
  std::vector<Entry> entries_;
  std::string reason_;
  unsigned version_ = 11;
  unsigned status_ = 200;
};

}  // namespace podguard::healthproxy
