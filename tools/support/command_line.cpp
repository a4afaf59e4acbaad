#include "command_line.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
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

class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_group(std::string group, bool is_positional,
                         std::vector<const CLI::Option*> options) const override {
    if (group == kHidden) return "";
    return CLI::Formatter::make_group(group, is_positional, options);
  }
};

std::string Shortest(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

}  // namespace

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
  auto check = [=](std::string& text) -> std::string {
    const auto value = FiniteNumber(text);
    if (value && *value >= min && *value <= max &&
        (!integer || *value == std::floor(*value)))
      return "";
    const std::string range = max >= kUnbounded
                                  ? ">= " + Shortest(min)
                                  : "in [" + Shortest(min) + ", " + Shortest(max) + "]";
    return std::string(integer ? "expected an integer " : "expected a number ") + range +
           ", got '" + text + "'";
  };
  return CLI::Validator(check, "");  // no description: the help shows the type
}

CLI::Validator PositiveNumber() {
  auto check = [](std::string& text) -> std::string {
    const auto value = FiniteNumber(text);
    return value && *value > 0 ? "" : "expected a positive number, got '" + text + "'";
  };
  return CLI::Validator(check, "");
}

void FormatHelp(CLI::App& app, const std::string& description) {
  auto formatter = std::make_shared<HelpFormatter>();
  formatter->label("Usage", "usage");
  formatter->column_width(28);
  app.formatter(formatter);
  app.footer(description);
}

}  // namespace gossipmonger::tools
