# yumapi/yum — the least of yum 3's Python API that ansible.builtin.yum
# (2.14) touches before it takes its repoquery path, for the yum case of
# tests/modules/run_system.sh: the rhnplugin is "loaded", so the module
# asks the target's rpm and repoquery (the stubs) instead of this API, as
# playc does. Repositories are the stub's ($d/repos, one line each); no
# group is installed; there is no pending transaction.
import os

from . import Errors, misc  # noqa: F401

_D = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'rpm')


class _Obj(object):
    pass


class _Repos(object):
    def __init__(self):
        with open(os.path.join(_D, 'repos')) as f:
            self.repos = dict((l.strip(), l.strip()) for l in f if l.strip())

    def disableRepo(self, rid):
        pass

    def enableRepo(self, rid):
        if rid not in self.repos:
            raise Errors.YumBaseError('Error getting repository data for %s, repository not found' % rid)

    def getRepo(self, rid):
        r = _Obj()
        r.repoXML = _Obj()
        r.repoXML.repoid = rid
        return r

    def setCacheDir(self, d):
        pass


class YumBase(object):
    def __init__(self):
        self.preconf = _Obj()
        self.conf = _Obj()
        self.conf.proxy = None
        self.plugins = _Obj()
        self.plugins._plugins = {'rhnplugin': None}
        self.repos = _Repos()

    def doGroupLists(self, return_evgrps=False):
        return ([], [], [], []) if return_evgrps else ([], [])
