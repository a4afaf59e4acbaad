#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need. Idempotent:
# packages already installed are skipped, and the package list is updated
# only when something is missing.
set -euo pipefail

packages=(
  cmake make g++ clang libclang-rt-14-dev pkg-config
  libasio-dev catch2 libbenchmark-dev
  libsqlite3-dev librocksdb-dev libmsgpack-cxx-dev
  nlohmann-json3-dev libcli11-dev libsodium-dev
  gnuplot-nox
  iproute2 nftables python3
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} > 0)); then
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  echo "setup: installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}"
fi
