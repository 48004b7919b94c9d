// include/eigenflow/io.hpp — files: NumPy .npy and CSV arrays, checkpoints, atomic writes.
#pragma once

#include "eigenflow/io/atomic_file.hpp"
#include "eigenflow/io/checkpoint.hpp"
#include "eigenflow/io/csv.hpp"
#include "eigenflow/io/npy.hpp"
