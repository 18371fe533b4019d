#!/usr/bin/env bash
# Installs what playc needs to build, test and benchmark, on Debian 12.
# Installs only what is missing; needs root (or sudo) when something is.
set -euo pipefail
pkgs=(build-essential cmake pkg-config git
      libyaml-dev llvm-19-dev libssh-dev libjansson-dev libpcre2-dev libssl-dev
      openssh-server openssh-client ansible-core python3-jinja2 python3-yaml
      gnuplot-nox procps time sudo acl  # sudo, acl: the become tests
      cron kmod curl unzip zip xz-utils bzip2  # the system modules' tests: crontab, modprobe, get_url/uri, (un)archive
      postgresql-15 mariadb-server-core mariadb-client  # the database modules' tests (private servers)
      gnupg locales tzdata  # rpm_key (gpg), locale_gen, timezone
      clang-14 libclang-rt-14-dev)  # libFuzzer + sanitizers for tests/fuzz
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all installed"
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
