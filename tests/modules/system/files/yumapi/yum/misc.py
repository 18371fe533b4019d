def find_unfinished_transactions(yumlibpath='/var/lib/yum'):
    return []


def find_ts_remaining(timestamp, yumlibpath='/var/lib/yum'):
    return []


def getCacheDir():
    return '/var/tmp'
