// tests/io/checkpoint_test.cpp — checkpoints: a saved model and optimizer come back bit for bit,
// and every kind of bad file (foreign, truncated, corrupt, newer, of another architecture) is an
// io_error that leaves the model untouched.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "eigenflow/continuous/builders.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/builders.hpp"
#include "eigenflow/io/checkpoint.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/optim/adam.hpp"
#include "eigenflow/random.hpp"
#include "support/scratch_dir.hpp"

namespace {

namespace fs = std::filesystem;
using eigenflow::test::read_bytes;
using eigenflow::test::scratch_dir;
using eigenflow::test::write_bytes;
using eigenflow::index_t;
using eigenflow::io_error;
using eigenflow::matrix;
using eigenflow::value_error;
using eigenflow::io::checkpoint;
using eigenflow::nn::parameter;
using eigenflow::nn::parameter_list;

/// Matches an exception whose what() contains `part` (Catch2 v2's Message matches it whole).
class message_contains : public Catch::MatcherBase<std::exception> {
 public:
  explicit message_contains(std::string part) : part_(std::move(part)) {}
  bool match(const std::exception& e) const override { return std::string(e.what()).find(part_) != std::string::npos; }
  std::string describe() const override { return "message contains \"" + part_ + "\""; }

 private:
  std::string part_;
};

void put_u64(std::string& bytes, std::size_t offset, std::uint64_t v) {
  for (std::size_t k = 0; k < 8; ++k) bytes[offset + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
}

void put_u32(std::string& bytes, std::size_t offset, std::uint32_t v) {
  for (std::size_t k = 0; k < 4; ++k) bytes[offset + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
}

/// Recomputes the trailing checksum: what a foreign writer producing these bytes would do.
void reseal(std::string& bytes) {
  const std::size_t at = bytes.size() - 8;
  put_u64(bytes, at, eigenflow::io::detail::crc64(std::string_view(bytes).substr(0, at)));
}

template <class Scalar>
matrix<Scalar> pattern(index_t rows, index_t cols, double phase) {
  matrix<Scalar> m(rows, cols);
  for (index_t k = 0; k < m.size(); ++k) m.reshaped()(k) = static_cast<Scalar>(std::sin(1.3 * static_cast<double>(k) + phase));
  return m;
}

/// Deterministic gradients, so that optimizer steps move every parameter.
template <class Scalar>
void set_gradients(const parameter_list<Scalar>& params, int step) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    params[i].grad = pattern<Scalar>(params[i].value.rows(), params[i].value.cols(),
                                     0.7 * static_cast<double>(i) + 0.3 * step);
  }
}

/// Two named parameters of different shapes, described as "toy".
template <class Scalar>
struct toy_model {
  parameter<Scalar> weight{"weight", pattern<Scalar>(2, 3, 0.0)};
  parameter<Scalar> bias{"bias", pattern<Scalar>(1, 4, 1.0)};
  parameter_list<Scalar> parameters() { return parameter_list<Scalar>({&weight, &bias}); }
  std::string describe() const { return "toy"; }
};

/// A toy checkpoint with metadata and two Adam steps of state, and its byte offsets.
template <class Scalar>
checkpoint<Scalar> toy_checkpoint() {
  toy_model<Scalar> model;
  eigenflow::optim::adam<Scalar> opt;
  for (int t = 0; t < 2; ++t) {
    set_gradients(model.parameters(), t);
    opt.step(model.parameters());
  }
  return eigenflow::io::make_checkpoint(model.describe(), model.parameters(), {{"iterations", "2"}, {"data", "moons.csv"}}, opt.export_state());
}

// Offsets in the encoding of toy_checkpoint(): header 32, architecture "toy" (8 + 3),
// metadata count (8), "iterations"/"2" (8 + 10 + 8 + 1), "data"/"moons.csv" (8 + 4 + 8 + 9).
constexpr std::size_t architecture_length_at = 32;
constexpr std::size_t metadata_count_at = 32 + 8 + 3;
constexpr std::size_t parameter_count_at = metadata_count_at + 8 + (8 + 10 + 8 + 1) + (8 + 4 + 8 + 9);
constexpr std::size_t first_rows_at = parameter_count_at + 8 + 8 + 6;  // after the name "weight"

template <class Scalar>
std::vector<std::string> names_of(const checkpoint<Scalar>& ckpt) {
  std::vector<std::string> names;
  for (const auto& entry : ckpt.parameters) names.push_back(entry.first);
  return names;
}

template <class Scalar>
eigenflow::flows::flow<Scalar> small_flow(std::uint64_t seed, index_t hidden_width = 8) {
  eigenflow::random_engine rng(seed);
  return eigenflow::flows::make_coupling_flow<Scalar>(
      {.dim = 3, .couplings = 2, .hidden_width = hidden_width, .hidden_layers = 1, .learnable_base = true}, rng);
}

template <class Scalar>
void require_equal(const checkpoint<Scalar>& a, const checkpoint<Scalar>& b) {
  CHECK(a.architecture == b.architecture);
  CHECK(a.metadata == b.metadata);
  REQUIRE(a.parameters.size() == b.parameters.size());
  for (std::size_t i = 0; i < a.parameters.size(); ++i) {
    CHECK(a.parameters[i].first == b.parameters[i].first);
    CHECK(a.parameters[i].second.rows() == b.parameters[i].second.rows());
    CHECK(a.parameters[i].second.cols() == b.parameters[i].second.cols());
    CHECK(a.parameters[i].second == b.parameters[i].second);
  }
  REQUIRE(a.optimizer.has_value() == b.optimizer.has_value());
  if (a.optimizer) {
    CHECK(a.optimizer->kind == b.optimizer->kind);
    CHECK(a.optimizer->step == b.optimizer->step);
    CHECK(a.optimizer->tensors == b.optimizer->tensors);
  }
}

}  // namespace

TEST_CASE("crc64 is CRC-64/XZ", "[io][checkpoint]") {
  CHECK(eigenflow::io::detail::crc64("123456789") == 0x995DC9BBDF1939FAULL);
  CHECK(eigenflow::io::detail::crc64("") == 0);
}

TEMPLATE_TEST_CASE("a trained flow and its Adam state survive a checkpoint round trip", "[io][checkpoint]", float,
                   double) {
  using S = TestType;
  scratch_dir dir;
  const fs::path file = dir.path / "model.ckpt";

  auto model = small_flow<S>(1);
  eigenflow::optim::adam<S> opt({.learning_rate = S(0.01)});
  for (int t = 0; t < 3; ++t) {
    set_gradients(model.parameters(), t);
    opt.step(model.parameters());
  }
  const auto saved = eigenflow::io::make_checkpoint(
      model, {{"iterations", "3"}, {"test_nll", "2.75"}, {"standardization", "mean=0 std=1"}}, opt.export_state());
  eigenflow::io::save_checkpoint(file, saved);
  CHECK(dir.files() == std::vector<std::string>{"model.ckpt"});  // no temporary left behind
  CHECK(read_bytes(file) == eigenflow::io::encode_checkpoint(saved));

  const auto loaded = eigenflow::io::load_checkpoint<S>(file);
  require_equal(loaded, saved);
  CHECK(loaded.origin == file);
  CHECK(loaded.architecture == model.describe());
  CHECK(loaded.optimizer->kind == "adam");
  CHECK(loaded.optimizer->step == 3);
  CHECK(loaded.optimizer->tensors.size() == 2 * model.parameters().size());
  CHECK(eigenflow::io::metadata_value(loaded, "test_nll") == "2.75");
  CHECK(eigenflow::io::find_metadata(loaded, "standardization") == std::optional<std::string>("mean=0 std=1"));

  // A model built the same way but initialized differently becomes the saved one.
  auto restored = small_flow<S>(2);
  const matrix<S> x = pattern<S>(5, 3, 0.4);
  REQUIRE(restored.log_prob(x) != model.log_prob(x));
  eigenflow::io::restore_parameters(loaded, restored);
  CHECK(restored.parameters().flatten_values() == model.parameters().flatten_values());
  CHECK(restored.log_prob(x) == model.log_prob(x));

  // And its optimizer continues exactly where the original was.
  eigenflow::optim::adam<S> resumed({.learning_rate = S(0.01)});
  resumed.import_state(*loaded.optimizer, restored.parameters());
  set_gradients(model.parameters(), 3);
  set_gradients(restored.parameters(), 3);
  opt.step(model.parameters());
  resumed.step(restored.parameters());
  CHECK(restored.parameters().flatten_values() == model.parameters().flatten_values());
}

TEST_CASE("a continuous flow with a learned end time restores into a freshly built one", "[io][checkpoint]") {
  scratch_dir dir;
  const fs::path file = dir.path / "cnf.ckpt";
  eigenflow::continuous::continuous_flow_spec spec;
  spec.network.hidden = {6, 6};
  eigenflow::random_engine rng(1);
  auto model = eigenflow::continuous::make_ffjord<double>(2, rng, spec);
  // Training moves T away from its initial value; T is a parameter, not part of the architecture.
  model.parameters().zero_grad();
  model.accumulate_gradient(pattern<double>(8, 2, 0.3), rng);
  eigenflow::optim::adam<double>({.learning_rate = 0.1}).step(model.parameters());
  REQUIRE(model.end_time() != 0.5);
  eigenflow::io::save_checkpoint(file, eigenflow::io::make_checkpoint(model));

  eigenflow::random_engine other(2);
  auto restored = eigenflow::continuous::make_ffjord<double>(2, other, spec);
  eigenflow::io::restore_parameters(eigenflow::io::load_checkpoint<double>(file), restored);
  CHECK(restored.end_time() == model.end_time());
  const matrix<double> x = pattern<double>(4, 2, 0.2);
  CHECK(restored.log_prob(x) == model.log_prob(x));
}

TEST_CASE("checkpoints without optimizer state, metadata or elements round trip", "[io][checkpoint]") {
  scratch_dir dir;
  parameter<double> empty{"empty", matrix<double>(0, 3)};
  parameter<double> scalar{"scalar", matrix<double>::Constant(1, 1, -0.0)};
  parameter<double> extreme{"extreme", matrix<double>(1, 2)};
  extreme.value << std::numeric_limits<double>::max(), std::numeric_limits<double>::denorm_min();
  const parameter_list<double> params({&empty, &scalar, &extreme});

  const auto saved = eigenflow::io::make_checkpoint("", params);
  eigenflow::io::save_checkpoint(dir.path / "a.ckpt", saved);
  const auto loaded = eigenflow::io::load_checkpoint<double>(dir.path / "a.ckpt");
  require_equal(loaded, saved);
  CHECK_FALSE(loaded.optimizer.has_value());
  CHECK(loaded.parameters[0].second.rows() == 0);
  CHECK(loaded.parameters[0].second.cols() == 3);
  CHECK(std::signbit(loaded.parameters[1].second(0, 0)));

  // The state of an optimizer that has not stepped yet (no tensors) is kept as such.
  const auto fresh = eigenflow::io::make_checkpoint("", params, {}, eigenflow::optim::adam<double>().export_state());
  eigenflow::io::save_checkpoint(dir.path / "a.ckpt", fresh);
  const auto reloaded = eigenflow::io::load_checkpoint<double>(dir.path / "a.ckpt");
  require_equal(reloaded, fresh);
  CHECK(reloaded.optimizer->step == 0);
  CHECK(reloaded.optimizer->tensors.empty());
}

TEST_CASE("metadata lookup names the missing key; repeated keys are refused", "[io][checkpoint]") {
  auto ckpt = toy_checkpoint<double>();
  CHECK(eigenflow::io::metadata_value(ckpt, "data") == "moons.csv");
  CHECK_FALSE(eigenflow::io::find_metadata(ckpt, "seed").has_value());
  CHECK_THROWS_MATCHES(eigenflow::io::metadata_value(ckpt, "seed"), io_error,
                       Catch::Matchers::Message("checkpoint has no metadata 'seed' (it has: iterations, data)"));
  ckpt.metadata.emplace_back("data", "circles.csv");
  CHECK_THROWS_MATCHES(eigenflow::io::encode_checkpoint(ckpt), value_error,
                       Catch::Matchers::Message("save_checkpoint: metadata key 'data' appears twice"));

  // A foreign writer's repeated key is refused on load too: which of the two would count?
  ckpt.metadata.back().first = "dat2";
  std::string bytes = eigenflow::io::encode_checkpoint(ckpt);
  const std::size_t second_key = bytes.find("dat2");
  REQUIRE(second_key != std::string::npos);
  bytes[second_key + 3] = 'a';
  reseal(bytes);
  CHECK_THROWS_MATCHES(eigenflow::io::decode_checkpoint<double>(bytes), io_error,
                       message_contains("malformed checkpoint: metadata key 'data' appears twice"));
}

TEST_CASE("saving a non-finite model is refused and keeps the previous checkpoint", "[io][checkpoint]") {
  scratch_dir dir;
  const fs::path file = dir.path / "model.ckpt";
  toy_model<double> model;
  eigenflow::io::save_checkpoint(file, eigenflow::io::make_checkpoint(model.describe(), model.parameters()));
  const std::string before = read_bytes(file);

  model.bias.value(0, 2) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_MATCHES(eigenflow::io::save_checkpoint(file, eigenflow::io::make_checkpoint(model.describe(), model.parameters())), value_error,
                       message_contains("parameter 'bias' (#1) is not finite at row 0, column 2") &&
                           message_contains("(a checkpoint of a diverged model is refused)"));
  CHECK(read_bytes(file) == before);
  CHECK(dir.files() == std::vector<std::string>{"model.ckpt"});

  auto with_state = toy_checkpoint<double>();
  with_state.optimizer->tensors[1].second(0, 0) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_MATCHES(eigenflow::io::save_checkpoint(file, with_state), value_error,
                       message_contains("optimizer tensor 'weight/exp_avg_sq' is not finite at row 0, column 0 (inf)"));
  CHECK(read_bytes(file) == before);
  CHECK(dir.files() == std::vector<std::string>{"model.ckpt"});

  CHECK_THROWS_AS(eigenflow::io::save_checkpoint(dir.path / "missing" / "model.ckpt", toy_checkpoint<double>()),
                  io_error);
}

TEST_CASE("files that are not checkpoints are refused", "[io][checkpoint]") {
  scratch_dir dir;
  CHECK_THROWS_MATCHES(eigenflow::io::load_checkpoint<double>(dir.path / "absent.ckpt"), io_error,
                       message_contains("no such file"));
  CHECK_THROWS_MATCHES(eigenflow::io::load_checkpoint<double>(dir.path), io_error, message_contains("not a regular file"));

  write_bytes(dir.path / "data.csv", "x,y\n0.5,1.25\n-1,2\n0.125,3.5\n4,5\n6,7\n8,9\n10,11\n");
  CHECK_THROWS_MATCHES(eigenflow::io::load_checkpoint<double>(dir.path / "data.csv"), io_error,
                       message_contains("data.csv: not an eigenflow checkpoint"));
  write_bytes(dir.path / "short", "PK");
  CHECK_THROWS_MATCHES(eigenflow::io::load_checkpoint<double>(dir.path / "short"), io_error,
                       message_contains("not an eigenflow checkpoint"));

  std::string bytes = eigenflow::io::encode_checkpoint(toy_checkpoint<double>());
  bytes[3] = 'X';  // EIGXNFLOW
  reseal(bytes);
  write_bytes(dir.path / "magic.ckpt", bytes);
  CHECK_THROWS_MATCHES(eigenflow::io::load_checkpoint<double>(dir.path / "magic.ckpt"), io_error,
                       message_contains("not an eigenflow checkpoint"));
}

TEST_CASE("a truncated checkpoint is refused, naming where it ends", "[io][checkpoint]") {
  scratch_dir dir;
  const std::string bytes = eigenflow::io::encode_checkpoint(toy_checkpoint<double>());
  const fs::path file = dir.path / "cut.ckpt";
  for (const std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{9}, std::size_t{16}, std::size_t{20},
                                std::size_t{31}, std::size_t{32}, std::size_t{33}, first_rows_at, bytes.size() / 2,
                                bytes.size() - 8, bytes.size() - 1}) {
    CAPTURE(cut);
    write_bytes(file, bytes.substr(0, cut));
    CHECK_THROWS_MATCHES(eigenflow::io::load_checkpoint<double>(file), io_error,
                         message_contains("truncated at byte " + std::to_string(cut)));
  }
  write_bytes(file, bytes + "extra");
  CHECK_THROWS_MATCHES(eigenflow::io::load_checkpoint<double>(file), io_error, message_contains("5 unexpected bytes"));
}

TEST_CASE("every flipped byte of a checkpoint is detected", "[io][checkpoint]") {
  const std::string bytes = eigenflow::io::encode_checkpoint(toy_checkpoint<double>());
  REQUIRE_NOTHROW(eigenflow::io::decode_checkpoint<double>(bytes));
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    for (const unsigned flip : {0x01u, 0x80u}) {
      std::string corrupt = bytes;
      corrupt[at] = static_cast<char>(static_cast<unsigned char>(corrupt[at]) ^ flip);
      CAPTURE(at, flip);
      // The magic, version and size fields have messages of their own; everything else, the
      // scalar size included, is caught by the checksum.
      const bool own_message = at < 20 || (at >= 24 && at < 32);
      if (own_message) {
        CHECK_THROWS_AS(eigenflow::io::decode_checkpoint<double>(corrupt), io_error);
      } else {
        CHECK_THROWS_MATCHES(eigenflow::io::decode_checkpoint<double>(corrupt), io_error,
                             message_contains("checksum mismatch: the file is corrupt"));
      }
    }
  }
  // The same through a file, once.
  scratch_dir dir;
  std::string corrupt = bytes;
  corrupt[bytes.size() / 2] ^= 0x10;
  write_bytes(dir.path / "bad.ckpt", corrupt);
  CHECK_THROWS_MATCHES(eigenflow::io::load_checkpoint<double>(dir.path / "bad.ckpt"), io_error,
                       message_contains("bad.ckpt: checksum mismatch: the file is corrupt"));
}

TEST_CASE("corrupt lengths behind a valid checksum are refused without allocating them", "[io][checkpoint]") {
  const std::string good = eigenflow::io::encode_checkpoint(toy_checkpoint<double>());
  auto decode_with = [&](std::size_t offset, std::uint64_t value) {
    std::string bytes = good;
    put_u64(bytes, offset, value);
    reseal(bytes);
    return eigenflow::io::decode_checkpoint<double>(bytes);
  };
  // Sanity of the offsets: the fields hold what the toy checkpoint wrote.
  REQUIRE(eigenflow::io::detail::read_at<std::uint64_t>(good, architecture_length_at) == 3);
  REQUIRE(eigenflow::io::detail::read_at<std::uint64_t>(good, metadata_count_at) == 2);
  REQUIRE(eigenflow::io::detail::read_at<std::uint64_t>(good, parameter_count_at) == 2);
  REQUIRE(eigenflow::io::detail::read_at<std::uint64_t>(good, first_rows_at) == 2);
  REQUIRE(eigenflow::io::detail::read_at<std::uint64_t>(good, first_rows_at + 8) == 3);

  const std::uint64_t huge = std::uint64_t{1} << 62;
  // A bad_alloc or a crash here would fail the test: only io_error is accepted.
  CHECK_THROWS_MATCHES(decode_with(architecture_length_at, huge), io_error,
                       message_contains("malformed checkpoint: the architecture claims"));
  CHECK_THROWS_MATCHES(decode_with(architecture_length_at, 1000), io_error, message_contains("malformed checkpoint"));
  CHECK_THROWS_MATCHES(decode_with(metadata_count_at, huge), io_error, message_contains("the metadata count"));
  CHECK_THROWS_MATCHES(decode_with(parameter_count_at, huge), io_error, message_contains("the parameter count"));
  CHECK_THROWS_AS(decode_with(parameter_count_at, 3), io_error);  // runs into the optimizer state
  CHECK_THROWS_AS(decode_with(parameter_count_at, 1), io_error);  // leaves bytes unread
  CHECK_THROWS_MATCHES(decode_with(first_rows_at, std::uint64_t{1} << 40), io_error,
                       message_contains("parameter 'weight' claims"));
  // rows·cols·8 wraps around to 64 in 64 bits: the check must not multiply.
  {
    std::string bytes = good;
    put_u64(bytes, first_rows_at, (std::uint64_t{1} << 61) + 1);
    put_u64(bytes, first_rows_at + 8, 8);
    reseal(bytes);
    CHECK_THROWS_MATCHES(eigenflow::io::decode_checkpoint<double>(bytes), io_error, message_contains("parameter 'weight' claims"));
  }
  // An empty matrix of 2^62 columns holds no bytes, yet every pass over its columns would run for
  // ever (fuzzing found it): a size beyond the file's is refused, whatever the other size.
  {
    std::string bytes = good;
    put_u64(bytes, first_rows_at, 0);
    put_u64(bytes, first_rows_at + 8, huge);
    reseal(bytes);
    CHECK_THROWS_MATCHES(eigenflow::io::decode_checkpoint<double>(bytes), io_error,
                         message_contains("parameter 'weight' claims 0x4611686018427387904 values"));
  }
  // A NaN written by a foreign writer is refused on load too.
  {
    std::string bytes = good;
    put_u64(bytes, first_rows_at + 16, 0x7FF8000000000000ULL);
    reseal(bytes);
    CHECK_THROWS_MATCHES(eigenflow::io::decode_checkpoint<double>(bytes), io_error,
                         message_contains("parameter 'weight' holds non-finite values"));
  }
  // A declared file size below the smallest checkpoint.
  {
    std::string bytes = good.substr(0, 32);
    put_u64(bytes, 24, 32);
    CHECK_THROWS_MATCHES(eigenflow::io::decode_checkpoint<double>(bytes), io_error, message_contains("too small"));
  }
}

TEST_CASE("a checkpoint of a newer format or of the other scalar type is refused", "[io][checkpoint]") {
  scratch_dir dir;
  std::string bytes = eigenflow::io::encode_checkpoint(toy_checkpoint<double>());
  put_u32(bytes, 16, 2);
  reseal(bytes);
  write_bytes(dir.path / "v2.ckpt", bytes);
  CHECK_THROWS_MATCHES(eigenflow::io::load_checkpoint<double>(dir.path / "v2.ckpt"), io_error,
                       message_contains("format version 2 is newer than this eigenflow reads (version 1)"));
  put_u32(bytes, 16, 0);
  reseal(bytes);
  CHECK_THROWS_MATCHES(eigenflow::io::decode_checkpoint<double>(bytes), io_error, message_contains("version 0"));

  eigenflow::io::save_checkpoint(dir.path / "double.ckpt", toy_checkpoint<double>());
  CHECK_THROWS_MATCHES(eigenflow::io::load_checkpoint<float>(dir.path / "double.ckpt"), io_error,
                       message_contains("holds double values (scalar size 8), but is loaded as float") &&
                           message_contains("load_checkpoint<double>"));
  eigenflow::io::save_checkpoint(dir.path / "float.ckpt", toy_checkpoint<float>());
  CHECK_THROWS_MATCHES(eigenflow::io::load_checkpoint<double>(dir.path / "float.ckpt"), io_error,
                       message_contains("holds float values"));
}

TEST_CASE("restoring into another architecture or parameter layout is refused and changes nothing",
          "[io][checkpoint]") {
  scratch_dir dir;
  const fs::path file = dir.path / "model.ckpt";

  SECTION("another architecture") {
    auto model = small_flow<double>(1, 8);
    eigenflow::io::save_checkpoint(file, eigenflow::io::make_checkpoint(model));
    const auto loaded = eigenflow::io::load_checkpoint<double>(file);
    auto wider = small_flow<double>(2, 16);
    const auto before = wider.parameters().flatten_values();
    CHECK_THROWS_MATCHES(eigenflow::io::restore_parameters(loaded, wider), io_error,
                         message_contains("checkpoint " + file.string() + " was written for architecture '" +
                                  model.describe() + "', the model is '" + wider.describe() + "'"));
    CHECK(wider.parameters().flatten_values() == before);
  }

  SECTION("another random order of the features") {
    // Permutations have no parameters: only the description tells two random orders apart.
    auto with_order = [](std::uint64_t seed) {
      eigenflow::random_engine rng(seed);
      return eigenflow::flows::make_coupling_flow<double>(
          {.dim = 6, .couplings = 3, .hidden_width = 4, .hidden_layers = 1,
           .permutation = eigenflow::flows::permutation_kind::random}, rng);
    };
    auto model = with_order(1);
    eigenflow::io::save_checkpoint(file, eigenflow::io::make_checkpoint(model));
    const auto loaded = eigenflow::io::load_checkpoint<double>(file);
    auto same_seed = with_order(1);
    eigenflow::io::restore_parameters(loaded, same_seed);
    const matrix<double> x = matrix<double>::Random(4, 6);
    CHECK(same_seed.log_prob(x) == model.log_prob(x));
    auto other_seed = with_order(2);
    REQUIRE(other_seed.log_prob(x) != model.log_prob(x));
    CHECK_THROWS_MATCHES(eigenflow::io::restore_parameters(loaded, other_seed), io_error,
                         message_contains("was written for architecture"));
  }

  // Same architecture string, other parameters: the checks after the architecture.
  toy_model<double> saved_model;
  eigenflow::io::save_checkpoint(file, eigenflow::io::make_checkpoint(saved_model.describe(), saved_model.parameters()));
  const auto loaded = eigenflow::io::load_checkpoint<double>(file);
  parameter<double> weight{"weight", matrix<double>::Zero(2, 3)};

  SECTION("a parameter of another name") {
    parameter<double> offset{"offset", matrix<double>::Zero(1, 4)};
    CHECK_THROWS_MATCHES(eigenflow::io::restore_parameters(loaded, "toy", parameter_list<double>({&weight, &offset})),
                         io_error, message_contains("parameter #1 is 'bias', the model's is 'offset'"));
  }
  SECTION("a parameter of another shape") {
    parameter<double> bias{"bias", matrix<double>::Zero(1, 5)};
    CHECK_THROWS_MATCHES(eigenflow::io::restore_parameters(loaded, "toy", parameter_list<double>({&weight, &bias})),
                         io_error, message_contains("parameter 'bias' (#1) is 1x4, the model's is 1x5"));
    CHECK(bias.value == matrix<double>::Zero(1, 5));
  }
  SECTION("more parameters in the model") {
    parameter<double> bias{"bias", matrix<double>::Zero(1, 4)};
    parameter<double> extra{"scale", matrix<double>::Zero(1, 1)};
    CHECK_THROWS_MATCHES(
        eigenflow::io::restore_parameters(loaded, "toy", parameter_list<double>({&weight, &bias, &extra})), io_error,
        message_contains("holds 2 parameters, the model has 3 (the first missing one is 'scale')"));
    CHECK(bias.value == matrix<double>::Zero(1, 4));
  }
  SECTION("fewer parameters in the model") {
    CHECK_THROWS_MATCHES(eigenflow::io::restore_parameters(loaded, "toy", parameter_list<double>({&weight})), io_error,
                         message_contains("holds 2 parameters, the model has 1 (the first extra one is 'bias')"));
  }
  // In every case the parameter that did match was not assigned either: no partial restore.
  CHECK(weight.value == matrix<double>::Zero(2, 3));
}
