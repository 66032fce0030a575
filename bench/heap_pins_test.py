"""Tests of bench/heap_pins.py on heap images laid out as glibc's malloc lays them out (the live walk of a
real healthproxy is bench/sse_bursts.sh's, CTest bench/sse-bursts-smoke). Run:
/usr/bin/python3 bench/heap_pins_test.py (CTest: bench/heap_pins)."""
import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heap_pins  # noqa: E402

PAGE = heap_pins.PAGE


def image(prefix, chunks, total):
    """A heap of `total` bytes: `prefix` bytes of other data, then chunks (size, in_use, header) and a
    free top chunk to the end. A chunk's in-use bit is the next chunk's PREV_INUSE; the first chunk has it."""
    mem = bytearray(total)
    mem[:len(prefix)] = prefix
    off, prev_in_use = len(prefix), True
    for size, in_use, header in chunks + [(None, False, None)]:
        size = total - off if size is None else size
        struct.pack_into("<QQ", mem, off, 0, size | (1 if prev_in_use else 0))
        if header is not None:
            struct.pack_into("<I", mem, off + 16, header)
        off, prev_in_use = off + size, in_use
    assert off == total
    return bytes(mem)


def class_chunk(cls, in_use=True):
    return ((cls + 1) * 16 + 32, in_use, cls)


class Walk(unittest.TestCase):
    def test_kinds_and_pins(self):
        # page 0: prefix (64 B) + a class-10 block (208 B) + free to the end of page 1;
        # page 2: a malloc block (64 B); pages 2-3: an uncached block; then the top chunk.
        free = 2 * PAGE - 64 - 208
        mem = image(b"\0" * 64, [class_chunk(10), (free, False, None), (64, True, 0x12345678),
                                 (4096 + 32, True, 0xFFFFFFFF)], 8 * PAGE)
        r = heap_pins.analyse(mem)
        self.assertEqual(r["first_chunk"], 64)
        self.assertEqual(r["kinds"]["10"]["blocks"], 1)
        self.assertEqual(r["kinds"]["10"]["bytes"], 208)
        self.assertEqual(r["kinds"]["malloc"]["blocks"], 1)
        self.assertEqual(r["kinds"]["uncached"]["blocks"], 1)
        self.assertEqual(r["in_use_bytes"], 208 + 64 + 4096 + 32)
        # pinned: page 0 (the class-10 block), pages 2 and 3 (the malloc and the uncached block); the
        # free chunk's page 1 and the top chunk's pages are not.
        self.assertEqual(r["pinned_pages"], 3)
        self.assertEqual(r["kinds"]["10"]["pages_only_it_pins"], 1)
        self.assertEqual(r["kinds"]["10"]["pages_pinned_without_it"], 2)
        self.assertEqual(r["kinds"]["malloc"]["pages_only_it_pins"], 0)  # page 2 is the uncached block's too

    def test_a_class_header_with_the_wrong_size_is_malloc(self):
        mem = image(b"", [(96, True, 10)], 2 * PAGE)  # header 10 but not class 10's chunk size (208)
        self.assertEqual(list(heap_pins.analyse(mem)["kinds"]), ["malloc"])

    def test_a_freed_block_is_not_counted(self):
        mem = image(b"", [class_chunk(3, in_use=False), class_chunk(4)], 2 * PAGE)
        self.assertEqual(list(heap_pins.analyse(mem)["kinds"]), ["4"])

    def test_a_made_up_chain_in_the_prefix_loses(self):
        # the prefix holds a "chunk" with PREV_INUSE whose size jumps over the first two real chunks onto
        # the third: its chain ends at the end too, but has one chunk fewer than the real one.
        real = [class_chunk(1), class_chunk(2), class_chunk(3)]
        prefix = bytearray(48)
        struct.pack_into("<QQ", prefix, 16, 0, (48 - 16 + real[0][0] + real[1][0]) | 1)
        mem = image(bytes(prefix), real, 2 * PAGE)
        self.assertEqual(heap_pins.analyse(mem)["first_chunk"], 48)

    def test_a_start_without_prev_inuse_is_not_a_heap(self):
        # two made-up chunks in the prefix, then a jump over the first real chunk: a longer chain than the
        # real one, but its start lacks PREV_INUSE (and so does the second, a start of its own).
        real = [class_chunk(1), class_chunk(2), class_chunk(3)]
        prefix = bytearray(96)
        struct.pack_into("<QQ", prefix, 0, 0, 32)
        struct.pack_into("<QQ", prefix, 32, 0, 96 - 32 + real[0][0])
        mem = image(bytes(prefix), real, 2 * PAGE)
        self.assertEqual(heap_pins.analyse(mem)["first_chunk"], 96)

    def test_equal_chains_are_named(self):
        # a made-up chunk that jumps over exactly one real chunk: a chain as long as the real one. The
        # earliest is read and the other named, so a reader knows the first chunks are in doubt.
        real = [class_chunk(10), class_chunk(10), (64, True, 0x12345678)]
        prefix = bytearray(48)
        struct.pack_into("<QQ", prefix, 16, 0, (48 - 16 + real[0][0]) | 1)
        r = heap_pins.analyse(image(bytes(prefix), real, 2 * PAGE))
        self.assertEqual((r["first_chunk"], r["ambiguous_starts"]), (16, [48]))
        self.assertIn("warning", heap_pins.table(r))
        r = heap_pins.analyse(image(b"\0" * 48, real, 2 * PAGE))
        self.assertEqual((r["first_chunk"], r["ambiguous_starts"]), (48, []))

    def test_a_block_ending_on_a_page_boundary_pins_that_page_only(self):
        mem = image(b"", [(PAGE, True, 0x12345678)], 3 * PAGE)
        self.assertEqual(heap_pins.analyse(mem)["pinned_pages"], 1)

    def test_pages_pinned_without_a_kind_are_those_another_kind_holds(self):
        # page 0: class 1 only; page 1: class 1 (a block across the boundary) and class 2; page 2: malloc.
        mem = image(b"", [(PAGE - 32, False, None), class_chunk(1), class_chunk(2), (2 * PAGE - 4208, False, None),
                          (96, True, 0x12345678)], 4 * PAGE)
        r = heap_pins.analyse(mem)
        self.assertEqual(r["pinned_pages"], 3)
        self.assertEqual(r["kinds"]["1"]["pages_only_it_pins"], 1)
        self.assertEqual(r["kinds"]["1"]["pages_pinned_without_it"], 2)

    def test_a_chain_short_of_the_mapping_is_no_heap(self):
        mem = bytearray(image(b"", [class_chunk(3)], 2 * PAGE))
        struct.pack_into("<Q", mem, 96 + 8, (2 * PAGE - 96 - 16) | 1)  # the top chunk ends 16 bytes short
        self.assertIsNone(heap_pins.analyse(bytes(mem)))

    def test_a_chunk_below_malloc_s_minimum_breaks_a_chain(self):
        # glibc's smallest chunk is 32 bytes (MINSIZE on 64-bit): a 16-byte one is not a chunk, so the
        # walk starts after it, at the top chunk, and not at the longer chain through it.
        r = heap_pins.analyse(image(b"", [(16, True, None)], 2 * PAGE))
        self.assertEqual(r["first_chunk"], 16)

    def test_no_chain_no_reading(self):
        self.assertIsNone(heap_pins.analyse(b"\xff" * (2 * PAGE)))


if __name__ == "__main__":
    unittest.main()
