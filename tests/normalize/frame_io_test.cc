#include "server/normalize/frame_io.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace userimage {
namespace {

class FrameIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    ASSERT_EQ(pipe2(fds_, O_CLOEXEC), 0);
  }
  void TearDown() override {
    if (fds_[0] >= 0) close(fds_[0]);
    if (fds_[1] >= 0) close(fds_[1]);
  }
  int fds_[2] = {-1, -1};
};

TEST_F(FrameIoTest, FramesRoundTripThroughAPipe) {
  // Larger than a pipe's buffer: the writer must wait for the reader.
  const std::string big(1 << 20, 'x');
  std::thread writer([&] {
    EXPECT_TRUE(WriteFrame(fds_[1], "hello", absl::InfiniteFuture()).ok());
    EXPECT_TRUE(WriteFrame(fds_[1], "", absl::InfiniteFuture()).ok());
    EXPECT_TRUE(WriteFrame(fds_[1], big, absl::InfiniteFuture()).ok());
  });
  std::string payload;
  ASSERT_TRUE(
      ReadFrame(fds_[0], 2 << 20, absl::InfiniteFuture(), &payload).ok());
  EXPECT_EQ(payload, "hello");
  ASSERT_TRUE(
      ReadFrame(fds_[0], 2 << 20, absl::InfiniteFuture(), &payload).ok());
  EXPECT_EQ(payload, "");
  ASSERT_TRUE(
      ReadFrame(fds_[0], 2 << 20, absl::InfiniteFuture(), &payload).ok());
  EXPECT_EQ(payload, big);
  writer.join();
}

TEST_F(FrameIoTest, AFrameOverTheLimitIsRefusedBeforeItIsRead) {
  ASSERT_TRUE(WriteFrame(fds_[1], "0123456789", absl::InfiniteFuture()).ok());
  std::string payload;
  EXPECT_EQ(ReadFrame(fds_[0], 9, absl::InfiniteFuture(), &payload).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(payload.empty());
}

TEST_F(FrameIoTest, AdmitSeesTheSizeAndMayRefuse) {
  ASSERT_TRUE(WriteFrame(fds_[1], "0123456789", absl::InfiniteFuture()).ok());
  std::string payload;
  size_t seen = 0;
  EXPECT_EQ(ReadFrame(fds_[0], 100, absl::InfiniteFuture(), &payload,
                      [&](size_t size) {
                        seen = size;
                        return false;
                      })
                .code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(seen, 10);
}

TEST_F(FrameIoTest, AClosedPeerIsUnavailable) {
  close(fds_[1]);
  fds_[1] = -1;
  std::string payload;
  EXPECT_EQ(ReadFrame(fds_[0], 100, absl::InfiniteFuture(), &payload).code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(FrameIoTest, AFrameCutShortIsUnavailable) {
  ASSERT_EQ(write(fds_[1],
                  "\0\0\0\x10"
                  "abc",
                  7),
            7);
  close(fds_[1]);
  fds_[1] = -1;
  std::string payload;
  EXPECT_EQ(ReadFrame(fds_[0], 100, absl::InfiniteFuture(), &payload).code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(FrameIoTest, WritingToAClosedReaderIsUnavailable) {
  close(fds_[0]);
  fds_[0] = -1;
  EXPECT_EQ(WriteFrame(fds_[1], "x", absl::InfiniteFuture()).code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(FrameIoTest, APassedDeadlineStopsAReadThatWouldWait) {
  std::string payload;
  EXPECT_EQ(
      ReadFrame(fds_[0], 100, absl::Now() - absl::Seconds(1), &payload).code(),
      absl::StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace userimage
