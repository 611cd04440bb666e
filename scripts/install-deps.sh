#!/usr/bin/env bash
# Installs every Debian 12 package that building, running and testing Roster needs.
set -euo pipefail
packages=(
  build-essential cmake pkg-config git curl ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libicu-dev libsodium-dev libspdlog-dev libcli11-dev libssl-dev libpq-dev
  libgtest-dev
  python3 python3-pytest python3-requests
  postgresql haproxy
  clang-14 libclang-rt-14-dev openssl
  wrk nginx-light valgrind
)
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"
