#!/usr/bin/env python3
"""Writes the variable precedence matrix (tests/run_precedence.sh) into DIR.

Like Ansible's own test/integration/targets/var_precedence, one variable is
defined at every level of Ansible 2.14's documented order and the levels are
removed top-down: variable vNN is defined at every level from the lowest up
to level NN, so it must print level NN's value, which beats level NN-1's
(which vNN-1 shows winning once NN is gone), and so on down to role
defaults. The levels as VariableManager.get_vars builds them (an inventory
file's vars of every group come before any group_vars/ file, as
VARIABLE_PRECEDENCE's default orders them):

  02 role defaults               12 play vars
  03 inventory file [all:vars]   13 play vars_prompt (its default)
  03b inventory file [grp:vars]  14 play vars_files
  04 inventory group_vars/all    15 role vars
  05 playbook group_vars/all     16 block vars
  06 inventory group_vars/grp    17 task vars
  07 playbook group_vars/grp     18 include_vars
  08 inventory file host vars    19 set_fact
  09 inventory host_vars/HOST    20 role params
  10 playbook host_vars/HOST     21 include params
  11 facts (the fact cache)      22 extra vars (-e)

Usage: gen.py DIR NHOSTS. Every file is written from the LEVELS table, so
the matrix cannot drift from this list; the fact cache entries are written
with the current time (fact_caching_timeout is 86400 s).
"""
import json
import os
import sys

LEVELS = ["02", "03", "03b", "04", "05", "06", "07", "08", "09", "10", "11",
          "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22"]
NAMES = {
    "02": "role defaults", "03": "inventory file all vars",
    "04": "inventory group_vars/all", "05": "playbook group_vars/all",
    "03b": "inventory file grp vars", "06": "inventory group_vars/grp",
    "07": "playbook group_vars/grp", "08": "inventory file host vars",
    "09": "inventory host_vars", "10": "playbook host_vars", "11": "facts",
    "12": "play vars", "13": "vars_prompt", "14": "vars_files",
    "15": "role vars", "16": "block vars", "17": "task vars",
    "18": "include_vars", "19": "set_fact", "20": "role params",
    "21": "include params", "22": "extra vars",
}


def var(lv):
    return "v" + lv


def defined_at(level):
    """The variables a level defines: vNN for every NN at or above it."""
    i = LEVELS.index(level)
    return [var(lv) for lv in LEVELS[i:]]


def value(level):
    return NAMES[level]


def yaml_map(level, indent=0, extra=None):
    pad = " " * indent
    lines = [f'{pad}{v}: "{value(level)}"' for v in defined_at(level)]
    for k, v in (extra or {}).items():
        lines.append(f"{pad}{k}: {v}")
    return "\n".join(lines) + "\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def ini_vars(level):
    # INI values are literal_eval'd by Ansible's ini plugin: quoted strings
    return " ".join(f'{v}="{value(level)}"' for v in defined_at(level))


def main():
    root, nhosts = sys.argv[1], int(sys.argv[2])
    hosts = [f"h{i}" for i in range(1, nhosts + 1)]
    inv = os.path.join(root, "inventory")
    pb = os.path.join(root, "playbook")

    # inventory: the file (all vars, grp vars, host vars), its group_vars and host_vars
    lines = ["[grp]"]
    for h in hosts:
        lines.append(f"{h} ansible_connection=local ansible_python_interpreter=/usr/bin/python3 "
                     + ini_vars("08"))
    lines += ["", "[all:vars]"] + [f'{v}="{value("03")}"' for v in defined_at("03")]
    lines += ["", "[grp:vars]"] + [f'{v}="{value("03b")}"' for v in defined_at("03b")]
    write(os.path.join(inv, "hosts.ini"), "\n".join(lines) + "\n")
    write(os.path.join(inv, "group_vars", "all.yml"), yaml_map("04"))
    write(os.path.join(inv, "group_vars", "grp.yml"), yaml_map("06"))
    for h in hosts:
        write(os.path.join(inv, "host_vars", h + ".yml"), yaml_map("09"))
        write(os.path.join(pb, "host_vars", h + ".yml"), yaml_map("10"))
    write(os.path.join(pb, "group_vars", "all.yml"), yaml_map("05"))
    write(os.path.join(pb, "group_vars", "grp.yml"), yaml_map("07"))

    # facts: the jsonfile cache, as Ansible's cache plugin writes it
    for h in hosts:
        facts = {v: value("11") for v in defined_at("11")}
        write(os.path.join(root, "facts", h), json.dumps(facts, sort_keys=True, indent=4))
    write(os.path.join(root, "ansible.cfg"),
          "[defaults]\nfact_caching = jsonfile\n"
          f"fact_caching_connection = {os.path.join(root, 'facts')}\n"
          "gathering = explicit\nretry_files_enabled = false\n")

    # the role: defaults, vars, and the tasks that add the dynamic levels
    role = os.path.join(pb, "roles", "prec")
    write(os.path.join(role, "defaults", "main.yml"), yaml_map("02"))
    write(os.path.join(role, "vars", "main.yml"), yaml_map("15"))
    write(os.path.join(role, "vars", "included.yml"), yaml_map("18"))
    sf = "\n".join(f'      {v}: "{value("19")}"' for v in defined_at("19"))
    inc = "\n".join(f'        {v}: "{value("21")}"' for v in defined_at("21"))
    blk = "\n".join(f'    {v}: "{value("16")}"' for v in defined_at("16"))
    write(os.path.join(role, "tasks", "main.yml"), f"""- name: show before the dynamic levels
  include_tasks: show.yml
- name: include_vars
  include_vars: included.yml
- name: set_fact
  set_fact:
{sf}
- name: in a block, through an include with params
  vars:
{blk}
  block:
    - name: include with params
      include_tasks: show.yml
      vars:
{inc}
""")
    task = "\n".join(f'    {v}: "{value("17")}"' for v in defined_at("17"))
    shown = "\n".join(f'      - "{v}={{{{ {v} }}}}"' for v in map(var, LEVELS))
    write(os.path.join(role, "tasks", "show.yml"), f"""- name: every level
  debug:
    msg:
{shown}
  vars:
{task}
""")

    params = "\n".join(f'      {v}: "{value("20")}"' for v in defined_at("20"))
    play_vars = yaml_map("12", 4)
    write(os.path.join(pb, "vars_files.yml"), yaml_map("14"))
    prompts = "\n".join(f'    - name: {v}\n      prompt: "{v}?"\n      default: "{value("13")}"'
                        for v in defined_at("13"))
    shown_play = "\n".join(f'          - "{v}={{{{ {v} }}}}"' for v in map(var, LEVELS))
    shown_later = "\n".join(f'          - "{v}={{{{ {v} | default(\'undefined\') }}}}"' for v in map(var, LEVELS))
    write(os.path.join(pb, "site.yml"), f"""# generated by tests/precedence/gen.py: vNN is defined at every level up to NN
- name: the precedence matrix
  hosts: grp
  gather_facts: false
  vars_prompt:
{prompts}
  vars_files:
    - vars_files.yml
  vars:
{play_vars}  roles:
    - role: prec
{params}
  tasks:
    - name: the play's tasks see every level but role params and include params
      debug:
        msg:
{shown_play}
- name: a later play keeps facts, include_vars and set_fact, not the play's
  hosts: grp
  gather_facts: false
  tasks:
    - name: every level still defined
      debug:
        msg:
{shown_later}
""")


if __name__ == "__main__":
    main()
