// include/eigenflow/io.hpp — files: NumPy .npy and CSV arrays, IDX arrays (MNIST's format, gzipped
// or not), checkpoints, atomic writes.
#pragma once

/// @namespace eigenflow::io
/// Files: CSV and .npy tables, IDX arrays, and checkpoints of a model and its optimizer.

#include "eigenflow/io/atomic_file.hpp"
#include "eigenflow/io/checkpoint.hpp"
#include "eigenflow/io/csv.hpp"
#include "eigenflow/io/idx.hpp"
#include "eigenflow/io/npy.hpp"
