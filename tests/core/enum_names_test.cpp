// tests/core/enum_names_test.cpp — the enum name tables: every name parses to its value and back,
// aliases parse but are neither written nor listed, and an unknown name is refused with the
// message each parser has always given (the names listed from the table).
#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "eigenflow/autodiff/ops/activation.hpp"
#include "eigenflow/continuous/builders.hpp"
#include "eigenflow/continuous/trace.hpp"
#include "eigenflow/data/toy2d.hpp"
#include "eigenflow/enum_names.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/flows/builders.hpp"
#include "eigenflow/nn/init.hpp"
#include "eigenflow/ode/solver_options.hpp"

namespace {

enum class enum_names_test_colour { red, green, blue };

constexpr auto enum_names_test_colours = std::to_array<eigenflow::enum_name<enum_names_test_colour>>(
    {{enum_names_test_colour::red, "red"},
     {enum_names_test_colour::green, "green"},
     {enum_names_test_colour::green, "verde"},  // an alias
     {enum_names_test_colour::blue, "blue"}});

// Usable at compile time.
static_assert(eigenflow::name_of(enum_names_test_colours, enum_names_test_colour::blue) == "blue");
static_assert(eigenflow::name_of(eigenflow::activation_names, eigenflow::activation::softplus) == "softplus");

/// Every name of `table` parses to its value, and that value's name parses back to it.
template <class Enum, std::size_t N>
void check_enum_names_round_trip(const std::array<eigenflow::enum_name<Enum>, N>& table, std::string_view what) {
  for (const eigenflow::enum_name<Enum>& entry : table) {
    INFO(what << " '" << entry.name << "'");
    const Enum value = eigenflow::parse_enum(table, entry.name, what);
    CHECK(value == entry.value);
    CHECK(eigenflow::parse_enum(table, eigenflow::name_of(table, value), what) == value);
  }
}

/// parse(name) refuses `name` with exactly "unknown <what> '<name>' (known: <known>)".
template <class Parse>
void check_enum_names_refusal(Parse parse, const std::string& name, const std::string& what,
                              const std::string& known) {
  CHECK_THROWS_AS(parse(name), eigenflow::value_error);
  CHECK_THROWS_WITH(parse(name), "unknown " + what + " '" + name + "' (known: " + known + ")");
}

}  // namespace

TEST_CASE("enum names: a table gives names, parses them and lists them", "[core][enum_names]") {
  using eigenflow::known_names;
  using eigenflow::name_of;
  using eigenflow::parse_enum;
  check_enum_names_round_trip(enum_names_test_colours, "colour");

  CHECK(name_of(enum_names_test_colours, enum_names_test_colour::green) == "green");
  CHECK(parse_enum(enum_names_test_colours, "verde", "colour") == enum_names_test_colour::green);
  CHECK(known_names(enum_names_test_colours) == "red, green, blue");

  CHECK_THROWS_WITH(parse_enum(enum_names_test_colours, "Red", "colour"),
                    "unknown colour 'Red' (known: red, green, blue)");
  CHECK_THROWS_AS(parse_enum(enum_names_test_colours, "", "colour"), eigenflow::value_error);
  CHECK_THROWS_AS(name_of(enum_names_test_colours, static_cast<enum_names_test_colour>(7)), eigenflow::value_error);
}

TEST_CASE("enum names: every library enum round-trips through its table", "[core][enum_names]") {
  namespace ef = eigenflow;
  check_enum_names_round_trip(ef::nn::init_names, "initializer");
  check_enum_names_round_trip(ef::activation_names, "activation");
  check_enum_names_round_trip(ef::ode::method_names, "ODE solver");
  check_enum_names_round_trip(ef::data::toy2d_names, "toy dataset");
  check_enum_names_round_trip(ef::continuous::trace_estimator_names, "trace estimator");
  check_enum_names_round_trip(ef::continuous::noise_kind_names, "noise");
  check_enum_names_round_trip(ef::continuous::dynamics_kind_names, "dynamics");
  check_enum_names_round_trip(ef::flows::coupling_kind_names, "coupling kind");

  // The public to_string / parse_* pairs are the tables'.
  for (const auto& entry : ef::activation_names) {
    CHECK(ef::to_string(ef::parse_activation(entry.name)) == entry.name);
  }
  for (const auto& entry : ef::ode::method_names) {
    CHECK(ef::ode::to_string(ef::ode::parse_method(entry.name)) == entry.name);
  }
  for (const auto& entry : ef::data::toy2d_names) {
    CHECK(ef::data::to_string(ef::data::parse_toy2d(entry.name)) == entry.name);
  }
  for (const auto& entry : ef::continuous::trace_estimator_names) {
    CHECK(ef::continuous::to_string(ef::continuous::parse_trace_estimator(entry.name)) == entry.name);
  }
  for (const auto& entry : ef::continuous::noise_kind_names) {
    CHECK(ef::continuous::to_string(ef::continuous::parse_noise_kind(entry.name)) == entry.name);
  }
  for (const auto& entry : ef::continuous::dynamics_kind_names) {
    CHECK(ef::continuous::to_string(ef::continuous::parse_dynamics_kind(entry.name)) == entry.name);
  }
  for (const auto& entry : ef::nn::init_names) CHECK(ef::nn::parse_init(entry.name) == entry.value);
  // "mlp" and "affine" are aliases of "coupling".
  CHECK(ef::flows::parse_coupling_kind("mlp") == ef::flows::coupling_kind::mlp);
  CHECK(ef::flows::parse_coupling_kind("affine") == ef::flows::coupling_kind::mlp);
  CHECK(ef::name_of(ef::flows::coupling_kind_names, ef::flows::coupling_kind::mlp) == "coupling");

  // Every toy2d value has a name, in declaration order.
  REQUIRE(ef::data::all_toy2d.size() == ef::data::toy2d_names.size());
  for (std::size_t k = 0; k < ef::data::all_toy2d.size(); ++k) {
    CHECK(ef::data::all_toy2d[k] == ef::data::toy2d_names[k].value);
  }
}

TEST_CASE("enum names: an unknown name is refused with the known ones listed", "[core][enum_names]") {
  namespace ef = eigenflow;
  check_enum_names_refusal([](const std::string& s) { return ef::nn::parse_init(s); }, "he", "initializer",
                           "lecun_normal, glorot_uniform, zeros");
  check_enum_names_refusal([](const std::string& s) { return ef::parse_activation(s); }, "gelu", "activation",
                           "identity, tanh, sigmoid, softplus, relu, elu");
  check_enum_names_refusal([](const std::string& s) { return ef::ode::parse_method(s); }, "Dopri5", "ODE solver",
                           "dopri5, cash_karp54, rk4, euler");
  check_enum_names_refusal([](const std::string& s) { return ef::data::parse_toy2d(s); }, "spiral", "toy dataset",
                           "8gaussians, 2spirals, checkerboard, circles, moons, pinwheel, rings, swissroll");
  check_enum_names_refusal([](const std::string& s) { return ef::continuous::parse_trace_estimator(s); },
                           "stochastic", "trace estimator", "exact, hutchinson");
  check_enum_names_refusal([](const std::string& s) { return ef::continuous::parse_noise_kind(s); }, "uniform",
                           "noise", "gaussian, rademacher");
  check_enum_names_refusal([](const std::string& s) { return ef::continuous::parse_dynamics_kind(s); }, "mlp",
                           "dynamics", "concat_squash, time_mlp");
  check_enum_names_refusal([](const std::string& s) { return ef::flows::parse_coupling_kind(s); }, "glow",
                           "coupling kind", "coupling, residual, attention");

  // Help text lists the same names as the messages.
  CHECK(ef::known_names(ef::flows::coupling_kind_names) == "coupling, residual, attention");
  CHECK(ef::known_names(ef::ode::method_names) == "dopri5, cash_karp54, rk4, euler");
}
