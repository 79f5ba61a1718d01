#include "server/http/curl_handle.h"

#include <string.h>

#include <vector>

#include "gtest/gtest.h"

namespace userimage {
namespace {

TEST(CurlHandleTest, AnAcceptedOptionIsOk) {
  auto handle = CurlHandle::Create();
  ASSERT_TRUE(handle.ok()) << handle.status();
  EXPECT_TRUE(handle->SetOption(CURLOPT_URL, "https://api.clerk.com").ok());
  EXPECT_TRUE(handle->SetOption(CURLOPT_TIMEOUT_MS, 1000L).ok());
}

TEST(CurlHandleTest, ARefusedOptionSaysSo) {
  auto handle = CurlHandle::Create();
  ASSERT_TRUE(handle.ok());
  // No such protocol: libcurl refuses the whole list.
  absl::Status s = handle->SetOption(CURLOPT_PROTOCOLS_STR, "gopher+nonsense");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_NE(s.message().find("libcurl refused option"), std::string::npos) << s;
}

TEST(CurlHandleTest, MovesOwnership) {
  auto handle = CurlHandle::Create();
  ASSERT_TRUE(handle.ok());
  CURL* raw = handle->get();
  CurlHandle moved = *std::move(handle);
  EXPECT_EQ(moved.get(), raw);
}

TEST(CurlSlistTest, WipesEveryHeaderInPlace) {
  CurlSlist list(curl_slist_append(nullptr, "Authorization: Bearer sk_1"));
  curl_slist_append(list.get(), "Accept: application/json");
  std::vector<size_t> lengths;
  for (curl_slist* node = list.get(); node != nullptr; node = node->next) {
    lengths.push_back(strlen(node->data));
  }
  WipeSlist(list.get());
  size_t i = 0;
  for (curl_slist* node = list.get(); node != nullptr; node = node->next) {
    for (size_t j = 0; j < lengths[i]; ++j) EXPECT_EQ(node->data[j], '\0');
    ++i;
  }
}

}  // namespace
}  // namespace userimage
