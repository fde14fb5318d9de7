// Counter-based random numbers (Random123 Philox4x32-10). Every draw is a pure function of
// (run seed, entity, purpose, step, draw index): no generator state is shared between firms or
// threads, so results do not depend on thread count or scheduling, and two scenarios run with the
// same seed share every draw their mechanisms share (common random numbers).
#pragma once

#include <cmath>
#include <cstdint>

#include <Random123/philox.h>

namespace convsim {

// What a draw is for. Each mechanism has its own purpose so that turning one mechanism on or off
// never shifts the draws of another.
enum class Purpose : std::uint32_t {
  firm_size = 1,
  firm_capital,
  firm_technology,
  firm_convergence,
  network_degree,
  network_supplier,
  innovation,
  adoption,
  partner_choice,
  upgrade,
  exit,
  entry_count,
  entrant,
  shock,               // aggregate and sector productivity shocks: entity = sector, or kAggregateEntity
  firm_productivity,   // a firm's own productivity innovation
  wage_premium,        // a firm's wage premium (drawn once, at its creation)
  user = 1000,  // first purpose free for tests and extensions
};

// Entity of economy-wide draws that are not a firm's or a sector's (the aggregate shock).
inline constexpr std::uint64_t kAggregateEntity = 0xFFFFFFFFull;

// Four 32-bit draws for (seed, entity, purpose, step, block): one Philox call.
class RandomBlock {
 public:
  using Engine = r123::Philox4x32;

  RandomBlock(std::uint64_t seed, std::uint64_t entity, Purpose purpose, std::uint64_t step,
              std::uint32_t block = 0) {
    const Engine::key_type key = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    const Engine::ctr_type ctr = {{static_cast<std::uint32_t>(entity),
                                   static_cast<std::uint32_t>(entity >> 32) ^ (static_cast<std::uint32_t>(purpose) << 16),
                                   static_cast<std::uint32_t>(step), block}};
    bits_ = Engine()(ctr, key);
  }

  // The block whose four draws are these bits (what the constructor computes; used by
  // models::RandomBatch, which computes many blocks at once).
  static RandomBlock from_bits(std::uint32_t b0, std::uint32_t b1, std::uint32_t b2, std::uint32_t b3) {
    RandomBlock block;
    block.bits_ = {{b0, b1, b2, b3}};
    return block;
  }

  // Raw 32 bits of draw i (0..3).
  std::uint32_t bits(int i) const { return bits_.v[i]; }
  // Uniform on the open interval (0, 1) from draw i.
  double uniform(int i) const { return uniform_from_bits(bits_.v[i]); }
  // The uniform of a draw whose raw 32 bits are `bits` (uniform(i) is uniform_from_bits(bits(i))).
  static double uniform_from_bits(std::uint32_t bits) { return (static_cast<double>(bits) + 0.5) * 0x1p-32; }
  // Exponential with the given mean from draw i.
  double exponential(int i, double mean) const { return -mean * std::log(uniform(i)); }
  // Laplace (double exponential) with mean 0 and this scale from draw i.
  double laplace(int i, double scale) const {
    const double u = uniform(i) - 0.5;
    return u < 0 ? scale * std::log1p(2.0 * u) : -scale * std::log1p(-2.0 * u);
  }
  // Standard normal from draws i and i+1 (Box-Muller, cosine branch).
  double normal(int i) const {
    return std::sqrt(-2.0 * std::log(uniform(i))) * std::cos(2.0 * 3.14159265358979323846 * uniform(i + 1));
  }

 private:
  RandomBlock() = default;
  Engine::ctr_type bits_;
};

// Probability that an event with this hazard (per year) happens within dt years.
inline double hazard_probability(double hazard_per_year, double dt) {
  return hazard_per_year <= 0 ? 0.0 : -std::expm1(-hazard_per_year * dt);
}

}  // namespace convsim
