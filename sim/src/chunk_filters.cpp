// Shuffle, deflate and Fletcher-32 for whole chunks (convsim/detail/chunk_filters.hpp).
#include "convsim/detail/chunk_filters.hpp"

#include <libdeflate.h>

#include <bit>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace convsim::detail {

std::uint32_t fletcher32(const std::uint8_t* data, std::size_t size) {
  std::size_t words = size / 2;
  std::uint32_t sum1 = 0, sum2 = 0;
  while (words > 0) {
    std::size_t run = words > 360 ? 360 : words;
    words -= run;
    do {
      sum1 += static_cast<std::uint32_t>(data[0]) << 8 | data[1];
      data += 2;
      sum2 += sum1;
    } while (--run);
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  }
  if (size % 2 != 0) {
    sum1 += static_cast<std::uint32_t>(*data) << 8;
    sum2 += sum1;
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  }
  sum1 = (sum1 & 0xffff) + (sum1 >> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  return sum2 << 16 | sum1;
}

void shuffle_bytes(const std::uint8_t* in, std::size_t elements, std::size_t element_size, std::uint8_t* out) {
  if (element_size == 8) {
    // Doubles and 64-bit integers: each element read once, its bytes written to the eight planes
    // (eight sequential streams instead of eight strided passes over the input).
    for (std::size_t e = 0; e < elements; ++e) {
      std::uint64_t v;
      std::memcpy(&v, in + e * 8, 8);
      for (std::size_t b = 0; b < 8; ++b) out[b * elements + e] = static_cast<std::uint8_t>(v >> (8 * b));
    }
    return;
  }
  for (std::size_t b = 0; b < element_size; ++b) {
    std::uint8_t* plane = out + b * elements;
    const std::uint8_t* from = in + b;
    for (std::size_t e = 0; e < elements; ++e) plane[e] = from[e * element_size];
  }
}

ChunkFilter::ChunkFilter(int level) {
  if (level < 1 || level > 9) throw std::invalid_argument("deflate level must be 1..9, got " + std::to_string(level));
  compressor_ = libdeflate_alloc_compressor(level);
  if (compressor_ == nullptr) throw std::bad_alloc();
}

ChunkFilter::~ChunkFilter() { libdeflate_free_compressor(compressor_); }

void ChunkFilter::apply(const void* data, std::size_t elements, std::size_t element_size, std::vector<std::uint8_t>& out) {
  static_assert(std::endian::native == std::endian::little, "the checksum is appended in the machine's byte order");
  const std::size_t bytes = elements * element_size;
  shuffled_.resize(bytes);
  shuffle_bytes(static_cast<const std::uint8_t*>(data), elements, element_size, shuffled_.data());
  out.resize(libdeflate_zlib_compress_bound(compressor_, bytes) + 4);
  const std::size_t packed = libdeflate_zlib_compress(compressor_, shuffled_.data(), bytes, out.data(), out.size() - 4);
  // The bound is an upper bound on the output of any input: 0 (did not fit) cannot happen.
  if (packed == 0) throw std::logic_error("libdeflate_zlib_compress: output exceeded its bound");
  const std::uint32_t checksum = fletcher32(out.data(), packed);
  std::memcpy(out.data() + packed, &checksum, 4);
  out.resize(packed + 4);
}

}  // namespace convsim::detail
