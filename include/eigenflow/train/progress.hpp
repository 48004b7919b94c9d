// include/eigenflow/train/progress.hpp — what a training run shows while it runs: a progress bar
// redrawn in place on a terminal, plain periodic lines when the output is a file or a pipe (CI
// logs, `| tee`), nothing when quiet.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "eigenflow/enum_names.hpp"
#include "eigenflow/error.hpp"

namespace eigenflow::train {

/// How fit() shows its progress.
enum class progress_mode {
  automatic,  ///< a bar if the stream is a terminal, else lines
  bar,        ///< a bar redrawn in place
  lines,      ///< a line of status every so many iterations
  quiet,      ///< nothing
};

/// The names of the progress modes ("auto", "bar", "lines", "quiet"), for parsing and printing.
inline constexpr auto progress_mode_names = std::to_array<enum_name<progress_mode>>({{progress_mode::automatic, "auto"},
                                                                                    {progress_mode::bar, "bar"},
                                                                                    {progress_mode::lines, "lines"},
                                                                                    {progress_mode::quiet, "quiet"}});
/// The mode named `name`; throws value_error for an unknown name.
inline progress_mode parse_progress_mode(std::string_view name) { return parse_enum(progress_mode_names, name, "progress"); }

/// One line of status: where the run is, and any extra fields the model reports.
struct progress_status {
  long iteration = 0;        ///< the step just taken
  long iterations = 0;       ///< the last step of the run
  double loss = 0;           ///< the loss shown (fit: the mean over recent steps)
  std::string extra;         ///< e.g. "nfe 32+24" for continuous flows, "test 2.91" after an evaluation
  long first_iteration = 1;  ///< the first one this run took (a resumed run starts later): for the ETA
};

/// Renders progress_status updates to a C stream.
class progress {
 public:
  /// lines_every: with lines, print every this many iterations (and the last one).
  explicit progress(progress_mode mode = progress_mode::automatic, std::FILE* out = stdout, long lines_every = 0)
      : out_(out), lines_every_(lines_every), start_(clock::now()) {
    if (out_ == nullptr) throw value_error("progress: no output stream");
    mode_ = mode == progress_mode::automatic ? (::isatty(::fileno(out_)) != 0 ? progress_mode::bar : progress_mode::lines)
                                             : mode;
  }

  /// The mode in use (automatic resolved to bar or lines).
  progress_mode mode() const { return mode_; }
  /// Seconds since construction.
  double elapsed_seconds() const { return std::chrono::duration<double>(clock::now() - start_).count(); }

  /// Shows the status (a bar redraw at most ~10 times a second; a line every lines_every).
  void update(const progress_status& s) {
    const bool last = s.iteration >= s.iterations;
    if (mode_ == progress_mode::quiet) return;
    if (mode_ == progress_mode::lines) {
      const long every = lines_every_ > 0 ? lines_every_ : std::max(1L, s.iterations / 20);
      if (s.iteration % every == 0 || last) std::fprintf(out_, "%s\n", format(s, false).c_str()), std::fflush(out_);
      return;
    }
    const double now = elapsed_seconds();
    if (!last && now - last_draw_ < 0.1) return;
    last_draw_ = now;
    std::fprintf(out_, "\r%s\x1b[K", format(s, true).c_str());  // erase what a longer line left
    if (last) std::fprintf(out_, "\n");
    std::fflush(out_);
  }

  /// A message on its own line (an evaluation, a new best model, early stopping).
  void note(const std::string& message) {
    if (mode_ == progress_mode::quiet) return;
    if (mode_ == progress_mode::bar) std::fprintf(out_, "\r\x1b[K");
    std::fprintf(out_, "%s\n", message.c_str());
    std::fflush(out_);
  }

  /// "12:34", "1:02:03".
  static std::string format_duration(double seconds) {
    const long total = static_cast<long>(std::max(0.0, seconds) + 0.5);
    char buffer[32];
    if (total >= 3600) {
      std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
    } else {
      std::snprintf(buffer, sizeof buffer, "%ld:%02ld", total / 60, total % 60);
    }
    return buffer;
  }

  /// The status as text; with_bar adds a 24-character bar.
  std::string format(const progress_status& s, bool with_bar) const {
    const double elapsed = elapsed_seconds();
    const double fraction = s.iterations > 0 ? std::clamp(double(s.iteration) / double(s.iterations), 0.0, 1.0) : 1.0;
    const long done = s.iteration - s.first_iteration + 1;
    const double eta = done > 0 ? elapsed / double(done) * double(s.iterations - s.iteration) : 0.0;
    std::string text;
    if (with_bar) {
      const int width = 24, filled = static_cast<int>(fraction * width + 0.5);
      text += '[' + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(width - filled), '.') + "] ";
    }
    char buffer[160];
    std::snprintf(buffer, sizeof buffer, "iter %ld/%ld  loss %.4f  elapsed %s  eta %s", s.iteration, s.iterations, s.loss,
                  format_duration(elapsed).c_str(), format_duration(eta).c_str());
    text += buffer;
    if (!s.extra.empty()) text += "  " + s.extra;
    return text;
  }

 private:
  using clock = std::chrono::steady_clock;
  std::FILE* out_;
  progress_mode mode_ = progress_mode::lines;
  long lines_every_;
  clock::time_point start_;
  double last_draw_ = -1;
};

}  // namespace eigenflow::train
