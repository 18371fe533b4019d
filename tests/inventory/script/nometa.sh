#!/bin/sh
# no _meta: Ansible runs `--host H` for each host
case "$1" in
--list) echo '{"grp": {"hosts": ["n1", "n2"]}, "other": ["n3"]}' ;;
--host) case "$2" in n1) echo '{"hostvar": "n1", "num": 7}' ;; n2) echo '{}' ;; *) echo '{"hostvar": "other"}' ;; esac ;;
esac
