// tools/eigenflow/logprob.cpp — `eigenflow logprob`: the log-density of every row of a data file,
// in the data's units; for a conditional model given rows without their class, the marginal
// log Σ_c p(x | c) p(c) with p(c) from the training rows.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "commands.hpp"
#include "options.hpp"
#include "image_file.hpp"
#include "saved_model.hpp"
#include "table_file.hpp"

namespace eigenflow::cli {
namespace {

/// log Σ_c exp(a_c), row by row, without overflow.
matrix<Scalar> log_sum_exp_columns(const matrix<Scalar>& a) {
  const vector<Scalar> top = a.rowwise().maxCoeff();
  matrix<Scalar> out(a.rows(), 1);
  for (index_t i = 0; i < a.rows(); ++i) {
    out(i, 0) = std::isinf(top(i)) ? top(i) : top(i) + std::log((a.row(i).array() - top(i)).exp().sum());
  }
  return out;
}

/// log Σ_c p(x | c) p(c) of `rows` rows, with p(c) from the training rows' class counts and
/// log_p_given(labels) the log p(x | c) of every row for labels all c.
template <class LogProbGiven>
matrix<Scalar> marginal_over_classes(const std::vector<double>& class_counts, index_t rows, const LogProbGiven& log_p_given) {
  const double total = std::accumulate(class_counts.begin(), class_counts.end(), 0.0);
  matrix<Scalar> joint(rows, static_cast<index_t>(class_counts.size()));
  for (index_t c = 0; c < joint.cols(); ++c) {
    const std::vector<index_t> labels(static_cast<std::size_t>(rows), c);
    const double log_prior = std::log(class_counts[static_cast<std::size_t>(c)] / total);
    joint.col(c) = (log_p_given(labels).array() + static_cast<Scalar>(log_prior)).matrix();
  }
  return log_sum_exp_columns(joint);
}

/// Scores one block of the file's rows (`first_row`: where the block starts in the file): the
/// class column split off, the values checked, dropped constant columns compared and removed.
matrix<Scalar> score_block(const logprob_settings& s, const loaded_model& loaded, matrix<Scalar> values, index_t first_row) {
  const saved_model& model = *loaded.model;
  const data_layout& layout = loaded.layout;
  const index_t d = model.dim() + static_cast<index_t>(layout.dropped.size());  // the file's value columns
  table<Scalar> t;
  t.values = std::move(values);
  if (model.conditional() && t.values.cols() == d + 1) {
    split_label_column(s.data, t, std::min(layout.label_position.value_or(d), d), first_row);
  }
  for (index_t j = 0; j < t.values.cols(); ++j) {
    for (index_t i = 0; i < t.values.rows(); ++i) {
      if (!std::isfinite(t.values(i, j))) {
        throw value_error(s.data + ": row " + std::to_string(first_row + i) + ", value column " + std::to_string(j) +
                          " is not finite (" + to_text(t.values(i, j)) + ")");
      }
    }
  }
  // A column dropped as constant is a point mass: a row with another value there has no density.
  for (const auto& [j, value] : layout.dropped) {
    for (index_t i = 0; i < t.values.rows(); ++i) {
      if (t.values(i, j) != value) {
        throw value_error(s.data + ": row " + std::to_string(first_row + i) + " holds " + to_text(t.values(i, j)) +
                          " in value column " + std::to_string(j) + ", which the model in " + s.model +
                          " dropped as the constant " + to_text(value) + ": the row has no density under it");
      }
    }
  }
  t.values = without_dropped(layout, t.values);
  if (!model.conditional() || !t.labels.empty()) return data_log_prob(model, layout, t.values, t.labels, s.threads);
  return marginal_over_classes(layout.class_counts, t.values.rows(), [&](const std::vector<index_t>& labels) {
    return data_log_prob(model, layout, t.values, labels, s.threads);
  });
}

/// `logprob` of an image model: for every image of an IDX file, log P of its pixel values in nats
/// (the dequantization bound, E_u[log p((v + u)/L)] − D·log L, with one draw of u from --seed) and
/// the same in bits per dimension; with --labels, given each image's class, else summed over them.
int logprob_images(const logprob_settings& s, const loaded_model& loaded) {
  const saved_model& model = *loaded.model;
  const data_layout& layout = loaded.layout;
  const image_shape shape = *model.recipe().image;
  check_output_table(s.out, s.data);  // before the work, and never over the input
  image_set<Scalar> images = read_images<Scalar>(s.data);
  if (images.shape != shape) {
    throw shape_error(s.data + " holds images of " + images.shape.to_string() + ", the model in " + s.model +
                      " takes " + shape.to_string());
  }
  if (!s.labels.empty()) {
    if (!model.conditional()) throw value_error("--labels given, but the model in " + s.model + " is not class-conditional");
    read_image_labels(s.labels, s.data, images);
    for (std::size_t i = 0; i < images.labels.size(); ++i) {
      if (images.labels[i] >= model.recipe().classes) {
        throw value_error(s.labels + ": label " + std::to_string(images.labels[i]) + " of image " + std::to_string(i) +
                          " is outside the model's classes 0.." + std::to_string(model.recipe().classes - 1));
      }
    }
  }
  const index_t n = images.pixels.rows();
  const index_t block = std::min<index_t>(static_cast<index_t>(s.block_rows), 256);  // bounds the activations' memory
  random_engine noise(s.seed);
  matrix<Scalar> log_p(n, 1);
  for (index_t begin = 0; begin < n; begin += block) {
    const index_t rows = std::min(block, n - begin);
    const matrix<Scalar> x =
        data::dequantize_to_unit(matrix<Scalar>(images.pixels.middleRows(begin, rows)), layout.pixel_levels, noise);
    const auto given = [&](std::span<const index_t> labels) { return model.log_prob(x, labels, s.threads); };
    log_p.middleRows(begin, rows) =
        !model.conditional() || !images.labels.empty()
            ? given(images.labels.empty() ? std::span<const index_t>{}
                                          : std::span<const index_t>(images.labels).subspan(begin, rows))
            : marginal_over_classes(layout.class_counts, rows, given);
  }
  const auto dims = static_cast<double>(shape.size());
  matrix<Scalar> out(n, 2);
  out.col(0) = (log_p.array() - static_cast<Scalar>(dims * std::log(double(layout.pixel_levels)))).matrix();
  out.col(1) = (-out.col(0).array() / static_cast<Scalar>(dims * std::log(2.0))).matrix();
  write_table(s.out, out, {"log_prob", "bits_per_dim"});
  std::printf("%ld log-probabilities written to %s (mean %.4f bits/dim)\n", static_cast<long>(n), s.out.c_str(),
              out.col(1).cast<double>().mean());
  return 0;
}

}  // namespace

CLI::App* add_logprob_command(CLI::App& app, logprob_settings& s) {
  CLI::App* cmd = app.add_subcommand("logprob", "log-density of each row of a data file, in the data's units");
  cmd->add_option("--model", s.model, "model directory (from eigenflow train)")->required();
  cmd->add_option("--data", s.data,
                  "data file with the training file's columns (for a conditional model, without the label column: "
                  "log p(x) summed over classes)")->required();
  cmd->add_option("--out", s.out,
                  "output file, .npy or .csv: one column, log_prob; for an image model two, log_prob (nats) and "
                  "bits_per_dim")
      ->required();
  cmd->add_option("--labels", s.labels, "image models with classes: an IDX file of the images' class ids");
  cmd->add_option("--seed", s.seed, "image models: seed of the dequantization noise (one draw per pixel)")
      ->transform(whole_number(0))->capture_default_str();
  cmd->add_option("--threads", s.threads, "worker threads: the rows split across them")
      ->transform(whole_number(1, max_threads))->capture_default_str();
  cmd->add_option("--block-rows", s.block_rows,
                  "rows read and scored at a time: the input is never held whole, so a file larger than memory "
                  "can be scored (the output, 4 bytes a row, is)")
      ->transform(whole_number(1, 1LL << 40))->capture_default_str();
  return cmd;
}

int run_logprob(const logprob_settings& s) {
  const loaded_model loaded = load_model_dir(s.model);
  const saved_model& model = *loaded.model;
  if (model.recipe().image) return logprob_images(s, loaded);
  if (!s.labels.empty()) throw value_error("--labels is for image models; a table's rows hold their class column");
  const index_t d = model.dim() + static_cast<index_t>(loaded.layout.dropped.size());  // the file's value columns
  check_output_table(s.out, s.data);  // before the work, and never over the input
  table_stream<Scalar> in(s.data);
  if (in.columns() != d && !(model.conditional() && in.columns() == d + 1)) {
    throw shape_error(s.data + " has " + std::to_string(in.columns()) + " columns, the model in " + s.model +
                      " expects " + std::to_string(d) + (model.conditional() ? " (or one more: the class label)" : ""));
  }
  std::vector<Scalar> log_p;
  for (;;) {
    const index_t first_row = in.rows_read();
    matrix<Scalar> block = in.read(static_cast<index_t>(s.block_rows));
    if (block.rows() == 0) break;
    const matrix<Scalar> scores = score_block(s, loaded, std::move(block), first_row);
    log_p.insert(log_p.end(), scores.data(), scores.data() + scores.size());
  }
  if (log_p.empty()) throw value_error(s.data + ": the data set is empty");
  const Eigen::Map<const matrix<Scalar>> all(log_p.data(), static_cast<index_t>(log_p.size()), 1);
  // -inf is a legitimate log-density (a row far beyond the data, below any float): written as such
  // in both formats, and counted.
  write_table(s.out, matrix<Scalar>(all), {"log_prob"}, {.infinities = true});
  const auto beyond = static_cast<long>((all.array() == -std::numeric_limits<Scalar>::infinity()).count());
  std::printf("%ld log-densities written to %s (mean %.4f nats)\n", static_cast<long>(all.rows()), s.out.c_str(),
              all.cast<double>().mean());
  if (beyond > 0) {
    std::printf("note: %ld rows have log-density -inf: they lie so far beyond the training data that their density is "
                "below the smallest float\n", beyond);
  }
  return 0;
}

}  // namespace eigenflow::cli
