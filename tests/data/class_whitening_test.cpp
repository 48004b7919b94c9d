// tests/data/class_whitening_test.cpp — the class-conditional Gaussian of a labelled table: each
// covariance choice against its textbook estimate, the density against the closed form, the
// shrinkage of small classes, the round trip by label, and the tables it refuses.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <vector>

#include "eigenflow/data/class_whitening.hpp"
#include "eigenflow/random.hpp"
#include "support/gaussian_density.hpp"

using namespace eigenflow;
using eigenflow::test::gaussian_log_density;

namespace {

/// Three classes of a correlated 3-D Gaussian, each with its own mean and scales; class 2 has
/// few rows. The labels are interleaved, as in a shuffled table.
struct labelled_table {
  matrix<double> x;
  std::vector<index_t> labels;
};

labelled_table three_classes(std::uint64_t seed) {
  random_engine rng(seed);
  const std::vector<index_t> sizes{300, 200, 6};
  const row_vector<double> shift[3] = {row_vector<double>{{0.0, 0.0, 0.0}}, row_vector<double>{{4.0, -2.0, 10.0}},
                                       row_vector<double>{{-3.0, 1.0, 5.0}}};
  const row_vector<double> scale[3] = {row_vector<double>{{1.0, 2.0, 3.0}}, row_vector<double>{{3.0, 0.5, 1.0}},
                                       row_vector<double>{{0.2, 0.2, 0.2}}};
  labelled_table t;
  t.x.resize(506, 3);
  index_t row = 0;
  for (index_t k = 0; row < 506; ++k) {
    for (index_t c = 0; c < 3; ++c) {
      if (k >= sizes[static_cast<std::size_t>(c)]) continue;
      const matrix<double> z = normal_matrix<double>(1, 3, rng);
      row_vector<double> v = z.row(0);
      v(1) = 0.6 * v(0) + 0.8 * v(1);  // a shared correlation
      t.x.row(row++) = v.cwiseProduct(scale[c]) + shift[c];
      t.labels.push_back(c);
    }
  }
  return t;
}

/// The rows of class c.
matrix<double> rows_of(const labelled_table& t, index_t c) {
  std::vector<index_t> rows;
  for (std::size_t i = 0; i < t.labels.size(); ++i) {
    if (t.labels[i] == c) rows.push_back(static_cast<index_t>(i));
  }
  return t.x(rows, Eigen::all);
}

}  // namespace

TEST_CASE("class_whitening: pooled is whitening::fit for every row, labels or not", "[data]") {
  const labelled_table t = three_classes(1);
  const auto g = data::class_whitening<double>::fit(t.x, t.labels, 3, {.covariance = data::class_covariance::pooled});
  const auto w = data::whitening<double>::fit(t.x);
  CHECK(g.shared());
  CHECK((g.apply(t.x) - w.apply(t.x)).cwiseAbs().maxCoeff() == 0);
  CHECK((g.apply(t.x, t.labels) - w.apply(t.x)).cwiseAbs().maxCoeff() == 0);
  CHECK((g.log_prob(t.x, t.labels) - w.log_prob(t.x)).cwiseAbs().maxCoeff() == 0);
}

TEST_CASE("class_whitening: means is linear discriminant analysis' Gaussian", "[data]") {
  const labelled_table t = three_classes(2);
  const auto g = data::class_whitening<double>::fit(t.x, t.labels, 3, {.covariance = data::class_covariance::means});
  REQUIRE_FALSE(g.shared());
  REQUIRE(g.classes() == 3);
  // Textbook: class means, and the within-class covariance Σ_i (x_i − μ_c(i))(x_i − μ_c(i))ᵀ / n.
  matrix<double> within = matrix<double>::Zero(3, 3);
  for (index_t c = 0; c < 3; ++c) {
    const matrix<double> xc = rows_of(t, c);
    const row_vector<double> mean = xc.colwise().mean();
    CHECK((g.of(c).mean() - mean).cwiseAbs().maxCoeff() < 1e-12);
    const matrix<double> centered = xc.rowwise() - mean;
    within += centered.transpose() * centered;
  }
  within /= static_cast<double>(t.x.rows());
  for (index_t c = 0; c < 3; ++c) {
    const matrix<double> cov = g.of(c).factor() * g.of(c).factor().transpose();
    CHECK((cov - within).cwiseAbs().maxCoeff() < 1e-9 * within.cwiseAbs().maxCoeff());
  }
  const matrix<double> log_p = g.log_prob(t.x, t.labels);
  for (index_t i = 0; i < 30; ++i) {
    const index_t c = t.labels[static_cast<std::size_t>(i)];
    CHECK(log_p(i, 0) == Approx(gaussian_log_density(t.x.row(i), g.of(c).mean(), within)).epsilon(1e-10));
  }
}

TEST_CASE("class_whitening: scaled gives each class its scales, shrunk by the prior rows", "[data]") {
  const labelled_table t = three_classes(3);
  const double k = 10;
  const auto g = data::class_whitening<double>::fit(t.x, t.labels, 3, {.covariance = data::class_covariance::scaled,
                                                                        .scale_prior_rows = k});
  const auto lda = data::class_whitening<double>::fit(t.x, t.labels, 3, {.covariance = data::class_covariance::means});
  const vector<double> within = (lda.of(0).factor() * lda.of(0).factor().transpose()).diagonal();
  for (index_t c = 0; c < 3; ++c) {
    const matrix<double> xc = rows_of(t, c);
    const matrix<double> centered = xc.rowwise() - xc.colwise().mean();
    const auto n_c = static_cast<double>(xc.rows());
    // (Σ of squared deviations + k · within-class variance) / (n_c + k), column by column.
    const vector<double> expected = ((centered.colwise().squaredNorm().transpose() + k * within) / (n_c + k)).cwiseSqrt();
    const vector<double> scale = g.of(c).factor().rowwise().norm();
    CHECK((scale - expected).cwiseAbs().maxCoeff() < 1e-9);
  }
  // The small class (6 rows of scale 0.2) keeps much of the within-class scale: no spike.
  CHECK(g.of(2).factor().rowwise().norm().minCoeff() > 0.5);
  // Every class shares one correlation: the factor with its rows scaled to unit norm.
  const auto unit_rows = [](const matrix<double>& f) -> matrix<double> {
    return f.rowwise().norm().cwiseInverse().asDiagonal() * f;
  };
  CHECK((unit_rows(g.of(0).factor()) - unit_rows(g.of(1).factor())).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((unit_rows(g.of(0).factor()) - unit_rows(g.of(2).factor())).cwiseAbs().maxCoeff() < 1e-12);
  // On these classes of unequal scales, the class's own scales fit the rows better than LDA's.
  CHECK(g.log_prob(t.x, t.labels).mean() > lda.log_prob(t.x, t.labels).mean() + 0.3);
}

TEST_CASE("class_whitening: each row goes through its class's map, both ways, with its log-determinant", "[data]") {
  const labelled_table t = three_classes(4);
  const auto g = data::class_whitening<double>::fit(t.x, t.labels, 3);
  const matrix<double> z = g.apply(t.x, t.labels);
  CHECK((g.invert(z, t.labels) - t.x).cwiseAbs().maxCoeff() < 1e-10);
  const vector<double> log_det = g.log_det(t.x.rows(), t.labels);
  const matrix<double> log_p_z =
      (-0.5 * z.rowwise().squaredNorm()).array() - 1.5 * std::log(2 * std::numbers::pi);
  const matrix<double> log_p = g.log_prob(t.x, t.labels);
  const matrix<double> through_z = g.to_data_log_prob(log_p_z, t.labels);
  for (index_t i = 0; i < t.x.rows(); ++i) {
    const index_t c = t.labels[static_cast<std::size_t>(i)];
    CHECK((z.row(i) - g.of(c).apply(t.x.row(i))).cwiseAbs().maxCoeff() < 1e-12);
    CHECK(log_det(i) == g.of(c).log_det());
    CHECK(through_z(i, 0) == Approx(log_p(i, 0)).epsilon(1e-12));
  }
}

TEST_CASE("class_whitening: bad labels, a column constant within classes, and unlabelled rows are refused",
          "[data]") {
  labelled_table t = three_classes(5);
  std::vector<index_t> short_labels(t.labels.begin(), t.labels.end() - 1);
  CHECK_THROWS_WITH(data::class_whitening<double>::fit(t.x, short_labels, 3),
                    "class_whitening::fit: 505 labels for 506 rows");
  std::vector<index_t> bad = t.labels;
  bad[7] = 3;
  CHECK_THROWS_WITH(data::class_whitening<double>::fit(t.x, bad, 3),
                    "class_whitening::fit: row 7 has label 3, outside the classes 0..2");
  const auto g = data::class_whitening<double>::fit(t.x, t.labels, 3);
  CHECK_THROWS_AS(g.apply(t.x), shape_error);  // per-class maps need the labels
  CHECK_THROWS_WITH(g.log_prob(t.x.topRows(2), std::vector<index_t>{0, -1}),
                    "class_whitening::log_prob: row 1 has label -1, outside the classes 0..2");
  // A column that only repeats the class: constant given the class.
  for (index_t i = 0; i < t.x.rows(); ++i) t.x(i, 1) = 2.0 * static_cast<double>(t.labels[static_cast<std::size_t>(i)]);
  CHECK_THROWS_WITH(data::class_whitening<double>::fit(t.x, t.labels, 3),
                    "class_whitening::fit: column 1 is constant within every class: given the class, its density is a spike");
  CHECK_NOTHROW(data::class_whitening<double>::fit(t.x, t.labels, 3, {.covariance = data::class_covariance::pooled}));
}

TEST_CASE("class_whitening: a class without rows gets the overall mean and the within-class scales", "[data]") {
  const labelled_table t = three_classes(6);
  const auto g = data::class_whitening<double>::fit(t.x, t.labels, 4);
  CHECK((g.of(3).mean() - t.x.colwise().mean()).cwiseAbs().maxCoeff() < 1e-12);
  const auto lda = data::class_whitening<double>::fit(t.x, t.labels, 4, {.covariance = data::class_covariance::means});
  CHECK((g.of(3).factor().rowwise().norm() - lda.of(0).factor().rowwise().norm()).cwiseAbs().maxCoeff() < 1e-9);
}
