# A stand-in for policycoreutils' seobject (its portRecords) for the seport
# cases, on sestub.py's ports and porttypes files. The messages are
# seobject's.
import os

from sestub import D


def _load():
    with open(os.path.join(D, 'ports')) as f:
        return [l.split() for l in f if l.strip()]


def _save(recs):
    with open(os.path.join(D, 'ports'), 'w') as f:
        for r in recs:
            f.write(' '.join(r) + '\n')


def _range(port):
    p = port.split('-', 1)
    try:
        low, high = int(p[0]), int(p[-1])
    except ValueError:
        raise ValueError("Invalid Port")
    return low, high


def _types():
    with open(os.path.join(D, 'porttypes')) as f:
        return f.read().split()


class portRecords(object):
    def __init__(self, store=''):
        self.reload = True

    def set_reload(self, load):
        self.reload = load

    def get_all(self, locallist=0):
        return dict(((int(r[2]), int(r[3]), r[1]), (r[0], 's0'))
                    for r in _load() if not locallist or r[4] == '1')

    def get_all_by_type(self, locallist=0):
        d = {}
        for r in _load():
            if locallist and r[4] != '1':
                continue
            low, high = int(r[2]), int(r[3])
            d.setdefault((r[0], r[1]), []).append('%d' % low if low == high else '%d-%d' % (low, high))
        return d

    def _find(self, port, proto):
        low, high = _range(port)
        for i, r in enumerate(_load()):
            if r[1] == proto and int(r[2]) == low and int(r[3]) == high:
                return i
        return None

    def add(self, port, proto, serange, type):
        if type not in _types():
            raise ValueError("Type %s is invalid, must be a port type" % type)
        if self._find(port, proto) is not None:
            raise ValueError("Port %s/%s already defined" % (proto, port))
        low, high = _range(port)
        _save(_load() + [[type, proto, str(low), str(high), '1']])

    def modify(self, port, proto, serange, setype):
        if setype not in _types():
            raise ValueError("Type %s is invalid, must be a port type" % setype)
        i = self._find(port, proto)
        if i is None:
            raise ValueError("Port %s/%s is not defined" % (proto, port))
        recs = _load()
        recs[i][0] = setype
        recs[i][4] = '1'
        _save(recs)

    def delete(self, port, proto):
        i = self._find(port, proto)
        if i is None:
            raise ValueError("Port %s/%s is not defined" % (proto, port))
        recs = _load()
        if recs[i][4] != '1':
            raise ValueError("Port %s/%s is defined in policy, cannot be deleted" % (proto, port))
        del recs[i]
        _save(recs)
