/*
 * async_status.c — the `async`/`poll` task keywords and the async_status
 * module, over the job files of Ansible's async wrapper (~/.ansible_async/JID
 * on the target: {"started": 1, "finished": 0, ...} while the job runs, then
 * the module's JSON result, or {"msg": "Timeout exceeded", ...} once the
 * job's time limit killed it), so either tool's async_status reads the
 * other's jobs.
 *
 * Starting a job (mod_async_start, called by command/shell with their
 * script) is one request: it writes the "started" file and launches the
 * script under setsid, detached from the connection, as a /bin/sh of its own
 * that carries the target prelude. The job captures the script's stdout and
 * stderr in files beside the status file, and awk (POSIX, on every target)
 * writes the JSON result the command module would have returned. A watchdog
 * in the job's process group (a loop of 1 s sleeps, gone within a second of
 * the job) writes Ansible's timeout result and kills the group on the async
 * wrapper's schedule.
 * Polling (mod_async_poll) is one async_status request per `poll` seconds,
 * as TaskExecutor._poll_async_result does, and one cleanup when it finished.
 *
 * async_status itself: one request reads the file (or removes it,
 * mode=cleanup); the controller parses the JSON and answers as the action
 * and module together do.
 */
#include "mod.h"

static const ModParam async_status_params[] = {
    {.name = "jid", .type = MP_STR, .required = true},
    {.name = "mode", .type = MP_STR, .choices = "status,cleanup", .def = "status"},
};
const ModSchema mod_schema_async_status = {
    .name = "async_status",
    .params = async_status_params,
    .nparams = MOD_N(async_status_params),
    .check_mode = false,
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

#define ASYNC_DIR "~/.ansible_async"

/* The action's part of the result (before the module's is merged in). */
static RtValue *action_result(const char *jid, bool cleanup) {
  RtValue *r = rt_dict_new(12);
  rt_dict_set(r, "started", rt_int(cleanup ? 0 : 1));
  rt_dict_set(r, "finished", rt_int(0));
  rt_dict_set(r, "stdout", rt_strz(""));
  rt_dict_set(r, "stderr", rt_strz(""));
  rt_dict_set(r, "stdout_lines", rt_list_new(0));
  rt_dict_set(r, "stderr_lines", rt_list_new(0));
  rt_dict_set(r, "ansible_job_id", rt_strz(jid));
  char *p = rt_xasprintf(ASYNC_DIR "/%s", jid);
  rt_dict_set(r, cleanup ? "erased" : "results_file", rt_str_take(p, strlen(p)));
  return r;
}

/* merge_hash(action, module): the module's keys win. Takes `mod`. */
static RtValue *merge(RtValue *r, RtValue *mod) {
  for (size_t i = 0; i < mod->u.dict.len; i++)
    rt_dict_set(r, mod->u.dict.ents[i].key->u.str.s, rt_incref(mod->u.dict.ents[i].val));
  rt_decref(mod);
  return r;
}

RtValue *mod_async_status(RtHost *h, RtValue *args) {
  char *jid = mod_arg_str(args, "jid"), *mode = mod_arg_str(args, "mode");
  bool cleanup = mode && strcmp(mode, "cleanup") == 0;
  RtValue *r = action_result(jid ? jid : "", cleanup), *m = NULL;
  RtBuf s = {0};
  rt_buf_puts(&s, "__playc_v=" ASYNC_DIR "; __playc_user; d=$__playc_v\n");
  mod_sh_set(&s, "j", jid ? jid : "");
  rt_buf_printf(&s, "f=$d/$j; __playc_rec path \"$f\"\n"
                    "[ %d = 0 ] || exit 0\n"
                    "[ -e \"$f\" ] || { __playc_rec missing 1; exit 0; }\n"
                    "%s\n",
                h->check_mode ? 1 : 0, cleanup ? "rm -f -- \"$f\"" : "t=$(cat -- \"$f\" 2>/dev/null; echo x); __playc_rec text \"${t%x}\"");
  RtExec ex;
  int rc = mod_sh_exec(h, &s, &ex);
  if (rc < 0) {
    rt_decref(r);
    r = NULL;
    goto out;
  }
  const char *path = mod_rec(&ex, "path") ? mod_rec(&ex, "path") : "";
  rt_dict_set(r, cleanup ? "erased" : "results_file", rt_strz(path)); /* the action's, expanded */
  m = rt_dict_new(6);
  if (h->check_mode) { /* the module is skipped; the action still answers */
    rt_decref(m);
    m = mod_check_skip("ansible.legacy.async_status");
  } else if (mod_rec(&ex, "missing")) {
    rt_dict_set(m, "failed", rt_bool(true));
    rt_dict_set(m, "msg", rt_strz("could not find job"));
    rt_dict_set(m, "ansible_job_id", rt_strz(jid));
    rt_dict_set(m, "started", rt_int(1));
    rt_dict_set(m, "finished", rt_int(1));
  } else if (cleanup) {
    rt_dict_set(m, "ansible_job_id", rt_strz(jid));
    rt_dict_set(m, "erased", rt_strz(path));
  } else {
    const char *text = mod_rec(&ex, "text") ? mod_rec(&ex, "text") : "";
    char *perr = NULL;
    RtValue *data = *text ? rt_parse_json(text, strlen(text), &perr) : NULL;
    free(perr);
    if (!data || rt_kind(data) != RT_DICT) {
      if (data && rt_kind(data) != RT_DICT) { /* parsed, but not a result: Ansible fails */
        RtBuf b = {0};
        rt_render_str(&b, data);
        char *msg = rt_xasprintf("Could not parse job output: %s", b.data ? b.data : "");
        rt_dict_set(m, "failed", rt_bool(true));
        rt_dict_set(m, "msg", rt_str_take(msg, strlen(msg)));
        rt_dict_set(m, "finished", rt_int(1));
        rt_buf_free(&b);
      } else {
        rt_dict_set(m, "finished", rt_int(0));
      }
      rt_dict_set(m, "results_file", rt_strz(path));
      rt_dict_set(m, "ansible_job_id", rt_strz(jid));
      rt_dict_set(m, "started", rt_int(1));
    } else {
      rt_decref(m);
      m = rt_dict_copy(data);
      if (!rt_dict_get(m, "started")) {
        rt_dict_set(m, "finished", rt_int(1));
        rt_dict_set(m, "ansible_job_id", rt_strz(jid));
      } else if (!rt_dict_get(m, "finished")) {
        rt_dict_set(m, "finished", rt_int(0));
      }
    }
    rt_decref(data);
  }
  rt_exec_free(&ex);
  /* _execute_module adds the lines of the module's own stdout/stderr */
  static const char *const streams[] = {"stdout", "stderr"};
  for (int i = 0; i < 2; i++) {
    RtValue *v = rt_dict_get(m, streams[i]);
    char key[16];
    snprintf(key, sizeof key, "%s_lines", streams[i]);
    if (v && rt_kind(v) == RT_STR && !rt_dict_get(m, key))
      rt_dict_set(m, key, mod_lines(v->u.str.s, v->u.str.len));
  }
  r = merge(r, m);
out:
  free(jid);
  free(mode);
  return r;
}

/* ---- async jobs ------------------------------------------------------------------ */

/* The job: $1 the status file, $2 the watchdog's seconds, $3 the result's
 * first keys (JSON text made on the controller), $4 "setsid" when the job
 * leads a process group of its own (then the watchdog kills the group, else
 * the job's shell only); the command script follows. */
static const char job_head[] =
    "__playc_rec() { :; }\n"
    "f=$1\n"
    "( n=$2; while [ \"$n\" -gt 0 ]; do sleep 1; kill -0 $$ 2>/dev/null || exit 0; n=$((n - 1)); done\n"
    "  printf '{\"msg\": \"Timeout exceeded\", \"failed\": true, \"child_pid\": %s}' \"$$\" >\"$f.tmp\" &&\n"
    "  mv -f -- \"$f.tmp\" \"$f\"; rm -f -- \"$f.o\" \"$f.e\"\n"
    "  if [ \"$4\" = setsid ]; then kill -KILL 0; else kill -KILL $$; fi ) &\n"
    "t0=$(date '+%s %N %Y-%m-%d %H:%M:%S')\n"
    "(\n";

/* The result, by awk: stdout and stderr as the command module strips and
 * json.dumps escapes them, the start/end stamps and delta as Python prints
 * datetime and timedelta. */
static const char job_tail[] =
    "\n) >\"$f.o\" 2>\"$f.e\" </dev/null\n"
    "rc=$?\n"
    "t1=$(date '+%s %N %Y-%m-%d %H:%M:%S')\n"
    "P=$3 O=$f.o E=$f.e T0=$t0 T1=$t1 RC=$rc LC_ALL=C awk '\n"
    "BEGIN { for (i = 1; i < 32; i++) ord[sprintf(\"%c\", i)] = i\n"
    "  so = slurp(ENVIRON[\"O\"]); se = slurp(ENVIRON[\"E\"]); rc = ENVIRON[\"RC\"] + 0\n"
    "  split(ENVIRON[\"T0\"], a, \" \"); split(ENVIRON[\"T1\"], b, \" \"); ua = us(a[2]); ub = us(b[2])\n"
    "  d = (b[1] - a[1]) * 1000000 + ub - ua; if (d < 0) d = 0\n"
    "  dl = sprintf(\"%d:%02d:%02d\", int(d / 3600000000), int(d / 60000000) % 60, int(d / 1000000) % 60)\n"
    "  if (d % 1000000) dl = dl sprintf(\".%06d\", d % 1000000)\n"
    "  printf \"%s, \\\"stdout\\\": \\\"%s\\\", \\\"stderr\\\": \\\"%s\\\", \\\"rc\\\": %d\", ENVIRON[\"P\"], so, se, rc\n"
    "  printf \", \\\"start\\\": \\\"%s\\\", \\\"end\\\": \\\"%s\\\", \\\"delta\\\": \\\"%s\\\"\", stamp(a, ua), stamp(b, ub), dl\n"
    "  printf \", \\\"msg\\\": \\\"%s\\\"%s}\", rc ? \"non-zero return code\" : \"\", rc ? \", \\\"failed\\\": true\" : \"\"\n"
    "}\n"
    "function us(n) { return n ~ /^[0-9]+$/ ? int(substr(n \"000000\", 1, 6)) : 0 }\n"
    "function stamp(t, u) { return t[3] \" \" t[4] (u ? sprintf(\".%06d\", u) : \"\") }\n"
    "function slurp(file,   n, l, s, i) {\n"
    "  n = 0; while ((getline l < file) > 0) line[++n] = l; close(file)\n"
    "  while (n > 0) { sub(/\\r+$/, \"\", line[n]); if (line[n] == \"\") n--; else break }\n"
    "  s = \"\"; for (i = 1; i <= n; i++) s = s (i > 1 ? \"\\\\n\" : \"\") esc(line[i]); return s\n"
    "}\n"
    "function esc(s,   i, c, r) {\n"
    "  if (s !~ /[\\\\\"\\001-\\037]/) return s\n"
    "  r = \"\"; for (i = 1; i <= length(s); i++) { c = substr(s, i, 1)\n"
    "    if (c == \"\\\\\") r = r \"\\\\\\\\\"; else if (c == \"\\\"\") r = r \"\\\\\\\"\"\n"
    "    else if (c == \"\\t\") r = r \"\\\\t\"; else if (c == \"\\r\") r = r \"\\\\r\"\n"
    "    else if (c in ord) r = r sprintf(\"\\\\u%04x\", ord[c]); else r = r c }\n"
    "  return r\n"
    "}' >\"$f.tmp\" && mv -f -- \"$f.tmp\" \"$f\"\n"
    "rm -f -- \"$f.o\" \"$f.e\"\n";

/* Ansible's wrapper checks its job every 5 s after a first 5 s wait, and
 * kills it at the first check past the limit. */
static int64_t watchdog_seconds(int64_t limit) {
  return 5 + 5 * ((limit + 4) / 5);
}

RtValue *mod_async_start(RtHost *h, const char *script, const RtValue *cmd) {
  char digits[32]; /* Ansible's jid: "j", up to 12 random decimal digits, ".", a pid */
  rt_random_hex(digits, 6);
  for (int i = 0; i < 12; i++)
    digits[i] = (char)('0' + (digits[i] <= '9' ? digits[i] - '0' : digits[i] - 'a' + 10) % 10);
  RtBuf job = {0}, pre = {0}, s = {0};
  rt_buf_puts(&job, rt_target_prelude);
  rt_buf_puts(&job, job_head);
  rt_buf_puts(&job, script);
  rt_buf_puts(&job, job_tail);
  rt_buf_puts(&pre, "{\"changed\": true, \"cmd\": ");
  rt_render_json(&pre, cmd, -1, false);
  rt_buf_puts(&s, "__playc_v=" ASYNC_DIR "; __playc_user; d=$__playc_v\n");
  const char *d0 = digits;
  while (*d0 == '0' && d0[1])
    d0++;
  rt_buf_printf(&s, "j=j%s.$$; f=$d/$j\n", d0);
  rt_buf_puts(&s, "mkdir -p -- \"$d\" 2>/dev/null\n"
                  "printf '{\"started\": 1, \"finished\": 0, \"ansible_job_id\": \"%s\"}' \"$j\" >\"$f.tmp\" &&\n"
                  "  mv -f -- \"$f.tmp\" \"$f\" || { __playc_rec nodir \"$d\"; exit 1; }\n"
                  "__playc_rec jid \"$j\"; __playc_rec path \"$f\"\n");
  mod_sh_set(&s, "J", job.data);
  mod_sh_set(&s, "P", pre.data);
  rt_buf_printf(&s, "S=; command -v setsid >/dev/null 2>&1 && S=setsid\n"
                    "$S /bin/sh -c \"$J\" playc-async \"$f\" %lld \"$P\" \"$S\" </dev/null >/dev/null 2>&1 &\n",
                (long long)watchdog_seconds(h->async_limit));
  rt_buf_free(&job);
  rt_buf_free(&pre);
  RtExec ex;
  int rc = mod_sh_exec(h, &s, &ex);
  if (rc < 0)
    return NULL;
  RtValue *r;
  if (!mod_rec(&ex, "jid")) {
    r = mod_fail_result("could not create directory: %s", mod_rec(&ex, "nodir") ? mod_rec(&ex, "nodir") : "");
  } else {
    r = rt_dict_new(6);
    rt_dict_set(r, "failed", rt_int(0));
    rt_dict_set(r, "started", rt_int(1));
    rt_dict_set(r, "finished", rt_int(0));
    rt_dict_set(r, "ansible_job_id", rt_strz(mod_rec(&ex, "jid")));
    rt_dict_set(r, "results_file", rt_strz(mod_rec(&ex, "path")));
    rt_dict_set(r, "changed", rt_bool(true));
  }
  rt_exec_free(&ex);
  return r;
}

/* What the default callback prints of a value: Python's str(). */
static char *py_str(const RtValue *v) {
  RtBuf b = {0};
  if (v)
    rt_render_str(&b, v);
  else
    rt_buf_puts(&b, "None");
  return b.data ? b.data : rt_xstrdup("");
}

static void async_line(RtHost *h, const char *what, const RtValue *r, bool poll) {
  const RtValue *jid = rt_dict_get(r, "ansible_job_id");
  const RtValue *ar = rt_dict_get(r, "async_result");
  if (!jid && ar && rt_kind(ar) == RT_DICT)
    jid = rt_dict_get(ar, "ansible_job_id");
  char *j = py_str(jid);
  rt_out_lock(h->run);
  if (poll) {
    char *st = py_str(rt_dict_get(r, "started")), *fi = py_str(rt_dict_get(r, "finished"));
    printf("ASYNC POLL on %s: jid=%s started=%s finished=%s\n", h->name, j, st, fi);
    free(st);
    free(fi);
  } else {
    printf("ASYNC %s on %s: jid=%s\n", what, h->name, j);
  }
  fflush(stdout);
  pthread_mutex_unlock(&h->run->out_lock);
  free(j);
}

static bool is_finished(const RtValue *r) {
  const RtValue *f = rt_dict_get(r, "finished");
  return f && ((rt_kind(f) == RT_INT && f->u.i == 1) || (rt_kind(f) == RT_BOOL && f->u.b));
}

RtValue *mod_async_poll(RtHost *h, RtValue *started, int64_t limit, int64_t poll) {
  const RtValue *jv = rt_dict_get(started, "ansible_job_id");
  if (!jv || rt_kind(jv) != RT_STR) {
    rt_decref(started);
    return mod_fail_result("No job id was returned by the async task");
  }
  RtValue *args = rt_dict_new(2);
  rt_dict_set(args, "jid", rt_incref((RtValue *)jv));
  RtValue *st = NULL;
  for (int64_t left = limit; left > 0; left -= poll) {
    if (!rt_sleep((double)poll))
      goto lost;
    rt_decref(st);
    if (!(st = mod_async_status(h, args)))
      goto lost;
    if (is_finished(st) || rt_dict_get(st, "failed") || rt_dict_get(st, "skipped"))
      break;
    async_line(h, NULL, st, true);
  }
  RtValue *r;
  if (!st || !is_finished(st)) {
    r = mod_fail_result("async task did not complete within the requested time - %llds", (long long)limit);
    if (st)
      rt_dict_set(r, "async_result", st);
    st = NULL;
  } else {
    r = st;
    st = NULL;
    rt_dict_set(args, "mode", rt_strz("cleanup"));
    RtValue *c = mod_async_status(h, args);
    if (!c) {
      rt_decref(r);
      r = NULL;
      goto out;
    }
    rt_decref(c);
  }
  const RtValue *failed = rt_dict_get(r, "failed");
  async_line(h, failed && rt_truth((RtValue *)failed, NULL) == 1 ? "FAILED" : "OK", r, false);
  goto out;
lost:
  rt_decref(st);
  r = NULL;
out:
  rt_decref(args);
  rt_decref(started);
  return r;
}

#endif
