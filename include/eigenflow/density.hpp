// include/eigenflow/density.hpp — the vocabulary every density model shares: contexts and what a
// model needs of them, the result of a bijection, and how networks encode a context.
#pragma once

#include "eigenflow/density/context.hpp"
#include "eigenflow/density/context_encoder.hpp"
#include "eigenflow/density/transformed.hpp"
