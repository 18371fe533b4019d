import os


def am_i_root():
    return os.geteuid() == 0


def ensure_dir(d):
    os.makedirs(d, exist_ok=True)
