#ifndef CLIENT_PROGRESS_BAR_H_
#define CLIENT_PROGRESS_BAR_H_

#include <cstdint>
#include <string>

namespace clerk::userimage::client {

// Renders one line of upload progress, without a line break, e.g.
// "[#########.........]  45%  4.5 MB / 10.0 MB". `width` is the number of
// cells between the brackets. Sizes use decimal units (1 MB = 1,000,000
// bytes), both in the unit that suits `total`, so the line keeps its width
// as `sent` grows. `sent` above `total` counts as `total`; a `total` of 0
// counts as complete.
std::string RenderProgressBar(uint64_t sent, uint64_t total, int width);

}  // namespace clerk::userimage::client

#endif  // CLIENT_PROGRESS_BAR_H_
