// include/eigenflow/parallel.hpp — the transport of parallel work: a team of worker threads, a
// group of processes, and how rows are shared among them. Data-parallel training on top of them
// is in eigenflow/train.hpp.
#pragma once

/// @namespace eigenflow::parallel
/// The transport of data-parallel work: worker threads, process groups, row splits.

#include "eigenflow/parallel/process_group.hpp"
#include "eigenflow/parallel/split_rows.hpp"
#include "eigenflow/parallel/worker_team.hpp"
