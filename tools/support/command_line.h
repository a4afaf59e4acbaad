// Every tool's command line is parsed by CLI11 through this one function, so
// that they behave alike: parsing never exits or prints; --help and
// --version are results; an error is one line naming the flag.
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

// Parses `args` (argv without the program name) into the variables bound to
// `app`'s options. A value flag given last, or followed by another --flag,
// is refused as "FLAG: missing value" (the tools' wording before CLI11);
// other errors keep CLI11's wording, which names the flag.
CommandLine ParseCommandLine(CLI::App& app, std::vector<std::string> args);

// A number in [min, max] (an integer if `integer`); NaN and infinities are
// refused (CLI::Range lets NaN through). The message states the range.
CLI::Validator NumberIn(double min, double max, bool integer = false);
inline constexpr double kUnbounded = 1e300;
// A finite number > 0.
CLI::Validator PositiveNumber();

// The help's first line reads "usage: NAME [OPTIONS]"; `description` follows
// the list of options, which leaves out the options of group kHidden. (CLI11
// hides options of group "", but then drops their names from its errors.)
void FormatHelp(CLI::App& app, const std::string& description);
inline constexpr char kHidden[] = "hidden";

}  // namespace gossipmonger::tools
