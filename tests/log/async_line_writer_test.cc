#include "server/log/async_line_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

std::string ReadAll(int fd) {
  std::string out;
  char buffer[65536];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, n);
  return out;
}

TEST(AsyncLineWriterTest, WritesEveryLineInOrder) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  {
    AsyncLineWriter writer(fds[1], 100);
    for (int i = 0; i < 50; ++i)
      EXPECT_TRUE(writer.Write(absl::StrCat(i, "\n")));
  }  // Flushed and stopped.
  close(fds[1]);
  std::string expected;
  for (int i = 0; i < 50; ++i) absl::StrAppend(&expected, i, "\n");
  EXPECT_EQ(ReadAll(fds[0]), expected);
  close(fds[0]);
}

TEST(AsyncLineWriterTest,
     AStalledReaderNeverBlocksTheWriterLinesAreDroppedAndCounted) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  // Nobody reads the pipe: once its buffer (64 KiB) is full, the writer
  // thread blocks in write(2); Write() must go on returning at once.
  AsyncLineWriter writer(fds[1], 10);
  const std::string line(1000, 'x');
  int accepted = 0;
  for (int i = 0; i < 1000; ++i) accepted += writer.Write(line + "\n") ? 1 : 0;
  EXPECT_GT(writer.dropped(), 0u);
  EXPECT_EQ(accepted + static_cast<int>(writer.dropped()), 1000);
  // Drain the pipe so the writer can finish, then check nothing torn.
  fcntl(fds[0], F_SETFL, 0);
  std::string out;
  std::thread reader([&] { out = ReadAll(fds[0]); });
  writer.Stop();
  close(fds[1]);
  reader.join();
  close(fds[0]);
  EXPECT_EQ(out.size(), static_cast<size_t>(accepted) * (line.size() + 1));
  EXPECT_FALSE(writer.Write("after stop\n"));
}

}  // namespace
}  // namespace userimage
