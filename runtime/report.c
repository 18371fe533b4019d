/*
 * report.c — machine-readable results beside the default callback, for CI:
 *
 *   --output json=FILE   the report of the ansible.posix.json callback: plays,
 *                        their tasks (name, id, path, start/end times) and each
 *                        host's result with "action" (and failed/skipped as the
 *                        callback adds them), then the recap's stats. FILE "-"
 *                        is stdout, and then the default callback is silent, as
 *                        with ANSIBLE_STDOUT_CALLBACK=ansible.posix.json.
 *   --output junit=FILE  the XML of ansible.builtin.junit: one test case per
 *                        task and host ("[host] play: task args"), failures,
 *                        errors (exceptions) and skips, include lines.
 *   --profile            ansible.posix.profile_tasks: a time line under each
 *                        task banner and the slowest tasks after the recap.
 *   callbacks_enabled = timer   ansible.posix.timer: the run's time after the
 *                        recap, before or after profile_tasks' as enabled.
 *
 * output.c, task.c and run.c call the rt_report_* hooks at the points where
 * ansible-playbook sends the matching callback events; every hook takes
 * run->out_lock, so host threads record in turn. Results are copied when
 * recorded (no_log ones already censored by the caller).
 */
#include "rt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One task as the junit callback's TaskData: its hosts' outcomes. */
typedef struct JTask {
  const RtTaskDef *def;
  char *name;  /* "name" or "name k=v, ..." */
  char *path;  /* "file:line" */
  char *play;
  const char *action;
  double start;
  struct JHost { /* HostData */
    char *host;  /* NULL: an include line ("include" in the callback) */
    const char *status; /* ok failed skipped included */
    RtValue *result;
    char *included; /* str(IncludedFile), lines joined */
    double finish;
  } *hosts;
  int nhosts;
} JTask;

typedef struct PTask { /* profile_tasks' stats entry */
  const RtTaskDef *def;
  char *name;
  char *path;
  double started, elapsed;
} PTask;

struct RtReport {
  int stdout_fd;          /* the real stdout when the json report replaces the default callback */
  /* json */
  RtValue *plays;         /* list of {"play": ..., "tasks": [...]} */
  RtValue *task;          /* the current task's entry, or NULL */
  char *play_name;
  /* junit */
  JTask *jt;
  int njt;
  /* profile */
  PTask *pt;
  int npt;
  int current;            /* index of the running task in pt, or -1 */
  double t0, tn;
  uint32_t node;          /* the uuid's first group */
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The json callback's current_time(): utcnow().isoformat() + "Z". */
static RtValue *iso_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char b[64];
  size_t n = strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(b + n, sizeof b - n, ".%06ldZ", ts.tv_nsec / 1000);
  return rt_strz(b);
}

/* An id in the layout of Ansible's get_unique_id: node-counter groups. */
static RtValue *uuid_of(RtReport *r, unsigned kind, long n) {
  char b[64];
  snprintf(b, sizeof b, "%08x-%04x-%04x-%04x-%012lx", r->node, kind, (unsigned)(r->node >> 16) & 0xffff,
           (unsigned)r->node & 0xffff, (unsigned long)n);
  return rt_strz(b);
}

static char *loc_path(const RtRun *run, const RtLoc *loc) {
  if (!loc->file)
    return rt_xstrdup("");
  char *abs = rt_abspath(run, loc->file);
  char *s = rt_xasprintf("%s:%d", abs, (int)loc->line);
  free(abs);
  return s;
}

bool rt_report_open(RtRun *run) {
  RtOptions *o = &run->opt;
  if (!o->out_json && !o->out_junit && !o->profile && !o->timer)
    return true;
  RtReport *r = rt_xcalloc(1, sizeof *r);
  r->stdout_fd = -1;
  r->current = -1;
  r->t0 = r->tn = now();
  r->node = (uint32_t)getpid() ^ (uint32_t)time(NULL) << 8;
  run->report = r;
  /* A file that cannot be written is found before anything runs. */
  const char *files[2] = {o->out_json, o->out_junit};
  for (int i = 0; i < 2; i++) {
    if (!files[i] || !strcmp(files[i], "-"))
      continue;
    int fd = open(files[i], O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) {
      rt_out_error("cannot write the report '%s': %s", files[i], strerror(errno));
      return false;
    }
    close(fd);
  }
  if (o->out_json) {
    r->plays = rt_list_new(4);
    if (!strcmp(o->out_json, "-")) { /* the report replaces the default callback on stdout */
      fflush(stdout);
      r->stdout_fd = dup(1);
      int null = open("/dev/null", O_WRONLY);
      if (r->stdout_fd < 0 || null < 0 || dup2(null, 1) < 0) {
        rt_out_error("cannot redirect stdout for the json report: %s", strerror(errno));
        return false;
      }
      close(null);
    }
  }
  return true;
}

/* profile_tasks' secondsToStr: H:MM:SS.mmm. */
static void hms(char *b, size_t n, double t) {
  long ms = (long)(t * 1000);
  snprintf(b, n, "%ld:%02ld:%02ld.%03ld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

/* profile_tasks' filled(msg): msg, a space, stars to column 79, a space. */
static void filled(const char *msg, char fill) {
  int width = *msg ? 79 - (int)strlen(msg) - 1 : 79;
  if (width < 3)
    width = 3;
  if (*msg)
    printf("%s ", msg);
  for (int i = 0; i < width; i++)
    putchar(fill);
  fputs(" \n", stdout);
}

/* profile_tasks' tasktime(): the date, the time since the last line, the total. */
static void tasktime(RtReport *r) {
  double t = now();
  time_t secs = (time_t)t;
  struct tm tm;
  localtime_r(&secs, &tm);
  char date[96], d1[32], d2[32];
  strftime(date, sizeof date, "%A %d %B %Y  %H:%M:%S %z", &tm);
  hms(d1, sizeof d1, t - r->tn);
  hms(d2, sizeof d2, t - r->t0);
  r->tn = t;
  char *msg = rt_xasprintf("%s (%s)       %s", date, d1, d2);
  filled(msg, '*');
  free(msg);
}

static void profile_stop(RtReport *r) {
  if (r->current >= 0)
    r->pt[r->current].elapsed += now() - r->pt[r->current].started;
  r->current = -1;
}

void rt_report_play(RtRun *run, const RtPlayDef *play) {
  RtReport *r = run->report;
  if (!r)
    return;
  rt_out_lock(run);
  free(r->play_name);
  r->play_name = rt_xstrdup(play->name[0] ? play->name : play->hosts);
  r->task = NULL;
  if (r->plays) {
    RtValue *p = rt_dict_new(4), *d = rt_dict_new(2);
    rt_dict_set(d, "start", iso_now());
    rt_dict_set(p, "duration", d);
    rt_dict_set(p, "id", uuid_of(r, 1, (long)(play - run->prog->plays) + 1));
    rt_dict_set(p, "name", rt_strz(r->play_name));
    char *path = loc_path(run, &play->loc);
    rt_dict_set(p, "path", rt_strz(path));
    free(path);
    RtValue *e = rt_dict_new(2);
    rt_dict_set(e, "play", p);
    rt_dict_set(e, "tasks", rt_list_new(8));
    rt_list_push(r->plays, e);
  }
  pthread_mutex_unlock(&run->out_lock);
}

static JTask *jtask(RtReport *r, const RtTaskDef *t);

void rt_report_task(RtRun *run, const RtTaskDef *t, const char *name) {
  RtReport *r = run->report;
  if (!r || !t)
    return;
  rt_out_lock(run);
  char *path = loc_path(run, &t->loc);
  if (r->plays && r->plays->u.list.len) {
    RtValue *play = r->plays->u.list.items[r->plays->u.list.len - 1];
    RtValue *task = rt_dict_new(4), *d = rt_dict_new(2);
    rt_dict_set(d, "start", iso_now());
    rt_dict_set(task, "duration", d);
    rt_dict_set(task, "id", uuid_of(r, 2, (long)t->id + 1));
    rt_dict_set(task, "name", rt_strz(name));
    rt_dict_set(task, "path", rt_strz(path));
    RtValue *e = rt_dict_new(2);
    rt_dict_set(e, "hosts", rt_dict_new(4));
    rt_dict_set(e, "task", task);
    rt_list_push(rt_dict_get(play, "tasks"), e);
    r->task = e;
  }
  /* a later serial batch runs the same tasks: the junit callback keys its
   * test cases by task (uuid), so the batch's results join the first's */
  if (run->opt.out_junit && !(run->batch_index > 0 && jtask(r, t))) {
    r->jt = rt_xrealloc(r->jt, sizeof *r->jt * (size_t)(r->njt + 1));
    JTask *j = &r->jt[r->njt++];
    memset(j, 0, sizeof *j);
    j->def = t;
    j->name = t->args_text ? rt_xasprintf("%s %s", name, t->args_text) : rt_xstrdup(name);
    j->path = rt_xstrdup(path);
    j->play = rt_xstrdup(r->play_name ? r->play_name : "");
    j->action = t->action;
    j->start = now();
  }
  if (run->opt.profile) {
    tasktime(r);
    profile_stop(r);
    /* every start is a task of its own: an included file's tasks are new
     * tasks at each inclusion, as Ansible loads them anew */
    int k = r->npt++;
    r->pt = rt_xrealloc(r->pt, sizeof *r->pt * (size_t)r->npt);
    r->pt[k] = (PTask){t, rt_xstrdup(name), rt_xstrdup(path), now(), 0};
    r->current = k;
    fflush(stdout);
  }
  free(path);
  pthread_mutex_unlock(&run->out_lock);
}

/* The junit task a result of `t` belongs to: the latest one started for it. */
static JTask *jtask(RtReport *r, const RtTaskDef *t) {
  for (int i = r->njt - 1; i >= 0; i--)
    if (r->jt[i].def == t)
      return &r->jt[i];
  return NULL;
}

static void jhost(JTask *j, const char *host, const char *status, const RtValue *result, const char *included) {
  if (!host && j->nhosts && !j->hosts[j->nhosts - 1].host) { /* include lines of several items */
    struct JHost *x = &j->hosts[j->nhosts - 1];
    char *s = rt_xasprintf("%s\n%s", x->included, included);
    free(x->included);
    x->included = s;
    x->finish = now();
    return;
  }
  j->hosts = rt_xrealloc(j->hosts, sizeof *j->hosts * (size_t)(j->nhosts + 1));
  j->hosts[j->nhosts++] = (struct JHost){host ? rt_xstrdup(host) : NULL, status,
                                         result ? rt_incref((RtValue *)result) : NULL,
                                         included ? rt_xstrdup(included) : NULL, now()};
}

/* strip_internal_keys on a copy: every "_ansible_" key, except the ones
 * callbacks need when `exceptions`. */
static RtValue *strip_internal(const RtValue *v, bool exceptions) {
  if (rt_kind(v) == RT_LIST) {
    RtValue *l = rt_list_new(v->u.list.len);
    for (size_t i = 0; i < v->u.list.len; i++)
      rt_list_push(l, strip_internal(v->u.list.items[i], exceptions));
    return l;
  }
  if (rt_kind(v) != RT_DICT)
    return rt_incref((RtValue *)v);
  static const char *const keep[] = {"_ansible_verbose_always", "_ansible_item_label", "_ansible_no_log",
                                     "_ansible_verbose_override", NULL};
  RtValue *d = rt_dict_new(v->u.dict.len);
  for (size_t i = 0; i < v->u.dict.len; i++) {
    const char *k = v->u.dict.ents[i].key->u.str.s;
    bool drop = !strncmp(k, "_ansible_", 9);
    for (int j = 0; drop && exceptions && keep[j]; j++)
      drop = strcmp(k, keep[j]) != 0;
    if (!drop)
      rt_dict_set(d, k, strip_internal(v->u.dict.ents[i].val, exceptions));
  }
  return d;
}

/* The keys TaskExecutor adds to what a module returns, that the callbacks
 * see: "_ansible_no_log" on a module's result, and on each loop item also
 * "failed" and "_ansible_item_label" (the item unless a label is set). The
 * default callback never prints them, so results carry them only here. */
static RtValue *executor_keys(const RtTaskDef *t, const RtValue *result) {
  RtValue *c = rt_dict_copy(result);
  if (t->kind != RT_TASK_MODULE || rt_dict_get(c, "censored"))
    return c;
  const RtValue *items = rt_dict_get(c, "results");
  if (!t->has_loop || rt_kind(items) != RT_LIST) {
    if (!rt_dict_get(c, "_ansible_no_log"))
      rt_dict_set(c, "_ansible_no_log", rt_bool(false));
    return c;
  }
  RtValue *l = rt_list_new(items->u.list.len);
  for (size_t i = 0; i < items->u.list.len; i++) {
    RtValue *it = items->u.list.items[i];
    if (rt_kind(it) != RT_DICT) {
      rt_list_push(l, rt_incref(it));
      continue;
    }
    RtValue *d = rt_dict_copy(it);
    const RtValue *var = rt_dict_get(d, "ansible_loop_var");
    const RtValue *item = rt_kind(var) == RT_STR ? rt_dict_get(d, var->u.str.s) : NULL;
    if (!rt_dict_get(d, "_ansible_item_label") && item)
      rt_dict_set(d, "_ansible_item_label", rt_incref((RtValue *)item));
    if (!rt_dict_get(d, "_ansible_no_log"))
      rt_dict_set(d, "_ansible_no_log", rt_bool(false));
    if (!rt_dict_get(d, "failed") && !rt_dict_get(d, "skipped"))
      rt_dict_set(d, "failed", rt_bool(false));
    rt_list_push(l, d);
  }
  rt_dict_set(c, "results", l);
  return c;
}

/* TaskResult.clean_copy: what callbacks receive (failed/skipped are the event). */
static RtValue *clean_copy(const RtTaskDef *t, const RtValue *result) {
  RtValue *x = executor_keys(t, result);
  RtValue *c = strip_internal(x, true);
  rt_decref(x);
  RtValue *d = rt_dict_new(c->u.dict.len);
  bool debug = !strcmp(t->action, "debug");
  for (size_t i = 0; i < c->u.dict.len; i++) {
    const char *k = c->u.dict.ents[i].key->u.str.s;
    if (strcmp(k, "failed") && strcmp(k, "skipped") && !(debug && !strcmp(k, "invocation")))
      rt_dict_set(d, k, rt_incref(c->u.dict.ents[i].val));
  }
  rt_decref(c);
  return d;
}

void rt_report_result(RtHost *h, const RtTaskDef *t, const RtValue *result, RtStatus st) {
  RtRun *run = h->run;
  RtReport *r = run->report;
  if (!r || rt_kind(result) != RT_DICT)
    return;
  rt_out_lock(run);
  RtValue *clean = clean_copy(t, result);
  if (r->task) {
    RtValue *copy = rt_dict_copy(clean);
    if (st == RT_STATUS_FAILED || st == RT_STATUS_IGNORED)
      rt_dict_set(copy, "failed", rt_bool(true));
    else if (st == RT_STATUS_SKIPPED)
      rt_dict_set(copy, "skipped", rt_bool(true));
    rt_dict_set(copy, "action", rt_strz(t->action));
    rt_dict_set(rt_dict_get(r->task, "hosts"), h->name, copy);
    RtValue *end = iso_now();
    rt_dict_set(rt_dict_get(rt_dict_get(r->task, "task"), "duration"), "end", rt_incref(end));
    RtValue *play = r->plays->u.list.items[r->plays->u.list.len - 1];
    rt_dict_set(rt_dict_get(rt_dict_get(play, "play"), "duration"), "end", end);
  }
  JTask *j = run->opt.out_junit ? jtask(r, t) : NULL;
  if (j && st != RT_STATUS_UNREACHABLE) {
    /* the callback's _finish_task: an ignored failure counts ok; only a
     * "test case prefix" (none here) or a failure is recorded: all are */
    const char *status = st == RT_STATUS_FAILED ? "failed" : st == RT_STATUS_SKIPPED ? "skipped" : "ok";
    jhost(j, h->name, status, clean, NULL);
  }
  rt_decref(clean);
  pthread_mutex_unlock(&run->out_lock);
}

void rt_report_included(RtRun *run, const RtTaskDef *t, const char *text) {
  RtReport *r = run->report;
  if (!r || !run->opt.out_junit)
    return;
  rt_out_lock(run);
  JTask *j = jtask(r, t);
  if (j)
    jhost(j, NULL, "included", NULL, text);
  pthread_mutex_unlock(&run->out_lock);
}

/* ---- writing ---------------------------------------------------------------- */

/* json.dumps' ensure_ascii: every non-ASCII character as \uXXXX (a pair of
 * surrogates above the BMP). Only strings hold such bytes. */
static void ascii_escape(RtBuf *out, const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
      rt_buf_add(out, s + i, 1);
      i++;
      continue;
    }
    int len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    uint32_t cp = len == 4 ? c & 7u : len == 3 ? c & 15u : len == 2 ? c & 31u : 0xfffdu;
    for (int k = 1; k < len; k++)
      cp = (cp << 6) | ((i + (size_t)k < n ? (unsigned char)s[i + (size_t)k] : 0) & 63u);
    if (i + (size_t)len > n)
      len = (int)(n - i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      rt_buf_printf(out, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else {
      rt_buf_printf(out, "\\u%04x", cp);
    }
    i += (size_t)len;
  }
}

static bool write_text(const char *file, int fd, const char *data, size_t len) {
  bool close_it = false;
  if (fd < 0) {
    fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    close_it = true;
  }
  bool ok = fd >= 0;
  for (size_t off = 0; ok && off < len;) {
    ssize_t w = write(fd, data + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    ok = w > 0;
    off += ok ? (size_t)w : 0;
  }
  if (close_it && fd >= 0 && close(fd) != 0)
    ok = false;
  if (!ok)
    rt_out_warning(NULL, "could not write the report '%s': %s", file, strerror(errno));
  return ok;
}

static RtValue *stats_of(RtRun *run) {
  RtValue *stats = rt_dict_new(8);
  for (int i = 0; i < run->inv.nhosts; i++) {
    RtHost *h = run->hosts[i];
    if (!h || !h->processed)
      continue;
    const RtCounts *c = &h->counts;
    RtValue *s = rt_dict_new(7);
    rt_dict_set(s, "changed", rt_int(c->changed));
    rt_dict_set(s, "failures", rt_int(c->failed));
    rt_dict_set(s, "ignored", rt_int(c->ignored));
    rt_dict_set(s, "ok", rt_int(c->ok));
    rt_dict_set(s, "rescued", rt_int(c->rescued));
    rt_dict_set(s, "skipped", rt_int(c->skipped));
    rt_dict_set(s, "unreachable", rt_int(c->unreachable));
    rt_dict_set(stats, h->name, s);
  }
  return stats;
}

static void write_json(RtRun *run, RtReport *r) {
  RtValue *doc = rt_dict_new(4);
  rt_dict_set(doc, "custom_stats", rt_dict_new(0));
  rt_dict_set(doc, "global_custom_stats", rt_dict_new(0));
  rt_dict_set(doc, "plays", rt_incref(r->plays));
  rt_dict_set(doc, "stats", stats_of(run));
  RtBuf b = {0}, out = {0};
  rt_render_json(&b, doc, 4, true);
  rt_buf_add(&b, "\n", 1);
  ascii_escape(&out, b.data, b.len);
  bool to_stdout = !strcmp(run->opt.out_json, "-");
  write_text(run->opt.out_json, to_stdout ? r->stdout_fd : -1, out.data, out.len);
  rt_buf_free(&b);
  rt_buf_free(&out);
  rt_decref(doc);
}

/* Python str(float): the shortest repr. */
static void py_float(RtBuf *b, double d) {
  RtValue *v = rt_float(d);
  rt_render_str(b, v);
  rt_decref(v);
}

/* minidom's escaping (Python 3.11): & < > and " in text and attributes. */
static void xml_text(RtBuf *b, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&': rt_buf_puts(b, "&amp;"); break;
    case '<': rt_buf_puts(b, "&lt;"); break;
    case '>': rt_buf_puts(b, "&gt;"); break;
    case '"': rt_buf_puts(b, "&quot;"); break;
    default: rt_buf_add(b, s, 1);
    }
  }
}

static void xml_attr(RtBuf *b, const char *k, const char *v) {
  rt_buf_printf(b, " %s=\"", k);
  xml_text(b, v);
  rt_buf_putc(b, '"');
}

/* An element holding text: minidom prints it on one line. */
static void xml_leaf(RtBuf *b, int depth, const char *tag, const char *attrs, const char *text) {
  for (int i = 0; i < depth; i++)
    rt_buf_putc(b, '\t');
  rt_buf_printf(b, "<%s%s", tag, attrs ? attrs : "");
  if (!text) {
    rt_buf_puts(b, "/>\n");
    return;
  }
  rt_buf_putc(b, '>');
  xml_text(b, text);
  rt_buf_printf(b, "</%s>\n", tag);
}

/* CallbackBase._dump_results(result, indent=0) as the junit callback calls it:
 * indent 4 for verbose-always results, else newlines without indent. */
static char *junit_dump(const RtValue *res) {
  RtValue *stripped = strip_internal(res, false), *clean = rt_dict_new(8);
  for (size_t i = 0; i < stripped->u.dict.len; i++) {
    const char *k = stripped->u.dict.ents[i].key->u.str.s;
    if (strcmp(k, "invocation") && strcmp(k, "diff") && strcmp(k, "exception"))
      rt_dict_set(clean, k, rt_incref(stripped->u.dict.ents[i].val));
  }
  RtBuf b = {0};
  rt_render_json(&b, clean, rt_dict_get(res, "_ansible_verbose_always") ? 4 : 0, true);
  rt_decref(clean);
  rt_decref(stripped);
  return b.data ? b.data : rt_xstrdup("");
}

typedef struct JCase {
  RtBuf xml;
  bool failure, error, skipped;
  double time;
} JCase;

static void junit_case(JCase *c, const JTask *j, const struct JHost *x) {
  RtBuf attrs = {0};
  char *name = rt_xasprintf("[%s] %s: %s", x->host ? x->host : "include", j->play, j->name);
  RtBuf tb = {0};
  c->time = x->finish - j->start;
  py_float(&tb, c->time);
  xml_attr(&attrs, "classname", j->path);
  xml_attr(&attrs, "name", name);
  xml_attr(&attrs, "time", tb.data);
  free(name);
  rt_buf_free(&tb);
  RtBuf *b = &c->xml;
  if (!strcmp(x->status, "included") || !strcmp(x->status, "ok")) {
    char *dump = x->included ? rt_xstrdup(x->included) : junit_dump(x->result);
    rt_buf_printf(b, "\t\t<testcase%s>\n", attrs.data);
    xml_leaf(b, 3, "system-out", NULL, dump);
    rt_buf_puts(b, "\t\t</testcase>\n");
    free(dump);
  } else if (!strcmp(x->status, "skipped")) {
    const RtValue *why = rt_dict_get(x->result, "skip_reason");
    RtBuf m = {0};
    if (why)
      rt_render_str(&m, why);
    c->skipped = true;
    rt_buf_printf(b, "\t\t<testcase%s>\n", attrs.data);
    xml_leaf(b, 3, "skipped", NULL, why ? m.data : "skipped");
    rt_buf_puts(b, "\t\t</testcase>\n");
    rt_buf_free(&m);
  } else { /* failed */
    const RtValue *exc = rt_dict_get(x->result, "exception"), *msg = rt_dict_get(x->result, "msg");
    RtBuf m = {0}, a = {0};
    char *out;
    const char *tag;
    if (exc) {
      RtBuf e = {0};
      rt_render_str(&e, exc);
      out = e.data ? e.data : rt_xstrdup("");
      /* message: the exception's last line, stripped */
      size_t n = strlen(out);
      while (n && strchr(" \t\n\r", out[n - 1]))
        n--;
      size_t s = n;
      while (s && out[s - 1] != '\n')
        s--;
      while (s < n && strchr(" \t", out[s]))
        s++;
      rt_buf_add(&m, out + s, n - s);
      tag = "error";
      c->error = true;
    } else {
      out = junit_dump(x->result);
      if (msg) {
        rt_render_str(&m, msg);
      } else {
        const RtValue *rc = rt_dict_get(x->result, "rc");
        rt_buf_puts(&m, "rc=");
        if (rc)
          rt_render_str(&m, rc);
        else
          rt_buf_puts(&m, "0");
      }
      tag = "failure";
      c->failure = true;
    }
    xml_attr(&a, "message", m.data ? m.data : "");
    xml_attr(&a, "type", tag);
    rt_buf_printf(b, "\t\t<testcase%s>\n", attrs.data);
    xml_leaf(b, 3, tag, a.data, out);
    rt_buf_puts(b, "\t\t</testcase>\n");
    free(out);
    rt_buf_free(&m);
    rt_buf_free(&a);
  }
  rt_buf_free(&attrs);
}

/* Decimal(float) as Python prints it: the double's exact decimal value. */
static void py_decimal(RtBuf *b, double d) {
  char s[1100];
  snprintf(s, sizeof s, "%.1074f", d);
  char *dot = strchr(s, '.');
  if (dot) {
    char *e = s + strlen(s);
    while (e > dot + 1 && e[-1] == '0')
      e--;
    if (e == dot + 1)
      e = dot; /* an integral value prints without a point */
    *e = 0;
  }
  rt_buf_puts(b, s);
}

static void write_junit(RtRun *run, RtReport *r) {
  JCase *cases = NULL;
  int n = 0, fails = 0, errors = 0, skips = 0;
  double total = 0;
  for (int i = 0; i < r->njt; i++)
    for (int k = 0; k < r->jt[i].nhosts; k++) {
      cases = rt_xrealloc(cases, sizeof *cases * (size_t)(n + 1));
      memset(&cases[n], 0, sizeof cases[n]);
      junit_case(&cases[n], &r->jt[i], &r->jt[i].hosts[k]);
      fails += cases[n].failure;
      errors += cases[n].error;
      skips += cases[n].skipped;
      total += cases[n].time;
      n++;
    }
  /* the suite is named after the playbook file, without folder or extension */
  const char *pb = run->prog->playbook ? run->prog->playbook : "playbook";
  const char *base = strrchr(pb, '/') ? strrchr(pb, '/') + 1 : pb;
  char *suite = rt_xstrdup(base), *ext = strrchr(suite, '.');
  if (ext && ext != suite)
    *ext = 0;
  RtBuf b = {0}, tb = {0};
  py_decimal(&tb, total);
  rt_buf_puts(&b, "<?xml version=\"1.0\" ?>\n");
  rt_buf_printf(&b, "<testsuites disabled=\"0\" errors=\"%d\" failures=\"%d\" tests=\"%d\" time=\"%s\">\n", errors,
                fails, n, tb.data);
  rt_buf_printf(&b, "\t<testsuite disabled=\"0\" errors=\"%d\" failures=\"%d\"", errors, fails);
  xml_attr(&b, "name", suite);
  rt_buf_printf(&b, " skipped=\"%d\" tests=\"%d\" time=\"%s\"", skips, n, tb.data);
  if (n) {
    rt_buf_puts(&b, ">\n");
    for (int i = 0; i < n; i++) {
      rt_buf_add(&b, cases[i].xml.data, cases[i].xml.len);
      rt_buf_free(&cases[i].xml);
    }
    rt_buf_puts(&b, "\t</testsuite>\n");
  } else {
    rt_buf_puts(&b, "/>\n");
  }
  rt_buf_puts(&b, "</testsuites>\n");
  write_text(run->opt.out_junit, -1, b.data, b.len);
  rt_buf_free(&b);
  rt_buf_free(&tb);
  free(cases);
  free(suite);
}

static int cmp_elapsed(const void *a, const void *b) {
  const PTask *x = a, *y = b;
  return x->elapsed < y->elapsed ? 1 : x->elapsed > y->elapsed ? -1 : 0;
}

/* profile_tasks at the recap: a time line, a rule, the 20 slowest tasks. */
static void write_profile(RtRun *run, RtReport *r) {
  tasktime(r);
  filled("", '=');
  profile_stop(r);
  PTask *sorted = rt_xcalloc((size_t)r->npt + 1, sizeof *sorted);
  memcpy(sorted, r->pt, sizeof *sorted * (size_t)r->npt);
  /* Python's sort is stable: equal times keep their order */
  for (int i = 1; i < r->npt; i++)
    for (int k = i; k > 0 && cmp_elapsed(&sorted[k - 1], &sorted[k]) > 0; k--) {
      PTask t = sorted[k];
      sorted[k] = sorted[k - 1];
      sorted[k - 1] = t;
    }
  for (int i = 0; i < r->npt && i < 20; i++) {
    char secs[48];
    snprintf(secs, sizeof secs, " %.2fs", sorted[i].elapsed);
    RtBuf line = {0};
    rt_buf_printf(&line, "%s ", sorted[i].name);
    while (line.len < 70)
      rt_buf_putc(&line, '-');
    for (size_t k = strlen(secs); k < 9; k++)
      rt_buf_putc(&line, '-');
    rt_buf_puts(&line, secs);
    printf("%s\n", line.data);
    if (run->opt.verbosity >= 2) {
      RtBuf p = {0};
      rt_buf_printf(&p, "%s ", sorted[i].path);
      while (p.len < 79)
        rt_buf_putc(&p, '-');
      printf("%s\n", p.data);
      rt_buf_free(&p);
    }
    rt_buf_free(&line);
  }
  fflush(stdout);
  free(sorted);
}

/* ansible.posix.timer at the recap: the run's time, whole seconds. */
static void write_timer(RtReport *r) {
  long secs = (long)(now() - r->t0);
  printf("Playbook run took %ld days, %ld hours, %ld minutes, %ld seconds\n", secs / 86400, secs % 86400 / 3600,
         secs % 3600 / 60, secs % 60);
  fflush(stdout);
}

void rt_report_finish(RtRun *run) {
  RtReport *r = run->report;
  if (!r)
    return;
  rt_out_lock(run);
  if (run->opt.timer == 2)
    write_timer(r);
  if (run->opt.profile)
    write_profile(run, r);
  if (run->opt.timer == 1)
    write_timer(r);
  if (r->plays)
    write_json(run, r);
  if (run->opt.out_junit)
    write_junit(run, r);
  pthread_mutex_unlock(&run->out_lock);
}

void rt_report_free(RtRun *run) {
  RtReport *r = run->report;
  if (!r)
    return;
  if (r->stdout_fd >= 0) {
    fflush(stdout);
    dup2(r->stdout_fd, 1);
    close(r->stdout_fd);
  }
  rt_decref(r->plays);
  free(r->play_name);
  for (int i = 0; i < r->njt; i++) {
    for (int k = 0; k < r->jt[i].nhosts; k++) {
      free(r->jt[i].hosts[k].host);
      rt_decref(r->jt[i].hosts[k].result);
      free(r->jt[i].hosts[k].included);
    }
    free(r->jt[i].hosts);
    free(r->jt[i].name);
    free(r->jt[i].path);
    free(r->jt[i].play);
  }
  free(r->jt);
  for (int i = 0; i < r->npt; i++) {
    free(r->pt[i].name);
    free(r->pt[i].path);
  }
  free(r->pt);
  free(r);
  run->report = NULL;
}
