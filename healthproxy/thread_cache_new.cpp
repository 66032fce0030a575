// Global operator new and delete with a small per-thread cache of freed blocks, for the healthproxy
// executable only (not its tests, not sanitizer builds, where the sanitizers' own allocator must see
// every allocation).
//
// Why: a proxied request allocates blocks and frees them again: the heads' field stores and, above
// all, Asio's coroutine frames and operation states, of which
// Asio 1.74 recycles only one per kind and thread. glibc's tcache keeps 7 blocks per size, so with
// dozens of connections interleaving, most of these go through malloc's slow paths (callgrind:
// about a sixth of the proxy's instructions). Here each thread keeps up to 128 KiB of freed blocks
// per 16-byte size class, up to 4 KiB blocks; anything else goes to malloc as before. 16-byte
// classes, not 64: an open SSE stream holds about 15 blocks (coroutine frames, its pending
// operation, descriptor states) for its whole life, and rounding each up to 64 bytes cost about
// 0.3 KiB per stream (bench/results/gaps.md, "SSE streams").
//
// Why 128 KiB a class: Asio 1.74's reactor takes up to 128 events per epoll_wait
// (epoll_reactor.ipp) and runs their handlers back to back, so across one batch the live blocks
// of one class rise or fall by up to about 128: the request's coroutine frames (0.7 to 1 KiB) are
// all made or all freed together. 128 KiB holds 126 to 160 of those frames. With 32 KiB (40 of
// them), 1,000 keep-alive connections sent 3.4 allocations per request through glibc's slow path
// (_int_malloc); with 64 KiB, 1.1; with 128 KiB, none (bench/per_request.sh --tool callgrind
// --conns 1000; bench/results/gaps.md, "The thread cache's capacity"). Cached blocks are not given
// back: after a burst, each thread keeps what it freed, up to 128 KiB per class and 32 MiB per
// thread (256 classes). A freshly started proxy has next to nothing in it.
//
// A block carries its size class in a 16-byte header (which keeps malloc's 16-byte alignment). A
// block freed by another thread than the one that allocated it joins the freeing thread's cache:
// the classes are the same everywhere. Blocks cached when a thread exits stay with the process
// (the proxy's threads live as long as it does).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#if !defined(__SANITIZE_ADDRESS__) && !defined(PODGUARD_NO_THREAD_CACHE)

namespace {

constexpr std::size_t header_bytes = 16;
constexpr std::size_t class_bytes = 16;
constexpr std::size_t class_count = 256;  // blocks of up to 4 KiB are cached
constexpr std::size_t cache_bytes_per_class = 128 * 1024;
constexpr std::uint32_t uncached = 0xffffffff;

struct FreeBlock {
  FreeBlock* next;
};

// Trivially constructible and destructible: usable from the first allocation of a thread to its last.
struct ThreadCache {
  FreeBlock* head[class_count];
  std::uint32_t count[class_count];
};
thread_local ThreadCache cache;

constexpr std::size_t class_of(std::size_t size) { return size == 0 ? 0 : (size - 1) / class_bytes; }
constexpr std::uint32_t capacity_of(std::size_t cls) {
  return static_cast<std::uint32_t>(cache_bytes_per_class / ((cls + 1) * class_bytes + header_bytes));
}

void* allocate(std::size_t size) {
  std::size_t cls = class_of(size);
  if (cls < class_count) {
    if (FreeBlock* b = cache.head[cls]) {
      cache.head[cls] = b->next;
      --cache.count[cls];
      return b;
    }
    auto* base = static_cast<unsigned char*>(std::malloc((cls + 1) * class_bytes + header_bytes));
    if (!base) return nullptr;
    *reinterpret_cast<std::uint32_t*>(base) = static_cast<std::uint32_t>(cls);
    return base + header_bytes;
  }
  auto* base = static_cast<unsigned char*>(std::malloc(size + header_bytes));
  if (!base) return nullptr;
  *reinterpret_cast<std::uint32_t*>(base) = uncached;
  return base + header_bytes;
}

void release(void* p) noexcept {
  if (!p) return;
  auto* base = static_cast<unsigned char*>(p) - header_bytes;
  std::uint32_t cls = *reinterpret_cast<std::uint32_t*>(base);
  if (cls != uncached && cache.count[cls] < capacity_of(cls)) {
    auto* b = static_cast<FreeBlock*>(p);
    b->next = cache.head[cls];
    cache.head[cls] = b;
    ++cache.count[cls];
    return;
  }
  std::free(base);
}

void* allocate_or_throw(std::size_t size) {
  for (;;) {
    if (void* p = allocate(size)) return p;
    std::new_handler handler = std::get_new_handler();
    if (!handler) throw std::bad_alloc();
    handler();
  }
}

}  // namespace

void* operator new(std::size_t size) { return allocate_or_throw(size); }
void* operator new[](std::size_t size) { return allocate_or_throw(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return allocate(size); }
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }

#endif
