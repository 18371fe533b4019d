/*
 * vault_value.c — the run's vault: the secrets given on the command line
 * (loaded once, before the inventory and extra vars, as ansible-playbook
 * does) and the values they open. A compiled program holds vault text only
 * (ciphertext, as the playbook had it); plaintext exists only here, in this
 * process's memory, from the first use of a value to the end of the run.
 *
 * Each vault text is decrypted once per run and cached by the address of its
 * text (static data emitted by the compiler, so one address is one value),
 * under a mutex so host threads share the result. Failures are cached too:
 * the same text with the same secrets fails the same way, and PBKDF2's 10000
 * iterations are not paid again per host. At the end of the run the cached
 * plaintext is wiped where the run is its last holder.
 */
#include "rt.h"
#include "textwrap.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

typedef struct VvEntry {
  const char *text; /* the key: address of the vault text */
  RtValue *value;   /* the plaintext as a string, or an error */
} VvEntry;

/* An encrypted vars file's vars, parsed once: a dict, or the error. */
typedef struct VvData {
  const char *text; /* the key: address of the vault text */
  RtValue *vars;    /* dict, or NULL */
  char *err;        /* when vars is NULL */
} VvData;

struct RtVaultRun {
  RtVaultSecrets secrets;
  pthread_mutex_t lock;
  VvEntry *cache;
  size_t ncache, capcache;
  VvData *data;
  size_t ndata, capdata;
};

/* Display.columns: the terminal's width less one, at least 79. */
static size_t vv_columns(void) {
  struct winsize ws;
  if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 80)
    return (size_t)ws.ws_col - 1;
  return 79;
}

/* A warning as Ansible's display.warning prints it: wrapped by textwrap (its
 * hyphen rules included, which messages naming paths and vault ids meet), or
 * as given when `formatted`. */
static void vv_warn(void *ctx, const char *msg, bool formatted) {
  RtRun *run = ctx;
  char *text = formatted ? rt_xasprintf("\n[WARNING]: \n%s", msg) : NULL;
  if (!text) {
    char *line = rt_xasprintf("[WARNING]: %s", msg);
    text = rt_textwrap(line, vv_columns());
    free(line);
  }
  if (run)
    rt_out_lock(run);
  fprintf(stderr, "%s\n", text);
  fflush(stderr);
  if (run)
    pthread_mutex_unlock(&run->out_lock);
  free(text);
}

int rt_vault_run_open(RtRun *run) {
  RtVaultRun *v = rt_xcalloc(1, sizeof *v);
  pthread_mutex_init(&v->lock, NULL);
  run->vault = v;
  RtVaultSources src = run->opt.vault;
  src.warn = vv_warn;
  src.warn_ctx = run;
  char *err = NULL;
  RtVaultStatus st = rt_vault_secrets_load(&v->secrets, &src, &err);
  if (st == RT_VAULT_OK)
    return -1;
  if (st == RT_VAULT_EINTR) /* display.error(wrap_text=True): its "\n" became a space */
    fputs(" [ERROR]: User interrupted execution\n", stderr);
  else
    rt_out_error("%s", err);
  free(err);
  return st == RT_VAULT_EINTR ? 99 : 1;
}

void rt_vault_run_close(RtRun *run) {
  RtVaultRun *v = run->vault;
  if (!v)
    return;
  for (size_t i = 0; i < v->ncache; i++) {
    RtValue *val = v->cache[i].value;
    if (rt_kind(val) == RT_STR && rt_sole_ref(val))
      OPENSSL_cleanse(val->u.str.s, val->u.str.len);
    rt_decref(val);
  }
  free(v->cache);
  for (size_t i = 0; i < v->ndata; i++) {
    rt_decref(v->data[i].vars);
    free(v->data[i].err);
  }
  free(v->data);
  rt_vault_secrets_free(&v->secrets);
  pthread_mutex_destroy(&v->lock);
  free(v);
  run->vault = NULL;
}

const RtVaultSecrets *rt_vault_run_secrets(RtRun *run) {
  return run->vault ? &run->vault->secrets : NULL;
}

/* Decrypts `text` into a string value or an error value (new reference). */
static RtValue *vv_decrypt(RtRun *run, const RtVaultSecrets *s, const char *text, size_t len,
                           const char *filename) {
  unsigned char *plain = NULL;
  size_t plain_len = 0;
  char *err = NULL;
  static const RtVaultSecrets none = {0};
  RtVaultStatus st = rt_vault_decrypt(s ? s : &none, text, len, filename, &plain, &plain_len, NULL,
                                      &err);
  if (st != RT_VAULT_OK) {
    if (st == RT_VAULT_EFORMAT) {
      char *w = rt_xasprintf("There was a vault format error%s%s: %s", filename ? " in " : "",
                             filename ? filename : "", err);
      vv_warn(run, w, true);
      free(w);
    }
    RtValue *e = rt_error("%s", err);
    free(err);
    return e;
  }
  RtValue *v = rt_str((const char *)plain, plain_len);
  rt_vault_bytes_free(plain, plain_len);
  return v;
}

RtValue *rt_vault_run_decrypt(RtRun *run, const char *text, size_t len, const char *filename) {
  RtVaultRun *v = run->vault;
  if (!v) /* a run without rt_vault_run_open (tests, tools): no secrets */
    return vv_decrypt(run, NULL, text, len, filename);
  pthread_mutex_lock(&v->lock);
  RtValue *val = NULL;
  for (size_t i = 0; i < v->ncache && !val; i++)
    if (v->cache[i].text == text)
      val = v->cache[i].value;
  if (!val) {
    val = vv_decrypt(run, &v->secrets, text, len, filename);
    if (v->ncache == v->capcache) {
      v->capcache = v->capcache ? 2 * v->capcache : 16;
      v->cache = rt_xrealloc(v->cache, v->capcache * sizeof *v->cache);
    }
    v->cache[v->ncache++] = (VvEntry){text, val};
  }
  rt_incref(val);
  pthread_mutex_unlock(&v->lock);
  return val;
}

RtValue *rt_vault_value(RtHost *h, const char *text, uint64_t len) {
  return rt_vault_run_decrypt(h->run, text, (size_t)len, NULL);
}

RtValue *rt_vault_run_decrypt_once(RtRun *run, const char *text, size_t len, const char *filename) {
  return vv_decrypt(run, run && run->vault ? &run->vault->secrets : NULL, text, len, filename);
}

char *rt_vault_cwd_path(const char *path) {
  if (path[0] == '/')
    return rt_xstrdup(path);
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd))
    return rt_xstrdup(path);
  while (path[0] == '.' && path[1] == '/')
    path += 2;
  return rt_xasprintf("%s/%s", cwd, path);
}

RtValue *rt_vault_load_data(RtRun *run, const char *text, size_t len, const char *filename, char **err) {
  RtValue *plain = NULL;
  if (rt_vault_is_encrypted(text, len)) {
    char *abs = filename ? rt_vault_cwd_path(filename) : NULL;
    plain = rt_vault_run_decrypt_once(run, text, len, abs);
    free(abs);
    if (rt_is_error(plain)) {
      *err = rt_xstrdup(plain->u.err.msg);
      rt_decref(plain);
      return NULL;
    }
    text = plain->u.str.s;
    len = plain->u.str.len;
  }
  RtValue *v = rt_parse_yaml_vault(run, text, len, filename, err);
  if (plain && rt_kind(plain) == RT_STR && rt_sole_ref(plain))
    OPENSSL_cleanse(plain->u.str.s, plain->u.str.len);
  rt_decref(plain);
  return v;
}

/* Loads encrypted vars file `f` (the caller holds v->lock). */
static VvData vv_load_vars(RtRun *run, const RtScope *f) {
  VvData d = {f->vault_text, NULL, NULL};
  char *abs = rt_abspath(run, f->vault_file);
  RtValue *v = rt_vault_load_data(run, f->vault_text, (size_t)f->vault_len, abs, &d.err);
  free(abs);
  if (!v)
    return d;
  if (rt_kind(v) == RT_NONE) { /* an empty file: no vars */
    rt_decref(v);
    v = rt_dict_new(0);
  }
  if (rt_kind(v) != RT_DICT) {
    d.err = rt_xasprintf("%s must be stored as a dictionary/hash", f->vault_file);
    rt_decref(v);
    return d;
  }
  d.vars = v;
  return d;
}

const RtValue *rt_vault_run_data(RtRun *run, const RtScope *f, const char **err) {
  RtVaultRun *v = run->vault;
  static RtVaultRun none = {.lock = PTHREAD_MUTEX_INITIALIZER};
  if (!v) /* a run without rt_vault_run_open (tests, tools): no secrets, nothing kept */
    v = &none;
  pthread_mutex_lock(&v->lock);
  VvData *d = NULL;
  for (size_t i = 0; i < v->ndata && !d; i++)
    if (v->data[i].text == f->vault_text)
      d = &v->data[i];
  if (!d) {
    if (v->ndata == v->capdata) {
      v->capdata = v->capdata ? 2 * v->capdata : 8;
      v->data = rt_xrealloc(v->data, v->capdata * sizeof *v->data);
    }
    d = &v->data[v->ndata++];
    *d = vv_load_vars(run, f);
  }
  const RtValue *vars = d->vars;
  *err = d->err;
  pthread_mutex_unlock(&v->lock);
  return vars;
}

/* The first encrypted frame of chain `f` that does not open: vars_files
 * ones (`files`) or the others (role vars and defaults). */
static const char *vv_chain_check(RtRun *run, const RtScope *f, bool files) {
  const char *err = NULL;
  for (; f && !err; f = f->next)
    if (f->vault_text && (f->level == RT_LV_VARS_FILES) == files && !rt_vault_run_data(run, f, &err) && !err)
      err = "?";
  return err;
}

char *rt_vault_play_check(RtRun *run, const RtPlayDef *play) {
  const char *err = NULL;
  for (int pass = 0; pass < 2 && !err; pass++) { /* the play's vars_files first, as Ansible reports them */
    err = vv_chain_check(run, play->scope, pass == 0);
    /* templated vars_files naming one file only: known now, as at Ansible's play start */
    for (int32_t i = 0; pass == 0 && i < play->nvars_files && !err; i++)
      if (play->vars_files[i]->n == 1)
        err = vv_chain_check(run, play->vars_files[i]->frames[0], true);
    for (int32_t i = 0; i < play->ntasks && !err; i++)
      err = vv_chain_check(run, play->tasks[i].scope, pass == 0);
  }
  return err ? rt_xstrdup(err) : NULL;
}
