// tests/fuzz/cli_options.cpp — libFuzzer harness: the `eigenflow` command line's option parsing.
//
// The App is assembled as tools/eigenflow/main.cpp assembles it (the same add_*_command
// functions, version flag and subcommand requirement); argv is the fuzzer's bytes split on NUL
// or newline, after a verb picked by the first byte (main.cpp refuses unknown verbs before
// CLI11 sees them). Only parsing: no verb is ever run.
//
// Accepted outcomes: a parse, or a CLI::ParseError (bad options, --help, --version). Anything
// else is a finding: a sanitizer report, a leak, an abort from a broken invariant below, or any
// other exception (std::out_of_range from a conversion, ...), which escapes
// LLVMFuzzerTestOneInput and ends in std::terminate.
#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "commands.hpp"
#include "fuzz_support.hpp"

namespace {

constexpr const char* verbs[] = {"train", "sample", "logprob", "info"};
constexpr std::size_t max_arguments = 64;  // enough for every option twice; keeps inputs fast

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace eigenflow;
  if (size == 0) return 0;
  std::vector<std::string> args{"eigenflow", verbs[data[0] % 4]};
  std::string token;
  for (std::size_t i = 1; i < size && args.size() < max_arguments; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == '\0' || c == '\n') {
      args.push_back(token);
      token.clear();
    } else {
      token += c;
    }
  }
  if (size > 1 && args.size() < max_arguments) args.push_back(token);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  cli::command_line line;  // as main.cpp builds it
  CLI::App& app = line.app;
  try {
    app.parse(static_cast<int>(args.size()), argv.data());
  } catch (const CLI::ParseError&) {
    return 0;  // main.cpp reports these (exit code 2, or 0 for --help/--version)
  }
  // main.cpp takes app.get_subcommands().front() once parse returns.
  eigenflow_fuzz::require(app.get_subcommands().size() == 1, "parse returned without exactly one verb");
  return 0;
}
