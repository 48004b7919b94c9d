// tools/eigenflow/train_images.cpp — `eigenflow train --model glow`: a multi-scale flow trained on
// an IDX file of images (with --labels, p(image | class)) as `train` trains on a table: a seeded
// split into training, validation and held-out images, keep-best on validation, early stopping,
// checkpoints a rerun resumes from, threads and MPI ranks. The model sees x = (pixel + u)/256 with
// fresh noise u ~ U[0, 1) every batch (one fixed draw for the validation and held-out images);
// its figure is bits per dimension (docs/images.md). Prints test_bpd last.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "image_file.hpp"
#include "model_kinds.hpp"
#include "saved_model.hpp"
#include "training_run.hpp"

namespace eigenflow::cli {
namespace {

/// Images scored at once: bounds an evaluation's memory (an image flow's activations grow with
/// the rows scored together).
constexpr index_t evaluation_images = 256;

/// Mean log p of the images of every process's shard of a set, scored in blocks.
double mean_log_prob(const saved_model& model, const train::dataset<Scalar>& shard, int threads,
                     parallel::process_group& group) {
  double total = 0;
  for (index_t begin = 0; begin < shard.rows(); begin += evaluation_images) {
    const train::dataset<Scalar> part = shard.rows_range(begin, std::min(evaluation_images, shard.rows() - begin));
    total += model.log_prob(part.x, part.labels, threads).cast<double>().sum();
  }
  return parallel::mean_over_processes(group, total, shard.rows());
}

/// The architecture: the defaults for these images, overridden by what the command line gave.
model_recipe image_recipe(const model_kind& kind, const table_defaults& d, const train_settings& s,
                          const image_shape& shape, index_t classes) {
  if (s.layers > 0) {
    throw value_error("--layers does not apply to --model " + s.model +
                      " (each conditioner is conv3x3, conv1x1, conv3x3): set --hidden, --couplings and --levels");
  }
  model_recipe r;
  r.kind = std::string(kind.name);
  r.dim = shape.size();
  r.image = shape;
  r.classes = classes;
  r.levels = s.levels > 0 ? s.levels : d.levels;
  r.seed = s.seed;
  if (r.levels < 1) {
    throw value_error(s.data + ": images of " + shape.to_string() + " cannot be squeezed: each level of " + s.model +
                      " turns 2x2 blocks of pixels into channels, so the height and width must be even");
  }
  r.couplings = s.couplings > 0 ? s.couplings : d.couplings;
  r.hidden = s.hidden > 0 ? s.hidden : d.hidden;
  return r;
}

}  // namespace

int run_train_images(const train_settings& s, const model_kind& kind, parallel::process_group& group) {
  if (!kind.images) {
    throw value_error(s.data + " is an IDX file of images; --model " + s.model +
                      " models the rows of a table (.csv or .npy). Image kinds: glow");
  }
  if (!is_idx_path(s.data)) {
    throw value_error("--model " + s.model + " models images: --data must be an IDX file (a name ending in .idx or " +
                      "-ubyte, either with .gz), not " + s.data);
  }
  check_model_directory(s.out);  // a wrong --out fails now, not after the training
  if (s.label_col) {
    throw value_error(
        "--label-col names a column of a table; the class ids of images come in an IDX file: --labels FILE");
  }
  if (s.drop_constant) throw value_error("--drop-constant is for tables: a dequantized pixel is never constant");
  image_set<Scalar> images = read_images<Scalar>(s.data);
  if (!s.labels.empty()) read_image_labels(s.labels, s.data, images);
  const image_shape shape = images.shape;
  const index_t n = images.pixels.rows();
  random_engine split_rng(s.seed);
  const row_split split = split_rows(s, n, s.data, split_rng);
  train::dataset<Scalar> train_rows, validation_rows, test_rows;
  {
    const train::dataset<Scalar> all{.x = std::move(images.pixels), .labels = std::move(images.labels)};
    train_rows = all.subset(split.train);
    validation_rows = all.subset(split.validation);
    test_rows = all.subset(split.test);
  }
  data_layout layout;
  layout.pixel_levels = pixel_levels;
  if (!train_rows.labels.empty())
    layout.class_counts = count_classes(train_rows, {&validation_rows, &test_rows}, s.data);
  const auto classes = static_cast<index_t>(layout.class_counts.size());

  const table_defaults defaults = image_defaults(kind, train_rows.rows(), shape);
  train::trainer_options options = training_options(kind, defaults, s, group);
  options.clip = 50;  // Glow's gradients at the start are large; 10 would slow its first hundreds of steps
  options.evaluate_every = s.eval_every > 0 ? s.eval_every : std::max(1L, options.iterations / 10);
  options.evaluate_at_start = false;  // ActNorm's start is no model worth keeping
  options.evaluation_rows = evaluation_images;
  const model_recipe recipe = image_recipe(kind, defaults, s, shape, classes);
  random_engine model_rng(recipe.seed);  // its own stream: a checkpoint is read back from the recipe alone
  saved_model model(recipe, model_rng);
  const index_t validating = validation_rows.rows();

  // One fixed draw of noise for the validation and held-out images, so that evaluations compare.
  random_engine noise(s.seed + 7);
  validation_rows.x = data::dequantize_to_unit(validation_rows.x, pixel_levels, noise);
  test_rows.x = data::dequantize_to_unit(test_rows.x, pixel_levels, noise);
  {  // ActNorm's data-dependent start, on up to 512 dequantized training images
    random_engine start_noise(s.seed + 3);
    const train::dataset<Scalar> first = train_rows.rows_range(0, std::min<index_t>(512, train_rows.rows()));
    model.model().initialize(data::dequantize_to_unit(first.x, pixel_levels, start_noise), first.context());
  }

  std::printf("eigenflow train: %s on %s (%ld images of %s%s), %ld parameters; %ld held out, %ld for validation\n",
              s.model.c_str(), s.data.c_str(), static_cast<long>(n), shape.to_string().c_str(),
              classes > 0 ? (", " + std::to_string(classes) + " classes").c_str() : "",
              static_cast<long>(model.model().parameters().count()), static_cast<long>(test_rows.rows()),
              static_cast<long>(validating));
  std::printf("%d levels of %d steps, width %ld, batch %ld, %ld iterations, learning rate %g\n", recipe.levels,
              recipe.couplings, static_cast<long>(recipe.hidden), static_cast<long>(options.batch), options.iterations,
              options.learning_rate);
  print_data_parallel(group, s.threads, options.batch);

  optim::adam<Scalar> adam = train::make_optimizer<Scalar>(options);
  run_checkpoints checkpoints(s, group, run_identity(s, options, n), recipe_metadata(recipe));
  if (checkpoints.resume_or_arm(model, layout, adam, options, {"test_nll", "test_bpd"})) return 0;

  const double log_levels = static_cast<double>(shape.size()) * std::log(double(pixel_levels));
  const train::dataset<Scalar> my_validation =
      validating > 0 ? train::shard(validation_rows, group) : train::dataset<Scalar>{};
  if (validating > 0) options.selection = &checkpoints.selection;
  options.shown_nll_offset = log_levels;  // progress in nats per image of the pixels (the discrete bound)
  const auto dequantize_batch = [](train::dataset<Scalar>& batch, random_engine& r) {
    batch.x = data::dequantize_to_unit(batch.x, pixel_levels, r);
  };
  const train::training_summary summary = model.fit(
      adam, train::shard(train_rows, group), validating > 0 ? &my_validation : nullptr, options, dequantize_batch);
  const double mean_log_p = mean_log_prob(model, train::shard(test_rows, group), s.threads, group);
  const double test_bpd = data::bits_per_dimension(mean_log_p, shape.size(), pixel_levels);
  const double validation_bpd =
      validating > 0 ? data::bits_per_dimension(-summary.best_validation_nll, shape.size(), pixel_levels) : 0.0;

  io::checkpoint_metadata results =
      finished_run_metadata(s, train_rows.rows(), test_rows.rows(), validating, options, summary, group);
  results.emplace_back("test_nll", result_text(log_levels - mean_log_p));
  results.emplace_back("test_bpd", result_text(test_bpd));
  if (validating > 0) results.emplace_back("train.validation_bpd", result_text(validation_bpd));
  checkpoints.save(model, layout, adam, summary.iterations, true, std::move(results));
  if (validating > 0) {
    std::printf("best validation %.4f bits/dim at iteration %ld of %ld%s\n", validation_bpd, summary.best_iteration,
                summary.iterations, summary.stopped_early ? " (stopped early)" : "");
  }
  std::printf("model written to %s\n", checkpoint_path(s.out).c_str());
  std::printf("test_nll: %.4f\n", log_levels - mean_log_p);
  std::printf("test_bpd: %.4f\n", test_bpd);
  return 0;
}

}  // namespace eigenflow::cli
