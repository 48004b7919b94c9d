// include/eigenflow/parallel/worker_team.hpp — a fixed team of threads that run one job each and
// wait for one another: the building block of batch-parallel training and inference.
//
// Worker k always gets part k of the work (no stealing, no queue): which thread computes which
// numbers never depends on timing, so a seeded run is reproducible whatever the scheduler does.
// The calling thread is worker 0, so a team of one starts no thread at all.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "eigenflow/error.hpp"

namespace eigenflow::parallel {

/// The number of threads to use for "as many as the machine has" (at least 1).
inline int hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

/// A fixed team of threads in which worker k always runs part k of a job (reproducible whatever
/// the scheduling); the calling thread is worker 0.
class worker_team {
 public:
  /// A team of `size` workers: the caller and size − 1 threads, started here and kept until
  /// destruction.
  explicit worker_team(int size) : size_(size) {
    if (size < 1) throw value_error("worker_team: the number of threads must be positive, got " + std::to_string(size));
    errors_.resize(static_cast<std::size_t>(size));
    threads_.reserve(static_cast<std::size_t>(size - 1));
    for (int k = 1; k < size; ++k) {
      try {
        threads_.emplace_back([this, k] { serve(k); });
      } catch (const std::exception& e) {
        stop();  // a constructor that throws leaves nothing running
        throw resource_error("worker_team: could not start thread " + std::to_string(k + 1) + " of " +
                             std::to_string(size) + " (" + e.what() + "); " + std::to_string(k) +
                             " could start: ask for fewer threads");
      }
    }
  }
  worker_team(const worker_team&) = delete;
  worker_team& operator=(const worker_team&) = delete;
  ~worker_team() { stop(); }

  /// Number of workers, the calling thread included.
  int size() const { return size_; }

  /// Runs job(k) for k = 0 .. size − 1 at the same time (k = 0 on the calling thread) and returns
  /// when all have finished. If jobs throw, rethrows the exception of the lowest k. Not
  /// reentrant: one run at a time.
  void run(const std::function<void(int)>& job) {
    for (auto& e : errors_) e = nullptr;
    {
      std::lock_guard lock(mutex_);
      job_ = &job;
      pending_ = size_ - 1;
      ++generation_;
    }
    start_.notify_all();
    try {
      job(0);
    } catch (...) {
      errors_[0] = std::current_exception();
    }
    {
      std::unique_lock lock(mutex_);
      done_.wait(lock, [this] { return pending_ == 0; });
      job_ = nullptr;
    }
    for (const auto& e : errors_) {
      if (e) std::rethrow_exception(e);
    }
  }

 private:
  /// Ends and joins the threads started so far.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    start_.notify_all();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

  void serve(int k) {
    unsigned long seen = 0;
    for (;;) {
      const std::function<void(int)>* job = nullptr;
      {
        std::unique_lock lock(mutex_);
        start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        job = job_;
      }
      try {
        (*job)(k);
      } catch (...) {
        errors_[static_cast<std::size_t>(k)] = std::current_exception();
      }
      {
        std::lock_guard lock(mutex_);
        --pending_;
      }
      done_.notify_one();
    }
  }

  int size_;
  std::vector<std::thread> threads_;
  std::vector<std::exception_ptr> errors_;  // one slot per worker: no lock needed to fill them
  std::mutex mutex_;
  std::condition_variable start_;
  std::condition_variable done_;
  const std::function<void(int)>* job_ = nullptr;
  unsigned long generation_ = 0;
  int pending_ = 0;
  bool stopping_ = false;
};

}  // namespace eigenflow::parallel
