#!/usr/bin/env python3
"""normalize.py OUTPUT STRUCT_DIR BASE_DIR — the comparable form of one run's
stdout+stderr (ansible-playbook's or a playc binary's), on stdout.
normalize.py --batch STRUCT_DIR [OUTPUT BASE_DIR RESULT]... — the same for
many runs in one process (Python's start-up is most of the cost), each
written to its RESULT file.

Kept, in order: PLAY / TASK / RUNNING HANDLER / NO MORE HOSTS LEFT banners;
under each task its host outcome records (ok:, changed:, skipping:, fatal:,
failed:, unreachable:, included:, FAILED - RETRYING:, ...ignoring) with
their printed bodies, grouped by host
(hosts sorted, each host's records in the order printed: hosts run in
parallel, a host's own items do not); the PLAY RECAP; any other line
Ansible's default callback prints (kept as "? line", so nothing new is lost).

Normalised, because it must differ between two runs of the same thing:
  - the test's own folders: STRUCT_DIR -> @STRUCT@, BASE_DIR -> @BASE@
  - timings in failure results and printed bodies (delta, start, end) and
    the module invocation (ansible's module arguments echo)
  - discovered_interpreter_python (Python discovery: playc needs none)
  - the order of hosts in an "included: FILE for h1, h2" line, and of those
    lines in a task (Ansible prints them in the order results arrive)
  - banner padding, recap column padding
Dropped: [WARNING] / [DEPRECATION WARNING] lines (Ansible prints them on
stderr, interleaved at random with stdout) and blank lines.
"""
import json
import re
import sys

VOLATILE = ("delta", "start", "end", "invocation")
RECORD = re.compile(r"^(ok|changed|skipping|fatal|failed|unreachable|included|FAILED - RETRYING): ")
HOST = re.compile(r"^(?:\w+|FAILED - RETRYING): \[([^\]]+)\]")


def scrub(obj):
    """Drops timings, invocation and interpreter discovery, at any depth."""
    if isinstance(obj, dict):
        for k in VOLATILE:
            obj.pop(k, None)
        facts = obj.get("ansible_facts")
        if isinstance(facts, dict):
            facts.pop("discovered_interpreter_python", None)
            if not facts:
                del obj["ansible_facts"]
        for v in obj.values():
            scrub(v)
    elif isinstance(obj, list):
        for v in obj:
            scrub(v)
    return obj


def fix_json_line(line):
    """'fatal: [h1]: FAILED! => {...}' with its JSON scrubbed and key-sorted."""
    head, sep, body = line.partition(" => {")
    if not sep:
        return line
    # loop items: 'failed: [h1] (item=x) => {...}' has one ' => ' before the JSON
    try:
        r = json.loads("{" + body)
    except ValueError:
        return line
    return head + " => " + json.dumps(scrub(r), sort_keys=True)


def fix_body(lines):
    """A multi-line printed result ('{' on the header line, then these lines):
    kept byte for byte, unless it holds a volatile key; then it is re-printed
    without them the way the default callback prints (indent 4, sorted keys,
    no ASCII escaping), so both sides go through the same printer."""
    if not any(re.match(r'^\s*"(delta|start|end|invocation|discovered_interpreter_python)": ', l)
               for l in lines):
        return lines
    try:
        r = json.loads("{\n" + "\n".join(lines))
    except ValueError:
        return lines
    text = json.dumps(scrub(r), indent=4, ensure_ascii=False, sort_keys=True)
    return text.split("\n")[1:]


def normalize(path, struct_dir, base_dir):
    text = open(path, encoding="utf-8", errors="replace").read()
    for d, tag in ((base_dir, "@BASE@"), (struct_dir, "@STRUCT@")):
        if len(d) > 1 and d.startswith("/"):  # absolute paths only
            text = text.replace(d.rstrip("/"), tag)
    lines = text.split("\n")

    out = []
    section = None  # current banner's records: list of (host, [lines])

    def flush():
        nonlocal section
        if section is None:
            return
        hosts = {}
        order = []
        for host, rec in section:
            if host not in hosts:
                hosts[host] = []
                order.append(host)
            hosts[host].append(rec)
        for host in sorted(order):
            recs = hosts[host]
            if host == "~included":  # one line per file (and item): arrival order
                recs = sorted(recs)
            for rec in recs:
                out.extend("  " + l for l in rec)
        section = None

    i = 0
    in_recap = False
    while i < len(lines):
        line = lines[i].rstrip()
        i += 1
        if not line.strip():
            continue
        if line.startswith("[WARNING]") or line.startswith("[DEPRECATION WARNING]"):
            # wrapped continuation lines are indented and follow directly
            while i < len(lines) and lines[i].startswith(" ") and not lines[i].startswith("    \""):
                i += 1
            continue
        m = re.match(r"^(PLAY RECAP|PLAY \[.*\]|TASK \[.*\]|RUNNING HANDLER \[.*\]|NO MORE HOSTS LEFT)( \*+)?$", line)
        if m:
            flush()
            out.append(m.group(1))
            in_recap = m.group(1) == "PLAY RECAP"
            section = None if in_recap else []
            continue
        if in_recap:
            out.append("  " + re.sub(r"\s+", " ", line.strip()))
            continue
        if line == "...ignoring" and section:
            section[-1][1].append(line)
            continue
        if RECORD.match(line) and section is not None:
            if line.startswith("included: "):
                m2 = re.match(r"^included: (.*) for ([^=]*?)( => .*)?$", line)
                if m2:
                    hs = ", ".join(sorted(h.strip() for h in m2.group(2).split(",")))
                    line = "included: %s for %s%s" % (m2.group(1), hs, m2.group(3) or "")
                section.append(("~included", [line]))
                continue
            hm = HOST.match(line)
            host = hm.group(1) if hm else "~"
            rec = [fix_json_line(line)]
            if line.endswith(" => {"):
                body = []
                while i < len(lines):
                    b = lines[i].rstrip()
                    i += 1
                    body.append(b)
                    if b == "}":
                        break
                rec.extend(fix_body(body))
            section.append((host, rec))
            continue
        # anything else the callback printed: keep it where it was
        if section is not None:
            section.append(("~other", ["? " + line]))
        else:
            out.append("? " + line)
    flush()
    return "\n".join(out) + "\n"


def main():
    if sys.argv[1:2] == ["--batch"]:
        struct_dir, rest = sys.argv[2], sys.argv[3:]
        for i in range(0, len(rest) - 2, 3):
            with open(rest[i + 2], "w", encoding="utf-8") as f:
                f.write(normalize(rest[i], struct_dir, rest[i + 1]))
    else:
        sys.stdout.write(normalize(sys.argv[1], sys.argv[2], sys.argv[3]))


if __name__ == "__main__":
    main()
