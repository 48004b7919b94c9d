// include/eigenflow/flows/glow_builders.hpp — Glow's multi-scale flow over images (Kingma &
// Dhariwal 2018), built from a few options.
//
// Per level: a 2×2 squeeze, then `steps` times ActNorm (per channel) → invertible 1×1
// convolution → affine coupling with a convolutional conditioner on half the channels. Every
// level but the last then factors out half of its channels: their density is a learned
// conditional prior N(μ(h), σ(h)²) given the kept half h, which is exactly the affine coupling
// z ↦ (z − μ(h))/σ(h) in front of the standard normal base, so it is one more coupling (starting
// at zero, hence at N(0, I)); the next level acts on the kept half only (on_columns). The last
// level ends with an ActNorm, the learned per-channel mean and scale of the top prior, and, for a
// class-conditional flow, a class_actnorm: a mean and scale per class and channel. The flow's
// columns stay in the input's image layout until the squeezes; the base is N(0, I) over all of
// them, so log p is the sum over every scale.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eigenflow/autodiff/ops/image.hpp"
#include "eigenflow/distributions/standard_normal.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/actnorm.hpp"
#include "eigenflow/flows/affine_coupling.hpp"
#include "eigenflow/flows/class_actnorm.hpp"
#include "eigenflow/flows/composite.hpp"
#include "eigenflow/flows/conv_conditioner.hpp"
#include "eigenflow/flows/coupling.hpp"
#include "eigenflow/flows/flow.hpp"
#include "eigenflow/flows/logit.hpp"
#include "eigenflow/flows/lu_linear.hpp"
#include "eigenflow/flows/on_columns.hpp"
#include "eigenflow/flows/permutation.hpp"
#include "eigenflow/image_shape.hpp"

namespace eigenflow::flows {

/// The settings of make_glow().
struct glow_options {
  image_shape image{1, 28, 28};  ///< the input images (height and width divisible by 2^levels)
  int levels = 2;                ///< scales: each squeezes, and each but the last factors out half
  int steps = 8;                 ///< ActNorm → 1×1 conv → coupling steps per level
  index_t width = 128;           ///< hidden channels of every coupling's conditioner
  double scale_bound = 2.0;      ///< bound b on the couplings' log-scale, |s| ≤ b
  bool learned_prior = true;     ///< factored-out halves get N(μ(h), σ(h)²) given the kept half
  condition_spec condition{};    ///< class labels and/or context features for every conditioner
  index_t embedding_dim = 8;     ///< class-embedding width
  /// When set, the context features are images of this shape (super-resolution: the
  /// low-resolution picture; condition.features must be its size), which every conditioner sees
  /// pixel by pixel at its own resolution (conv_conditioner_options::context_image).
  std::optional<image_shape> context_image{};
  /// When set, the flow first takes data in (0, 1) (dequantized images,
  /// data::dequantize_to_unit) to the real line by the logit layer with this α,
  /// y = logit(α + (1 − 2α)x), as RealNVP and FFJORD do; its log-det is part of log p.
  std::optional<double> logit_alpha{};
};

}  // namespace eigenflow::flows

// In eigenflow::detail, never flows::detail (see testing.hpp).
namespace eigenflow::detail {

template <class Scalar>
std::unique_ptr<flows::conditioner<Scalar>> glow_conditioner(const std::string& name, const image_shape& in,
                                                             index_t out_channels, const flows::glow_options& o,
                                                             random_engine& rng) {
  const flows::conv_conditioner_options net{
      .width = o.width, .condition = o.condition, .embedding_dim = o.embedding_dim, .context_image = o.context_image};
  return std::make_unique<flows::conv_conditioner<Scalar>>(name, in, out_channels, net, rng);
}

/// An affine coupling over images of shape s transforming the second half of the channels.
template <class Scalar>
flows::affine_coupling<Scalar> glow_coupling(const std::string& name, const image_shape& s,
                                             const flows::glow_options& o, random_engine& rng) {
  std::vector<index_t> b = flows::channel_split(s, false);
  const index_t kept = s.channels / 2, transformed = s.channels - kept;
  auto net = glow_conditioner<Scalar>(name + ".net", {kept, s.height, s.width}, 2 * transformed, o, rng);
  return flows::affine_coupling<Scalar>(s.size(), std::move(b), std::move(net),
                                        flows::affine_bijector<Scalar>(static_cast<Scalar>(o.scale_bound)));
}

/// Level `level` and every level after it, over images of shape s.
template <class Scalar>
std::unique_ptr<flows::transform<Scalar>> glow_level(const image_shape& s, int level, const flows::glow_options& o,
                                                     random_engine& rng) {
  const std::string name = "levels." + std::to_string(level);
  auto layers = std::make_unique<flows::composite<Scalar>>(s.size());
  layers->add(flows::permutation<Scalar>(squeeze_columns(s), "squeeze"));
  const image_shape q = squeezed(s);
  for (int k = 0; k < o.steps; ++k) {
    const std::string step = name + ".steps." + std::to_string(k);
    layers->add(flows::actnorm<Scalar>(step + ".actnorm", q));
    layers->add(flows::lu_linear<Scalar>(step + ".invconv", q, rng));
    layers->add(glow_coupling<Scalar>(step + ".coupling", q, o, rng));
  }
  if (level + 1 == o.levels) {
    layers->add(flows::actnorm<Scalar>(name + ".prior", q));
    if (o.condition.classes > 0) layers->add(flows::class_actnorm<Scalar>(name + ".class_prior", q, o.condition.classes));
    return layers;
  }
  // Factor out the second half of the channels: its prior given the first half, then the next
  // level on the first half.
  if (o.learned_prior) layers->add(glow_coupling<Scalar>(name + ".prior", q, o, rng));
  const image_shape kept{q.channels / 2, q.height, q.width};
  auto next = glow_level<Scalar>(kept, level + 1, o, rng);
  layers->add(flows::on_columns<Scalar>(q.size(), flows::channel_split(q, true), std::move(next)));
  return layers;
}

}  // namespace eigenflow::detail

namespace eigenflow::flows {

/// Glow's multi-scale flow over batches of images of o.image (image_shape.hpp's layout), with an
/// N(0, I) base. Call flow::initialize on a batch before training (the ActNorms are
/// data-initialized). Throws value_error on settings that do not fit the image.
template <class Scalar>
flow<Scalar> make_glow(const glow_options& o, random_engine& rng) {
  const std::string who = "make_glow";
  o.image.validate(who.c_str());
  if (o.levels < 1 || o.steps < 1 || o.width < 1) {
    throw value_error(who + ": levels, steps and width must be positive, got " + std::to_string(o.levels) + ", " +
                      std::to_string(o.steps) + ", " + std::to_string(o.width));
  }
  // Each level halves H and W; every squeezed level needs at least 2 channels to split.
  const index_t divisor = index_t(1) << o.levels;
  if (o.image.height % divisor != 0 || o.image.width % divisor != 0) {
    throw value_error(who + ": " + std::to_string(o.levels) + " levels need height and width divisible by " +
                      std::to_string(divisor) + ", got images of " + o.image.to_string());
  }
  auto layers = std::make_unique<composite<Scalar>>(o.image.size());
  if (o.logit_alpha) layers->add(logit<Scalar>(o.image.size(), *o.logit_alpha));
  layers->push_back(eigenflow::detail::glow_level<Scalar>(o.image, 0, o, rng));
  return flow<Scalar>(std::make_unique<distributions::standard_normal<Scalar>>(o.image.size()), std::move(layers));
}

}  // namespace eigenflow::flows
