#!/usr/bin/env bash
# cut.sh — the file-writing modules (copy, template, lineinfile, replace,
# blockinfile, ini_file, authorized_key, known_hosts, sysctl, cron, mount,
# yum_repository, assemble) over SSH, with the connection cut mid-task: every file is
# either its old or its new version, never a mix. Temp files a cut leaves
# are counted, not failed: a body sent over SFTP sits in a temp file between
# two requests, and with the connection gone nothing can remove it (as
# Ansible's ~/.ansible/tmp files stay when its connection dies).
#
# One playbook edits thirteen large files (about 2 MB each, so that reading, sending
# and renaming take long enough to be cut). A reference run gives the new
# versions and the run's length; then the files are reset and the run is
# repeated, each time killing this harness's sshd session processes (the
# connection, not the target's shell) at a different point of it.
. "$(dirname "$0")/../lib.sh"

harness_start 1
set -a
. "$H/env"
set +a
user=$PLAYC_TEST_SSH_USER
known=(--known-hosts "$H/known_hosts")
listener=$(head -1 "$H/sshd.pid")
d=$(shared_dir cut)
names="copy.txt tpl.txt lif.txt rep.txt blk.txt ini.txt ak.txt kh.txt sysctl.txt cron.txt fstab.txt yum.repo asm.txt"

/usr/bin/python3 - "$work" "$user" <<'EOF'
import os, sys
w = sys.argv[1]
lines = "".join("line %d of a large file\n" % i for i in range(80000))
for n in ("lif", "rep", "blk"):
    open("%s/%s.old" % (w, n), "w").write(lines)
open(w + "/copy.old", "w").write(lines)
open(w + "/copy.new", "w").write(lines.replace("large", "LARGE"))
open(w + "/ini.old", "w").write("[s]\nk = old\n" + "".join("o%d = %d\n" % (i, i) for i in range(130000)))
open(w + "/tpl.old", "w").write(lines)
os.makedirs(w + "/templates", exist_ok=True)
open(w + "/templates/tpl.j2", "w").write("{{ 'templated' | upper }}\n" + lines)
key = "AAAAC3NzaC1lZDI1NTE5AAAAILAdBIGfGj6p3AQo9kFML+OWVAAb68HYc1TTXTTLgCEU"
open(w + "/ak.old", "w").write("".join("ssh-ed25519 %s key%d@cut\n" % (key, i) for i in range(25000)))
open(w + "/kh.old", "w").write("".join("host%d.cut ssh-ed25519 %s\n" % (i, key) for i in range(20000)))
open(w + "/sysctl.old", "w").write("".join("net.cut.k%d = %d\n" % (i, i) for i in range(100000)))
open(w + "/cron.old", "w").write("".join("#Ansible: job%d\n* * * * * %s true %d\n" % (i, sys.argv[2], i) for i in range(40000)))
open(w + "/fstab.old", "w").write("".join("/dev/cut%d /mnt/cut%d ext4 defaults 0 0\n" % (i, i) for i in range(50000)))
open(w + "/asm.old", "w").write(lines)
os.makedirs(w + "/frags", exist_ok=True)
for i in range(4):
    open("%s/frags/%02d" % (w, i), "w").write(lines.replace("large", "fragment %d of a" % i)[: 500000])
open(w + "/yum.old", "w").write("".join("[r%d]\nname = r%d\nbaseurl = http://127.0.0.1/r%d\n\n" % (i, i, i) for i in range(30000)))
EOF

cat > "$work/cut.yml" <<EOF
- hosts: h1
  gather_facts: false
  tasks:
    - assemble: {src: "$d/frags", dest: "$d/asm.txt", delimiter: "# next"}
    - copy: {src: "$work/copy.new", dest: "$d/copy.txt"}
    - lineinfile: {path: "$d/lif.txt", line: "an added line", insertafter: "^line 40000 "}
    - replace: {path: "$d/rep.txt", regexp: "^line (\\\\d+)5 of", replace: "LINE \\\\g<1>5 of"}
    - blockinfile: {path: "$d/blk.txt", block: "a block", insertbefore: "^line 60000 "}
    - ini_file: {path: "$d/ini.txt", section: s, option: k, value: new}
    - template: {src: tpl.j2, dest: "$d/tpl.txt"}
    - authorized_key: {user: "$user", path: "$d/ak.txt", manage_dir: false, key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILAdBIGfGj6p3AQo9kFML+OWVAAb68HYc1TTXTTLgCEU added@cut"}
    - known_hosts: {path: "$d/kh.txt", name: added.cut, key: "added.cut ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILAdBIGfGj6p3AQo9kFML+OWVAAb68HYc1TTXTTLgCEU"}
    - sysctl: {sysctl_file: "$d/sysctl.txt", name: net.cut.added, value: "1", reload: false}
    - cron: {cron_file: "$d/cron.txt", user: "$user", name: added, job: "true added"}
    - mount: {fstab: "$d/fstab.txt", path: /mnt/cut-added, src: /dev/cut-added, fstype: ext4, state: present}
    - yum_repository: {reposdir: "$d", file: yum, name: added, description: added, baseurl: "http://127.0.0.1/added"}
EOF
rm -rf "$d/frags" && cp -r "$work/frags" "$d/frags" && chown -R "$user" "$d/frags"
(cd "$work" && "$PLAYC" cut.yml -o cut) || { bad "compile cut.yml"; finish; exit; }

reset_files() {
  for n in $names; do cp "$work/${n%.*}.old" "$d/$n"; done
  chown "$user" "$d"/*
}
# the sshd processes below this harness's listener (the connection's)
sessions() {
  local p kids todo=$listener out=
  while [ -n "$todo" ]; do
    kids=
    for p in $todo; do kids="$kids $(pgrep -P "$p" || true)"; done
    for p in $kids; do [ "$(cat /proc/$p/comm 2>/dev/null)" = sshd ] && out="$out $p"; done
    todo=$kids
  done
  echo $out
}

reset_files
t0=$(date +%s%N)
"$work/cut" -i "$H/inventory.ini" "${known[@]}" > "$work/ref.out" 2>&1
rc=$?
took=$((($(date +%s%N) - t0) / 1000000))
expect_eq "reference run: exit code" 0 "$rc" || tail -20 "$work/ref.out"
declare -A old new
for n in $names; do
  old[$n]=$(sha1sum < "$work/${n%.*}.old")
  new[$n]=$(sha1sum < "$d/$n")
  [ "${old[$n]}" != "${new[$n]}" ] || bad "reference run: $n unchanged"
done
echo "reference run: ${took} ms"

cuts=0
left=0
for i in 1 2 3 4 5 6 7 8; do
  reset_files
  delay_ms=$((took * i / 9))
  "$work/cut" -i "$H/inventory.ini" "${known[@]}" > "$work/cut$i.out" 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  s=$(sessions)
  [ -n "$s" ] && kill -9 $s 2>/dev/null
  wait "$pid"
  rc=$?
  [ "$rc" != 0 ] && cuts=$((cuts + 1))
  mixed=
  states=
  for n in $names; do
    h=$(sha1sum < "$d/$n")
    if [ "$h" = "${old[$n]}" ]; then states="$states $n:old"
    elif [ "$h" = "${new[$n]}" ]; then states="$states $n:new"
    else mixed="$mixed $n"; fi
  done
  if [ -z "$mixed" ]; then ok "cut at ${delay_ms} ms (exit $rc):$states"; else bad "cut at ${delay_ms} ms: neither old nor new:$mixed"; fi
  # a request running when the cut comes stops at its next output and its
  # trap removes its temp file; one between two requests stays
  sleep 1
  t=$(find "$d" -name '.playc-tmp-*' | wc -l)
  left=$((left + t))
  find "$d" -name '.playc-tmp-*' -delete
done
echo "$cuts of 8 runs were cut before the end; $left temp files left by the cuts"
expect "at least one run was cut mid-way" test "$cuts" -gt 0
finish
