// The tools' command lines (bench, local demo, simulator) are parsed by
// CLI11 through these helpers, so that they behave alike: parsing never
// exits or prints; --help and --version are results; an error is one line
// naming the flag. (gossipmonger-node keeps its own parser, for memory:
// tools/node/node_flags.h.)
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace gossipmonger::tools {

struct CommandLine {
  enum class Action { kRun, kHelp, kVersion, kError };
  Action action = Action::kRun;
  std::string text;  // kHelp: the help; kVersion: the version line; kError: one line
};

// An app whose help starts "usage: NAME [OPTIONS]", shows every default and
// ends with `description`.
void SetUp(CLI::App& app, const std::string& description);

// Parses `args` (argv without the program name) into the variables bound to
// `app`'s options. A value flag given last, or followed by another --flag,
// is refused as "FLAG: missing value" (the tools' wording before CLI11);
// other errors keep CLI11's wording, which names the flag.
CommandLine ParseCommandLine(CLI::App& app, std::vector<std::string> args);

// Checks with the tools' wording, "expected ..., got 'VALUE'":
// a number in [min, max] (an integer if `integer`; NaN and infinities are
// refused, which CLI::Range lets through), a finite number > 0, and any
// other rule.
inline constexpr double kUnbounded = 1e300;
CLI::Validator NumberIn(double min, double max, bool integer = false);
CLI::Validator PositiveNumber();
CLI::Validator Expects(const std::string& what, bool (*ok)(const std::string&));

// Declares a number flag bound to `value`, checked by NumberIn.
template <typename T>
CLI::Option* AddNumber(CLI::App& app, const char* name, T& value, double min, double max,
                       const char* help) {
  return app.add_option(name, value, help)
      ->check(NumberIn(min, max, std::is_integral_v<T>));
}

}  // namespace gossipmonger::tools
