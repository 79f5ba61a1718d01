#include "tests/testing/test_ca.h"

#include "absl/strings/str_cat.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

absl::Status Shell(const std::string& command) {
  return RunCommand(absl::StrCat("cd ", TestTempPath(""), " && ", command), "",
                    TestTempPath("openssl.log"))
      .status();
}

}  // namespace

absl::Status MakeTestCa(const std::string& name) {
  return Shell(absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=", name,
      " -keyout ", name, ".key -out ", name, ".pem 2>/dev/null"));
}

absl::Status MakeTestLeaf(const std::string& ca, const std::string& leaf,
                          const std::string& san) {
  return Shell(absl::StrCat(
      "openssl req -newkey rsa:2048 -nodes -subj /CN=", leaf, " -keyout ", leaf,
      ".key -out ", leaf, ".csr 2>/dev/null && printf 'subjectAltName=", san,
      "' > ", leaf, ".ext && openssl x509 -req -in ", leaf, ".csr -CA ", ca,
      ".pem -CAkey ", ca, ".key -CAcreateserial -days 1 -extfile ", leaf,
      ".ext -out ", leaf, ".pem 2>/dev/null"));
}

}  // namespace userimage
