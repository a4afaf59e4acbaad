#include "command_line.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace gossipmonger::tools {
namespace {

// The flag that wants a value and has none, or "".
std::string FlagMissingItsValue(const CLI::App& app,
                                const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const CLI::Option* option = app.get_option_no_throw(args[i]);
    if (option == nullptr || option->get_items_expected_min() == 0) continue;
    if (i + 1 == args.size() || args[i + 1].rfind("--", 0) == 0) return args[i];
  }
  return "";
}

std::optional<double> FiniteNumber(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

std::string Shortest(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// No description: the help shows the option's type, not the check's.
CLI::Validator Check(std::function<std::string(std::string&)> check) {
  return CLI::Validator(std::move(check), "");
}

}  // namespace

void SetUp(CLI::App& app, const std::string& description) {
  app.get_formatter()->label("Usage", "usage");
  app.get_formatter()->column_width(28);
  app.footer(description);
  app.option_defaults()->always_capture_default();
}

CommandLine ParseCommandLine(CLI::App& app, std::vector<std::string> args) {
  using Action = CommandLine::Action;
  if (std::string flag = FlagMissingItsValue(app, args); !flag.empty())
    return {Action::kError, flag + ": missing value"};
  std::reverse(args.begin(), args.end());  // CLI11 takes the last argument first
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    return {Action::kHelp, app.help()};
  } catch (const CLI::CallForVersion& version) {
    return {Action::kVersion, std::string(version.what()) + "\n"};
  } catch (const CLI::ParseError& error) {
    return {Action::kError, error.what()};
  }
  return {};
}

CLI::Validator NumberIn(double min, double max, bool integer) {
  const std::string range = max >= kUnbounded
                                ? ">= " + Shortest(min)
                                : "in [" + Shortest(min) + ", " + Shortest(max) + "]";
  const std::string what = (integer ? "an integer " : "a number ") + range;
  return Check([=](std::string& text) -> std::string {
    const auto value = FiniteNumber(text);
    if (value && *value >= min && *value <= max &&
        (!integer || *value == std::floor(*value)))
      return "";
    return "expected " + what + ", got '" + text + "'";
  });
}

CLI::Validator PositiveNumber() {
  return Check([](std::string& text) -> std::string {
    const auto value = FiniteNumber(text);
    return value && *value > 0 ? "" : "expected a positive number, got '" + text + "'";
  });
}

CLI::Validator Expects(const std::string& what, bool (*ok)(const std::string&)) {
  return Check([=](std::string& text) {
    return ok(text) ? std::string() : "expected " + what + ", got '" + text + "'";
  });
}

}  // namespace gossipmonger::tools
