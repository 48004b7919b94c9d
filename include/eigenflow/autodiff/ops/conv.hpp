// include/eigenflow/autodiff/ops/conv.hpp — 2-D convolution over batches of images (the layout
// of image_shape.hpp), stride 1, zero "same" padding, odd square kernels, for plain matrices,
// vars and duals.
//
// Lowered to one matrix product: the (N·H·W)×(C·k·k) matrix of patches (im2col) times the
// weight's transpose, so it runs at GEMM speed. The weight is C_out×(C·k·k), its column
// (c·k + ky)·k + kx the tap at row offset ky − k/2 and column offset kx − k/2 of channel c
// (PyTorch's weight.view(C_out, −1)). A 1×1 kernel needs no patches: the batch itself, read as
// (N·H·W)×C, is the patch matrix. In this layout every patch column is built from contiguous runs
// of N·(run of pixels) entries, so im2col and its adjoint (col2im) are block copies.
//
// The backward rule rebuilds the patches rather than keeping them (a 3×3 conv of 128 channels
// over a batch of 64 14×14 images would keep 58 MB per layer on the tape): the copy costs a few
// percent of the products it feeds. Patches live in a per-thread workspace that grows once.
// Convolution is bilinear, so its tangent is conv(ẋ, W) + conv(x, Ẇ) + ḃ, made of the same op.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "eigenflow/autodiff/dual.hpp"
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

/// A per-thread buffer of at least n scalars for the patches (grows, never shrinks).
template <class Scalar>
Scalar* conv_workspace(index_t n) {
  thread_local std::vector<Scalar> store;
  if (store.size() < static_cast<std::size_t>(n)) store.resize(static_cast<std::size_t>(n));
  return store.data();
}

/// The patch matrix of a batch: the batch itself for 1×1 kernels, else im2col into the workspace.
template <class Scalar>
Eigen::Map<const matrix<Scalar>> patches_of(const Scalar* images, index_t rows, const image_shape& s, index_t k) {
  const index_t patch_rows = rows * s.pixels(), patch_cols = s.channels * k * k;
  if (k == 1) return {images, patch_rows, patch_cols};
  Scalar* p = conv_workspace<Scalar>(patch_rows * patch_cols);
  im2col(images, rows, s, k, p);
  return {p, patch_rows, patch_cols};
}

/// out (N×(C_out·H·W)) = conv(x, w) + b, b optional (null).
template <class Scalar, class Weight>
void conv2d_into(Scalar* out, const Scalar* x, index_t rows, const image_shape& in, index_t k, const Weight& w,
                 const Scalar* b) {
  const image_shape out_shape{w.rows(), in.height, in.width};
  auto y = pixel_rows(out, rows, out_shape);
  if (b != nullptr) {
    y.rowwise() = Eigen::Map<const row_vector<Scalar>>(b, w.rows());
    y.noalias() += patches_of(x, rows, in, k) * w.transpose();
  } else {
    y.noalias() = patches_of(x, rows, in, k) * w.transpose();
  }
}

template <class Scalar>
void conv2d_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& x = t.node_at(n.inputs[0]);
  const tape_node<Scalar>& w = t.node_at(n.inputs[1]);
  const image_shape in{x.cols / (n.int_args[0] * n.int_args[1]), n.int_args[0], n.int_args[1]};
  const image_shape out_shape{w.rows, in.height, in.width};
  const index_t k = static_cast<index_t>(std::lround(std::sqrt(static_cast<double>(w.cols / in.channels))));
  const auto g = pixel_rows(n.adjoint().data(), n.rows, out_shape);
  if (n.inputs[2] >= 0) {
    const tape_node<Scalar>& b = t.node_at(n.inputs[2]);
    if (b.needs_grad()) b.adjoint() += g.colwise().sum();
  }
  if (w.needs_grad()) w.adjoint().noalias() += g.transpose() * patches_of(x.value().data(), n.rows, in, k);
  if (!x.needs_grad()) return;
  if (k == 1) {
    pixel_rows(x.adjoint().data(), n.rows, in).noalias() += g * w.value();
    return;
  }
  // The patches' adjoint reuses the workspace (the patches themselves are no longer needed).
  const index_t patch_rows = n.rows * in.pixels(), patch_cols = in.channels * k * k;
  Eigen::Map<matrix<Scalar>> patch_adjoint(conv_workspace<Scalar>(patch_rows * patch_cols), patch_rows, patch_cols);
  patch_adjoint.noalias() = g * w.value();
  col2im_add(patch_adjoint.data(), n.rows, in, k, x.adjoint().data());
}

template <class Scalar>
var<Scalar> record_conv2d(const var<Scalar>& x, const var<Scalar>& w, const var<Scalar>* b, const image_shape& in) {
  tape<Scalar>& t = x.owner();
  t.check_operand("conv2d", x);
  t.check_operand("conv2d", w);
  if (b != nullptr) t.check_operand("conv2d", *b);
  const shape bs = b != nullptr ? b->shape() : shape{};
  const index_t k = check_conv2d(x.shape(), w.shape(), b != nullptr ? &bs : nullptr, in);
  var<Scalar> y = b != nullptr ? t.record("conv2d", x.rows(), w.rows() * in.pixels(), {x, w, *b}, &conv2d_backward<Scalar>)
                               : t.record("conv2d", x.rows(), w.rows() * in.pixels(), {x, w}, &conv2d_backward<Scalar>);
  tape_node<Scalar>& node = t.node_at(y.id());
  node.int_args[0] = in.height;
  node.int_args[1] = in.width;
  conv2d_into(y.output().data(), x.value().data(), x.rows(), in, k, w.value(), b != nullptr ? b->value().data() : nullptr);
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
  detail::conv2d_into(y.data(), x.data(), x.rows(), in, k, w, b.data());
  return y;
}
/// conv2d without a bias.
template <class Scalar>
matrix<Scalar> conv2d(const matrix<Scalar>& x, const matrix<Scalar>& w, const image_shape& in) {
  const index_t k = detail::check_conv2d(detail::shape_of(x), detail::shape_of(w), nullptr, in);
  matrix<Scalar> y(x.rows(), w.rows() * in.pixels());
  detail::conv2d_into(y.data(), x.data(), x.rows(), in, k, w, static_cast<const Scalar*>(nullptr));
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

}  // namespace eigenflow
