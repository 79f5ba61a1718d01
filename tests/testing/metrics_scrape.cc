#include "tests/testing/metrics_scrape.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "httplib.h"
#include "prometheus/text_serializer.h"

namespace userimage {
namespace {

// Sum of the samples named exactly `name` in Prometheus text format.
double SumOf(absl::string_view exposition, const std::string& name) {
  double total = 0;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (!absl::StartsWith(line, name)) continue;
    absl::string_view rest = line.substr(name.size());
    if (!rest.empty() && rest[0] != ' ' && rest[0] != '{') continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value))
      total += value;
  }
  return total;
}

}  // namespace

double ScrapeMetric(int port, const std::string& name) {
  httplib::Client scraper("127.0.0.1", port);
  auto response = scraper.Get("/metrics");
  if (!response || response->status != 200) return -1;
  return SumOf(response->body, name);
}

double ScrapeMetric(Metrics& metrics, const std::string& name) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& weak : metrics.Collectables()) {
    if (auto collectable = weak.lock()) {
      for (auto& family : collectable->Collect()) {
        families.push_back(std::move(family));
      }
    }
  }
  return SumOf(prometheus::TextSerializer().Serialize(families), name);
}

}  // namespace userimage
