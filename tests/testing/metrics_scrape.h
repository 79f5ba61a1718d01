#ifndef TESTS_TESTING_METRICS_SCRAPE_H_
#define TESTS_TESTING_METRICS_SCRAPE_H_

#include <string>

#include "server/metrics/metrics.h"

namespace userimage {

// A metric's value (the sum over its label sets) from the Prometheus
// endpoint on 127.0.0.1:`port`; -1 if it could not be scraped. For tests.
double ScrapeMetric(int port, const std::string& name);

// The same, read in process from `metrics`.
double ScrapeMetric(Metrics& metrics, const std::string& name);

}  // namespace userimage

#endif  // TESTS_TESTING_METRICS_SCRAPE_H_
