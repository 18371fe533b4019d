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
      iptables ufw  # the iptables and ufw modules' tests (in network namespaces of their own)
      patch openssl  # the patch and openssl_dhparam modules' tests
      lxc lxc-templates busybox-static python3-lxc  # lxc_container (busybox containers; python3-lxc for its oracle)
      bind9 python3-dnspython  # the nsupdate module's test: a private named; dnspython for its oracle
      clang-14 libclang-rt-14-dev)  # libFuzzer + sanitizers for tests/fuzz
# the bindings ansible-playbook's selinux, seboolean and seport modules
# import before anything else (tests/modules/system/selinux.yml)
pkgs+=(python3-selinux python3-semanage)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# the npm module's test: Debian's npm, unless an npm is there already (a
# nodejs package that bundles it conflicts with Debian's)
command -v npm >/dev/null || missing+=(npm)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all installed"
else
  echo "deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The oracles some tests compare with beyond ansible-core (the ansible.posix
# json and profile_tasks callbacks, community.* modules, their Python DB
# drivers): Debian's `ansible`, python3-pymysql and python3-psycopg2
# unpacked, not installed, so ansible-playbook resolves modules as
# ansible-core alone does unless a test points ANSIBLE_COLLECTIONS_PATH here.
colls=/opt/playc/ansible-collections
if [ ! -d "$colls/ansible_collections/ansible/posix" ]; then
  echo "deps: unpacking Ansible's collections into $colls"
  tmp=$(mktemp -d)
  if (cd "$tmp" && apt-get download ansible python3-pymysql python3-psycopg2 >/dev/null 2>&1 ||
      { $SUDO apt-get update -qq && apt-get download ansible python3-pymysql python3-psycopg2 >/dev/null; }); then
    for d in "$tmp"/*.deb; do dpkg -x "$d" "$tmp/root"; done
    $SUDO mkdir -p "$(dirname "$colls")"
    $SUDO rm -rf "$colls"
    $SUDO mv "$tmp/root/usr/lib/python3/dist-packages" "$colls"
  else
    echo "deps: could not download Debian's ansible package (tests that compare with its collections will fail)" >&2
  fi
  rm -rf "$tmp"
fi
