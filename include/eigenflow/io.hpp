// include/eigenflow/io.hpp — files: NumPy .npy and CSV arrays, checkpoints, atomic writes.
#pragma once

/// @namespace eigenflow::io
/// Files: CSV and .npy tables, and checkpoints of a model and its optimizer.

#include "eigenflow/io/atomic_file.hpp"
#include "eigenflow/io/checkpoint.hpp"
#include "eigenflow/io/csv.hpp"
#include "eigenflow/io/npy.hpp"
