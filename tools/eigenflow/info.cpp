// tools/eigenflow/info.cpp — `eigenflow info`: what a model directory holds: the kind and
// architecture, the parameter count, the optimizer's step and the training run's summary.
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "saved_model.hpp"

namespace eigenflow::cli {

CLI::App* add_info_command(CLI::App& app, info_settings& s) {
  CLI::App* cmd = app.add_subcommand("info", "describe a trained model");
  cmd->add_option("--model", s.model, "model directory")->required();
  return cmd;
}

int run_info(const info_settings& s) {
  loaded_model loaded = load_model_dir(s.model);
  saved_model& model = *loaded.model;
  const model_recipe& r = model.recipe();
  const auto& ckpt = loaded.checkpoint;
  std::printf("model: %s\n", checkpoint_path(s.model).c_str());
  std::string kind = r.kind;
  if (kind_has_splines(r.kind)) {
    char bound[32];
    std::snprintf(bound, sizeof bound, "%g", r.bound);
    kind += " (" + std::to_string(r.bins) + " bins on [-" + bound + ", " + bound + "])";
  }
  if (r.image) {
    kind += " (" + std::to_string(r.levels) + " levels of " + std::to_string(r.couplings) + " steps, width " +
            std::to_string(r.hidden) + ") on images of " + r.image->to_string() + " (pixel values 0.." +
            std::to_string(loaded.layout.pixel_levels - 1) + ")";
  }
  std::printf("kind: %s, %ld dimensions, %s\n", kind.c_str(), static_cast<long>(r.dim),
              r.classes > 0 ? ("conditional on " + std::to_string(r.classes) + " classes").c_str() : "unconditional");
  std::printf("architecture: %s\n", ckpt.architecture.c_str());
  std::printf("parameters: %ld in %zu tensors\n", static_cast<long>(model.model().parameters().count()), ckpt.parameters.size());
  if (ckpt.optimizer) std::printf("optimizer: %s, step %ld\n", ckpt.optimizer->kind.c_str(), static_cast<long>(ckpt.optimizer->step));
  for (const auto& [key, value] : ckpt.metadata) {
    const bool shown = key.rfind("train.", 0) == 0 || key == "data.gaussian" || key == "gaussian_nll" ||
                       key == "test_nll" || key == "test_bpd";
    if (shown) std::printf("%s: %s\n", key.c_str(), value.c_str());
  }
  return 0;
}

}  // namespace eigenflow::cli
