// HDF5's filter pipeline for a compressed, checksummed chunk — shuffle, deflate, Fletcher-32, in
// that order — applied by convsim itself, so that the chunks of a large dataset are compressed on
// several threads and stored with H5Dwrite_chunk (HDF5's serial library filters one chunk at a
// time, on the calling thread). The stored bytes are what HDF5's own filters would store up to the
// choice of deflate encoder (libdeflate here, zlib in HDF5): any reader inflates them alike and
// HDF5 checks the Fletcher-32 when it reads the chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

struct libdeflate_compressor;

namespace convsim::detail {

// HDF5's Fletcher-32 (H5_checksum_fletcher32, H5checksum.c): the bytes as 16-bit big-endian
// words (an odd last byte as the high half of one more), both sums folded to 16 bits every 360
// words and at the end; the result is sum2 << 16 | sum1.
std::uint32_t fletcher32(const std::uint8_t* data, std::size_t size);

// HDF5's shuffle filter (H5Zshuffle.c): byte b of element e goes to position b * elements + e.
void shuffle_bytes(const std::uint8_t* in, std::size_t elements, std::size_t element_size, std::uint8_t* out);

// Filters chunks as HDF5 stores them with the filters shuffle, deflate at `level` (1..9, zlib
// format: RFC 1950 header and Adler-32) and Fletcher-32 (the checksum appended in little-endian
// order, as HDF5 appends it on a little-endian machine). One per thread: it keeps its compressor
// and its shuffle buffer from one chunk to the next, so that a run of chunks allocates (and
// faults in) nothing after the first.
class ChunkFilter {
 public:
  // Throws std::invalid_argument for a level outside 1..9.
  explicit ChunkFilter(int level);
  ~ChunkFilter();
  ChunkFilter(const ChunkFilter&) = delete;
  ChunkFilter& operator=(const ChunkFilter&) = delete;

  // The stored bytes of one chunk of `elements` values of `element_size` bytes, written over
  // `out` (whose room is kept for the next chunk).
  void apply(const void* data, std::size_t elements, std::size_t element_size, std::vector<std::uint8_t>& out);

 private:
  libdeflate_compressor* compressor_ = nullptr;
  std::vector<std::uint8_t> shuffled_;
};

}  // namespace convsim::detail
