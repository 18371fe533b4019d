# A stand-in for libselinux's Python bindings (python3-selinux) for the
# selinux_on case: SELinux state kept in files (sestub.py), shared with the
# stand-in getenforce, setenforce, getsebool, setsebool and semanage
# (setools.py). Only what the modules and AnsibleModule call is here.
import os

from sestub import D, enabled, bools as _bools, get_bool as _bool, set_bool as _set_bool


def is_selinux_enabled():
    return 1 if enabled() else 0


def is_selinux_mls_enabled():
    return 0


def selinux_getpolicytype():
    # libselinux: SELINUXTYPE= of /etc/selinux/config, else "targeted"
    try:
        with open('/etc/selinux/config') as f:
            for line in f:
                line = line.strip()
                if line.startswith('SELINUXTYPE='):
                    return [0, line.split('=', 1)[1].strip()]
    except OSError:
        pass
    return [0, 'targeted']


def security_getenforce():
    with open(os.path.join(D, 'enforce')) as f:
        return int(f.read().strip())


def security_setenforce(value):
    with open(os.path.join(D, 'enforce'), 'w') as f:
        f.write('%d\n' % value)
    return 0


def security_get_boolean_names():
    return [0, sorted(os.listdir(_bools()))]


def security_get_boolean_active(name):
    return _bool(name)[0]


def security_set_boolean(name, value):
    _set_bool(name, value, _bool(name)[1])
    return 0


def security_commit_booleans():
    return 0


def selinux_boolean_sub(name):
    # libselinux: the first "OLD NEW" line of the policy's booleans.subs_dist
    try:
        with open('/etc/selinux/%s/booleans.subs_dist' % selinux_getpolicytype()[1]) as f:
            for line in f:
                w = line.split()
                if len(w) >= 2 and not w[0].startswith('#') and w[0] == name:
                    return w[1]
    except OSError:
        pass
    return name


def matchpathcon(path, mode):
    return [0, 'system_u:object_r:etc_t:s0']


def lgetfilecon_raw(path):
    return [0, 'system_u:object_r:etc_t:s0']


def lsetfilecon(path, context):
    return 0
