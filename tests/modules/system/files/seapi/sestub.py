# The state the SELinux stand-ins share (selinux/, semanage.py, seobject.py
# and setools.py beside it): files under $SE_STUB_DIR.
#   enforce      "1" enforcing, "0" permissive; absent: SELinux disabled
#   bool/NAME    "ACTIVE PERSISTENT" (1 or 0 each)
#   managed      present: the policy store is managed (semanage)
#   ports        "TYPE PROTO LOW HIGH LOCAL" lines (LOCAL 1: a local customization)
#   porttypes    the valid port types
import os

D = os.environ.get('SE_STUB_DIR', '')


def enabled():
    return os.path.exists(os.path.join(D, 'enforce'))


def bools():
    d = os.path.join(D, 'bool')
    if not enabled() or not os.path.isdir(d):
        raise OSError(2, 'No such file or directory')
    return d


def get_bool(name):
    with open(os.path.join(bools(), name)) as f:
        return [int(x) for x in f.read().split()]


def set_bool(name, active, persistent):
    with open(os.path.join(bools(), name), 'w') as f:
        f.write('%d %d\n' % (active, persistent))
