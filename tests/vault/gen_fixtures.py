#!/usr/bin/python3
"""Regenerates tests/vault/fixtures/, the oracle of tests/unit/test_vault.c.

Everything expected here comes from Ansible itself:
  - vectors: files and strings encrypted by the real `ansible-vault` command
    (random salts), each with its plaintext: playc must decrypt them;
  - enc: encryptions by Ansible's VaultLib with a fixed salt: playc, given the
    same salt, must produce the same bytes;
  - hostile: malformed or tampered envelopes (derived from a valid one) with
    the exception class and message Ansible's VaultLib.decrypt raises for
    them, under given secrets and DEFAULT_VAULT_ID_MATCH.

Layout: cases.tsv (name, secrets, id_match, expected class or "ok") with
NAME.vault (input) and NAME.out (plaintext, or the error message); enc.tsv
(name, secret, vault_id, salt hex) with NAME.plain and NAME.vault. Secrets
are written "label:hexpassword" separated by commas, "-" for none.

Run: tests/vault/gen_fixtures.py   (Debian's python3 with ansible-core, the interpreter
ansible-vault runs on; rewrites the folder)
"""
import binascii
import os
import shutil
import subprocess
import sys
import tempfile

from ansible import constants as C
from ansible.parsing import vault as V
from cryptography.hazmat.primitives import hashes, hmac as chmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")

cases = []  # (name, secrets, id_match, expect)
encs = []   # (name, secret, vault_id, salt)


def hexs(b):
    return binascii.hexlify(b).decode()


def secrets_field(secrets):
    return ",".join("%s:%s" % (i, hexs(p)) for i, p in secrets) or "-"


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def decrypt_case(name, text, secrets, id_match=False):
    """Records what VaultLib.decrypt does with `text` under `secrets`."""
    C.DEFAULT_VAULT_ID_MATCH = id_match
    lib = V.VaultLib([(i, V.VaultSecret(p)) for i, p in secrets])
    try:
        out = lib.decrypt(text)
        expect = "ok"
    except Exception as e:  # the class is part of the oracle
        out = str(e).encode()
        expect = type(e).__name__
    finally:
        C.DEFAULT_VAULT_ID_MATCH = False
    write(name + ".vault", text)
    write(name + ".out", out)
    cases.append((name, secrets_field(secrets), "1" if id_match else "0", expect))


def ansible_vault(args, stdin=None, cwd=None):
    return subprocess.run(["ansible-vault"] + args, input=stdin, cwd=cwd, check=True,
                           stdout=subprocess.PIPE).stdout


def vectors(tmp):
    """Files and strings encrypted by the ansible-vault command."""
    plain = {
        "text": b"hello: world\nlist: [1, 2]\n",
        "empty": b"",
        "block": b"0123456789abcdef",       # a whole block: a whole block of padding
        "binary": bytes(range(256)),
        "utf8": "clé: «valeur» ✓\n".encode(),
    }
    passwords = {
        "ascii": b"pw1",
        "utf8": "pässwörd ✓".encode(),
        "long": b"x" * 1000,
        "spaces": b"inner space",
    }
    for pname, pw in passwords.items():
        pwfile = os.path.join(tmp, "pw-" + pname)
        with open(pwfile, "wb") as f:
            f.write(b"  " + pw + b" \n\n")  # Ansible strips the file's whitespace
        for tname, text in plain.items():
            for label in (None, "dev"):
                path = os.path.join(tmp, "in")
                with open(path, "wb") as f:
                    f.write(text)
                src = ["--vault-id", "%s@%s" % (label, pwfile)] if label else \
                      ["--vault-password-file", pwfile]
                ansible_vault(["encrypt"] + src + [path])
                with open(path, "rb") as f:
                    vt = f.read()
                name = "cli_%s_%s_%s" % (pname, tname, "v12" if label else "v11")
                write(name + ".vault", vt)
                write(name + ".out", text)
                cases.append((name, secrets_field([(label or "default", pw)]), "0", "ok"))
    # encrypt_string: the !vault block's text, as YAML hands it over (no final newline)
    pwfile = os.path.join(tmp, "pw-ascii")
    out = ansible_vault(["encrypt_string", "--vault-password-file", pwfile, "--name", "x",
                         "s3cret value"]).decode()
    body = "\n".join(line[10:] for line in out.splitlines()[1:]).encode()
    write("cli_encrypt_string.vault", body)
    write("cli_encrypt_string.out", b"s3cret value")
    cases.append(("cli_encrypt_string", secrets_field([("default", b"pw1")]), "0", "ok"))


def fixed(plain, pw, vault_id=None, salt=b"0123456789abcdef0123456789abcdef"):
    lib = V.VaultLib([])
    return lib.encrypt(plain, V.VaultSecret(pw), vault_id=vault_id, salt=salt)


def enc_vectors():
    """VaultLib.encrypt with a fixed salt: playc must write the same bytes."""
    items = [
        ("enc_v11", b"hello: world\n", b"pw1", None, b"0123456789abcdef0123456789abcdef"),
        ("enc_v12", b"hello: world\n", b"pw1", "dev", b"0123456789abcdef0123456789abcdef"),
        ("enc_default_id", b"x", b"pw1", "default", b"S" * 32),
        ("enc_empty", b"", b"pw1", None, b"salt"),
        ("enc_block", b"0123456789abcdef", "pässwörd".encode(), "prod", bytes(range(32))),
        ("enc_long", bytes(range(256)) * 40, b"p" * 200, None, b"\xff" * 32),
    ]
    for name, plain, pw, vid, salt in items:
        write(name + ".plain", plain)
        write(name + ".vault", fixed(plain, pw, vid, salt))
        encs.append((name, "%s:%s" % (vid or "default", hexs(pw)), vid or "-", hexs(salt)))


def raw_envelope(salt, mac, ct, header=b"$ANSIBLE_VAULT;1.1;AES256"):
    inner = binascii.hexlify(b"\n".join([hexs(salt).encode(), hexs(mac).encode(), hexs(ct).encode()]))
    lines = [header] + [inner[i:i + 80] for i in range(0, len(inner), 80)] + [b""]
    return b"\n".join(lines)


def forged(pw, data, salt=b"s" * 32):
    """An envelope whose HMAC is right for `pw` but whose ciphertext is of
    unpadded `data`: only the padding check can refuse it."""
    k1, k2, iv = V.VaultAES256._gen_key_initctr(pw, salt)
    enc = Cipher(algorithms.AES(k1), modes.CTR(iv)).encryptor()
    ct = enc.update(data) + enc.finalize()
    h = chmac.HMAC(k2, hashes.SHA256())
    h.update(ct)
    return raw_envelope(salt, h.finalize(), ct)


def hostile():
    pw = [("default", b"pw1")]
    good = fixed(b"secret: 42\n", b"pw1")
    good12 = fixed(b"secret: 42\n", b"pw1", "dev")
    lines = good.split(b"\n")
    hdr, body = lines[0], b"".join(lines[1:])
    inner = binascii.unhexlify(body)
    salt_h, mac_h, ct_h = inner.split(b"\n", 2)

    def from_inner(i, header=hdr):
        h = binascii.hexlify(i)
        return header + b"\n" + b"\n".join(h[j:j + 80] for j in range(0, len(h), 80)) + b"\n"

    d = decrypt_case
    d("ok_v11", good, pw)
    d("ok_v12", good12, pw)
    d("ok_crlf", good.replace(b"\n", b"\r\n"), pw)
    d("ok_cr", good.replace(b"\n", b"\r"), pw)
    d("ok_no_final_newline", good.rstrip(b"\n"), pw)
    d("ok_one_line_body", hdr + b"\n" + body, pw)
    d("ok_upper_hex", hdr + b"\n" + body.upper(), pw)
    d("ok_version_unchecked", good.replace(b";1.1;", b";9.9;"), pw)
    d("bad_header_leading_spaces", good.replace(hdr, b"  $ANSIBLE_VAULT;1.1;AES256"), pw)
    d("ok_header_spaces", good.replace(hdr, b"$ANSIBLE_VAULT ; 1.1 ;\tAES256 \x0b "), pw)
    d("ok_header_suffix", good.replace(hdr, b"$ANSIBLE_VAULTX;1.1;AES256"), pw)
    d("ok_extra_fields", good12.replace(b";dev", b";dev;more;fields"), pw)
    d("ok_second_secret", good, [("a", b"wrong"), ("b", b"pw1")])
    d("ok_id_match", good12, [("default", b"wrong"), ("dev", b"pw1")], id_match=True)
    d("bad_id_match_other_id", good12, [("default", b"pw1")], id_match=True)
    d("bad_id_match_v11", good, [("dev", b"pw1")], id_match=True)
    d("ok_id_match_v11_default", good, [("dev", b"x"), ("default", b"pw1")], id_match=True)
    d("bad_id_match_empty_id", good12.replace(b";dev", b";"), [("default", b"pw1")], id_match=True)
    d("ok_empty_id_no_match", good12.replace(b";dev", b";"), pw)
    d("bad_wrong_password", good, [("default", b"pw2")])
    d("bad_no_secrets", good, [])
    d("bad_not_vault", b"hello: world\n", pw)
    d("bad_empty", b"", pw)
    d("bad_leading_space", b" " + good, pw)
    d("bad_non_ascii", good + "é".encode(), pw)
    d("bad_header_only", b"$ANSIBLE_VAULT", pw)
    d("bad_header_two_fields", b"$ANSIBLE_VAULT;1.1\nabcd\n", pw)
    d("bad_cipher_aes", good.replace(b"AES256", b"AES"), pw)
    d("bad_cipher_empty", good.replace(b"AES256", b""), pw)
    d("bad_cipher_case", good.replace(b"AES256", b"aes256"), pw)
    d("bad_cipher_before_secrets", good.replace(b"AES256", b"XYZ"), [])
    d("bad_body_empty", hdr + b"\n", pw)
    d("bad_body_odd", good.rstrip(b"\n") + b"0\n", pw)
    d("bad_body_nonhex", good.replace(b"\n3", b"\nz", 1) if b"\n3" in good else hdr + b"\nzz\n", pw)
    d("bad_body_space", good.replace(b"\n", b" \n"), pw)
    d("bad_body_nul", good.rstrip(b"\n") + b"\x00\x00\n", pw)
    d("bad_body_one_part", from_inner(b"abcd"), pw)
    d("bad_body_two_parts", from_inner(salt_h + b"\n" + mac_h), pw)
    d("bad_salt_odd", from_inner(salt_h[:-1] + b"\n" + mac_h + b"\n" + ct_h), pw)
    d("bad_salt_nonhex", from_inner(b"zz" + salt_h[2:] + b"\n" + mac_h + b"\n" + ct_h), pw)
    d("bad_ct_odd", from_inner(salt_h + b"\n" + mac_h + b"\n" + ct_h[:-1]), pw)
    d("bad_ct_newline", from_inner(salt_h + b"\n" + mac_h + b"\n" + ct_h + b"\n00"), pw)
    d("bad_hmac_odd", from_inner(salt_h + b"\n" + mac_h[:-1] + b"\n" + ct_h), pw)
    d("bad_hmac_nonhex", from_inner(salt_h + b"\n" + b"g" + mac_h[1:] + b"\n" + ct_h), pw)
    d("bad_hmac_odd_no_secrets", from_inner(salt_h + b"\n" + mac_h[:-1] + b"\n" + ct_h), [])
    d("bad_hmac_odd_id_mismatch", from_inner(salt_h + b"\n" + mac_h[:-1] + b"\n" + ct_h),
      [("other", b"pw1")], id_match=True)
    flipped = mac_h[:-1] + (b"0" if mac_h[-1:] != b"0" else b"1")
    d("bad_hmac_flipped", from_inner(salt_h + b"\n" + flipped + b"\n" + ct_h), pw)
    d("bad_hmac_short", from_inner(salt_h + b"\n" + mac_h[:-2] + b"\n" + ct_h), pw)
    d("bad_hmac_empty", from_inner(salt_h + b"\n\n" + ct_h), pw)
    flipped_ct = ct_h[:-1] + (b"0" if ct_h[-1:] != b"0" else b"1")
    d("bad_ct_flipped", from_inner(salt_h + b"\n" + mac_h + b"\n" + flipped_ct), pw)
    d("bad_salt_changed", from_inner(b"00" + salt_h[2:] + b"\n" + mac_h + b"\n" + ct_h), pw)
    d("bad_empty_salt", from_inner(b"\n" + mac_h + b"\n" + ct_h), pw)
    d("bad_padding_forged", forged(b"pw1", b"fifteen bytes!!"), pw)
    d("bad_padding_empty_ct", forged(b"pw1", b""), pw)
    d("bad_padding_zero", forged(b"pw1", b"A" * 15 + b"\x00"), pw)
    d("bad_padding_17", forged(b"pw1", b"A" * 15 + b"\x11"), pw)
    d("bad_padding_mixed", forged(b"pw1", b"A" * 13 + b"\x02\x03\x03"), pw)
    d("ok_padding_forged_full", forged(b"pw1", b"abc" + b"\x0d" * 13), pw)
    # every truncation of a valid envelope
    for cut in range(0, len(good), 9):
        d("trunc_%03d" % cut, good[:cut], pw)


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    with tempfile.TemporaryDirectory() as tmp:
        vectors(tmp)
    enc_vectors()
    hostile()
    with open(os.path.join(OUT, "cases.tsv"), "w") as f:
        f.write("# name\tsecrets\tid_match\texpect (generated by gen_fixtures.py)\n")
        for c in cases:
            f.write("\t".join(c) + "\n")
    with open(os.path.join(OUT, "enc.tsv"), "w") as f:
        f.write("# name\tsecret\tvault_id\tsalt (generated by gen_fixtures.py)\n")
        for c in encs:
            f.write("\t".join(c) + "\n")
    print("%d decrypt cases, %d encrypt vectors in %s" % (len(cases), len(encs), OUT))


if __name__ == "__main__":
    sys.exit(main())
