#include "server/json/json_to_message.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/stubs/strutil.h"
#include "google/protobuf/util/json_util.h"
// RapidJSON's SSE2 scanning of whitespace and unescaped string runs.
#if defined(__SSE2__)
#define RAPIDJSON_SSE2
#endif
#include "rapidjson/reader.h"

namespace userimage {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::ListValue;
using google::protobuf::Message;
using google::protobuf::Struct;
using google::protobuf::Value;
using rapidjson::SizeType;

// Deeper JSON is left to protobuf's parser. Its limit that matters is the
// binary round trip's: ParseFromString stops at 100 nested messages, and
// one JSON level is at most three of them (an object in a Struct: the map
// entry, the Value, the Struct).
constexpr int kMaxDepth = 32;

// - In situ: strings are decoded in a copy of the input, and RapidJSON's
//   own stack is never used (its first push does pointer arithmetic on
//   null, which UndefinedBehaviorSanitizer rightly refuses).
// - Recursive rather than iterative (which keeps its state on that stack):
//   the handler refuses nesting deeper than kMaxDepth, which bounds the
//   recursion.
// - No kParseValidateEncodingFlag: every string and key is checked by
//   IsCleanUtf8 instead (faster than RapidJSON's byte-at-a-time check, and
//   it also covers what escapes decode to), and outside strings RapidJSON
//   accepts nothing but ASCII.
constexpr unsigned kParseFlags =
    rapidjson::kParseInsituFlag | rapidjson::kParseNumbersAsStringsFlag;

// RapidJSON's SSE2 scanning loads aligned 16-byte blocks, up to 15 bytes
// past the terminating NUL: the copy is padded so they stay inside it.
constexpr size_t kPadding = 16;

bool IsStruct(const Descriptor* type) { return type == Struct::descriptor(); }

bool IsStringField(const FieldDescriptor* field) {
  return field->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
         field->type() != FieldDescriptor::TYPE_BYTES;
}

// A message field the fast path fills: a plain message, or a Struct.
bool IsDecodableMessage(const FieldDescriptor* field) {
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
      field->is_map()) {
    return false;
  }
  const Descriptor* type = field->message_type();
  return IsStruct(type) || type->file()->package() != "google.protobuf";
}

// Valid UTF-8 with no surrogate code point (which a lone "\udc00" escape
// would otherwise leave behind), by protobuf's own check (declared in its
// internal namespace, exported).
bool IsCleanUtf8(const char* text, SizeType length) {
  return google::protobuf::internal::IsStructurallyValidUTF8(
      text, static_cast<int>(length));
}

// The field a key names, as protobuf's parser finds it: by its JSON name,
// then by its proto name. (Only for messages whose JSON names are the
// default ones, HasDefaultJsonNames.)
const FieldDescriptor* FindField(const Descriptor* type,
                                 const std::string& key) {
  const FieldDescriptor* camel = type->FindFieldByCamelcaseName(key);
  if (camel != nullptr && camel->json_name() == key) return camel;
  return type->FindFieldByName(key);
}

// No field with a json_name option: protobuf's name lookup then matches
// FindField's.
bool HasDefaultJsonNames(const Descriptor* type) {
  for (int i = 0; i < type->field_count(); ++i) {
    if (type->field(i)->has_json_name()) return false;
  }
  return true;
}

bool IsIntegerToken(absl::string_view token) {
  return token.find_first_of(".eE") == absl::string_view::npos;
}

// A JSON number as protobuf reads one into a Struct's number_value: an
// integer token within 64 bits exactly, then converted; anything else
// through protobuf's own safe_strtod; false beyond a double's range.
bool StructNumber(const char* token, SizeType length, double* out) {
  const absl::string_view text(token, length);
  if (IsIntegerToken(text)) {
    uint64_t unsigned_value;
    int64_t signed_value;
    if (text[0] != '-' && absl::SimpleAtoi(text, &unsigned_value)) {
      *out = static_cast<double>(unsigned_value);
      return true;
    }
    if (text[0] == '-' && absl::SimpleAtoi(text, &signed_value)) {
      *out = static_cast<double>(signed_value);
      return true;
    }
  }
  return google::protobuf::safe_strtod(std::string(text), out) &&
         std::isfinite(*out);
}

// RapidJSON SAX handler filling a message through reflection. Each event
// returns false when the input leaves the fast path's subset, which stops
// the parse.
class Decoder {
 public:
  explicit Decoder(Message* root) : root_(root) {}

  bool Done() const { return started_ && frames_.empty(); }

  bool Null();
  bool Bool(bool value);
  bool RawNumber(const char* token, SizeType length, bool copy);
  bool String(const char* text, SizeType length, bool copy);
  bool StartObject();
  bool Key(const char* text, SizeType length, bool copy);
  bool EndObject(SizeType members);
  bool StartArray();
  bool EndArray(SizeType elements);

  // Never called: numbers arrive as RawNumber.
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }

 private:
  enum class Kind { kMessage, kRepeated, kStruct, kList, kSkip };

  struct Frame {
    Kind kind;
    Message* message = nullptr;
    // kMessage, kRepeated: the message's (looked up once per object).
    const Descriptor* type = nullptr;
    const google::protobuf::Reflection* reflection = nullptr;
    // kMessage: the field of the last key (nullptr for an unknown key,
    // whose value is skipped); kRepeated: the repeated field.
    const FieldDescriptor* field = nullptr;
    std::vector<bool> seen;     // kMessage: fields given, by index
    Value* value = nullptr;     // kStruct: the value of the last key
    Struct* object = nullptr;   // kStruct
    ListValue* list = nullptr;  // kList
  };

  // Where the next scalar value goes: nowhere the fast path covers, a
  // skipped key's value, the last key's singular field, the next element
  // of a repeated field, or a Struct's or list's value.
  enum class Slot { kNone, kSkipped, kField, kElement, kValue };

  Frame& Top() { return frames_.back(); }
  Slot ScalarSlot();
  // Where a value inside a Struct or a list goes.
  Value* StructSlot();
  bool PushMessage(Message* message);
  bool PushStruct(Struct* object);
  bool PushList(ListValue* list);
  bool PushSkip();
  bool Enter();
  bool StartMessageField();
  bool SetInteger(const char* token, SizeType length);

  Message* const root_;
  bool started_ = false;
  int depth_ = 0;
  // Open objects and arrays below a skipped key.
  int skip_depth_ = 0;
  std::vector<Frame> frames_;
};

Value* Decoder::StructSlot() {
  Frame& top = Top();
  return top.kind == Kind::kStruct ? top.value : top.list->add_values();
}

bool Decoder::Enter() { return ++depth_ <= kMaxDepth; }

bool Decoder::PushMessage(Message* message) {
  Frame frame{Kind::kMessage, message, message->GetDescriptor(),
              message->GetReflection()};
  if (!HasDefaultJsonNames(frame.type)) return false;
  frame.seen.resize(frame.type->field_count());
  frames_.push_back(std::move(frame));
  return true;
}

bool Decoder::PushStruct(Struct* object) {
  Frame frame{Kind::kStruct};
  frame.object = object;
  frames_.push_back(std::move(frame));
  return true;
}

bool Decoder::PushList(ListValue* list) {
  Frame frame{Kind::kList};
  frame.list = list;
  frames_.push_back(std::move(frame));
  return true;
}

bool Decoder::PushSkip() {
  skip_depth_ = 1;
  frames_.push_back(Frame{Kind::kSkip});
  return true;
}

Decoder::Slot Decoder::ScalarSlot() {
  if (frames_.empty()) return Slot::kNone;  // a value outside the root object
  const Frame& top = Top();
  switch (top.kind) {
    case Kind::kSkip:
      return Slot::kSkipped;
    case Kind::kMessage:
      if (top.field == nullptr) return Slot::kSkipped;
      return top.field->is_repeated() ? Slot::kNone : Slot::kField;
    case Kind::kRepeated:
      return Slot::kElement;
    case Kind::kStruct:
    case Kind::kList:
      return Slot::kValue;
  }
  return Slot::kNone;
}

bool Decoder::Null() {
  switch (ScalarSlot()) {
    case Slot::kSkipped:
      return true;
    case Slot::kField:
      // null leaves a field unset; protobuf decides for a Struct.
      return Top().field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
             !IsStruct(Top().field->message_type());
    case Slot::kValue:
      StructSlot()->set_null_value(google::protobuf::NULL_VALUE);
      return true;
    default:
      return false;
  }
}

bool Decoder::Bool(bool value) {
  switch (ScalarSlot()) {
    case Slot::kSkipped:
      return true;
    case Slot::kField:
      if (Top().field->cpp_type() != FieldDescriptor::CPPTYPE_BOOL) {
        return false;
      }
      Top().reflection->SetBool(Top().message, Top().field, value);
      return true;
    case Slot::kValue:
      StructSlot()->set_bool_value(value);
      return true;
    default:
      return false;
  }
}

bool Decoder::SetInteger(const char* token, SizeType length) {
  const absl::string_view text(token, length);
  Frame& top = Top();
  if (!IsIntegerToken(text)) return false;
  switch (top.field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t value;
      if (!absl::SimpleAtoi(text, &value)) return false;
      top.reflection->SetInt64(top.message, top.field, value);
      return true;
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t value;
      if (!absl::SimpleAtoi(text, &value)) return false;
      top.reflection->SetInt32(top.message, top.field, value);
      return true;
    }
    default:
      return false;
  }
}

bool Decoder::RawNumber(const char* token, SizeType length, bool /*copy*/) {
  double number;
  switch (ScalarSlot()) {
    case Slot::kSkipped:
      // Protobuf reads skipped numbers too, and refuses one beyond a double.
      return StructNumber(token, length, &number);
    case Slot::kField:
      return SetInteger(token, length);
    case Slot::kValue:
      if (!StructNumber(token, length, &number)) return false;
      StructSlot()->set_number_value(number);
      return true;
    default:
      return false;
  }
}

bool Decoder::String(const char* text, SizeType length, bool /*copy*/) {
  if (!IsCleanUtf8(text, length)) return false;
  const Slot slot = ScalarSlot();
  switch (slot) {
    case Slot::kSkipped:
      return true;
    case Slot::kField:
    case Slot::kElement: {
      Frame& top = Top();
      if (!IsStringField(top.field)) return false;
      if (slot == Slot::kField) {
        top.reflection->SetString(top.message, top.field,
                                  std::string(text, length));
      } else {
        top.reflection->AddString(top.message, top.field,
                                  std::string(text, length));
      }
      return true;
    }
    case Slot::kValue:
      StructSlot()->set_string_value(std::string(text, length));
      return true;
    default:
      return false;
  }
}

// An object as the value of the last key of a message.
bool Decoder::StartMessageField() {
  Frame& top = Top();
  if (top.field == nullptr) return PushSkip();
  if (top.field->is_repeated() || !IsDecodableMessage(top.field)) {
    return false;
  }
  Message* child = top.reflection->MutableMessage(top.message, top.field);
  if (!IsStruct(top.field->message_type())) return PushMessage(child);
  auto* object = dynamic_cast<Struct*>(child);
  return object != nullptr && PushStruct(object);
}

bool Decoder::StartObject() {
  if (!Enter()) return false;
  if (!started_) {
    started_ = true;
    return PushMessage(root_);
  }
  if (frames_.empty()) return false;
  Frame& top = Top();
  switch (top.kind) {
    case Kind::kSkip:
      ++skip_depth_;
      return true;
    case Kind::kMessage:
      return StartMessageField();
    case Kind::kRepeated:
      if (!IsDecodableMessage(top.field) ||
          IsStruct(top.field->message_type())) {
        return false;
      }
      return PushMessage(top.reflection->AddMessage(top.message, top.field));
    case Kind::kStruct:
    case Kind::kList:
      return PushStruct(StructSlot()->mutable_struct_value());
  }
  return false;
}

bool Decoder::Key(const char* text, SizeType length, bool /*copy*/) {
  if (frames_.empty() || !IsCleanUtf8(text, length)) return false;
  Frame& top = Top();
  if (top.kind == Kind::kSkip) return true;
  const std::string key(text, length);
  switch (top.kind) {
    case Kind::kMessage: {
      if (key.empty()) return false;  // protobuf refuses a nameless key
      const FieldDescriptor* field = FindField(top.type, key);
      top.field = field;
      if (field == nullptr) return true;
      if (top.seen[field->index()] || field->real_containing_oneof()) {
        return false;
      }
      top.seen[field->index()] = true;
      return true;
    }
    case Kind::kStruct: {
      const auto inserted = top.object->mutable_fields()->try_emplace(key);
      top.value = &inserted.first->second;
      return inserted.second;  // false for a key given twice
    }
    default:
      return false;
  }
  return false;
}

bool Decoder::EndObject(SizeType /*members*/) {
  --depth_;
  if (Top().kind == Kind::kSkip && --skip_depth_ > 0) return true;
  frames_.pop_back();
  return true;
}

bool Decoder::StartArray() {
  if (!Enter() || frames_.empty()) return false;
  Frame& top = Top();
  switch (top.kind) {
    case Kind::kSkip:
      ++skip_depth_;
      return true;
    case Kind::kMessage: {
      if (top.field == nullptr) return PushSkip();
      if (!top.field->is_repeated() || top.field->is_map()) return false;
      Frame frame{Kind::kRepeated, top.message, top.type, top.reflection,
                  top.field};
      frames_.push_back(std::move(frame));
      return true;
    }
    case Kind::kRepeated:
      return false;
    case Kind::kStruct:
    case Kind::kList:
      return PushList(StructSlot()->mutable_list_value());
  }
  return false;
}

bool Decoder::EndArray(SizeType elements) { return EndObject(elements); }

}  // namespace

bool TryFastJsonToMessage(const std::string& json, Message* message) {
  // RapidJSON's stream ends at a NUL byte; protobuf decides on those.
  if (json.find('\0') != std::string::npos) return false;
  std::string buffer;
  buffer.reserve(json.size() + kPadding);
  buffer.append(json).append(kPadding, '\0');
  Decoder decoder(message);
  rapidjson::InsituStringStream stream(&buffer[0]);
  rapidjson::Reader reader;
  const rapidjson::ParseResult result =
      reader.Parse<kParseFlags>(stream, decoder);
  return !result.IsError() && decoder.Done();
}

absl::Status JsonToMessage(const std::string& json, Message* message) {
  message->Clear();  // as protobuf's parser replaces what it held
  if (TryFastJsonToMessage(json, message)) return absl::OkStatus();
  message->Clear();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message,
      options);
  if (parsed.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(parsed.message().as_string());
}

}  // namespace userimage
