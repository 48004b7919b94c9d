// include/eigenflow/parallel.hpp — batch-parallel training steps and inference on threads.
#pragma once

#include "eigenflow/parallel/data_parallel.hpp"
#include "eigenflow/parallel/worker_team.hpp"
