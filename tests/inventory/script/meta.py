#!/usr/bin/env python3
import json, sys
if sys.argv[1] == '--list':
    print(json.dumps({
        "all": {"vars": {"level": "all_script"}},
        "web": {"hosts": ["s1", "s2"], "vars": {"level": "web_script", "ansible_group_priority": 3}},
        "db": ["s3"],
        "parent": {"children": ["web", "db"], "vars": {"p": 1}},
        "lonehost": {"x": 1},
        "_meta": {"hostvars": {"s1": {"level": "s1_meta", "n": [1, 2]}, "nothere": {"a": 1}}}
    }))
else:
    print("{}")
