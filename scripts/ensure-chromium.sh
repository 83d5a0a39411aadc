#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright cannot download browsers here).
set -u
[ -x /usr/bin/chromium ] && exit 0
echo "installing Debian's chromium for the browser tests" >&2
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq && $sudo apt-get install -y -qq chromium >/dev/null \
  || echo "could not install chromium; browser tests will be skipped (CI fails on that)" >&2
exit 0
