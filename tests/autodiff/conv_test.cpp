// tests/autodiff/conv_test.cpp — conv2d against a direct six-loop convolution, its gradients and
// tangents against finite differences, and the image rearrangements (squeeze, channel blocks,
// per-channel spreading) against their definitions.
#include <catch2/catch.hpp>

#include <span>
#include <utility>
#include <vector>

#include "eigenflow/autodiff.hpp"
#include "eigenflow/autodiff/ops/conv.hpp"
#include "eigenflow/autodiff/ops/image.hpp"
#include "support/check_ad.hpp"

using namespace eigenflow;
using Catch::Matchers::Contains;
using eigenflow::test::check_ad;
using eigenflow::test::uniform;

namespace {

// The definition, written without the library's layout helpers: out(n, o, y, x) = b_o +
// Σ_{c, ky, kx} w(o, c, ky, kx) · in(n, c, y + ky − k/2, x + kx − k/2), zero outside the image.
matrix<double> direct_conv(const matrix<double>& in, const matrix<double>& w, const matrix<double>& b, index_t c_in,
                           index_t h, index_t wd, index_t k) {
  const index_t c_out = w.rows(), pad = k / 2;
  matrix<double> out(in.rows(), c_out * h * wd);
  for (index_t n = 0; n < in.rows(); ++n) {
    for (index_t o = 0; o < c_out; ++o) {
      for (index_t y = 0; y < h; ++y) {
        for (index_t x = 0; x < wd; ++x) {
          double sum = b.size() > 0 ? b(0, o) : 0.0;
          for (index_t c = 0; c < c_in; ++c) {
            for (index_t ky = 0; ky < k; ++ky) {
              for (index_t kx = 0; kx < k; ++kx) {
                const index_t ys = y + ky - pad, xs = x + kx - pad;
                if (ys < 0 || ys >= h || xs < 0 || xs >= wd) continue;
                sum += w(o, (c * k + ky) * k + kx) * in(n, (c * h + ys) * wd + xs);
              }
            }
          }
          out(n, (o * h + y) * wd + x) = sum;
        }
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("conv2d: equals the direct convolution, every kernel size and padding edge", "[autodiff][ops][conv]") {
  struct geometry {
    index_t rows, c_in, h, w, c_out, k;
  };
  // Non-square images, a kernel as large as the image, a 5×5 kernel wider than a 3-row image;
  // fewer output than input channels (lowered on the output side) and not (on the input side).
  for (const geometry g : {geometry{3, 2, 4, 5, 3, 3}, geometry{2, 3, 3, 4, 2, 1}, geometry{2, 1, 3, 3, 2, 3},
                           geometry{1, 2, 3, 6, 2, 5}, geometry{4, 1, 1, 1, 1, 3}, geometry{2, 4, 3, 5, 2, 3},
                           geometry{1, 3, 4, 4, 1, 5}, geometry{3, 5, 2, 3, 2, 3}}) {
    INFO("N=" << g.rows << " C=" << g.c_in << " H=" << g.h << " W=" << g.w << " C_out=" << g.c_out << " k=" << g.k);
    const image_shape in{g.c_in, g.h, g.w};
    const matrix<double> x = uniform(g.rows, in.size(), -1, 1, 1);
    const matrix<double> w = uniform(g.c_out, g.c_in * g.k * g.k, -1, 1, 2);
    const matrix<double> b = uniform(1, g.c_out, -1, 1, 3);
    const matrix<double> expected = direct_conv(x, w, b, g.c_in, g.h, g.w, g.k);
    CHECK((conv2d(x, w, b, in) - expected).cwiseAbs().maxCoeff() <= 1e-14);
    CHECK((conv2d(x, w, in) - direct_conv(x, w, matrix<double>(), g.c_in, g.h, g.w, g.k)).cwiseAbs().maxCoeff() <=
          1e-14);
  }
}

TEST_CASE("conv2d: gradients and tangents match finite differences", "[autodiff][ops][conv]") {
  const image_shape in{2, 4, 3};
  const matrix<double> x = uniform(3, in.size(), -1, 1, 4);
  for (const index_t k : {1, 3}) {
    INFO("k = " << k);
    const matrix<double> w = uniform(3, 2 * k * k, -1, 1, 5), b = uniform(1, 3, -1, 1, 6);
    // Weighted by a non-constant matrix, so each output entry's gradient counts separately.
    const matrix<double> weights = uniform(3, 3 * in.pixels(), 0.5, 2, 7);
    check_ad([&](const auto& v) { return mul(conv2d(v[0], v[1], v[2], in), v[3]); }, {x, w, b, weights});
    check_ad([&](const auto& v) { return mul(conv2d(v[0], v[1], in), v[2]); }, {x, w, weights});
    // Two convolutions in a row, with a nonlinearity: the tangent of the second goes through the
    // first's tangent (what a convolutional CNF's Hutchinson term differentiates).
    const matrix<double> w2 = uniform(2, 3 * k * k, -1, 1, 8);
    const image_shape mid{3, in.height, in.width};
    check_ad([&](const auto& v) { return conv2d(tanh(conv2d(v[0], v[1], v[2], in)), v[3], mid); }, {x, w, b, w2});
  }
}

TEST_CASE("activated_conv2d: f(conv2d) in one node, for every activation, matches the two ops and finite differences",
          "[autodiff][ops][conv]") {
  const image_shape in{2, 4, 3};
  const matrix<double> x = uniform(3, in.size(), -1, 1, 12);
  for (const activation f : {activation::identity, activation::tanh, activation::sigmoid, activation::softplus,
                             activation::relu, activation::elu}) {
    // 3 output channels: the input-side lowering; 1 output channel with k = 3: the output side.
    for (const auto& [c_out, k] : {std::pair<index_t, index_t>{3, 1}, {3, 3}, {1, 3}}) {
      INFO(to_string(f) << ", C_out = " << c_out << ", k = " << k);
      const matrix<double> w = uniform(c_out, 2 * k * k, -1, 1, 13), b = uniform(1, c_out, -1, 1, 14);
      const matrix<double> weights = uniform(3, c_out * in.pixels(), 0.5, 2, 15);
      CHECK((activated_conv2d(x, w, b, in, f) - activate(conv2d(x, w, b, in), f)).cwiseAbs().maxCoeff() == 0.0);
      check_ad([&](const auto& v) { return mul(activated_conv2d(v[0], v[1], v[2], in, f), v[3]); }, {x, w, b, weights});

      // One node, whose own adjoint is left as the backward pass found it (g, not g·f').
      tape<double> t;
      const var<double> xv = t.variable(x), wv = t.variable(w), bv = t.variable(b);
      const std::size_t before = t.size();
      const var<double> y = activated_conv2d(xv, wv, bv, in, f);
      CHECK(t.size() == before + 1);
      t.backward(sum(mul(y, t.constant(weights))));
      CHECK((matrix<double>(y.adjoint()) - weights).cwiseAbs().maxCoeff() == 0.0);
    }
  }
}

TEST_CASE("conv2d: a 1x1 convolution is a linear map of each pixel's channels", "[autodiff][ops][conv]") {
  const image_shape in{3, 2, 2};
  const matrix<double> x = uniform(2, in.size(), -1, 1, 9), w = uniform(4, 3, -1, 1, 10), b = uniform(1, 4, -1, 1, 11);
  const matrix<double> y = conv2d(x, w, b, in);
  for (index_t n = 0; n < 2; ++n) {
    for (index_t p = 0; p < in.pixels(); ++p) {
      vector<double> pixel(3);
      for (index_t c = 0; c < 3; ++c) pixel(c) = x(n, c * in.pixels() + p);
      const vector<double> mapped = w * pixel + b.transpose();
      for (index_t o = 0; o < 4; ++o) CHECK(std::abs(y(n, o * in.pixels() + p) - mapped(o)) <= 1e-14);
    }
  }
}

TEST_CASE("conv2d: shapes that do not fit are named", "[autodiff][ops][conv]") {
  const image_shape in{2, 3, 3};
  const matrix<double> x = uniform(2, in.size(), -1, 1, 12);
  CHECK_THROWS_WITH(conv2d(x, uniform(3, 18, -1, 1, 13), uniform(1, 3, -1, 1, 14), image_shape{2, 3, 4}),
                    Contains("conv2d: 18 columns are not images of 2x3x4 (expected 24)"));
  CHECK_THROWS_WITH(conv2d(x, uniform(3, 8, -1, 1, 13), in), Contains("conv2d: weight 3x8 does not fit 2 input channels"));
  CHECK_THROWS_WITH(conv2d(x, uniform(3, 7, -1, 1, 13), in), Contains("weight 3x7 does not fit"));
  CHECK_THROWS_WITH(conv2d(x, uniform(3, 18, -1, 1, 13), uniform(1, 2, -1, 1, 14), in),
                    Contains("conv2d: bias 1x2 does not fit weight 3x18 (expected 1x3)"));
  CHECK_THROWS_WITH(conv2d(x, uniform(3, 18, -1, 1, 13), image_shape{0, 3, 3}),
                    Contains("image shape 0x3x3 must be positive"));
  tape<double> t;
  CHECK_THROWS_WITH(conv2d(t.constant(x), t.constant(uniform(3, 32, -1, 1, 15)), in),
                    Contains("conv2d: weight 3x32 does not fit"));  // k = 4: even
}

TEST_CASE("squeeze: 2x2 blocks become channels, and unsqueeze undoes it", "[autodiff][ops][image]") {
  const image_shape in{2, 4, 6};
  CHECK(squeezed(in) == image_shape{8, 2, 3});
  const matrix<double> x = uniform(3, in.size(), -1, 1, 16);
  const matrix<double> s = squeeze(x, in);
  const image_shape out = squeezed(in);
  for (index_t n = 0; n < 3; ++n) {
    for (index_t c = 0; c < 2; ++c) {
      for (index_t y = 0; y < 4; ++y) {
        for (index_t xx = 0; xx < 6; ++xx) {
          // Pixel (y, x) of channel c lands in channel 4c + 2(y mod 2) + (x mod 2) at (y/2, x/2).
          CHECK(s(n, out.column(4 * c + 2 * (y % 2) + xx % 2, y / 2, xx / 2)) == x(n, in.column(c, y, xx)));
        }
      }
    }
  }
  CHECK(unsqueeze(s, in) == x);
  check_ad([&](const auto& v) { return mul(squeeze(v[0], in), v[1]); }, {x, uniform(3, in.size(), 0.5, 2, 17)});
  check_ad([&](const auto& v) { return mul(unsqueeze(v[0], in), v[1]); }, {s, uniform(3, in.size(), 0.5, 2, 18)});
  CHECK_THROWS_WITH(squeezed(image_shape{1, 3, 4}), Contains("squeeze: image shape 1x3x4 has an odd height or width"));
  CHECK_THROWS_WITH(squeeze(x, image_shape{2, 4, 4}), Contains("squeeze: 48 columns are not images of 2x4x4"));
}

TEST_CASE("channel blocks and per-channel vectors", "[autodiff][ops][image]") {
  const image_shape s{3, 2, 3};
  const matrix<double> x = uniform(2, s.size(), -1, 1, 19);
  const matrix<double> middle = channels(x, s, 1, 2);
  REQUIRE(middle.cols() == 12);
  for (index_t c = 1; c < 3; ++c) {
    for (index_t p = 0; p < s.pixels(); ++p) CHECK(middle(1, (c - 1) * s.pixels() + p) == x(1, c * s.pixels() + p));
  }
  CHECK_THROWS_WITH(channels(x, s, 2, 2), Contains("channels: [2, 4) is not a block of the 3 channels of 3x2x3"));
  const matrix<double> v = uniform(1, 3, -1, 1, 20);
  const matrix<double> spread = expand_channels(v, s);
  for (index_t c = 0; c < 3; ++c) {
    for (index_t p = 0; p < s.pixels(); ++p) CHECK(spread(0, c * s.pixels() + p) == v(0, c));
  }
  check_ad([&](const auto& in) { return mul(expand_channels(in[0], s), in[1]); }, {v, uniform(1, s.size(), 0.5, 2, 21)});
  CHECK_THROWS_WITH(expand_channels(uniform(1, 2, -1, 1, 22), s),
                    Contains("expand_channels: 1x2 is not one value per channel of 3x2x3 (expected 1x3)"));
}

TEST_CASE("resampled_columns: the same pixels at another resolution", "[autodiff][ops][image]") {
  const image_shape in{1, 8, 4};
  const matrix<double> x = uniform(2, in.size(), -1, 1, 23);
  SECTION("the same size is the identity") {
    const resampled_image r = resampled_columns(in, 8, 4);
    CHECK(r.shape == in);
    CHECK(gather_cols(x, std::span<const index_t>(r.columns)) == x);
  }
  SECTION("2^k times smaller is k squeezes") {
    const resampled_image r = resampled_columns(in, 2, 1);
    CHECK(r.shape == image_shape{16, 2, 1});
    CHECK(gather_cols(x, std::span<const index_t>(r.columns)) == squeeze(squeeze(x, in), squeezed(in)));
  }
  SECTION("an integer factor larger repeats each pixel") {
    const resampled_image r = resampled_columns(in, 24, 12);
    REQUIRE(r.shape == image_shape{1, 24, 12});
    const matrix<double> big = gather_cols(x, std::span<const index_t>(r.columns));
    for (index_t y = 0; y < 24; ++y) {
      for (index_t xx = 0; xx < 12; ++xx) CHECK(big(1, r.shape.column(0, y, xx)) == x(1, in.column(0, y / 3, xx / 3)));
    }
  }
  SECTION("other sizes are refused") {
    CHECK_THROWS_WITH(resampled_columns(image_shape{1, 4, 4}, 3, 3),
                      Contains("resampled_columns: images of 1x4x4 cannot be brought to 3x3"));
    CHECK_THROWS_WITH(resampled_columns(image_shape{1, 6, 6}, 4, 4), Contains("cannot be brought to 4x4"));
    CHECK_THROWS_WITH(resampled_columns(in, 4, 4), Contains("cannot be brought to 4x4"));     // aspect
    CHECK_THROWS_WITH(resampled_columns(in, 16, 12), Contains("cannot be brought to 16x12"));  // 2 ≠ 3
  }
}
