#include "tools/bench/upload_load.h"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "client/user_image_client.h"

namespace clerk::userimage::bench {

namespace {

void AppendBigEndian32(uint32_t value, std::string& out) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>(value >> shift));
  }
}

// Appends a PNG chunk: length, type, data and the CRC of type and data.
void AppendPngChunk(absl::string_view type, absl::string_view data,
                    std::string& out) {
  AppendBigEndian32(static_cast<uint32_t>(data.size()), out);
  const size_t start = out.size();
  out.append(type.data(), type.size());
  out.append(data.data(), data.size());
  AppendBigEndian32(static_cast<uint32_t>(crc32(
                        0, reinterpret_cast<const Bytef*>(out.data() + start),
                        static_cast<uInt>(out.size() - start))),
                    out);
}

// Appends a JPEG marker segment: FF, marker, big-endian length, payload.
void AppendJpegSegment(uint8_t marker, absl::string_view payload,
                       std::string& out) {
  out.push_back('\xFF');
  out.push_back(static_cast<char>(marker));
  const size_t length = payload.size() + 2;
  out.push_back(static_cast<char>(length >> 8));
  out.push_back(static_cast<char>(length & 0xFF));
  out.append(payload.data(), payload.size());
}

}  // namespace

std::string MakeExifJpeg(size_t size, int index) {
  std::mt19937 random(static_cast<unsigned>(index) + 1);
  std::string image("\xFF\xD8", 2);
  // EXIF: a little-endian TIFF header and an empty IFD0, then padding, as a
  // large maker note would be.
  std::string exif("Exif\0\0II*\0\x08\0\0\0\0\0\0\0\0\0", 20);
  exif.resize(60 * 1024, '\0');
  AppendJpegSegment(0xE1, exif, image);
  AppendJpegSegment(0xDB, std::string("\x00", 1) + std::string(64, '\x01'),
                    image);
  AppendJpegSegment(
      0xC0,
      std::string("\x08\x03\xE8\x03\xE8\x03\x01\x22\x00\x02\x11\x00"
                  "\x03\x11\x00",
                  15),
      image);
  // One DC table with a single 1-bit code.
  std::string dht("\x00\x01", 2);
  dht.append(15, '\0');
  dht.push_back('\0');
  AppendJpegSegment(0xC4, dht, image);
  AppendJpegSegment(
      0xDA, std::string("\x03\x01\x00\x02\x00\x03\x00\x00\x3F\x00", 10), image);
  const size_t data = size > image.size() + 2 ? size - image.size() - 2 : 1;
  for (size_t i = 0; i < data; ++i) {
    // No 0xFF: the scan holds no markers.
    image.push_back(static_cast<char>(random() % 0xFF));
  }
  image.append("\xFF\xD9", 2);
  return image;
}

std::string MakeImage(size_t size, int index) {
  // Signature, IHDR, IDAT and IEND with empty data.
  constexpr size_t kPngOverhead = 8 + 25 + 12 + 12;
  std::mt19937 random(static_cast<unsigned>(index) + 1);
  std::string image("\x89PNG\r\n\x1A\n", 8);
  if (size < kPngOverhead) {
    while (image.size() < size) image.push_back(static_cast<char>(random()));
    return image;
  }
  std::string header;
  AppendBigEndian32(1, header);              // width
  AppendBigEndian32(1, header);              // height
  header.append("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB
  AppendPngChunk("IHDR", header, image);
  std::string data(size - kPngOverhead, '\0');
  for (char& c : data) c = static_cast<char>(random());
  AppendPngChunk("IDAT", data, image);
  AppendPngChunk("IEND", "", image);
  return image;
}

LoadResult RunUploads(const std::shared_ptr<grpc::Channel>& channel,
                      const LoadOptions& options) {
  const int n = options.uploads;
  std::vector<client::UploadOptions> calls(n);
  std::vector<std::string> images(n);
  for (int i = 0; i < n; ++i) {
    calls[i].user_id = options.users[i % options.users.size()];
    calls[i].filename = absl::StrCat("bench-", i, ".png");
    calls[i].timeout = options.deadline;
    images[i] = MakeImage(options.image_bytes, i);
  }

  client::UserImageClient client(channel);
  LoadResult result;
  result.outcomes.resize(n);
  absl::BlockingCounter parked(n);
  absl::Notification release;
  absl::Notification all_done;
  std::atomic<int> finished{0};
  absl::Time released;  // Written before `release` is notified.

  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      parked.DecrementCount();
      release.WaitForNotification();
      UploadOutcome& outcome = result.outcomes[i];
      outcome.started = absl::Now() - released;
      outcome.code =
          client.UploadProfileImage(calls[i], images[i]).status().code();
      outcome.finished = absl::Now() - released;
      if (finished.fetch_add(1) + 1 == n) all_done.Notify();
    });
  }
  if (n == 0) all_done.Notify();
  parked.Wait();
  released = absl::Now();
  release.Notify();

  while (!all_done.WaitForNotificationWithTimeout(options.progress_interval)) {
    if (options.progress) {
      options.progress(absl::Now() - released, finished.load());
    }
  }
  for (std::thread& t : threads) t.join();

  result.released = released;
  result.wall = absl::ZeroDuration();
  for (const UploadOutcome& o : result.outcomes) {
    result.wall = std::max(result.wall, o.finished);
  }
  return result;
}

}  // namespace clerk::userimage::bench
