#!/usr/bin/env bash
# Builds the example's legacy native library with gcc: build-native.sh SOURCE.c OUTPUT.so
# Without gcc it installs Debian's when it can (root, apt-get), else says so and builds nothing:
# only the native example needs it.
set -euo pipefail
source=$1 output=$2
if ! command -v gcc >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "examples: installing gcc for the native example" >&2
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q gcc libc6-dev >/dev/null; } \
            || { echo "examples: could not install gcc (apt-get failed): the native example needs it" >&2; exit 1; }
    else
        echo "examples: gcc not found: the native example's library is not built" >&2
        exit 0
    fi
fi
mkdir -p "$(dirname "$output")"
gcc -shared -fPIC -O2 -Wall -Werror -o "$output" "$source"
