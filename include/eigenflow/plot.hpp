// include/eigenflow/plot.hpp — pictures as PNG: an RGB image with drawing primitives and
// colormaps, and the charts of a flow (density heatmap, scatter, CNF trajectories, image grid).
//
// Needs stb_image_write (Debian libstb-dev), which it compiles privately into each translation
// unit that includes it; see eigenflow/plot/image.hpp.
#pragma once

/// @namespace eigenflow::plot
/// PNG pictures: densities, samples and trajectories of 2-D models.

#include "eigenflow/plot/charts.hpp"
#include "eigenflow/plot/image.hpp"
