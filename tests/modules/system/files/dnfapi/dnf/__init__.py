# The least of dnf 4's Python API that ansible.builtin.dnf uses, for the
# dnf case on a machine without dnf: it reads the same files as
# files/dnf_stub.sh ($T/rpm beside $T/py: installed/NAME and avail/NAME
# holding VERSION-RELEASE, arch x86_64, epoch 0; provides/CAPABILITY; fail)
# and answers as dnf would for them. Transaction sets come sorted (dnf's are
# sets); a name in `fail` makes resolve() raise dnf's depsolve error.
import os
from . import exceptions
from .base import Base

__version__ = "4.14.0"
DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "rpm")
