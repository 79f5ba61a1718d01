#include "server/app/clerk_delivery.h"

#include <utility>

namespace userimage {

ClerkDelivery::ClerkDelivery(ClerkDeliveryOptions options, HttpClient& http,
                             Clock& clock, Timers& timers, RandomSource& random,
                             Metrics& metrics)
    : clerk_(std::move(options.clerk), http, clock, metrics),
      gate_(std::move(options.gate), clock, timers),
      budget_(options.budget, clock),
      retrying_(std::move(options.retry), clerk_, gate_, budget_, clock, timers,
                random, metrics) {}

}  // namespace userimage
