// tests/parallel/worker_team_test.cpp — the worker team runs every part exactly once per run, on
// distinct threads, and reports a failing part's exception instead of losing or hanging on it.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/parallel/worker_team.hpp"

#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define EIGENFLOW_TEST_ADDRESS_SPACE_LIMIT 1  // the sanitizers reserve terabytes of address space
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#endif

using eigenflow::parallel::worker_team;

TEST_CASE("worker_team runs job k once for every k, on as many threads, many times over", "[parallel]") {
  for (int size : {1, 2, 3, 5}) {
    worker_team team(size);
    REQUIRE(team.size() == size);
    for (int round = 0; round < 50; ++round) {
      std::vector<int> calls(static_cast<std::size_t>(size), 0);
      std::mutex mutex;
      std::set<std::thread::id> threads;
      team.run([&](int k) {
        ++calls[static_cast<std::size_t>(k)];  // each k has its own slot
        std::lock_guard lock(mutex);
        threads.insert(std::this_thread::get_id());
      });
      CHECK(calls == std::vector<int>(static_cast<std::size_t>(size), 1));
      CHECK(threads.size() == static_cast<std::size_t>(size));
      CHECK(threads.count(std::this_thread::get_id()) == 1);  // the caller is worker 0
    }
  }
}

TEST_CASE("worker_team waits for every job before returning", "[parallel]") {
  worker_team team(3);
  std::atomic<int> finished{0};
  team.run([&](int k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10 * k));
    ++finished;
  });
  CHECK(finished == 3);
}

TEST_CASE("worker_team rethrows the exception of the lowest failing part and stays usable", "[parallel]") {
  worker_team team(3);
  CHECK_THROWS_WITH(team.run([](int k) {
                      if (k >= 1) throw std::runtime_error("part " + std::to_string(k) + " failed");
                    }),
                    "part 1 failed");
  std::atomic<int> ran{0};
  team.run([&](int) { ++ran; });
  CHECK(ran == 3);
}

TEST_CASE("worker_team refuses a team of no threads", "[parallel]") {
  CHECK_THROWS_AS(worker_team(0), eigenflow::value_error);
  CHECK(eigenflow::parallel::hardware_threads() >= 1);
}

#ifdef EIGENFLOW_TEST_ADDRESS_SPACE_LIMIT
TEST_CASE("worker_team: threads that cannot start are an error naming them, and the started ones end", "[parallel]") {
  // In a child process whose address space has room for a few thread stacks (8 MB each) but not
  // 1000: the constructor must throw resource_error and join the threads it started, not hang
  // (the alarm kills a hung child) nor abort.
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    alarm(20);
    long pages = 0;
    if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(statm, "%ld", &pages) != 1) pages = 0;
      std::fclose(statm);
    }
    if (pages == 0) _exit(3);
    const rlim_t limit = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (64u << 20);
    const rlimit r{limit, limit};
    if (setrlimit(RLIMIT_AS, &r) != 0) _exit(4);
    try {
      worker_team team(1000);
      _exit(5);  // every thread started: the limit did not bite
    } catch (const eigenflow::resource_error& e) {
      const bool named = std::strstr(e.what(), "worker_team: could not start thread ") != nullptr &&
                         std::strstr(e.what(), " of 1000 (") != nullptr;
      _exit(named ? 0 : 6);
    } catch (...) {
      _exit(7);
    }
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  INFO("child status " << status << " (exit code " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << ")");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
#endif
