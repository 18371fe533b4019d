#!/usr/bin/python3
# The stand-in SELinux programs of the selinux, seboolean and seport cases
# (getenforce, setenforce, getsebool, setsebool, semanage: chosen by the
# name it is called by), on the same state as the stand-in bindings beside
# it, answering and failing as the real programs do. Each call is logged
# to D/log.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import selinux  # noqa: E402
import seobject  # noqa: E402
from sestub import D  # noqa: E402
me = os.path.basename(sys.argv[0])
args = sys.argv[1:]
with open(os.path.join(D, 'log'), 'a') as f:
    f.write(' '.join([me] + args) + '\n')


def die(msg, rc=1):
    sys.stderr.write(msg + '\n')
    sys.exit(rc)


def onoff(v):
    return 'on' if v else 'off'


if me == 'getenforce':
    if not selinux.is_selinux_enabled():
        print('Disabled')
    else:
        print('Enforcing' if selinux.security_getenforce() else 'Permissive')
elif me == 'setenforce':
    if not selinux.is_selinux_enabled():
        die('setenforce: SELinux is disabled')
    selinux.security_setenforce(1 if args[0] in ('1', 'Enforcing', 'enforcing') else 0)
elif me == 'getsebool':
    if not selinux.is_selinux_enabled():
        die('getsebool:  SELinux is disabled')
    names = selinux.security_get_boolean_names()[1] if args == ['-a'] else args
    for n in names:
        try:
            print('%s --> %s' % (n, onoff(selinux.security_get_boolean_active(n))))
        except OSError:
            die('Error getting active value for %s' % n)
elif me == 'setsebool':
    persist = args[0] == '-P'
    if persist:
        args = args[1:]
    if not selinux.is_selinux_enabled():
        die('setsebool:  SELinux is disabled.')
    name, value = args[0], 1 if args[1] in ('1', 'on', 'true') else 0
    try:
        cur = selinux._bool(name)
    except OSError:
        die('Could not change active booleans: Invalid boolean')
    selinux._set_bool(name, value, value if persist else cur[1])
elif me == 'semanage':
    what, args = args[0], args[1:]
    if not os.path.exists(os.path.join(D, 'managed')):
        die('SELinux policy is not managed or store cannot be accessed.')
    try:
        if what == 'boolean' and '-l' in args:
            for n in selinux.security_get_boolean_names()[1]:
                a, p = selinux._bool(n)
                print('%-30s (%-5s,%5s)  %s' % (n, onoff(a), onoff(p), 'Allow ' + n))
        elif what == 'port' and '-l' in args:
            recs = seobject.portRecords().get_all_by_type(locallist='-C' in args)
            for (t, proto) in sorted(recs):
                print('%-30s %-8s %s' % (t, proto, ', '.join(recs[(t, proto)])))
        elif what == 'port':
            args = [a for a in args if a != '-N']
            op, t, proto = args[0], None, None
            rest = args[1:]
            while rest and rest[0] in ('-t', '-p'):
                if rest[0] == '-t':
                    t = rest[1]
                else:
                    proto = rest[1]
                rest = rest[2:]
            pr = seobject.portRecords()
            if op == '-a':
                pr.add(rest[0], proto, '', t)
            elif op == '-m':
                pr.modify(rest[0], proto, '', t)
            elif op == '-d':
                pr.delete(rest[0], proto)
    except ValueError as e:
        die('%s: %s' % (e.__class__.__name__, e.args[0]))
