// include/eigenflow/flows/flow.hpp — a normalizing flow: a base density and a transform that
// takes data to base space (docs/conventions.md): log p(x) = log N(T(x)) + log|det ∂T/∂x|; sampling runs T⁻¹.
#pragma once

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <memory>
#include <string>
#include <utility>

#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/value_traits.hpp"
#include "eigenflow/distributions/distribution.hpp"
#include "eigenflow/distributions/tempered.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/transform.hpp"
#include "eigenflow/model.hpp"

namespace eigenflow::flows {

/// Base distribution + transform: a density_model (model.hpp). @tparam Scalar float or double.
///
/// @code
///   flows::flow<float> model(std::make_unique<distributions::standard_normal<float>>(2), std::move(stack));
///   matrix<float> lp = model.log_prob(x);              // batch×1, plain mode
///   var<float> loss = neg(mean(model.log_prob(t.constant_view(x))));  // on the tape
///   matrix<float> xs = model.sample(1000, rng);
/// @endcode
template <class Scalar>
class flow {
 public:
  /// float or double.
  using scalar_type = Scalar;

  /// Takes ownership of the base density and of the transform (data → base space); their widths
  /// must match.
  flow(std::unique_ptr<distributions::distribution<Scalar>> base, std::unique_ptr<transform<Scalar>> bijection)
      : base_(std::move(base)), transform_(std::move(bijection)) {
    if (!base_ || !transform_) throw value_error("flow: base and transform are required");
    if (base_->dim() != transform_->dim()) {
      throw shape_error("flow: base has dimension " + std::to_string(base_->dim()) + ", transform " +
                        std::to_string(transform_->dim()));
    }
    params_ = collect_parameters();
  }
  /// A deep copy: base and transform are cloned.
  flow(const flow& other)
      : base_(other.base_->clone()), transform_(other.transform_->clone()), params_(collect_parameters()) {}
  /// Replaces this flow with a deep copy of `other`.
  flow& operator=(const flow& other) {
    flow copy(other);
    std::swap(base_, copy.base_);
    std::swap(transform_, copy.transform_);
    std::swap(params_, copy.params_);  // the list points into the objects just swapped in
    return *this;
  }
  /// Moves the layers (the parameters stay where they are, so the list stays valid).
  flow(flow&&) noexcept = default;
  /// Moves the layers (the parameters stay where they are, so the list stays valid).
  flow& operator=(flow&&) noexcept = default;

  /// log p(x [| c]) per sample (batch×1), in nats. Plain batches larger than chunk_rows are
  /// evaluated chunk by chunk: the working set stays in cache and no large temporary is paged in.
  template <class Value>
    requires value_type<Value>
  Value log_prob(const Value& x, const context<Value>& c = {}) const {
    check_input("log_prob", x, c);
    if constexpr (std::is_same_v<Value, matrix<Scalar>>) {
      if (x.rows() > chunk_rows) {
        matrix<Scalar> out(x.rows(), 1);
        for_each_chunk(x.rows(), c, [&](index_t begin, index_t rows, const context<matrix<Scalar>>& part) {
          out.middleRows(begin, rows) = log_prob_unchecked(matrix<Scalar>(x.middleRows(begin, rows)), part);
        });
        return out;
      }
    }
    return log_prob_unchecked(x, c);
  }

  /// Rows per chunk of plain-mode evaluation.
  static constexpr index_t chunk_rows = 4096;

  /// n samples [given c: one label / context row per sample].
  matrix<Scalar> sample(index_t n, random_engine& rng, const context<matrix<Scalar>>& c = {}) const {
    return sample_and_log_prob(n, rng, c).first;
  }

  /// Samples with their log-density: log p(x) = log p(z) − log|det ∂x/∂z|.
  std::pair<matrix<Scalar>, matrix<Scalar>> sample_and_log_prob(index_t n, random_engine& rng,
                                                                const context<matrix<Scalar>>& c = {}) const {
    if (n < 1) throw value_error("flow::sample: the number of samples must be positive, got " + std::to_string(n));
    check_context("flow::sample", transform_->condition(), c, n);
    const matrix<Scalar> z = base_->sample(n, rng);
    matrix<Scalar> x(n, dim()), log_p(n, 1);
    for_each_chunk(n, c, [&](index_t begin, index_t rows, const context<matrix<Scalar>>& part) {
      const matrix<Scalar> zc = z.middleRows(begin, rows);
      const transformed<matrix<Scalar>> xc = transform_->inverse(zc, part);
      x.middleRows(begin, rows) = xc.value;
      log_p.middleRows(begin, rows) = base_->log_prob(zc) - xc.log_det;
    });
    return {x, log_p};
  }

  /// Data-dependent initialization (ActNorm layers) from a representative batch.
  void initialize(const matrix<Scalar>& x, const context<matrix<Scalar>>& c = {}) {
    check_input("initialize", x, c);
    transform_->initialize(x, c);
  }

  /// Adds ∂(−mean log p(x | c))/∂θ to the parameters' gradients, recorded on `t` (cleared first).
  step_loss accumulate_gradient(const matrix<Scalar>& x, const context<matrix<Scalar>>& c, random_engine&, tape<Scalar>& t) {
    return record_nll_gradient(*this, x, c, t);
  }

  /// Base parameters, then the transform's, in the order the layers list them.
  nn::parameter_list<Scalar> parameters() { return params_; }
  /// The same parameters, read only.
  nn::const_parameter_list<Scalar> parameters() const { return params_; }

  /// D: the width of a sample.
  index_t dim() const { return transform_->dim(); }
  /// The context log_prob() and sample() need (that of the transform).
  condition_spec condition() const { return transform_->condition(); }
  /// The transform from data to base space.
  const transform<Scalar>& bijection() const { return *transform_; }
  /// The base density.
  const distributions::distribution<Scalar>& base() const { return *base_; }
  /// A copy of this flow whose base draws are scaled by `temperature` (distributions::tempered:
  /// for a standard-normal base, z ~ N(0, T² I)): Glow's reduced-temperature samples, and their
  /// density. value_error unless T is finite and positive.
  flow tempered(double temperature) const {
    return flow(std::make_unique<distributions::tempered<Scalar>>(base_->clone(), temperature), transform_->clone());
  }
  /// One line naming the base and every layer (architecture records, messages).
  std::string describe() const { return "flow(" + base_->describe() + ", " + transform_->describe() + ")"; }

 private:
  template <class Value>
  void check_input(const char* what, const Value& x, const context<Value>& c) const {
    const std::string who = std::string("flow::") + what;
    detail::check_width(who, x, dim());
    detail::require_finite(who, "x", value_of_ref(x));
    check_context(who, transform_->condition(), c, x.rows());
  }

  template <class Value>
  Value log_prob_unchecked(const Value& x, const context<Value>& c) const {
    const transformed<Value> z = transform_->forward(x, c);
    return add(base_->log_prob(z.value), z.log_det);
  }

  /// Calls f(begin, rows, context of those rows) for consecutive chunks of at most chunk_rows.
  template <class F>
  static void for_each_chunk(index_t n, const context<matrix<Scalar>>& c, const F& f) {
    for (index_t begin = 0; begin < n; begin += chunk_rows) {
      const index_t rows = std::min(chunk_rows, n - begin);
      matrix<Scalar> features;
      f(begin, rows, context_rows(c, begin, rows, features));
    }
  }

  static const matrix<Scalar>& value_of_ref(const matrix<Scalar>& x) { return x; }
  static typename var<Scalar>::const_map_type value_of_ref(const var<Scalar>& x) { return x.value(); }

  nn::parameter_list<Scalar> collect_parameters() {
    nn::parameter_list<Scalar> list;
    base_->collect_parameters(list);
    transform_->collect_parameters(list);
    return list;
  }

  std::unique_ptr<distributions::distribution<Scalar>> base_;
  std::unique_ptr<transform<Scalar>> transform_;
  // The parameters live in the layers (on the heap: a moved flow keeps them where they are); the
  // list is built once so that a const flow can hand out a read-only view of the same list.
  nn::parameter_list<Scalar> params_;
};

}  // namespace eigenflow::flows
