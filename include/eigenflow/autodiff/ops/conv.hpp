// include/eigenflow/autodiff/ops/conv.hpp — 2-D convolution over batches of images (the layout
// of image_shape.hpp), stride 1, zero "same" padding, odd square kernels, for plain matrices,
// vars and duals.
//
// Lowered to one matrix product, so it runs at GEMM speed: the (N·H·W)×(C·k·k) matrix of patches
// (im2col) times the weight's transpose, or, when there are fewer output than input channels, the
// batch times the weight regrouped per output tap, whose k² tap columns each output pixel then
// sums (see conv_plan). The weight is C_out×(C·k·k), its column
// (c·k + ky)·k + kx the tap at row offset ky − k/2 and column offset kx − k/2 of channel c
// (PyTorch's weight.view(C_out, −1)). A 1×1 kernel needs no patches: the batch itself, read as
// (N·H·W)×C, is the patch matrix. In this layout every patch column is built from contiguous runs
// of N·(run of pixels) entries, so im2col and its adjoint (col2im) are block copies.
//
// The backward rule rebuilds the patches rather than keeping them (a 3×3 conv of 128 channels
// over a batch of 64 14×14 images would keep 58 MB per layer on the tape): the copy costs a few
// percent of the products it feeds. Patches live in per-thread workspaces that grow once.
// Convolution is bilinear, so its tangent is conv(ẋ, W) + conv(x, Ẇ) + ḃ, made of the same op.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "eigenflow/autodiff/detail/gemm.hpp"
#include "eigenflow/autodiff/dual.hpp"
#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/ops/image.hpp"
#include "eigenflow/autodiff/ops/structure.hpp"
#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/image_shape.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

namespace detail {

/// Checks a convolution's operands and returns its kernel size k (from the weight's columns).
inline index_t check_conv2d(shape x, shape w, const shape* b, const image_shape& in) {
  const char* op = "conv2d";
  in.require_columns(op, x.cols);
  const index_t taps = w.cols / in.channels;
  const auto k = static_cast<index_t>(std::lround(std::sqrt(static_cast<double>(taps))));
  if (w.rows < 1 || w.cols % in.channels != 0 || k * k != taps || k % 2 == 0) {
    throw_shape(op, "weight " + to_string(w) + " does not fit " + std::to_string(in.channels) +
                        " input channels (expected C_out x (C·k·k) with k odd)");
  }
  if (b != nullptr && (b->rows != 1 || b->cols != w.rows)) {
    throw_shape(op, "bias " + to_string(*b) + " does not fit weight " + to_string(w) + " (expected 1x" +
                        std::to_string(w.rows) + ")");
  }
  return k;
}

/// The (rows·H·W)×C view of a batch of `rows` images of `c` channels (see image_shape.hpp).
template <class Scalar>
Eigen::Map<matrix<Scalar>> pixel_rows(Scalar* data, index_t rows, const image_shape& s) {
  return {data, rows * s.pixels(), s.channels};
}
template <class Scalar>
Eigen::Map<const matrix<Scalar>> pixel_rows(const Scalar* data, index_t rows, const image_shape& s) {
  return {data, rows * s.pixels(), s.channels};
}

/// Visits every contiguous run of a k×k convolution's patch matrix: f(column, patch_offset,
/// image_offset, length) for runs that read the image (entries image[image_offset + i] go to
/// patches[patch_offset + i], offsets in scalars), z(patch_offset, length) for the zero padding.
/// The patch matrix has rows·H·W rows; column (c·k + ky)·k + kx.
template <class Copy, class Zero>
void for_each_patch_run(index_t rows, const image_shape& s, index_t k, Copy&& f, Zero&& z) {
  const index_t pad = k / 2, h = s.height, w = s.width, n = rows, patch_rows = rows * s.pixels();
  for (index_t c = 0; c < s.channels; ++c) {
    for (index_t ky = 0; ky < k; ++ky) {
      for (index_t kx = 0; kx < k; ++kx) {
        const index_t column = (c * k + ky) * k + kx;
        const index_t dx = kx - pad, dy = ky - pad;
        // Output columns x with 0 ≤ x + dx < W read the image; the rest are padding.
        const index_t x0 = std::max<index_t>(0, -dx), x1 = std::min<index_t>(w, w - dx);
        for (index_t y = 0; y < h; ++y) {
          const index_t row_start = column * patch_rows + n * y * w;
          const index_t ys = y + dy;
          if (ys < 0 || ys >= h || x1 <= x0) {
            z(row_start, n * w);
            continue;
          }
          if (x0 > 0) z(row_start, n * x0);
          f(row_start + n * x0, n * (s.column(c, ys, x0 + dx)), n * (x1 - x0));
          if (x1 < w) z(row_start + n * x1, n * (w - x1));
        }
      }
    }
  }
}

/// Fills `patches` ((rows·H·W)×(C·k·k), column-major) from a batch of `rows` images.
template <class Scalar>
void im2col(const Scalar* images, index_t rows, const image_shape& s, index_t k, Scalar* patches) {
  for_each_patch_run(
      rows, s, k,
      [&](index_t to, index_t from, index_t length) { std::copy_n(images + from, length, patches + to); },
      [&](index_t to, index_t length) { std::fill_n(patches + to, length, Scalar(0)); });
}

/// Adds the patches' adjoint back into the images' adjoint (im2col's transpose).
template <class Scalar>
void col2im_add(const Scalar* patches, index_t rows, const image_shape& s, index_t k, Scalar* images) {
  for_each_patch_run(
      rows, s, k,
      [&](index_t from, index_t to, index_t length) {
        Eigen::Map<vector<Scalar>>(images + to, length) += Eigen::Map<const vector<Scalar>>(patches + from, length);
      },
      [](index_t, index_t) {});
}

/// Per-thread buffer `slot` (0 to 3) of at least n scalars (grows, never shrinks).
template <class Scalar>
Scalar* conv_workspace(int slot, index_t n) {
  thread_local std::array<std::vector<Scalar>, 4> store;
  std::vector<Scalar>& buffer = store[static_cast<std::size_t>(slot)];
  if (buffer.size() < static_cast<std::size_t>(n)) buffer.resize(static_cast<std::size_t>(n));
  return buffer.data();
}

// Two lowerings of the same convolution, with the same products (FLOPs) but patch matrices of
// different widths. Input side (im2col of x): y = patches(x)·Wᵀ, patches k²·C_in wide. Output side:
// Z = x·V with V the weight regrouped per output tap (C_in × k²·C_out), then every output pixel
// sums the k² entries of Z its taps land on: y = col2im(Z) with the kernel flipped, so only
// k²·C_out columns are ever written. A conditioner's last layer (128 channels to 4) writes 32×
// less memory the second way; its first layer (2 channels to 128) 64× less the first way.
struct conv_plan {
  index_t rows;        // images in the batch
  image_shape in;      // C_in×H×W
  image_shape out;     // C_out×H×W
  index_t k;           // kernel size (odd)
  bool output_side;    // which lowering (see above)

  conv_plan(index_t batch, const image_shape& input, index_t out_channels, index_t kernel)
      : rows(batch), in(input), out{out_channels, input.height, input.width}, k(kernel),
        output_side(kernel > 1 && out_channels < input.channels) {}
  index_t pixel_rows() const { return rows * in.pixels(); }
  index_t taps() const { return k * k; }
};

/// The output side's V regroups W: V(c, (o·k + ky)·k + kx) = W(o, c·k² + (k−1−ky)·k + k−1−kx).
/// Calls f(o, W's column, c, V's column) for every entry.
template <class F>
void for_each_regrouped_entry(const conv_plan& p, F&& f) {
  const index_t k = p.k;
  for (index_t o = 0; o < p.out.channels; ++o) {
    for (index_t ky = 0; ky < k; ++ky) {
      for (index_t kx = 0; kx < k; ++kx) {
        const index_t column = (o * k + ky) * k + kx, tap = (k - 1 - ky) * k + (k - 1 - kx);
        for (index_t c = 0; c < p.in.channels; ++c) f(o, c * p.taps() + tap, c, column);
      }
    }
  }
}

/// Writes V (C_in × k²·C_out, column-major) from W.
template <class Scalar, class Weight>
void regroup_weight(const conv_plan& p, const Weight& w, Scalar* v) {
  Eigen::Map<matrix<Scalar>> vm(v, p.in.channels, p.taps() * p.out.channels);
  for_each_regrouped_entry(p, [&](index_t o, index_t wc, index_t c, index_t vc) { vm(c, vc) = w(o, wc); });
}

/// Adds V's adjoint back to W's.
template <class Scalar, class Weight>
void add_regrouped(const conv_plan& p, const Scalar* v, Weight&& w) {
  Eigen::Map<const matrix<Scalar>> vm(v, p.in.channels, p.taps() * p.out.channels);
  for_each_regrouped_entry(p, [&](index_t o, index_t wc, index_t c, index_t vc) { w(o, wc) += vm(c, vc); });
}

/// out (N×(C_out·H·W)) = conv(x, w) + b, b optional (null).
template <class Scalar, class Weight>
void conv2d_into(const conv_plan& p, Scalar* out, const Scalar* x, const Weight& w, const Scalar* b) {
  auto y = pixel_rows(out, p.rows, p.out);
  if (b != nullptr) {
    y.rowwise() = Eigen::Map<const row_vector<Scalar>>(b, p.out.channels);
  } else {
    y.setZero();
  }
  const auto input = pixel_rows(x, p.rows, p.in);
  if (p.k == 1) {
    gemm_into<true>(y, input, w.transpose());
  } else if (!p.output_side) {
    Eigen::Map<matrix<Scalar>> patches(conv_workspace<Scalar>(0, p.pixel_rows() * p.in.channels * p.taps()),
                                       p.pixel_rows(), p.in.channels * p.taps());
    im2col(x, p.rows, p.in, p.k, patches.data());
    gemm_into<true>(y, patches, w.transpose());
  } else {
    const index_t z_cols = p.out.channels * p.taps();
    Scalar* v = conv_workspace<Scalar>(1, p.in.channels * z_cols);
    regroup_weight(p, w, v);
    Eigen::Map<matrix<Scalar>> z(conv_workspace<Scalar>(0, p.pixel_rows() * z_cols), p.pixel_rows(), z_cols);
    gemm_into<false>(z, input, Eigen::Map<const matrix<Scalar>>(v, p.in.channels, z_cols));
    col2im_add(z.data(), p.rows, p.out, p.k, out);
  }
}

/// f(x) in place, for an activation fused into a convolution's node.
template <activation A, class Scalar>
void activate_in_place(Scalar* y, index_t size) {
  auto a = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>>(y, size, 1);
  a = activation_kernel<A, 0>::forward(a);
}

/// g·f'(x) written to out, with f'(x) computed from y = f(x) alone (the fused node keeps no
/// pre-activation): relu 1[y > 0], tanh 1 − y², sigmoid y(1 − y), softplus 1 − e^(−y) (the
/// sigmoid of x), elu 1 for y > 0 and y + 1 otherwise.
template <activation A, class Scalar>
void activation_backward_from_output(const Scalar* y, const Scalar* g, index_t size, Scalar* out) {
  const auto ya = Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>(y, size, 1);
  const auto ga = Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>(g, size, 1);
  auto o = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>>(out, size, 1);
  if constexpr (A == activation::relu) {
    o = (ya > Scalar(0)).select(ga, Scalar(0));
  } else if constexpr (A == activation::tanh) {
    o = ga * (Scalar(1) - ya.square());
  } else if constexpr (A == activation::sigmoid) {
    o = ga * ya * (Scalar(1) - ya);
  } else if constexpr (A == activation::softplus) {
    o = -ga * (-ya).unaryExpr([](Scalar v) { return std::expm1(v); });
  } else if constexpr (A == activation::elu) {
    o = (ya > Scalar(0)).select(ga, ga * (ya + Scalar(1)));
  } else {
    o = ga;
  }
}

/// The convolution's backward rule, given the adjoint g of its output before any fused activation.
template <class Scalar>
void conv2d_backward_with(const tape_node<Scalar>& n, tape<Scalar>& t, const Scalar* g_data) {
  const tape_node<Scalar>& x = t.node_at(n.inputs[0]);
  const tape_node<Scalar>& w = t.node_at(n.inputs[1]);
  const image_shape in{x.cols / (n.int_args[0] * n.int_args[1]), n.int_args[0], n.int_args[1]};
  const index_t k = static_cast<index_t>(std::lround(std::sqrt(static_cast<double>(w.cols / in.channels))));
  const conv_plan p(n.rows, in, w.rows, k);
  const auto g = pixel_rows(g_data, n.rows, p.out);
  if (n.inputs[2] >= 0) {
    const tape_node<Scalar>& b = t.node_at(n.inputs[2]);
    if (b.needs_grad()) b.adjoint() += g.colwise().sum();
  }
  const auto input = pixel_rows(x.value().data(), n.rows, in);
  if (k == 1) {
    if (w.needs_grad()) gemm_into<true>(w.adjoint(), g.transpose(), input);
    if (x.needs_grad()) gemm_into<true>(pixel_rows(x.adjoint().data(), n.rows, in), g, w.value());
    return;
  }
  if (!p.output_side) {
    // Patches of x for W̄ = ḡᵀ·patches, then the workspace holds the patches' adjoint ḡ·W.
    Eigen::Map<matrix<Scalar>> patches(conv_workspace<Scalar>(0, p.pixel_rows() * in.channels * p.taps()),
                                       p.pixel_rows(), in.channels * p.taps());
    if (w.needs_grad()) {
      im2col(x.value().data(), n.rows, in, k, patches.data());
      gemm_into<true>(w.adjoint(), g.transpose(), patches);
    }
    if (x.needs_grad()) {
      gemm_into<false>(patches, g, w.value());
      col2im_add(patches.data(), n.rows, in, k, x.adjoint().data());
    }
    return;
  }
  // Output side: y = col2im(x·V), so Z̄ = im2col(ḡ), x̄ += Z̄·Vᵀ and V̄ = xᵀ·Z̄.
  const index_t z_cols = p.out.channels * p.taps();
  Eigen::Map<matrix<Scalar>> z_adjoint(conv_workspace<Scalar>(0, p.pixel_rows() * z_cols), p.pixel_rows(), z_cols);
  im2col(g_data, n.rows, p.out, k, z_adjoint.data());
  Eigen::Map<matrix<Scalar>> v(conv_workspace<Scalar>(1, in.channels * z_cols), in.channels, z_cols);
  if (x.needs_grad()) {
    regroup_weight(p, w.value(), v.data());
    gemm_into<true>(pixel_rows(x.adjoint().data(), n.rows, in), z_adjoint, v.transpose());
  }
  if (w.needs_grad()) {
    gemm_into<false>(v, input.transpose(), z_adjoint);
    add_regrouped(p, v.data(), w.adjoint());
  }
}

template <class Scalar>
void conv2d_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  conv2d_backward_with(n, t, n.adjoint().data());
}

/// Backward of f(conv + b) in one node: g·f' into a workspace (the node's own adjoint stays as
/// the caller may read it), then the convolution's rule.
template <class Scalar, activation A>
void conv2d_activated_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  Scalar* g = conv_workspace<Scalar>(3, n.rows * n.cols);
  activation_backward_from_output<A>(n.value_data, n.adjoint_data, n.rows * n.cols, g);
  conv2d_backward_with(n, t, g);
}

template <class Scalar>
var<Scalar> record_conv2d(const var<Scalar>& x, const var<Scalar>& w, const var<Scalar>* b, const image_shape& in,
                          activation a = activation::identity) {
  tape<Scalar>& t = x.owner();
  t.check_operand("conv2d", x);
  t.check_operand("conv2d", w);
  if (b != nullptr) t.check_operand("conv2d", *b);
  const shape bs = b != nullptr ? b->shape() : shape{};
  const index_t k = check_conv2d(x.shape(), w.shape(), b != nullptr ? &bs : nullptr, in);
  using backward_fn = typename tape_node<Scalar>::backward_fn;
  const backward_fn backward = dispatch_activation(a, [](auto tag) -> backward_fn {
    if constexpr (decltype(tag)::value == activation::identity) {
      return &conv2d_backward<Scalar>;
    } else {
      return &conv2d_activated_backward<Scalar, decltype(tag)::value>;
    }
  });
  var<Scalar> y = b != nullptr ? t.record("conv2d", x.rows(), w.rows() * in.pixels(), {x, w, *b}, backward)
                               : t.record("conv2d", x.rows(), w.rows() * in.pixels(), {x, w}, backward);
  tape_node<Scalar>& node = t.node_at(y.id());
  node.int_args[0] = in.height;
  node.int_args[1] = in.width;
  conv2d_into(conv_plan(x.rows(), in, w.rows(), k), y.output().data(), x.value().data(), w.value(),
              b != nullptr ? b->value().data() : nullptr);
  if (a != activation::identity) {
    dispatch_activation(
        a, [&](auto tag) { activate_in_place<decltype(tag)::value>(node.output_data, node.rows * node.cols); });
  }
  return y;
}

}  // namespace detail

/// The 2-D convolution of a batch of images x (N×(C·H·W), layout of image_shape.hpp) with weight
/// w (C_out×(C·k·k), k odd) plus bias b (1×C_out): stride 1, zero padding k/2, so the result is
/// N×(C_out·H·W), images of C_out×H×W.
template <class Scalar>
matrix<Scalar> conv2d(const matrix<Scalar>& x, const matrix<Scalar>& w, const matrix<Scalar>& b, const image_shape& in) {
  const detail::shape bs = detail::shape_of(b);
  const index_t k = detail::check_conv2d(detail::shape_of(x), detail::shape_of(w), &bs, in);
  matrix<Scalar> y(x.rows(), w.rows() * in.pixels());
  detail::conv2d_into(detail::conv_plan(x.rows(), in, w.rows(), k), y.data(), x.data(), w, b.data());
  return y;
}
/// conv2d without a bias.
template <class Scalar>
matrix<Scalar> conv2d(const matrix<Scalar>& x, const matrix<Scalar>& w, const image_shape& in) {
  const index_t k = detail::check_conv2d(detail::shape_of(x), detail::shape_of(w), nullptr, in);
  matrix<Scalar> y(x.rows(), w.rows() * in.pixels());
  detail::conv2d_into(detail::conv_plan(x.rows(), in, w.rows(), k), y.data(), x.data(), w,
                      static_cast<const Scalar*>(nullptr));
  return y;
}

/// conv2d on a tape: one node; the backward pass rebuilds the patches.
template <class Scalar>
var<Scalar> conv2d(const var<Scalar>& x, const var<Scalar>& w, const var<Scalar>& b, const image_shape& in) {
  return detail::record_conv2d(x, w, &b, in);
}
/// conv2d without a bias, on a tape.
template <class Scalar>
var<Scalar> conv2d(const var<Scalar>& x, const var<Scalar>& w, const image_shape& in) {
  return detail::record_conv2d(x, w, static_cast<const var<Scalar>*>(nullptr), in);
}

/// conv2d for duals, with tangent conv(ẋ, W) + conv(x, Ẇ) + ḃ (broadcast over the pixels).
template <class Scalar>
dual<Scalar> conv2d(const dual<Scalar>& x, const dual<Scalar>& w, const dual<Scalar>& b, const image_shape& in) {
  const var<Scalar> p = conv2d(x.primal, w.primal, b.primal, in);
  const var<Scalar> tx = x.has_tangent() ? conv2d(x.tangent, w.primal, in) : var<Scalar>();
  const var<Scalar> tw = w.has_tangent() ? conv2d(x.primal, w.tangent, in) : var<Scalar>();
  const var<Scalar> tb = b.has_tangent() ? expand_channels(b.tangent, {w.primal.rows(), in.height, in.width}) : var<Scalar>();
  return {p, detail::tangent_add(detail::tangent_add(tx, tw, p.shape()), tb, p.shape())};
}
/// conv2d without a bias, for duals.
template <class Scalar>
dual<Scalar> conv2d(const dual<Scalar>& x, const dual<Scalar>& w, const image_shape& in) {
  const var<Scalar> p = conv2d(x.primal, w.primal, in);
  const var<Scalar> tx = x.has_tangent() ? conv2d(x.tangent, w.primal, in) : var<Scalar>();
  const var<Scalar> tw = w.has_tangent() ? conv2d(x.primal, w.tangent, in) : var<Scalar>();
  return {p, detail::tangent_add(tx, tw, p.shape())};
}

/// f(conv2d(x, w, b)) for an activation f chosen at run time: the same values as
/// activate(conv2d(x, w, b, in), f), with the activation applied in place.
template <class Scalar>
matrix<Scalar> activated_conv2d(const matrix<Scalar>& x, const matrix<Scalar>& w, const matrix<Scalar>& b,
                                const image_shape& in, activation f) {
  matrix<Scalar> y = conv2d(x, w, b, in);
  if (f != activation::identity) {
    detail::dispatch_activation(
        f, [&](auto tag) { detail::activate_in_place<decltype(tag)::value>(y.data(), y.size()); });
  }
  return y;
}
/// f(conv2d(x, w, b)) on a tape as one node: it keeps no pre-activation value and no second
/// adjoint, and its backward rule takes f' from the output (the two ReLUs of each of Glow's
/// conditioners held over a third of a training step's memory as separate nodes).
template <class Scalar>
var<Scalar> activated_conv2d(const var<Scalar>& x, const var<Scalar>& w, const var<Scalar>& b, const image_shape& in,
                             activation f) {
  return detail::record_conv2d(x, w, &b, in, f);
}
/// f(conv2d(x, w, b)) for duals: the convolution's tangent through the activation op.
template <class Scalar>
dual<Scalar> activated_conv2d(const dual<Scalar>& x, const dual<Scalar>& w, const dual<Scalar>& b,
                              const image_shape& in, activation f) {
  return activate(conv2d(x, w, b, in), f);
}

}  // namespace eigenflow
