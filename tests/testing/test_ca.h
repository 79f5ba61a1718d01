#ifndef TESTS_TESTING_TEST_CA_H_
#define TESTS_TESTING_TEST_CA_H_

#include <string>

#include "absl/status/status.h"

namespace userimage {

// Throwaway certificates made with the openssl command in the test's
// scratch directory (TestTempPath("")): <name>.pem and <name>.key.

// A self-signed CA `name`.
absl::Status MakeTestCa(const std::string& name);

// A certificate `leaf` signed by the CA `ca`, with subjectAltName `san`
// (e.g. "DNS:localhost,IP:127.0.0.1" or "URI:spiffe://test/x").
absl::Status MakeTestLeaf(const std::string& ca, const std::string& leaf,
                          const std::string& san);

}  // namespace userimage

#endif  // TESTS_TESTING_TEST_CA_H_
