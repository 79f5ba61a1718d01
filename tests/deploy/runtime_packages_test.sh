#!/usr/bin/env bash
# Every shared library the server and the normalize worker load directly
# comes from a Debian package the runtime stage of deploy/Dockerfile
# installs (or from one every Debian image has), so that the image starts.
set -euo pipefail
dockerfile=$1
shift
# The packages installed by the runtime stage's apt-get.
listed=$(sed -n '/^FROM .* AS runtime/,$p' "$dockerfile" |
  sed -n '/apt-get install/,/rm -rf/p' | tr ' \\' '\n\n' |
  grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|rm|DEBIAN_FRONTEND.*)$' | sort -u)
# Every Debian image has these; the sanitizer runtimes come only with the
# test suite's ASan/TSan builds of the binaries.
base="libc6 libstdc++6 libgcc-s1 zlib1g libasan8 libubsan1 libtsan2"
missing=0
for binary in "$@"; do
  # Libraries the binary itself needs (not what they need in turn), as the
  # loader resolves them; Bazel's own shared objects are skipped.
  for lib in $(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [[ $lib == lib_* || $lib == *_S* ]] && continue
    # "libfoo.so.1 => /path (addr)", or "/path/ld-linux-x86-64.so.2 (addr)"
    # for the loader itself (needed by an object that uses dynamic TLS).
    path=$(ldd "$binary" | awk -v l="$lib" '$1 == l { print $3 } $1 ~ ("/" l "$") { print $1 }')
    package=$(dpkg -S "$(realpath "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null || true)
    package=${package%%:*}
    if [[ -z $package ]]; then
      echo "$(basename "$binary"): no package owns $lib ($path)"
      missing=1
    elif ! grep -qx "$package" <<<"$listed" && [[ " $base " != *" $package "* ]]; then
      echo "$(basename "$binary"): $lib comes from $package, which deploy/Dockerfile's runtime stage does not install"
      missing=1
    fi
  done
done
[[ $missing -eq 0 ]] && echo "every library the binaries need is installed by the image"
exit $missing
