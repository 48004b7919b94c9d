// include/eigenflow/train/process_agreement.hpp — what keeps the processes of a data-parallel run
// (parallel::process_group) one run: the same start, one averaged gradient per step, and a
// periodic proof that the parameters are still bit-for-bit equal.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "eigenflow/matrix.hpp"
#include "eigenflow/model.hpp"
#include "eigenflow/nn/parameter.hpp"
#include "eigenflow/parallel/process_group.hpp"

namespace eigenflow::train {

/// Rank 0's parameter values on every process, and a check that every process was started with
/// the same `settings` (what decides the sequence of collectives: a mismatch would deadlock).
/// `what` names the settings in the error.
template <class Scalar>
void agree_on_start(parallel::process_group& group, const nn::parameter_list<Scalar>& params,
                    const std::vector<double>& settings, const std::string& what) {
  if (group.size() == 1) return;
  vector<Scalar> values = params.flatten_values();
  group.broadcast(std::span<Scalar>(values.data(), static_cast<std::size_t>(values.size())));
  params.assign_values(values);
  const vector<double> s = Eigen::Map<const vector<double>>(settings.data(), static_cast<index_t>(settings.size()));
  if (!group.all_equal(parallel::checksum(s))) {
    throw parallel::distributed_error("train::fit: the " + std::to_string(group.size()) +
                                      " processes were started differently (" + what + " differ)");
  }
}

/// Throws parallel::distributed_error on every process if the parameters differ after step
/// `iteration` (one all_equal of a checksum).
template <class Parameter>
void check_agreement(parallel::process_group& group, const nn::basic_parameter_list<Parameter>& params, long iteration) {
  if (group.size() == 1 || group.all_equal(parallel::checksum(params.flatten_values()))) return;
  throw parallel::distributed_error("train::fit: the parameters of the " + std::to_string(group.size()) +
                                    " processes differ after iteration " + std::to_string(iteration) + " (rank " +
                                    std::to_string(group.rank()) +
                                    "): a process computed differently (another build, library or CPU?)");
}

/// The batch's gradient and loss averaged over the processes, weighted by their rows: one sum
/// over one buffer [Σ rows_p·g_p, Σ rows_p·(loss, nll, penalty)_p, Σ rows_p]. `buffer` is scratch
/// kept across steps.
template <class Scalar>
step_loss average_over_processes(parallel::process_group& group, const nn::parameter_list<Scalar>& params,
                                 const step_loss& local, index_t rows, vector<Scalar>& buffer) {
  if (group.size() == 1) return local;
  const index_t n = params.count();
  buffer.resize(n + 4);
  params.copy_grads_to(buffer.head(n));
  const auto r = static_cast<Scalar>(rows);
  buffer.head(n) *= r;
  buffer[n] = static_cast<Scalar>(local.loss * double(rows));
  buffer[n + 1] = static_cast<Scalar>(local.nll * double(rows));
  buffer[n + 2] = static_cast<Scalar>(local.penalty * double(rows));
  buffer[n + 3] = r;
  group.sum(std::span<Scalar>(buffer.data(), static_cast<std::size_t>(buffer.size())));
  const Scalar total_rows = buffer[n + 3];
  buffer.head(n) /= total_rows;  // in place: assign_grads then reads the buffer without a temporary
  params.assign_grads(buffer.head(n));
  step_loss out = local;
  out.loss = double(buffer[n]) / double(total_rows);
  out.nll = double(buffer[n + 1]) / double(total_rows);
  out.penalty = double(buffer[n + 2]) / double(total_rows);
  return out;
}

}  // namespace eigenflow::train
