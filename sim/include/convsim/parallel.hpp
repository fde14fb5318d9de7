// Deterministic parallel loops. Work over [0, n) is cut into fixed chunks whose boundaries do
// not depend on the thread count; per-chunk partial results are combined in chunk order, so a
// floating-point sum is bit-identical on 1 or 16 threads. Never use floating-point atomics.
#pragma once

#include <cstddef>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace convsim {

// Firms per chunk: large enough to amortise scheduling, small enough to balance 2-16 threads.
inline constexpr std::size_t kChunkSize = 4096;

// Number of chunks covering n items.
inline std::size_t chunk_count(std::size_t n) { return (n + kChunkSize - 1) / kChunkSize; }

// Calls body(chunk, begin, end) for every chunk of [0, n), in parallel, each chunk exactly once.
template <typename Body>
void for_each_chunk(std::size_t n, Body&& body) {
  const std::size_t chunks = chunk_count(n);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks, 1),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t c = range.begin(); c != range.end(); ++c) {
                        const std::size_t begin = c * kChunkSize;
                        const std::size_t end = begin + kChunkSize < n ? begin + kChunkSize : n;
                        body(c, begin, end);
                      }
                    });
}

// Deterministic sum of value(i) over [0, n): fixed chunks summed in order.
template <typename Value>
double deterministic_sum(std::size_t n, Value&& value) {
  std::vector<double> partial(chunk_count(n), 0.0);
  for_each_chunk(n, [&](std::size_t c, std::size_t begin, std::size_t end) {
    double s = 0;
    for (std::size_t i = begin; i < end; ++i) s += value(i);
    partial[c] = s;
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

// Inclusive prefix sum of data[0, n) in place, for integers (exact, so any order gives the same
// result): each chunk's total, a serial scan over the chunks, then each chunk adds its offset.
template <typename Integer>
void inclusive_scan_in_place(Integer* data, std::size_t n) {
  std::vector<Integer> offset(chunk_count(n), 0);
  for_each_chunk(n, [&](std::size_t c, std::size_t begin, std::size_t end) {
    Integer running = 0;
    for (std::size_t i = begin; i < end; ++i) running += data[i];
    offset[c] = running;
  });
  Integer before = 0;
  for (Integer& o : offset) {
    const Integer total = o;
    o = before;
    before += total;
  }
  for_each_chunk(n, [&](std::size_t c, std::size_t begin, std::size_t end) {
    Integer running = offset[c];
    for (std::size_t i = begin; i < end; ++i) data[i] = running += data[i];
  });
}

// Sets data[0, n) to value, in parallel (first touch of fresh memory on the threads that use it).
template <typename T>
void parallel_fill(T* data, std::size_t n, const T& value) {
  for_each_chunk(n, [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) data[i] = value;
  });
}

}  // namespace convsim
