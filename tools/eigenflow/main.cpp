// tools/eigenflow/main.cpp — the `eigenflow` command line: train a flow on a data file, sample
// from it, evaluate log-densities, describe a trained model.
//
//   eigenflow train   --data FILE [--label-col K] --model KIND [--iters N] [--holdout F] [--seed S] --out DIR
//   mpirun -np P eigenflow train ...   (built with MPI: data parallel across P processes)
//   eigenflow sample  --model DIR -n N [--class C] [--seed S] --out FILE.npy|FILE.csv
//   eigenflow logprob --model DIR --data FILE --out FILE.npy|FILE.csv
//   eigenflow info    --model DIR
//
// Every density is in the units of the data as given: the model sees whitened rows and the
// whitening's log-determinant is added back. Any failure ends with one line on stderr and
// exit code 1 (2 for a mistake on the command line itself). Each verb lives in its own file
// (commands.hpp); the model kinds in one table (model_kinds.hpp).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <utility>

#ifdef EIGENFLOW_CLI_WITH_MPI
#include "eigenflow/distributed/mpi.hpp"
#endif
#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace eigenflow;
  cli::command_line line;
  CLI::App& app = line.app;

  // CLI11 would take an unknown verb for a stray argument and ask for a subcommand.
  const auto verbs = std::as_const(app).get_subcommands([](const CLI::App*) { return true; });
  if (argc > 1 && argv[1][0] != '-' &&
      std::none_of(verbs.begin(), verbs.end(), [&](const CLI::App* v) { return v->get_name() == argv[1]; })) {
    std::string known;
    for (const CLI::App* v : verbs) known += (known.empty() ? "" : ", ") + v->get_name();
    std::fprintf(stderr, "eigenflow: unknown command '%s' (known: %s)\n", argv[1], known.c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForVersion& e) {
    std::printf("%s\n", e.what());
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "eigenflow: %s (see eigenflow --help)\n", e.what());
    return 2;
  }
  const std::string verb = app.get_subcommands().front()->get_name();
  parallel::single_process alone;
  parallel::process_group* group = &alone;
#ifdef EIGENFLOW_CLI_WITH_MPI
  // Under mpirun, train runs data parallel over the ranks; every other verb, and train started
  // without a launcher, never touches MPI.
  std::optional<distributed::mpi_session> mpi;
  std::optional<distributed::mpi_group> world;
  if (*line.train_app && distributed::launched_by_mpi()) {
    try {
      mpi.emplace(argc, argv);
      world.emplace();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "eigenflow train: %s\n", e.what());
      return 1;
    }
    group = &*world;
    if (line.train_app->count("--threads") == 0) {  // share the machine's cores among the ranks on it
      const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
      const int ranks_here = local ? std::max(1, std::atoi(local)) : 1;
      line.train.threads = std::max(1, parallel::hardware_threads() / ranks_here);
    }
    if (group->rank() != 0 && std::freopen("/dev/null", "w", stdout) == nullptr) return 1;  // rank 0 speaks for the job
  }
#endif
  try {
    if (*line.train_app) return cli::run_train(line.train, *group);
    if (*line.sample_app) return cli::run_sample(line.sample);
    if (*line.logprob_app) return cli::run_logprob(line.logprob);
    return cli::run_info(line.info);
  } catch (const std::exception& e) {
    // Sizes are checked before allocating; memory taken by others can still run out.
    std::string message = dynamic_cast<const std::bad_alloc*>(&e) != nullptr
                              ? "out of memory: the machine's free memory could not hold what this run asked for "
                                "(a smaller --hidden, --batch or -n needs less)"
                              : e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');  // one line, whatever the message
    if (group->size() > 1) {
      // The other ranks may be waiting in a collective for this one: end the whole job.
      std::fprintf(stderr, "eigenflow %s (rank %d of %d): %s\n", verb.c_str(), group->rank(), group->size(), message.c_str());
      std::fflush(stderr);
#ifdef EIGENFLOW_CLI_WITH_MPI
      MPI_Abort(MPI_COMM_WORLD, 1);
#endif
      return 1;
    }
    std::fprintf(stderr, "eigenflow %s: %s\n", verb.c_str(), message.c_str());
    return 1;
  }
}
