/*
 * slurp.c — the slurp module: a file's bytes, base64-encoded, read in one
 * request (edit.c's read: the target encodes bodies up to MOD_EDIT_INLINE,
 * larger ones come over SFTP and are encoded here), with Ansible's
 * messages for a missing, unreadable or folder source.
 */
#include "mod.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam slurp_params[] = {
    {.name = "src", .type = MP_PATH, .required = true, .aliases = "path"},
};
const ModSchema mod_schema_slurp = {
    .name = "slurp",
    .params = slurp_params,
    .nparams = MOD_N(slurp_params),
    .free_form = true,
    .tools = "stat,base64",
    .check_mode = true};

#ifndef MOD_SCHEMA_ONLY

RtValue *mod_slurp(RtHost *h, RtValue *args) {
  char *src = mod_arg_str(args, "src");
  ModEdit e;
  mod_edit_init(&e, h, args);
  RtValue *r = NULL, *fail = NULL;
  if (mod_edit_read(h, &e, src ? src : "", &fail) < 0)
    goto done;
  if (fail) {
    r = fail;
  } else if (e.kind == MOD_EDIT_ABSENT) {
    r = mod_fail_result("file not found: %s", e.path);
  } else if (e.kind == MOD_EDIT_DIR) {
    r = mod_fail_result("source is a directory and must be a file: %s", e.path);
  } else if (e.unreadable) {
    r = mod_fail_result("file is not readable: %s", e.path);
  } else {
    size_t n = e.data.len;
    char *b64 = rt_xmalloc(4 * ((n + 2) / 3) + 1);
    int m = EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)(e.data.data ? e.data.data : ""), (int)n);
    r = rt_dict_new(4);
    rt_dict_set(r, "content", rt_str_take(b64, (size_t)m));
    rt_dict_set(r, "source", rt_strz(e.path));
    rt_dict_set(r, "encoding", rt_strz("base64"));
    rt_dict_set(r, "changed", rt_bool(false));
  }
done:
  mod_edit_free(&e);
  free(src);
  return r;
}

#endif
