/*
 * stat.c — the stat module in one request: the target's stat(1) gives the
 * raw mode, ids, sizes, inode, device, link count and nanosecond times in
 * one call (the times become Python's float st_atime/st_mtime/st_ctime),
 * test(1) gives readable/writeable/executable as os.access, and the
 * checksum (sha1sum and its family), file(1)'s MIME type and lsattr's flags
 * are asked for only when wanted and when the tool is there, as Ansible's
 * module does. The result keys are format_output's, with the Linux extras
 * (blocks, block_size, device_type).
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam stat_params[] = {
    {.name = "path", .type = MP_PATH, .required = true, .aliases = "dest,name"},
    {.name = "follow", .type = MP_BOOL, .def = "no"},
    {.name = "get_checksum", .type = MP_BOOL, .def = "yes"},
    {.name = "checksum_algorithm", .type = MP_STR, .aliases = "checksum,checksum_algo",
     .choices = "md5,sha1,sha224,sha256,sha384,sha512", .def = "sha1"},
    {.name = "get_mime", .type = MP_BOOL, .aliases = "mime,mime_type,mime-type", .def = "yes"},
    {.name = "get_attributes", .type = MP_BOOL, .aliases = "attr,attributes", .def = "yes"},
    {.name = "get_md5", .type = MP_BOOL, .def = "no"}, /* undocumented, still accepted by 2.14 */
};
const ModSchema mod_schema_stat = {
    .name = "stat",
    .params = stat_params,
    .nparams = MOD_N(stat_params),
    .free_form = true,
    .tools = "stat,realpath,readlink,sha1sum,file,lsattr",
    .check_mode = true};

#ifndef MOD_SCHEMA_ONLY

/* lsattr's letters and Ansible's names for them (FILE_ATTRIBUTES) */
static const char *attr_name(char c) {
  static const char *const names[][2] = {
      {"A", "noatime"}, {"a", "append"},    {"c", "compressed"}, {"C", "nocow"},      {"d", "nodump"},
      {"D", "dirsync"}, {"e", "extents"},   {"E", "encrypted"},  {"h", "blocksize"},  {"i", "immutable"},
      {"I", "indexed"}, {"j", "journalled"}, {"N", "inline"},    {"s", "zero"},       {"S", "synchronous"},
      {"t", "notail"},  {"T", "blockroot"}, {"u", "undelete"},   {"X", "compressedraw"}, {"Z", "compresseddirty"}};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (names[i][0][0] == c)
      return names[i][1];
  return NULL;
}

static void script(RtBuf *s, const char *path, bool follow, bool checksum, const char *algo, bool md5, bool mime,
                   bool attrs) {
  mod_sh_set_path(s, "p", path);
  rt_buf_puts(s, "__playc_rec p \"$p\"\n");
  const char *L = follow ? "-L " : "";
  if (follow)
    rt_buf_puts(s, "[ -e \"$p\" ] || { __playc_rec exists 0; exit 0; }\n");
  else
    rt_buf_puts(s, "[ -e \"$p\" ] || [ -L \"$p\" ] || { __playc_rec exists 0; exit 0; }\n");
  rt_buf_printf(s,
                "st=$(stat %s-c '%%f %%u %%g %%s %%i %%d %%h %%.9X %%.9Y %%.9Z %%b %%B %%o %%t %%T %%U %%G' -- "
                "\"$p\") || exit 1\n"
                "__playc_rec st \"$st\"\n"
                "[ -r \"$p\" ] && __playc_rec readable 1\n"
                "[ -w \"$p\" ] && __playc_rec writeable 1\n"
                "[ -x \"$p\" ] && __playc_rec executable 1\n",
                L);
  if (!follow)
    rt_buf_puts(s, "if [ -L \"$p\" ]; then __playc_rec lnk_source \"$(realpath -m -- \"$p\")\"; "
                   "__playc_rec lnk_target \"$(readlink -- \"$p\")\"; fi\n");
  /* checksums of a readable regular file */
  if (md5 || checksum) {
    rt_buf_printf(s, "if [ -r \"$p\" ] && { [ -f \"$p\" ] && %s; }; then\n", follow ? "true" : "[ ! -L \"$p\" ]");
    if (md5)
      rt_buf_puts(s, "  set -- $(md5sum < \"$p\") && __playc_rec md5 \"$1\"\n");
    if (checksum)
      rt_buf_printf(s, "  set -- $(%ssum < \"$p\") && __playc_rec checksum \"$1\"\n", algo);
    rt_buf_puts(s, "fi\n");
  }
  if (mime)
    rt_buf_puts(s, "if command -v file >/dev/null 2>&1; then m=$(file --mime-type --mime-encoding -- \"$p\" "
                   "2>/dev/null) && __playc_rec mime \"$m\"; fi\n");
  if (attrs)
    rt_buf_puts(s, "if command -v lsattr >/dev/null 2>&1; then a=$(lsattr -vd -- \"$p\" 2>/dev/null) && "
                   "__playc_rec lsattr \"$a\"; fi\n");
}

/* Python's float st_?time from "SEC.NANOSEC" */
static RtValue *time_value(const char *t) {
  long long sec = strtoll(t, NULL, 10), ns = 0;
  const char *dot = strchr(t, '.');
  if (dot)
    ns = strtoll(dot + 1, NULL, 10);
  return rt_float((double)sec + (double)ns * 1e-9);
}

static void put_bool(RtValue *d, const char *k, bool b) { rt_dict_set(d, k, rt_bool(b)); }

/* format_output and the rest of main()'s keys */
static RtValue *stat_dict(const RtExec *ex, const char *path, bool mime, bool attrs) {
  char f[16][64] = {{0}};
  char owner[256] = "", group[256] = "";
  sscanf(mod_rec(ex, "st"), "%63s %63s %63s %63s %63s %63s %63s %63s %63s %63s %63s %63s %63s %63s %63s %255s %255s",
         f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[14], owner, group);
  unsigned long mode = strtoul(f[0], NULL, 16);
  RtValue *d = rt_dict_new(48);
  rt_dict_set(d, "exists", rt_bool(true));
  rt_dict_set(d, "path", rt_strz(path));
  char m[16];
  snprintf(m, sizeof m, "%04lo", mode & 07777);
  rt_dict_set(d, "mode", rt_strz(m));
  put_bool(d, "isdir", S_ISDIR(mode));
  put_bool(d, "ischr", S_ISCHR(mode));
  put_bool(d, "isblk", S_ISBLK(mode));
  put_bool(d, "isreg", S_ISREG(mode));
  put_bool(d, "isfifo", S_ISFIFO(mode));
  put_bool(d, "islnk", S_ISLNK(mode));
  put_bool(d, "issock", S_ISSOCK(mode));
  rt_dict_set(d, "uid", rt_int(strtoll(f[1], NULL, 10)));
  rt_dict_set(d, "gid", rt_int(strtoll(f[2], NULL, 10)));
  rt_dict_set(d, "size", rt_int(strtoll(f[3], NULL, 10)));
  rt_dict_set(d, "inode", rt_int(strtoll(f[4], NULL, 10)));
  rt_dict_set(d, "dev", rt_int(strtoll(f[5], NULL, 10)));
  rt_dict_set(d, "nlink", rt_int(strtoll(f[6], NULL, 10)));
  rt_dict_set(d, "atime", time_value(f[7]));
  rt_dict_set(d, "mtime", time_value(f[8]));
  rt_dict_set(d, "ctime", time_value(f[9]));
  put_bool(d, "wusr", mode & S_IWUSR);
  put_bool(d, "rusr", mode & S_IRUSR);
  put_bool(d, "xusr", mode & S_IXUSR);
  put_bool(d, "wgrp", mode & S_IWGRP);
  put_bool(d, "rgrp", mode & S_IRGRP);
  put_bool(d, "xgrp", mode & S_IXGRP);
  put_bool(d, "woth", mode & S_IWOTH);
  put_bool(d, "roth", mode & S_IROTH);
  put_bool(d, "xoth", mode & S_IXOTH);
  put_bool(d, "isuid", mode & S_ISUID);
  put_bool(d, "isgid", mode & S_ISGID);
  rt_dict_set(d, "blocks", rt_int(strtoll(f[10], NULL, 10)));
  rt_dict_set(d, "block_size", rt_int(strtoll(f[12], NULL, 10)));
  unsigned long maj = strtoul(f[13], NULL, 16), min = strtoul(f[14], NULL, 16);
  rt_dict_set(d, "device_type", rt_int((int64_t)makedev(maj, min)));
  put_bool(d, "readable", mod_rec(ex, "readable"));
  put_bool(d, "writeable", mod_rec(ex, "writeable"));
  put_bool(d, "executable", mod_rec(ex, "executable"));
  if (mod_rec(ex, "lnk_source")) {
    rt_dict_set(d, "lnk_source", rt_strz(mod_rec(ex, "lnk_source")));
    rt_dict_set(d, "lnk_target", rt_strz(mod_rec(ex, "lnk_target") ? mod_rec(ex, "lnk_target") : ""));
  }
  if (strcmp(owner, "UNKNOWN") != 0)
    rt_dict_set(d, "pw_name", rt_strz(owner));
  if (strcmp(group, "UNKNOWN") != 0)
    rt_dict_set(d, "gr_name", rt_strz(group));
  if (mod_rec(ex, "md5"))
    rt_dict_set(d, "md5", rt_strz(mod_rec(ex, "md5")));
  if (mod_rec(ex, "checksum"))
    rt_dict_set(d, "checksum", rt_strz(mod_rec(ex, "checksum")));
  if (mime) {
    const char *out = mod_rec(ex, "mime"), *colon = out ? strrchr(out, ':') : NULL;
    const char *semi = colon ? strchr(colon, ';') : NULL, *eq = semi ? strchr(semi, '=') : NULL;
    if (eq) { /* out.rsplit(':', 1)[1].split(';') */
      const char *a = colon + 1, *b = semi;
      while (a < b && *a == ' ')
        a++;
      while (b > a && b[-1] == ' ')
        b--;
      rt_dict_set(d, "mimetype", rt_str(a, (size_t)(b - a)));
      const char *c = eq + 1;
      size_t cl = strlen(c);
      while (*c == ' ')
        c++, cl--;
      while (cl && (c[cl - 1] == ' ' || c[cl - 1] == '\n'))
        cl--;
      rt_dict_set(d, "charset", rt_str(c, cl));
    } else {
      rt_dict_set(d, "mimetype", rt_strz("unknown"));
      rt_dict_set(d, "charset", rt_strz("unknown"));
    }
  }
  if (attrs) {
    const char *la = mod_rec(ex, "lsattr");
    char ver[64] = "", flags[128] = "";
    if (la && sscanf(la, "%63s %127s", ver, flags) == 2) {
      char clean[128];
      size_t n = 0;
      RtValue *names = rt_list_new(4);
      for (const char *p = flags; *p && n + 1 < sizeof clean; p++)
        if (*p != '-') {
          clean[n++] = *p;
          if (attr_name(*p))
            rt_list_push(names, rt_strz(attr_name(*p)));
        }
      clean[n] = 0;
      rt_dict_set(d, "version", rt_strz(ver));
      rt_dict_set(d, "attributes", names);
      rt_dict_set(d, "attr_flags", rt_strz(clean));
    } else {
      rt_dict_set(d, "version", rt_none());
      rt_dict_set(d, "attributes", rt_list_new(0));
      rt_dict_set(d, "attr_flags", rt_strz(""));
    }
  }
  return d;
}

RtValue *mod_stat(RtHost *h, RtValue *args) {
  char *path = mod_arg_str(args, "path"), *algo = mod_arg_str(args, "checksum_algorithm");
  bool follow = mod_arg_bool(args, "follow", 0) == 1;
  bool checksum = mod_arg_bool(args, "get_checksum", 1) != 0;
  bool md5 = mod_arg_bool(args, "get_md5", 0) == 1;
  bool mime = mod_arg_bool(args, "get_mime", 1) != 0;
  bool attrs = mod_arg_bool(args, "get_attributes", 1) != 0;
  RtValue *r = NULL;
  char *err = NULL;
  RtBuf s = {0};
  script(&s, path ? path : "", follow, checksum, algo ? algo : "sha1", md5, mime, attrs);
  RtExec ex;
  int rc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  rt_buf_free(&s);
  if (rc < 0)
    goto done;
  if (mod_rec_is(&ex, "exists", "0")) {
    r = rt_dict_new(2);
    RtValue *st = rt_dict_new(1);
    rt_dict_set(st, "exists", rt_bool(false));
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "stat", st);
  } else if (!mod_rec(&ex, "st")) {
    /* os.stat's OSError: its strerror */
    const char *e = ex.err.data ? ex.err.data : "";
    r = mod_fail_result("%s", strstr(e, "Permission denied") ? "Permission denied" : *e ? e : "stat failed");
  } else {
    char *expanded = NULL;
    /* format_output's path is the module's path parameter (expanded) */
    expanded = rt_xstrdup(mod_rec(&ex, "p") ? mod_rec(&ex, "p") : path);
    r = rt_dict_new(2);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "stat", stat_dict(&ex, expanded, mime, attrs));
    free(expanded);
  }
  rt_exec_free(&ex);
done:
  free(err);
  free(path);
  free(algo);
  return r;
}

#endif
