#!/usr/bin/env bash
# Callers in other languages generate stubs from proto/ as the README says:
# Python and Java with Debian's protoc and gRPC plugins. Each must produce
# the service's stub and the messages, with no import outside proto/ and
# google/protobuf.
set -euo pipefail

root="$(pwd)/proto"
out="${TEST_TMPDIR:-$(mktemp -d)}/gen"
mkdir -p "$out/python" "$out/java"

protoc -I "$root" --python_out="$out/python" --grpc_python_out="$out/python" \
  --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \
  "$root"/clerk/userimage/v1/*.proto
protoc -I "$root" --java_out="$out/java" --grpc-java_out="$out/java" \
  --plugin=protoc-gen-grpc-java=/usr/bin/grpc_java_plugin \
  "$root"/clerk/userimage/v1/*.proto

fail=0
expect() {  # file pattern
  if ! grep -q -- "$2" "$1" 2>/dev/null; then
    echo "FAIL: $1 lacks $2" >&2
    fail=1
  fi
}
py="$out/python/clerk/userimage/v1"
expect "$py/user_image_service_pb2_grpc.py" "class UserImageServiceStub"
expect "$py/user_image_service_pb2_grpc.py" "UploadProfileImage"
expect "$py/user_image_service_pb2.py" "PRIORITY_BULK"
expect "$py/user_pb2.py" "clerk/userimage/v1/user.proto"
java=$(find "$out/java" -name 'UserImageServiceGrpc.java' | head -1)
expect "$java" "public static UserImageServiceStub newStub"
expect "$java" "getDeleteProfileImageMethod"
[[ -n $(find "$out/java" -name 'UserImageServiceOuterClass.java' -o -name 'UserImageServiceProto.java' | head -1) ]] ||
  { echo "FAIL: no Java messages" >&2; fail=1; }
exit "$fail"
