/*
 * output.c — ansible-playbook's default callback, text for text: banners
 * ("PLAY [x] ****" to 79 columns when stdout is not a terminal), one line per
 * host result ("ok: [h]", "changed: [h]", "fatal: [h]: FAILED! => {json}"),
 * loop items ("ok: [h] => (item=x)"), and the PLAY RECAP table. Results are
 * printed as Ansible's _dump_results does: internal `_ansible_*` keys removed,
 * invocation/diff/exception dropped, JSON with sorted keys (indent 4 when the
 * result asks to be verbose, as debug's does). With --diff (or the task's
 * diff: keyword), a changed result's `diff` prints above its line. With
 * stdout_callback = yaml, results are dumped as community.general's yaml
 * callback dumps them (dump_yaml) and everything else stays the default's.
 *
 * Colours as Display's: on when stdout is a terminal, off with nocolor
 * (ANSIBLE_NOCOLOR, NO_COLOR), on whatever else with force_color;
 * each line of a coloured message wrapped on its own ("\033[0;32m...\033[0m").
 *
 * All output goes through run->out_lock so lines from host threads never
 * interleave; each call flushes.
 */
#include "config.h"
#include "rt.h"
#include "textwrap.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static bool color_on(void) {
  static int on = -1; /* decided once; hosts' threads print results, so read and set atomically */
  int v = __atomic_load_n(&on, __ATOMIC_RELAXED);
  if (v < 0) {
    v = !rt_config_bool(RT_CFG_NOCOLOR) && isatty(1); /* nocolor, ANSIBLE_NOCOLOR, NO_COLOR */
    if (rt_config_bool(RT_CFG_FORCE_COLOR))
      v = 1;
    __atomic_store_n(&on, v, __ATOMIC_RELAXED);
  }
  return v;
}

/* Ansible's C.COLOR_* defaults, as escape codes. */
#define COLOR_OK "0;32"
#define COLOR_CHANGED "0;33"
#define COLOR_SKIP "0;36"
#define COLOR_ERROR "0;31"
#define COLOR_UNREACHABLE "1;31"
#define COLOR_WARN "1;35"

/* stringc: `text` with every line wrapped in the colour (as is without colour). */
static void stringc(RtBuf *out, const char *text, size_t len, const char *code) {
  if (!code || !color_on()) {
    rt_buf_add(out, text, len);
    return;
  }
  for (size_t i = 0;;) {
    const char *nl = memchr(text + i, '\n', len - i);
    size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
    rt_buf_printf(out, "\033[%sm%.*s\033[0m", code, (int)n, text + i);
    if (!nl)
      break;
    rt_buf_putc(out, '\n');
    i += n + 1;
  }
}

static int columns(void) {
  struct winsize ws;
  if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col - 1 > 79 ? ws.ws_col - 1 : 79;
  return 79;
}

/* Display.banner: "\n" + msg + " " + stars up to the column width. */
static void banner(const char *msg) {
  int stars = columns() - (int)strlen(msg);
  if (stars <= 3)
    stars = 3;
  printf("\n%s ", msg);
  for (int i = 0; i < stars; i++)
    putchar('*');
  putchar('\n');
}

void rt_out_banner(RtRun *run, const char *msg) {
  rt_out_lock(run);
  banner(msg);
  fflush(stdout);
  pthread_mutex_unlock(&run->out_lock);
}

void rt_out_play(RtRun *run, const RtPlayDef *play) {
  rt_report_play(run, play);
  rt_out_lock(run);
  char *msg = rt_xasprintf("PLAY [%s]", play->name[0] ? play->name : play->hosts);
  banner(msg);
  free(msg);
  fflush(stdout);
  pthread_mutex_unlock(&run->out_lock);
}

/* The free strategy's banner before a host's result (the default
 * callback's _last_task_banner check); out_lock held. */
static void lazy_banner(RtHost *h) {
  RtRun *run = h->run;
  if (!run->lazy_banners || !h->banner_item || run->last_banner == h->banner_item)
    return;
  run->last_banner = h->banner_item;
  banner(h->banner_text);
}

char *rt_out_task_banner(const RtTaskDef *t, const char *name) {
  const char *e = name + strlen(name);
  while (*name && strchr(" \t\n\r\v\f", *name))
    name++;
  while (e > name && strchr(" \t\n\r\v\f", e[-1]))
    e--;
  return rt_xasprintf("%s [%.*s]", t->handler ? "RUNNING HANDLER" : "TASK", (int)(e - name), name);
}

void rt_out_task(RtRun *run, const RtTaskDef *t, const char *name) {
  rt_out_lock(run);
  char *msg = rt_out_task_banner(t, name);
  banner(msg);
  free(msg);
  fflush(stdout);
  pthread_mutex_unlock(&run->out_lock);
  rt_report_task(run, t, name);
}

/* A copy of `r` without the keys the default callback never shows. */
static RtValue *strip_internal(const RtValue *r, bool is_debug, int verbosity, bool top) {
  if (rt_kind(r) == RT_LIST) {
    RtValue *l = rt_list_new(rt_len(r));
    for (size_t i = 0; i < rt_len(r); i++)
      rt_list_push(l, strip_internal(rt_list_at(r, i), false, verbosity, false));
    return l;
  }
  if (rt_kind(r) != RT_DICT)
    return rt_incref((RtValue *)r);
  bool has_msg = rt_dict_get(r, "msg") != NULL;
  RtValue *d = rt_dict_new(rt_len(r));
  for (size_t i = 0; i < r->u.dict.len; i++) {
    const char *k = r->u.dict.ents[i].key->u.str.s;
    if (strncmp(k, "_ansible_", 9) == 0 || (top && strcmp(k, "exception") == 0))
      continue;
    /* TaskResult.clean_copy: the status is the event, not a key */
    if (top && (strcmp(k, "failed") == 0 || strcmp(k, "skipped") == 0))
      continue;
    if (top && verbosity < 3 && (strcmp(k, "invocation") == 0 || strcmp(k, "diff") == 0))
      continue; /* _dump_results drops these at the top only */
    if (top && (strcmp(k, "warnings") == 0 || strcmp(k, "deprecations") == 0))
      continue; /* _handle_warnings printed and removed them */
    if (is_debug && has_msg && k[0] != '_' &&
        strcmp(k, "msg") != 0 && strcmp(k, "warnings") != 0 && strcmp(k, "deprecations") != 0)
      continue;
    if (is_debug && !has_msg &&
        (strcmp(k, "changed") == 0 || strcmp(k, "failed") == 0 || strcmp(k, "skipped") == 0 ||
         strcmp(k, "skip_reason") == 0))
      continue;
    rt_dict_put_key(d, r->u.dict.ents[i].key, strip_internal(r->u.dict.ents[i].val, false, verbosity, false));
  }
  return d;
}

static bool flag(const RtValue *r, const char *key) {
  const RtValue *v = rt_dict_get(r, key);
  return v && rt_truth((RtValue *)v, NULL) == 1;
}

/* The yaml stdout callback's _dump_results: "changed=..." and "skipped=..."
 * on the first line, stdout_lines/stderr_lines omitted beside stdout/stderr,
 * the rest as YAML, every line after the first indented by two. Takes `clean`. */
static void dump_yaml(RtBuf *b, RtValue *clean) {
  RtBuf d = {0};
  static const char *const heads[] = {"changed", "skipped"};
  for (int i = 0; i < 2; i++) {
    RtValue *v = rt_dict_get(clean, heads[i]);
    if (!v)
      continue;
    RtBuf s = {0};
    rt_render_str(&s, v);
    for (size_t k = 0; k < s.len; k++)
      s.data[k] = (char)tolower((unsigned char)s.data[k]);
    rt_buf_printf(&d, "%s=%.*s ", heads[i], (int)s.len, s.data ? s.data : "");
    rt_buf_free(&s);
    rt_dict_del(clean, heads[i]);
  }
  if (rt_dict_get(clean, "stdout") && rt_dict_get(clean, "stdout_lines"))
    rt_dict_set(clean, "stdout_lines", rt_strz("<omitted>"));
  if (rt_dict_get(clean, "stderr") && rt_dict_get(clean, "stderr_lines"))
    rt_dict_set(clean, "stderr_lines", rt_strz("<omitted>"));
  if (rt_len(clean)) {
    RtValue *y = rt_yaml_dump_callback(clean);
    rt_buf_putc(&d, '\n');
    if (rt_kind(y) == RT_STR)
      rt_buf_add(&d, y->u.str.s, y->u.str.len);
    else
      rt_render_json(&d, clean, -1, true);
    rt_decref(y);
  }
  size_t start = b->len;
  for (size_t i = 0; i < d.len; i++) {
    rt_buf_putc(b, d.data[i]);
    if (d.data[i] == '\n')
      rt_buf_puts(b, "  ");
  }
  while (b->len > start && isspace((unsigned char)b->data[b->len - 1]))
    b->len--;
  if (b->data)
    b->data[b->len] = 0;
  rt_buf_free(&d);
  rt_decref(clean);
}

/* _dump_results: JSON, sorted keys, indent 4 when verbose-always or -vvv
 * (YAML with stdout_callback = yaml). */
static void dump(RtBuf *b, RtHost *h, const RtTaskDef *t, RtValue *result) {
  bool is_debug = strcmp(t->action, "debug") == 0;
  RtValue *clean = strip_internal(result, is_debug, h->run->opt.verbosity, true);
  if (h->run->opt.yaml_callback && rt_kind(clean) == RT_DICT) {
    dump_yaml(b, clean);
    return;
  }
  int indent = (flag(result, "_ansible_verbose_always") || h->run->opt.verbosity > 2) ? 4 : -1;
  rt_render_json(b, clean, indent, true);
  rt_decref(clean);
}

static bool verbose(RtHost *h, RtValue *result) {
  return (h->run->opt.verbosity > 0 || rt_dict_get(result, "_ansible_verbose_always")) &&
         !rt_dict_get(result, "_ansible_verbose_override");
}

static void item_label(RtBuf *b, RtValue *result) {
  RtValue *item = rt_dict_get(result, "_ansible_item_label");
  if (!item)
    item = rt_dict_get(result, "item");
  if (item)
    rt_render_str(b, item);
  else
    rt_buf_puts(b, "None");
}

/* The callback's _handle_exception: a failed result carrying an exception
 * gets its last line (or, from -vvv, all of it) printed above it. */
static void exception_line(RtBuf *b, RtHost *h, const RtValue *result) {
  const RtValue *exc = rt_dict_get(result, "exception");
  if (!exc || rt_kind(exc) != RT_STR)
    return;
  if (h->run->opt.verbosity >= 3) {
    rt_buf_printf(b, "The full traceback is:\n%s\n", exc->u.str.s);
    return;
  }
  const char *s = exc->u.str.s, *e = s + exc->u.str.len;
  while (e > s && (e[-1] == '\n' || e[-1] == ' ')) /* .strip().split('\n')[-1] */
    e--;
  const char *line = e;
  while (line > s && line[-1] != '\n')
    line--;
  rt_buf_printf(b, "An exception occurred during task execution. To see the full traceback, use "
                   "-vvv. The error was: %.*s\n",
                (int)(e - line), line);
}

/* The callback's _handle_warnings (added with the system family's modules):
 * a result's "warnings" print before its host line, each text once per run
 * as Display.warning dedups them. */
static void result_warnings(RtRun *run, const RtValue *result) {
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  static RtValue *seen;
  const RtValue *w = rt_kind(result) == RT_DICT ? rt_dict_get(result, "warnings") : NULL;
  for (size_t i = 0; w && rt_kind(w) == RT_LIST && i < rt_len(w); i++) {
    const RtValue *m = rt_list_at(w, i);
    if (rt_kind(m) != RT_STR)
      continue;
    pthread_mutex_lock(&lock);
    if (!seen)
      seen = rt_dict_new(4);
    bool shown = rt_dict_get(seen, m->u.str.s) != NULL;
    if (!shown)
      rt_dict_set(seen, m->u.str.s, rt_bool(true));
    pthread_mutex_unlock(&lock);
    if (!shown)
      rt_out_warning(run, "%s", m->u.str.s);
  }
}

/* " -> X" after the host's name in a delegated task's lines (X: the
 * delegate's name, and its ansible_host in parentheses when that differs,
 * as CallbackBase.host_label), as two %s arguments. */
#define DELEGATE(h) (h)->delegate_label ? " -> " : "", (h)->delegate_label ? (h)->delegate_label : ""

void rt_out_result(RtHost *h, const RtTaskDef *t, RtValue *result, RtStatus st, bool item) {
  RtBuf b = {0};
  if (st != RT_STATUS_UNREACHABLE && st != RT_STATUS_SKIPPED) /* as the callback's v2_runner_on_* */
    result_warnings(h->run, result);
  switch (st) {
  case RT_STATUS_OK:
  case RT_STATUS_CHANGED:
    rt_buf_printf(&b, "%s: [%s%s%s]", st == RT_STATUS_CHANGED ? "changed" : "ok", h->name, DELEGATE(h));
    if (item) {
      rt_buf_puts(&b, " => (item=");
      item_label(&b, result);
      rt_buf_puts(&b, ")");
    }
    if (verbose(h, result)) {
      rt_buf_puts(&b, " => ");
      dump(&b, h, t, result);
    }
    break;
  case RT_STATUS_SKIPPED:
    rt_buf_printf(&b, "skipping: [%s]", h->name);
    if (item) {
      rt_buf_puts(&b, " => (item=");
      item_label(&b, result);
      rt_buf_puts(&b, ") ");
    }
    if (h->run->opt.verbosity > 0) {
      rt_buf_puts(&b, " => ");
      dump(&b, h, t, result);
    }
    break;
  case RT_STATUS_FAILED:
  case RT_STATUS_IGNORED:
    exception_line(&b, h, result);
    if (item) {
      rt_buf_printf(&b, "failed: [%s%s%s] (item=", h->name, DELEGATE(h));
      item_label(&b, result);
      rt_buf_puts(&b, ") => ");
    } else {
      rt_buf_printf(&b, "fatal: [%s%s%s]: FAILED! => ", h->name, DELEGATE(h));
    }
    dump(&b, h, t, result);
    break;
  case RT_STATUS_UNREACHABLE:
    rt_buf_printf(&b, "fatal: [%s%s%s]: UNREACHABLE! => ", h->name, DELEGATE(h));
    dump(&b, h, t, result);
    break;
  }
  static const char *const colors[] = {[RT_STATUS_OK] = COLOR_OK,          [RT_STATUS_CHANGED] = COLOR_CHANGED,
                                      [RT_STATUS_SKIPPED] = COLOR_SKIP,    [RT_STATUS_FAILED] = COLOR_ERROR,
                                      [RT_STATUS_IGNORED] = COLOR_ERROR,   [RT_STATUS_UNREACHABLE] = COLOR_UNREACHABLE};
  RtBuf line = {0};
  stringc(&line, b.data, b.len, colors[st]);
  rt_buf_putc(&line, '\n');
  bool ignore_unreachable = false; /* v2_runner_on_unreachable: "...ignoring" after the line */
  if (st == RT_STATUS_UNREACHABLE && t && t->kw[RT_TK_IGNORE_UNREACHABLE]) {
    RtValue *v = t->kw[RT_TK_IGNORE_UNREACHABLE](h);
    ignore_unreachable = rt_to_boolean(v) == 1;
    rt_decref(v);
  }
  if ((st == RT_STATUS_IGNORED && !item) || ignore_unreachable) {
    stringc(&line, "...ignoring", 11, COLOR_SKIP);
    rt_buf_putc(&line, '\n');
  }
  rt_out_lock(h->run);
  lazy_banner(h);
  fwrite(line.data, 1, line.len, stdout);
  fflush(stdout);
  pthread_mutex_unlock(&h->run->out_lock);
  rt_buf_free(&line);
  rt_buf_free(&b);
}

void rt_out_requests(RtHost *h) {
  static const char *const kind[RT_REQ_COUNT] = {
      [RT_REQ_CONNECT] = "connect", [RT_REQ_EXEC] = "exec", [RT_REQ_PUT] = "put",
      [RT_REQ_GET] = "get",         [RT_REQ_REMOVE] = "remove",  [RT_REQ_TCP] = "tcp"};
  int64_t d[RT_REQ_COUNT], total = 0;
  for (int i = 0; i < RT_REQ_COUNT; i++) {
    d[i] = h->requests[i] - h->requests_shown[i];
    h->requests_shown[i] = h->requests[i];
    if (i != RT_REQ_CONNECT)
      total += d[i];
  }
  if (h->run->opt.verbosity < 3)
    return;
  RtBuf b = {0};
  rt_buf_printf(&b, "<%s> requests: %lld", h->name, (long long)total);
  const char *sep = " (";
  for (int i = RT_REQ_EXEC; i < RT_REQ_COUNT; i++)
    if (d[i]) {
      rt_buf_printf(&b, "%s%s %lld", sep, kind[i], (long long)d[i]);
      sep = ", ";
    }
  if (total)
    rt_buf_putc(&b, ')');
  if (d[RT_REQ_CONNECT])
    rt_buf_printf(&b, " connect: %lld", (long long)d[RT_REQ_CONNECT]);
  rt_buf_putc(&b, '\n');
  rt_out_lock(h->run);
  fwrite(b.data, 1, b.len, stdout);
  fflush(stdout);
  pthread_mutex_unlock(&h->run->out_lock);
  rt_buf_free(&b);
}

void rt_out_error_wrapped(RtRun *run, const char *msg) {
  char *text = rt_xasprintf("\n[ERROR]: %s", msg);
  char *wrapped = rt_textwrap(text, (size_t)columns());
  rt_out_lock(run);
  fflush(stdout);
  fprintf(stderr, "%s\n", wrapped);
  fflush(stderr);
  pthread_mutex_unlock(&run->out_lock);
  free(wrapped);
  free(text);
}

void rt_out_skip_line(RtRun *run, const char *text) {
  RtBuf b = {0};
  stringc(&b, text, strlen(text), COLOR_SKIP);
  rt_buf_putc(&b, '\n');
  rt_out_lock(run);
  fwrite(b.data, 1, b.len, stdout);
  fflush(stdout);
  pthread_mutex_unlock(&run->out_lock);
  rt_buf_free(&b);
}

/* One result's diff, when it changed something (the default callback's
 * v2_on_file_diff). */
static void diff_of(RtBuf *b, const RtValue *r) {
  const RtValue *d = rt_kind(r) == RT_DICT ? rt_dict_get(r, "diff") : NULL;
  if (!d || !flag(r, "changed") || rt_truth((RtValue *)d, NULL) != 1)
    return;
  rt_diff_text(b, d);
}

void rt_out_diff(RtHost *h, const RtValue *result) {
  RtBuf b = {0};
  diff_of(&b, result);
  if (b.len && b.data[b.len - 1] != '\n') /* display() ends it with a newline */
    rt_buf_putc(&b, '\n');
  if (b.len) {
    rt_out_lock(h->run);
    lazy_banner(h);
    fwrite(b.data, 1, b.len, stdout);
    fflush(stdout);
    pthread_mutex_unlock(&h->run->out_lock);
  }
  rt_buf_free(&b);
}

static int cmp_host_name(const void *a, const void *b) {
  return strcmp((*(RtHost *const *)a)->name, (*(RtHost *const *)b)->name);
}

void rt_out_recap(RtRun *run) {
  int n = 0;
  RtHost **hs = rt_xcalloc((size_t)run->inv.nhosts + 1, sizeof *hs);
  for (int i = 0; i < run->inv.nhosts; i++)
    if (run->hosts[i] && run->hosts[i]->processed)
      hs[n++] = run->hosts[i];
  qsort(hs, (size_t)n, sizeof *hs, cmp_host_name);
  rt_out_lock(run);
  banner("PLAY RECAP");
  for (int i = 0; i < n; i++) {
    const RtCounts *c = &hs[i]->counts;
    /* colorize(lead, num, color): coloured when not zero */
    const char *lead[7] = {"ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored"};
    const char *color[7] = {COLOR_OK, COLOR_CHANGED, COLOR_UNREACHABLE, COLOR_ERROR, COLOR_SKIP, COLOR_OK, COLOR_WARN};
    int num[7] = {c->ok, c->changed, c->unreachable, c->failed, c->skipped, c->rescued, c->ignored};
    RtBuf line = {0};
    if (color_on()) { /* hostcolor: "%-37s" of the coloured name */
      RtBuf host = {0};
      stringc(&host, hs[i]->name, strlen(hs[i]->name),
              c->failed || c->unreachable ? COLOR_ERROR : c->changed ? COLOR_CHANGED : COLOR_OK);
      rt_buf_printf(&line, "%-37s :", host.data);
      rt_buf_free(&host);
    } else {
      rt_buf_printf(&line, "%-26s :", hs[i]->name);
    }
    for (int k = 0; k < 7; k++) {
      char f[48];
      int len = snprintf(f, sizeof f, "%s=%-4d", lead[k], num[k]);
      rt_buf_putc(&line, ' ');
      stringc(&line, f, (size_t)len, num[k] ? color[k] : NULL);
    }
    printf("%s\n", line.data);
    rt_buf_free(&line);
  }
  putchar('\n');
  fflush(stdout);
  pthread_mutex_unlock(&run->out_lock);
  free(hs);
  rt_report_finish(run); /* the reports are written at the stats event, as the callbacks do */
}

/* Ansible's display.warning: "[WARNING]: msg" wrapped as textwrap.wrap does at
 * the display's width (as banners: 79 columns when stdout is not a terminal). */
void rt_out_warning(RtRun *run, const char *fmt, ...) {
  const size_t width = (size_t)columns();
  va_list ap;
  va_start(ap, fmt);
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    rt_panic(__FILE__, __LINE__, "out of memory");
  va_end(ap);
  char *text = rt_xasprintf("[WARNING]: %s", msg);
  free(msg);
  /* textwrap.wrap itself: long words and hyphenated paths break as there */
  char *wrapped = rt_textwrap(text, width);
  free(text);
  RtBuf colored = {0}; /* Display colours the text without its final newline */
  stringc(&colored, wrapped, strlen(wrapped), COLOR_WARN);
  free(wrapped);
  rt_buf_add(&colored, "\n", 1);
  if (run)
    rt_out_lock(run);
  fwrite(colored.data, 1, colored.len, stderr);
  if (run)
    pthread_mutex_unlock(&run->out_lock);
  rt_buf_free(&colored);
}

void rt_out_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    rt_panic(__FILE__, __LINE__, "out of memory");
  va_end(ap);
  char *text = rt_xasprintf("ERROR! %s", msg);
  RtBuf b = {0};
  stringc(&b, text, strlen(text), COLOR_ERROR);
  rt_buf_putc(&b, '\n');
  fwrite(b.data, 1, b.len, stderr);
  rt_buf_free(&b);
  free(text);
  free(msg);
}

/* ---- the live progress line ------------------------------------------------------------ */

typedef struct RtProgress RtProgress;
struct RtProgress {
  pthread_t thread;
  bool stop;             /* under out_lock */
  bool shown;            /* under out_lock: the line is on the terminal */
  int64_t t0;            /* when the run began */
  char *play;            /* under out_lock: the running play's banner text, or NULL */
  RtHost **hosts;        /* under out_lock: its hosts */
  int nhosts;
  int hosts_done;        /* atomic */
  int64_t tasks_done;    /* atomic */
};

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rt_out_lock(RtRun *run) {
  pthread_mutex_lock(&run->out_lock);
  RtProgress *p = run->progress;
  if (p && p->shown) {
    fputs("\r\033[K", stdout);
    fflush(stdout);
    p->shown = false;
  }
}

/* The line's text, at most `width` bytes; out_lock held. */
static void progress_text(RtProgress *p, RtBuf *b, int64_t now, size_t width) {
  rt_buf_printf(b, "[progress] %s: %d/%d hosts done, %lld tasks done", p->play, __atomic_load_n(&p->hosts_done, __ATOMIC_SEQ_CST),
                p->nhosts, (long long)__atomic_load_n(&p->tasks_done, __ATOMIC_SEQ_CST));
  RtHost *slow = NULL;
  int64_t since = 0;
  for (int i = 0; i < p->nhosts; i++) {
    int64_t s = __atomic_load_n(&p->hosts[i]->busy_since, __ATOMIC_SEQ_CST);
    if (s && (!slow || s < since)) {
      slow = p->hosts[i];
      since = s;
    }
  }
  const RtTaskDef *t = slow ? __atomic_load_n(&slow->busy_task, __ATOMIC_SEQ_CST) : NULL;
  if (slow && t)
    rt_buf_printf(b, ", slowest: %s (%lld s in %s)", slow->name, (long long)((now - since) / 1000),
                  t->name[0] ? t->name : t->action);
  if (b->len > width) { /* one line, whole UTF-8 characters */
    size_t n = width;
    while (n > 0 && ((unsigned char)b->data[n] & 0xC0) == 0x80)
      n--;
    b->len = n;
    b->data[n] = 0;
  }
}

static void *progress_loop(void *arg) {
  RtRun *run = arg;
  RtProgress *p = run->progress;
  int64_t drawn = 0;
  for (;;) {
    struct timespec d = {0, 100 * 1000000L};
    nanosleep(&d, NULL);
    int64_t now = mono_ms();
    pthread_mutex_lock(&run->out_lock);
    if (p->stop) {
      pthread_mutex_unlock(&run->out_lock);
      return NULL;
    }
    if (p->play && now - p->t0 >= 2000 && now - drawn >= 1000 && !rt_interrupted()) {
      RtBuf b = {0};
      progress_text(p, &b, now, (size_t)columns());
      fputs("\r\033[K", stdout);
      fwrite(b.data, 1, b.len, stdout);
      fflush(stdout);
      rt_buf_free(&b);
      p->shown = true;
      drawn = now;
    }
    pthread_mutex_unlock(&run->out_lock);
  }
}

void rt_progress_start(RtRun *run) {
  if (!isatty(1) || run->opt.step || run->progress)
    return;
  RtProgress *p = rt_xcalloc(1, sizeof *p);
  p->t0 = mono_ms();
  run->progress = p;
  if (pthread_create(&p->thread, NULL, progress_loop, run) != 0) {
    free(p);
    run->progress = NULL;
  }
}

void rt_progress_stop(RtRun *run) {
  RtProgress *p = run->progress;
  if (!p)
    return;
  rt_out_lock(run);
  p->stop = true;
  pthread_mutex_unlock(&run->out_lock);
  pthread_join(p->thread, NULL);
  run->progress = NULL;
  free(p->play);
  free(p);
}

void rt_progress_play(RtRun *run, const char *play, RtHost **hosts, int n) {
  RtProgress *p = run->progress;
  if (!p)
    return;
  pthread_mutex_lock(&run->out_lock);
  free(p->play);
  p->play = play ? rt_xasprintf("PLAY [%s]", play) : NULL;
  p->hosts = hosts;
  p->nhosts = play ? n : 0;
  __atomic_store_n(&p->hosts_done, 0, __ATOMIC_SEQ_CST);
  pthread_mutex_unlock(&run->out_lock);
}

void rt_progress_hosts_done(RtRun *run, int done) {
  if (run->progress)
    __atomic_store_n(&run->progress->hosts_done, done, __ATOMIC_SEQ_CST);
}

void rt_progress_task(RtHost *h, const RtTaskDef *t, bool begins) {
  if (!h->run->progress)
    return;
  if (begins) {
    __atomic_store_n(&h->busy_task, t, __ATOMIC_SEQ_CST);
    __atomic_store_n(&h->busy_since, mono_ms(), __ATOMIC_SEQ_CST);
  } else {
    __atomic_store_n(&h->busy_since, 0, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&h->run->progress->tasks_done, 1, __ATOMIC_SEQ_CST);
  }
}
