#!/usr/bin/env bash
# Install the system packages the tests need, when missing: Debian's chromium (browser tests),
# fonts-wqy-microhei (Chinese pages must render in screenshots), postgresql (the second run),
# bubblewrap (the sandbox of Tier B jobs), libseccomp2 (their seccomp filter, via pyseccomp) and wrk
# (bench/load.py's load generator, in C so that it leaves the shared cores to the server).
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
ls /usr/share/fonts/truetype/wqy/wqy-microhei.ttc >/dev/null 2>&1 || missing+=(fonts-wqy-microhei)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# submitted models and Tier B jobs run with no network in bubblewrap; Tier B adds a seccomp filter
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
ls /usr/lib/*/libseccomp.so.2 >/dev/null 2>&1 || missing+=(libseccomp2)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "error: the tests need these Debian packages: ${missing[*]}" >&2
  echo "       install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
