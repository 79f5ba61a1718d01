#ifndef TESTS_TESTING_CLERK_ANSWERS_H_
#define TESTS_TESTING_CLERK_ANSWERS_H_

#include "absl/strings/str_cat.h"
#include "server/http/http_client.h"

namespace userimage {

// A Clerk answer for fake transports: 200 with a minimal User (user_1), or
// `status` with a ClerkErrors body whose code is "code_<status>"; JSON,
// plus `extra` headers (e.g. Retry-After). Pure; for tests.
inline HttpResponse ClerkAnswer(int status, HttpHeaders extra = {}) {
  HttpResponse r;
  r.status = status;
  r.headers = {{"content-type", "application/json"}};
  r.headers.insert(r.headers.end(), extra.begin(), extra.end());
  r.body =
      status == 200
          ? R"({"id":"user_1","object":"user","has_image":true})"
          : absl::StrCat(R"({"errors":[{"message":"m","long_message":"l",)",
                         R"("code":"code_)", status, R"("}]})");
  return r;
}

}  // namespace userimage

#endif  // TESTS_TESTING_CLERK_ANSWERS_H_
