#ifndef CLIENT_STATUS_PRINTER_H_
#define CLIENT_STATUS_PRINTER_H_

#include <string>

#include "absl/status/status.h"

namespace clerk::userimage::client {

// Formats a failed call for the terminal: a first line
// "error: <CODE_NAME>: <message>", then one indented line per rich error
// detail found in the status's kRpcStatusTypeUrl payload (ErrorInfo,
// RetryInfo and BadRequest spelled out, other details by type URL). Every
// line, the last included, ends with a newline.
std::string FormatError(const absl::Status& status);

}  // namespace clerk::userimage::client

#endif  // CLIENT_STATUS_PRINTER_H_
