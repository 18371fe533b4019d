# A stand-in for libsemanage's Python bindings (python3-semanage) for the
# selinux_on case: a boolean's persistent value and whether the policy is
# managed come from sestub.py's files. Only the calls seboolean makes are
# here.
import os

from sestub import D, get_bool, set_bool


class _Handle(object):
    pass


class _Bool(object):
    def __init__(self):
        self.name = None
        self.value = 0


def semanage_handle_create():
    return _Handle()


def semanage_is_managed(handle):
    return 1 if os.path.exists(os.path.join(D, 'managed')) else 0


def semanage_connect(handle):
    return 0


def semanage_begin_transaction(handle):
    return 0


def semanage_bool_create(handle):
    return [0, _Bool()]


def semanage_bool_set_name(handle, b, name):
    b.name = name
    return 0


def semanage_bool_key_extract(handle, b):
    return [0, b.name]


def semanage_bool_exists(handle, key):
    return [0, 1 if os.path.exists(os.path.join(D, 'bool', key)) else 0]


def semanage_bool_query(handle, key):
    b = _Bool()
    b.name = key
    b.value = get_bool(key)[1]
    return [0, b]


def semanage_bool_get_value(b):
    return b.value


def semanage_bool_set_value(b, value):
    b.value = value


def semanage_bool_modify_local(handle, key, b):
    set_bool(key, get_bool(key)[0], b.value)
    return 0


def semanage_bool_set_active(handle, key, b):
    set_bool(key, b.value, get_bool(key)[1])
    return 0


def semanage_bool_key_free(key):
    pass


def semanage_bool_free(b):
    pass


def semanage_set_reload(handle, load):
    pass


def semanage_commit(handle):
    return 0


def semanage_disconnect(handle):
    return 0


def semanage_handle_destroy(handle):
    pass
