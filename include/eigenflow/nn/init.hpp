// include/eigenflow/nn/init.hpp — weight initializers, as Flax defines them.
//
// Defaults follow Flax's Dense: LeCun normal for weights (variance 1/fan_in, a normal truncated at
// two standard deviations and rescaled so the variance is exact) and zeros for biases.
#pragma once

#include <array>
#include <cmath>
#include <string_view>

#include "eigenflow/enum_names.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow::nn {

/// Weight initialization schemes (see initial_weight).
enum class init {
  lecun_normal,    ///< truncated normal, variance 1 / fan_in (Flax's default kernel init)
  glorot_uniform,  ///< uniform, variance 2 / (fan_in + fan_out) (Keras' default)
  zeros            ///< for the last layer of a coupling's conditioner: start at the identity map
};

/// The names written in options and checkpoints ("lecun_normal", "glorot_uniform", "zeros").
inline constexpr auto init_names = std::to_array<enum_name<init>>(
    {{init::lecun_normal, "lecun_normal"}, {init::glorot_uniform, "glorot_uniform"}, {init::zeros, "zeros"}});

/// Parses an initializer name; unknown names throw value_error listing the known ones.
inline init parse_init(std::string_view name) { return parse_enum(init_names, name, "initializer"); }

/// A normal draw truncated to [−2, 2] (by rejection).
inline double truncated_standard_normal(random_engine& rng) {
  for (;;) {
    const double z = standard_normal(rng);
    if (std::abs(z) <= 2.0) return z;
  }
}

/// An out×in weight matrix drawn with the given scheme (fan_in = in, fan_out = out).
template <class Scalar>
matrix<Scalar> initial_weight(index_t out, index_t in, init scheme, random_engine& rng) {
  matrix<Scalar> w(out, in);
  switch (scheme) {
    case init::zeros: w.setZero(); break;
    case init::lecun_normal: {
      // The standard deviation of a standard normal truncated at ±2 is 0.8796256610342398.
      const double stddev = std::sqrt(1.0 / static_cast<double>(in)) / 0.8796256610342398;
      for (index_t i = 0; i < w.size(); ++i) w.data()[i] = static_cast<Scalar>(stddev * truncated_standard_normal(rng));
      break;
    }
    case init::glorot_uniform: {
      const double limit = std::sqrt(6.0 / static_cast<double>(in + out));
      w = uniform_matrix<Scalar>(out, in, -limit, limit, rng);
      break;
    }
  }
  return w;
}

}  // namespace eigenflow::nn
