#include "server/image/safe_filename.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace userimage {
namespace {

struct Case {
  std::string name;
  ImageType type;
  std::string expected;
};

TEST(SafeFilenameTest, MakesNamesSafe) {
  const std::vector<Case> cases = {
      // Ordinary names keep their stem; the extension follows the type.
      {"avatar.png", ImageType::kPng, "avatar.png"},
      {"My Photo 2024-05-17_v2.jpg", ImageType::kJpeg,
       "My Photo 2024-05-17_v2.jpg"},
      {"photo.JPEG", ImageType::kJpeg, "photo.jpg"},
      {"photo.jpe", ImageType::kJpeg, "photo.jpg"},
      {"anim.gif", ImageType::kWebp, "anim.webp"},
      {"cat.PNG", ImageType::kGif, "cat.gif"},
      {"noextension", ImageType::kPng, "noextension.png"},
      {"trailingdot.", ImageType::kPng, "trailingdot.png"},
      // Other extensions stay part of the name, never an extension.
      {"report.pdf", ImageType::kPng, "report_pdf.png"},
      // A converted photo takes the extension of what it became.
      {"IMG_0001.HEIC", ImageType::kJpeg, "IMG_0001.jpg"},
      {"scan.tiff", ImageType::kPng, "scan.png"},
      {"shell.php.jpg", ImageType::kJpeg, "shell_php.jpg"},
      {"john.smith.jpeg", ImageType::kJpeg, "john_smith.jpg"},
      // Directories, both separators.
      {"/etc/passwd", ImageType::kPng, "passwd.png"},
      {"../../secret.png", ImageType::kPng, "secret.png"},
      {"C:\\Users\\me\\Pictures\\me.webp", ImageType::kWebp, "me.webp"},
      {"dir/", ImageType::kJpeg, "image.jpg"},
      // Hidden files, dots only.
      {".htaccess", ImageType::kPng, "htaccess.png"},
      {"..", ImageType::kPng, "image.png"},
      {"...png", ImageType::kPng, "image.png"},
      {".png", ImageType::kPng, "image.png"},
      // Control characters, quotes and other unsafe characters.
      {"a\r\nContent-Type: image.png", ImageType::kPng,
       "aContent-Type image.png"},
      {"\"quoted\" 'name'.gif", ImageType::kGif, "quoted name.gif"},
      {"semi;colon%20and<tags>.jpg", ImageType::kJpeg,
       "semicolon20andtags.jpg"},
      {std::string("nul\0byte.png", 12), ImageType::kPng, "nulbyte.png"},
      {"tab\there.png", ImageType::kPng, "tabhere.png"},
      // Non-ASCII is dropped.
      {"caf\xC3\xA9.png", ImageType::kPng, "caf.png"},
      {"\xE5\x86\x99\xE7\x9C\x9F.jpg", ImageType::kJpeg, "image.jpg"},
      // Runs collapse; separators are trimmed.
      {"a   b___c---d.png", ImageType::kPng, "a b_c-d.png"},
      {"  -leading and trailing-  .png", ImageType::kPng,
       "leading and trailing.png"},
      {"a._b.png", ImageType::kPng, "a_b.png"},
      {"_ - _.png", ImageType::kPng, "image.png"},
      // Windows device names.
      {"CON.jpg", ImageType::kJpeg, "_CON.jpg"},
      {"nul", ImageType::kPng, "_nul.png"},
      {"com1.gif", ImageType::kGif, "_com1.gif"},
      {"COM0.gif", ImageType::kGif, "COM0.gif"},
      {"console.png", ImageType::kPng, "console.png"},
      // Empty.
      {"", ImageType::kJpeg, "image.jpg"},
      {"", ImageType::kWebp, "image.webp"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(SafeFilename(c.name, c.type), c.expected) << c.name;
  }
}

TEST(SafeFilenameTest, BoundsTheLengthAndKeepsTheExtension) {
  const std::string long_stem(300, 'a');
  const std::string webp = SafeFilename(long_stem + ".webp", ImageType::kWebp);
  EXPECT_EQ(webp.size(), kMaxSafeFilenameLength);
  EXPECT_EQ(webp, std::string(95, 'a') + ".webp");
  const std::string jpeg = SafeFilename(long_stem, ImageType::kJpeg);
  EXPECT_EQ(jpeg, std::string(96, 'a') + ".jpg");
  // A separator left at the cut is trimmed.
  const std::string cut =
      SafeFilename(std::string(95, 'b') + " tail.png", ImageType::kPng);
  EXPECT_EQ(cut, std::string(95, 'b') + ".png");
}

TEST(SafeFilenameTest, IsIdempotentAndOnlyUsesTheSafeSet) {
  const std::vector<std::string> inputs = {
      "avatar.png",   "../x/.y.php.gif",
      "CON",          "a  .  b",
      "\x01\x02.jpg", "....",
      "-rf",          std::string(200, '_') + "x",
      "x.JPG.JPG",    "a-_-_-b.webp",
      "LPT9",         "com1.png"};
  for (const std::string& input : inputs) {
    for (ImageType type : {ImageType::kJpeg, ImageType::kPng, ImageType::kGif,
                           ImageType::kWebp}) {
      const std::string safe = SafeFilename(input, type);
      EXPECT_EQ(SafeFilename(safe, type), safe) << input;
      EXPECT_LE(safe.size(), kMaxSafeFilenameLength);
      EXPECT_NE(safe[0], '.');
      EXPECT_NE(safe[0], '-');
      EXPECT_NE(safe[0], ' ');
      EXPECT_EQ(safe.find('.'), safe.rfind('.')) << safe;
      EXPECT_EQ(safe.substr(safe.find('.')), FileExtension(type)) << safe;
      for (char c : safe) {
        EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                    c == '_' || c == ' ')
            << safe;
      }
    }
  }
}

}  // namespace
}  // namespace userimage
