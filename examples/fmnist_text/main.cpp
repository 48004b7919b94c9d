// examples/fmnist_text/main.cpp — a Glow-style flow of Fashion-MNIST images conditioned on a text
// prompt ("ankle boot", "a pair of trousers"), then samples for the prompts on the command line.
//
//   fmnist_text [PROMPT ...] [--samples N] [--temperature T] [--word-dropout P]
//               [--accuracy-rows N] [common options of fmnist_glow]
//
// Training pairs each image with a prompt drawn for its class (a name or synonym in a template,
// fresh per batch). A prompt is tokenized into lower-case words, and the context is the mean of
// their one-hot rows over the vocabulary (data::vocabulary::mean_bags): each conditioner's context
// weights are then a learned embedding of every word, pooled by averaging. Words the vocabulary
// does not know land on an explicit out-of-vocabulary slot, trained by word dropout (each known
// word read as unknown with probability P), so any prompt gives samples, never an error.
//
// Prints test_bpd (each test image with a prompt of its class), the zero-shot accuracy of
// classifying test images by the prompt of highest likelihood, the unknown words of each prompt,
// and `test_bpd:` last. Writes DIR/prompts.png (a row per prompt) and DIR/model.ckpt (the
// vocabulary in its metadata).
#include <CLI/CLI.hpp>
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "eigenflow/eigenflow.hpp"
#include "eigenflow/plot.hpp"
#include "fmnist_common.hpp"

namespace {

using namespace fmnist_example;

struct settings : common_settings {
  std::vector<std::string> prompts = {"ankle boot", "a pair of trousers", "a bag", "sneakers", "a red dress"};
  index_t samples = 8;
  double temperature = 0.7;
  double word_dropout = 0.1;
  index_t accuracy_rows = 1000;
};

// What a class is called: its first name is the one the accuracy check asks for.
const std::array<std::vector<std::string>, 10> class_names = {{
    {"t-shirt", "top", "tee", "t-shirt top"},
    {"trousers", "pants", "jeans", "pair of trousers"},
    {"pullover", "sweater", "jumper"},
    {"dress", "gown", "summer dress"},
    {"coat", "jacket", "winter coat"},
    {"sandal", "sandals", "pair of sandals"},
    {"shirt", "blouse", "button shirt"},
    {"sneaker", "sneakers", "trainers", "running shoe"},
    {"bag", "handbag", "purse"},
    {"ankle boot", "boot", "pair of boots"},
}};
const std::array<const char*, 4> templates = {"", "a ", "a photo of a ", "a picture of "};

/// A prompt for class `label`: a template and a name, drawn from `rng`.
std::string prompt_for(index_t label, random_engine& rng) {
  const std::vector<std::string>& names = class_names[static_cast<std::size_t>(label)];
  std::uniform_int_distribution<std::size_t> name(0, names.size() - 1), form(0, templates.size() - 1);
  return std::string(templates[form(rng)]) + names[name(rng)];
}

/// Replaces the rows' class labels by bags of words of prompts drawn for them.
void prompts_for_labels(train::dataset<float>& d, const data::vocabulary& words, random_engine& rng,
                        double word_dropout) {
  std::vector<std::string> prompts;
  for (const index_t label : d.labels) prompts.push_back(prompt_for(label, rng));
  d.features = words.mean_bags<float>(prompts, word_dropout, &rng);
  d.labels.clear();
}

data::vocabulary training_vocabulary() {
  std::vector<std::string> texts(templates.begin(), templates.end());
  for (const auto& names : class_names) texts.insert(texts.end(), names.begin(), names.end());
  return data::vocabulary(texts);
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

/// The share of `set`'s rows whose likeliest class prompt (each class's first name) is their class.
double prompt_accuracy(const flows::flow<float>& model, const data::vocabulary& words, const train::dataset<float>& set,
                       const std::vector<index_t>& labels) {
  matrix<float> log_p(set.rows(), static_cast<index_t>(class_names.size()));
  for (std::size_t k = 0; k < class_names.size(); ++k) {
    train::dataset<float> asked{.x = set.x};
    asked.features =
        words.mean_bags<float>(std::vector<std::string>(static_cast<std::size_t>(set.rows()), class_names[k][0]));
    for (index_t begin = 0; begin < set.rows(); begin += evaluation_chunk) {
      const index_t n = std::min(evaluation_chunk, set.rows() - begin);
      const train::dataset<float> part = asked.rows_range(begin, n);
      log_p.col(static_cast<index_t>(k)).segment(begin, n) = model.log_prob(part.x, part.context());
    }
  }
  index_t right = 0;
  for (index_t i = 0; i < set.rows(); ++i) {
    index_t best = 0;
    log_p.row(i).maxCoeff(&best);
    right += best == labels[static_cast<std::size_t>(i)] ? 1 : 0;
  }
  return double(right) / double(set.rows());
}

int run(const settings& s) {
  const data::vocabulary words = training_vocabulary();
  fmnist_data d = load(s, true);
  const std::vector<index_t> test_labels = d.test.labels;
  random_engine held_out_prompts(s.seed + 5);  // one fixed draw, so evaluations compare
  prompts_for_labels(d.validation, words, held_out_prompts, 0.0);
  prompts_for_labels(d.test, words, held_out_prompts, 0.0);
  const auto with_prompts = [&](train::dataset<float>& b, random_engine& r) {
    prompts_for_labels(b, words, r, s.word_dropout);
  };

  random_engine rng(s.seed);
  flows::flow<float> model = make_model(
      {.levels = s.levels, .steps = s.steps, .width = s.width, .condition = {.features = words.size()}}, rng);
  initialize(model, d, s.seed, with_prompts);
  std::printf(
      "fmnist_text: %ld known words (and the unknown slot), %d levels x %d steps, width %ld, %ld parameters; "
      "%ld training / %ld validation / %ld test images; %d thread%s\n",
      static_cast<long>(words.size() - 1), s.levels, s.steps, static_cast<long>(s.width),
      static_cast<long>(model.parameters().count()), static_cast<long>(d.train.rows()),
      static_cast<long>(d.validation.rows()), static_cast<long>(d.test.rows()), s.threads, s.threads == 1 ? "" : "s");
  std::fflush(stdout);

  optim::adam<float> adam = train::make_optimizer<float>(trainer_options(s));
  fit(model, adam, s, d, with_prompts);
  const double test_bpd = bits_per_dimension(mean_log_prob(model, d.test));
  const index_t accuracy_rows = std::min(s.accuracy_rows, d.test.rows());
  const double accuracy = prompt_accuracy(model, words, d.test.rows_range(0, accuracy_rows), test_labels);
  std::printf("prompt_accuracy: %.3f (%ld test images, each scored under the ten class names)\n", accuracy,
              static_cast<long>(accuracy_rows));

  std::vector<std::string> repeated;
  for (const std::string& p : s.prompts) {
    const std::vector<std::string> unknown = words.unknown_words(p);
    std::printf("prompt \"%s\"%s%s\n", p.c_str(), unknown.empty() ? "" : ": unknown words (out-of-vocabulary slot) ",
                join(unknown).c_str());
    repeated.insert(repeated.end(), static_cast<std::size_t>(s.samples), p);
  }
  const matrix<float> bags = words.mean_bags<float>(repeated);
  random_engine sample_rng(s.seed + 11);
  const matrix<float> z = float(s.temperature) * normal_matrix<float>(bags.rows(), pixels, sample_rng);
  const matrix<float> x = model.bijection().inverse(z, {.features = &bags}).value;
  const std::filesystem::path out(s.out);
  std::filesystem::create_directories(out);
  plot::write_png(out / "prompts.png", plot::image_grid(x, height, width, static_cast<int>(s.samples), 0.0, 1.0, 3));
  io::save_checkpoint(out / "model.ckpt", io::make_checkpoint(model,
                                                              {{"example", "fmnist_text"},
                                                               {"vocabulary", join(words.words())},
                                                               {"test_bpd", std::to_string(test_bpd)}},
                                                              adam.export_state()));
  std::printf("prompts.png (a row per prompt, T=%g) and model.ckpt written to %s\n", s.temperature, out.c_str());
  std::printf("test_bpd: %.4f\n", test_bpd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  s.out = "out/fmnist_text";
  const auto own_options = [](CLI::App& app, settings& s) {
    app.add_option("prompts", s.prompts, "prompts to sample (any words; unknown ones are allowed)")
        ->capture_default_str();
    app.add_option("--samples", s.samples, "samples per prompt")->check(CLI::PositiveNumber)->capture_default_str();
    app.add_option("--temperature", s.temperature, "samples draw z ~ N(0, T^2 I)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--word-dropout", s.word_dropout, "chance a known word is read as unknown in training")
        ->check(CLI::Range(0.0, 0.9))
        ->capture_default_str();
    app.add_option("--accuracy-rows", s.accuracy_rows, "test images for the prompt-accuracy figure")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
  };
  return main_of(argc, argv, "fmnist_text",
                 "Train a flow of Fashion-MNIST images given a text prompt; samples for the prompts given.", s, true,
                 own_options, run);
}
