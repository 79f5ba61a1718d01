#include "server/image/byte_reader.h"

#include <string>

#include "gtest/gtest.h"

namespace userimage {
namespace {

TEST(ByteReaderTest, ReadsIntegersInBothByteOrders) {
  const std::string data("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0A\x0B", 11);
  ByteReader in(data);
  uint16_t u16;
  uint32_t u32;
  uint8_t u8;
  ASSERT_TRUE(in.ReadBigEndian16(&u16));
  EXPECT_EQ(u16, 0x0102);
  ASSERT_TRUE(in.ReadLittleEndian16(&u16));
  EXPECT_EQ(u16, 0x0403);
  ASSERT_TRUE(in.ReadLittleEndian24(&u32));
  EXPECT_EQ(u32, 0x070605u);
  ASSERT_TRUE(in.ReadU8(&u8));
  EXPECT_EQ(u8, 0x08);
  EXPECT_EQ(in.offset(), 8u);
  EXPECT_EQ(in.remaining(), 3u);
  EXPECT_EQ(in.rest(), "\x09\x0A\x0B");
}

TEST(ByteReaderTest, ReadsThirtyTwoBitIntegers) {
  const std::string data("\xFF\x00\x00\x01\x01\x00\x00\xFF", 8);
  ByteReader in(data);
  uint32_t value;
  ASSERT_TRUE(in.ReadBigEndian32(&value));
  EXPECT_EQ(value, 0xFF000001u);
  ASSERT_TRUE(in.ReadLittleEndian32(&value));
  EXPECT_EQ(value, 0xFF000001u);
  EXPECT_TRUE(in.empty());
}

TEST(ByteReaderTest, FailedReadLeavesTheCursorInPlace) {
  ByteReader in("abc");
  uint32_t u32;
  uint16_t u16;
  absl::string_view bytes;
  ASSERT_TRUE(in.Skip(1));
  EXPECT_FALSE(in.ReadBigEndian32(&u32));
  EXPECT_FALSE(in.ReadLittleEndian32(&u32));
  EXPECT_FALSE(in.ReadLittleEndian24(&u32));
  EXPECT_FALSE(in.ReadBytes(3, &bytes));
  EXPECT_FALSE(in.Skip(3));
  EXPECT_EQ(in.offset(), 1u);
  ASSERT_TRUE(in.ReadLittleEndian16(&u16));
  EXPECT_EQ(u16, 'b' | 'c' << 8);
  uint8_t u8;
  EXPECT_FALSE(in.ReadU8(&u8));
  EXPECT_FALSE(in.PeekU8(&u8));
  EXPECT_FALSE(in.ReadBigEndian16(&u16));
}

TEST(ByteReaderTest, ReadBytesViewsTheData) {
  const std::string data = "hello world";
  ByteReader in(data);
  absl::string_view word;
  ASSERT_TRUE(in.ReadBytes(5, &word));
  EXPECT_EQ(word, "hello");
  EXPECT_EQ(word.data(), data.data());
  uint8_t peeked;
  ASSERT_TRUE(in.PeekU8(&peeked));
  EXPECT_EQ(peeked, ' ');
  EXPECT_EQ(in.offset(), 5u);
  ASSERT_TRUE(in.ReadBytes(0, &word));
  EXPECT_EQ(word, "");
}

TEST(ByteReaderTest, HugeSizesDoNotWrapAround) {
  ByteReader in("abcd");
  absl::string_view bytes;
  EXPECT_FALSE(in.ReadBytes(static_cast<size_t>(-1), &bytes));
  EXPECT_FALSE(in.Skip(static_cast<size_t>(-2)));
  EXPECT_EQ(in.remaining(), 4u);
}

}  // namespace
}  // namespace userimage
