/*
 * test_inventory.c — the run-time inventory (runtime/inventory.c):
 *   test_inventory                      the checks below
 *   test_inventory --list FILE...       the inventory as `ansible-inventory --list`
 *                                       prints it (JSON)
 *   test_inventory --match PAT FILE...  the hosts PAT selects, one per line, in
 *                                       order, as `ansible --list-hosts` lists them
 * tests/unit/inventory_oracle.py runs the last two against ansible-core.
 */
#include "rt.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures, checks;

#define CHECK(c)                                                                          \
  do {                                                                                    \
    checks++;                                                                             \
    if (!(c)) {                                                                           \
      failures++;                                                                         \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);               \
    }                                                                                     \
  } while (0)

static char tmpdir[] = "/tmp/test_inventory.XXXXXX";

/* Writes `text` to a file named `name` in the scratch folder; returns its path
 * (static buffer). */
static const char *file(const char *name, const char *text) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    exit(2);
  }
  fputs(text, f);
  fclose(f);
  return path;
}

/* Loads `text` as file `name` into a fresh inventory; *err gets the error
 * (malloc'd) or NULL. */
static bool load(RtInventory *inv, const char *name, const char *text, char **err) {
  *err = NULL;
  memset(inv, 0, sizeof *inv);
  bool ok = rt_inventory_load(inv, file(name, text), err);
  rt_inventory_finish(inv);
  return ok;
}

static int host(RtInventory *inv, const char *name) {
  for (int i = 0; i < inv->nhosts; i++)
    if (strcmp(inv->hosts[i].name, name) == 0)
      return i;
  return -1;
}

/* The hosts `pattern` selects, as "a,b,c". */
static char *match(RtInventory *inv, const char *pattern) {
  int n = 0, *idx = rt_inventory_match(inv, pattern, &n);
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (int i = 0; i < n; i++)
    rt_buf_printf(&b, "%s%s", i ? "," : "", inv->hosts[idx[i]].name);
  free(idx);
  return rt_buf_take(&b);
}

static bool match_is(RtInventory *inv, const char *pattern, const char *want) {
  char *got = match(inv, pattern);
  bool ok = strcmp(got, want) == 0;
  if (!ok)
    fprintf(stderr, "  pattern '%s': got \"%s\", want \"%s\"\n", pattern, got, want);
  free(got);
  return ok;
}

/* str() of a new value, compared (consumes v). */
static bool str_is(RtValue *v, const char *want) {
  RtBuf b = {0};
  rt_render_str(&b, v);
  bool ok = strcmp(b.data ? b.data : "", want) == 0;
  if (!ok)
    fprintf(stderr, "  got \"%s\", want \"%s\"\n", b.data ? b.data : "", want);
  rt_buf_free(&b);
  rt_decref(v);
  return ok;
}

static bool err_has(const char *err, const char *want) {
  bool ok = err && strstr(err, want);
  if (!ok)
    fprintf(stderr, "  error \"%s\", want \"%s\"\n", err ? err : "(none)", want);
  return ok;
}

/* Issue 12 defect 4: a children section naming a group defined later read
 * the name of a group through a pointer get_group's realloc had freed. */
static void test_children_before_group(void) {
  RtInventory inv;
  char *err;
  CHECK(load(&inv, "later.ini", "[prod:children]\nweb\ndb\n[web]\nlocalhost\nw2\n[db]\nd1\n",
             &err));
  CHECK(match_is(&inv, "prod", "localhost,w2,d1"));
  CHECK(match_is(&inv, "all", "localhost,w2,d1"));
  CHECK(str_is(rt_inventory_group_names(&inv, host(&inv, "localhost")), "['prod', 'web']"));
  rt_inventory_free(&inv);
  /* many groups named before they exist: every realloc of the group array */
  RtBuf b = {0};
  rt_buf_puts(&b, "[top:children]\n");
  for (int i = 0; i < 300; i++)
    rt_buf_printf(&b, "g%d\n", i);
  for (int i = 0; i < 300; i++)
    rt_buf_printf(&b, "[g%d]\nh%d\n", i, i);
  char *text = rt_buf_take(&b);
  CHECK(load(&inv, "many.ini", text, &err));
  free(text);
  CHECK(inv.nhosts == 300);
  int n;
  int *idx = rt_inventory_match(&inv, "top", &n);
  CHECK(n == 300);
  free(idx);
  rt_inventory_free(&inv);
}

static void test_ranges(void) {
  RtInventory inv;
  char *err;
  CHECK(load(&inv, "r.ini",
             "[g]\nweb[01:03]\ndb-[a:c]-[1:2]\nx[1:10:4]\nal[a:k:5]\n[h]\nn[8:11]:2222 k=v\n",
             &err));
  CHECK(match_is(&inv, "g", "web01,web02,web03,db-a-1,db-a-2,db-b-1,db-b-2,db-c-1,db-c-2,x1,x5,"
                            "x9,ala,alf,alk"));
  CHECK(match_is(&inv, "h", "n8,n9,n10,n11"));
  CHECK(str_is(rt_inventory_host_vars(&inv, host(&inv, "n10")),
               "{'ansible_port': 2222, 'k': 'v'}"));
  rt_inventory_free(&inv);
  /* the bound: an error, at once, instead of two million hosts */
  CHECK(!load(&inv, "big.ini", "web[1:2000000]\n", &err));
  CHECK(err_has(err, "host pattern 'web[1:2000000]' names more than 1000000 hosts"));
  CHECK(inv.nhosts == 0);
  free(err);
  rt_inventory_free(&inv);
  CHECK(!load(&inv, "product.ini", "w[1:1000]-[1:1001]\n", &err));
  CHECK(err_has(err, "names more than 1000000 hosts"));
  free(err);
  rt_inventory_free(&inv);
  CHECK(!load(&inv, "bad.ini", "web[3:1:0]\n", &err));
  CHECK(err_has(err, "range() arg 3 must not be zero"));
  free(err);
  rt_inventory_free(&inv);
  CHECK(!load(&inv, "bad2.ini", "web[01:1]\n", &err));
  CHECK(err_has(err, "host range must specify equal-length begin and end formats"));
  free(err);
  rt_inventory_free(&inv);
  /* linear: 200,000 hosts from one range (it took over a minute) */
  clock_t t0 = clock();
  CHECK(load(&inv, "200k.ini", "[web]\nweb[1:200000]\n", &err));
  double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
  CHECK(inv.nhosts == 200000);
  int n;
  int *idx = rt_inventory_match(&inv, "web", &n);
  CHECK(n == 200000 && strcmp(inv.hosts[idx[199999]].name, "web200000") == 0);
  free(idx);
  CHECK(secs < 10); /* well under a second in a release build */
  rt_inventory_free(&inv);
  /* a smaller bound (the fuzz target's): a product of ranges past it is
     refused before one name is made, as are hosts named one by one past it,
     and in a second source counting the first one's hosts */
  memset(&inv, 0, sizeof inv);
  inv.max_hosts = 100;
  CHECK(!rt_inventory_load(&inv, file("prod.ini", "w[1:11]-[1:10]\n"), &err));
  CHECK(err_has(err, "host pattern 'w[1:11]-[1:10]' names more than 100 hosts"));
  CHECK(inv.nhosts == 0);
  free(err);
  err = NULL;
  CHECK(!rt_inventory_load(&inv, file("many.ini", "w[1:60]\nv[1:41]\n"), &err));
  CHECK(err_has(err, "the inventory names more than 100 hosts"));
  free(err);
  err = NULL;
  CHECK(rt_inventory_load(&inv, file("sixty.ini", "w[1:60]\n"), &err));
  CHECK(!rt_inventory_load(&inv, file("fifty.ini", "v[1:50]\n"), &err));
  CHECK(err_has(err, "the inventory names more than 100 hosts"));
  CHECK(inv.nhosts == 60);
  free(err);
  rt_inventory_finish(&inv);
  rt_inventory_free(&inv);
}

static void test_errors(void) {
  RtInventory inv;
  char *err;
  CHECK(!load(&inv, "cycle.ini", "[a:children]\nb\n[b:children]\na\n[a]\nh1\n", &err));
  CHECK(err_has(err, "Failed to parse") &&
        err_has(err, "with ini plugin: Adding group 'a' as child to 'b' creates a recursive "
                     "dependency loop."));
  CHECK(inv.nhosts == 0); /* nothing of a bad source is kept */
  free(err);
  rt_inventory_free(&inv);
  CHECK(!load(&inv, "self.ini", "[a:children]\na\n", &err));
  CHECK(err_has(err, "can't add group to itself"));
  free(err);
  rt_inventory_free(&inv);
  CHECK(!load(&inv, "undef.ini", "[a:children]\nnope\n", &err));
  CHECK(err_has(err, "undef.ini:2: Section [a:children] includes undefined group: nope"));
  free(err);
  rt_inventory_free(&inv);
  CHECK(!load(&inv, "vars.ini", "[a:vars]\nx=1\n", &err));
  CHECK(err_has(err, "vars.ini:1: Section [a:vars] not valid for undefined group: a"));
  free(err);
  rt_inventory_free(&inv);
  CHECK(!load(&inv, "kv.ini", "[a]\nh1 novalue\n", &err));
  CHECK(err_has(err, "kv.ini:2: Expected key=value host variable assignment, got: novalue"));
  free(err);
  rt_inventory_free(&inv);
  CHECK(!load(&inv, "section.ini", "[a b]\n", &err));
  CHECK(err_has(err, "Invalid section entry: '[a b]'"));
  free(err);
  rt_inventory_free(&inv);
  /* a cycle across two sources: the second is refused, the first kept */
  memset(&inv, 0, sizeof inv);
  CHECK(rt_inventory_load(&inv, file("one.ini", "[a:children]\nb\n[b]\nh1\n"), &err));
  CHECK(!rt_inventory_load(&inv, file("two.yml", "b:\n  children:\n    a:\n"), &err));
  CHECK(err_has(err, "Adding group 'a' as child to 'b' creates a recursive dependency loop."));
  free(err);
  rt_inventory_finish(&inv);
  CHECK(match_is(&inv, "a", "h1"));
  rt_inventory_free(&inv);
  /* a group made a child of "all"'s child: all → x → all */
  CHECK(!load(&inv, "all.ini", "[x:children]\nall\n", &err));
  CHECK(err_has(err, "Adding group 'x' as child to 'all' creates a recursive dependency loop."));
  free(err);
  rt_inventory_free(&inv);
}

/* Issue 12 defect 6: 100,000 levels of groups overflowed the stack. */
static void test_depth(void) {
  RtInventory inv;
  char *err;
  RtBuf b = {0};
  rt_buf_puts(&b, "[g0]\nh\n");
  for (int i = 1; i <= 100000; i++)
    rt_buf_printf(&b, "[g%d:children]\ng%d\n", i, i - 1);
  char *text = rt_buf_take(&b);
  CHECK(!load(&inv, "chain.ini", text, &err));
  CHECK(err_has(err, "is nested more than 1000 levels deep"));
  free(err);
  free(text);
  rt_inventory_free(&inv);
  rt_buf_puts(&b, "[g0]\nh\n"); /* 999 levels below all: fine */
  for (int i = 1; i < 999; i++)
    rt_buf_printf(&b, "[g%d:children]\ng%d\n", i, i - 1);
  text = rt_buf_take(&b);
  CHECK(load(&inv, "chain999.ini", text, &err));
  free(text);
  CHECK(inv.hosts[0].ngroups == 999);
  rt_inventory_free(&inv);
  for (int i = 0; i < 100000; i++) /* YAML: the loader's own limit */
    rt_buf_printf(&b, "{g%d: {children: ", i);
  rt_buf_puts(&b, "{}");
  for (int i = 0; i < 100000; i++)
    rt_buf_puts(&b, "}}");
  text = rt_buf_take(&b);
  CHECK(!load(&inv, "deep.yml", text, &err));
  CHECK(err_has(err, "nested more than 1000 levels deep"));
  free(err);
  free(text);
  rt_inventory_free(&inv);
  /* memberships: 20,000 hosts under 1,000 levels of groups would be 20 million */
  rt_buf_puts(&b, "[g0]\nh[1:20000]\n");
  for (int i = 1; i < 999; i++)
    rt_buf_printf(&b, "[g%d:children]\ng%d\n", i, i - 1);
  text = rt_buf_take(&b);
  CHECK(!load(&inv, "members.ini", text, &err));
  CHECK(err_has(err, "host-group memberships"));
  free(err);
  free(text);
  rt_inventory_free(&inv);
}

static void test_vars(void) {
  RtInventory inv;
  char *err;
  CHECK(load(&inv, "v.ini",
             "h0 z=host0\n[c]\nh a=\"1\" b='[1, 2]' c=010 d=true e=x#comment\n[a:children]\nb\n"
             "[b:children]\nc\n[a:vars]\nx=a\ny=a\nz=a\n[b:vars]\nx=b\ny=b\n[c:vars]\nx=c\n"
             "[all:vars]\nz=all\nw=all\n[p]\nh\n[q]\nh\n[p:vars]\nv=p\n[q:vars]\nv=q\n"
             "ansible_group_priority=0\n",
             &err));
  /* deeper groups win, then priority, then name; the host's own vars last */
  CHECK(str_is(rt_inventory_host_vars(&inv, host(&inv, "h")),
               "{'z': 'a', 'w': 'all', 'v': 'p', 'x': 'c', 'y': 'b', "
               "'a': 1, 'b': [1, 2], 'c': '010', 'd': 'true', 'e': 'x'}"));
  CHECK(str_is(rt_inventory_host_vars(&inv, host(&inv, "h0")), "{'z': 'host0', 'w': 'all'}"));
  CHECK(str_is(rt_inventory_group_names(&inv, host(&inv, "h")), "['a', 'b', 'c', 'p', 'q']"));
  CHECK(str_is(rt_inventory_group_names(&inv, host(&inv, "h0")), "['ungrouped']"));
  /* the implicit localhost: all's vars, no groups, never in "all" */
  int lh = rt_inventory_implicit_localhost(&inv);
  rt_inventory_finish(&inv);
  CHECK(str_is(rt_inventory_host_vars(&inv, lh),
               "{'z': 'all', 'w': 'all', 'ansible_connection': 'local'}"));
  CHECK(match_is(&inv, "all", "h0,h"));
  CHECK(match_is(&inv, "localhost", "localhost"));
  CHECK(str_is(rt_inventory_groups(&inv), "{'all': ['h0', 'h'], 'ungrouped': ['h0'], 'c': ['h'], "
                                          "'a': ['h'], 'b': ['h'], 'p': ['h'], 'q': ['h']}"));
  rt_inventory_free(&inv);
}

static void test_patterns(void) {
  RtInventory inv;
  char *err;
  CHECK(load(&inv, "p.yml",
             "all:\n  hosts:\n    solo:\n  children:\n    web:\n      hosts:\n        w[1:3]:\n"
             "    db:\n      hosts:\n        d1:\n        w2:\n    prod:\n      children:\n"
             "        web:\n        db:\n",
             &err));
  CHECK(match_is(&inv, "all", "solo,w1,w2,w3,d1"));
  CHECK(match_is(&inv, "db:web", "d1,w2,w1,w3"));
  CHECK(match_is(&inv, "web,db", "w1,w2,w3,d1"));
  CHECK(match_is(&inv, "web:&db", "w2"));
  CHECK(match_is(&inv, "!db:web", "w1,w3")); /* exclusions apply last */
  CHECK(match_is(&inv, "&db", "w2,d1"));     /* no plain pattern: all first */
  CHECK(match_is(&inv, "w*", "w1,w2,w3"));
  CHECK(match_is(&inv, "~^[dw][12]$", "w1,w2,d1"));
  CHECK(match_is(&inv, "~[12]", "")); /* re.match: from the start of the name */
  CHECK(match_is(&inv, "web[0]", "w1"));
  CHECK(match_is(&inv, "web[-1]", "w3"));
  CHECK(match_is(&inv, "web[1:]", "w2,w3"));
  CHECK(match_is(&inv, "web[0:1]", "w1,w2"));
  CHECK(match_is(&inv, "prod:!web", "d1"));
  CHECK(match_is(&inv, "all:!ungrouped", "w1,w2,w3,d1"));
  CHECK(match_is(&inv, "nomatch", ""));
  CHECK(match_is(&inv, "solo", "solo"));
  rt_inventory_free(&inv);
}

/* ---- the modes the oracle drives ---- */

static bool load_all(RtInventory *inv, char **files, int n) {
  memset(inv, 0, sizeof *inv);
  for (int i = 0; i < n; i++) {
    char *err = NULL;
    if (!rt_inventory_load(inv, files[i], &err))
      fprintf(stderr, "[WARNING]: %s\n", err);
    free(err);
  }
  return true;
}

/* ansible-inventory's json_inventory: groups reachable from "all" with their
 * direct hosts and children, and every host's merged vars. */
static int list_mode(char **files, int n) {
  RtInventory inv;
  load_all(&inv, files, n);
  rt_inventory_finish(&inv);
  RtValue *out = rt_dict_new(8), *meta = rt_dict_new(1), *hv = rt_dict_new(8);
  int nh, *hs = rt_inventory_match(&inv, "all", &nh);
  for (int i = 0; i < nh; i++) {
    RtValue *v = rt_inventory_host_vars(&inv, hs[i]);
    if (rt_len(v))
      rt_dict_set(hv, inv.hosts[hs[i]].name, v);
    else
      rt_decref(v);
  }
  free(hs);
  rt_dict_set(meta, "hostvars", hv);
  rt_dict_set(out, "_meta", meta);
  bool *seen = rt_xcalloc((size_t)inv.ngroups + 1, sizeof *seen);
  int *queue = rt_xcalloc((size_t)inv.ngroups + 1, sizeof *queue), qh = 0, qt = 0;
  for (int g = 0; g < inv.ngroups; g++)
    if (!strcmp(inv.groups[g].name, "all"))
      queue[qt++] = g, seen[g] = true;
  while (qh < qt) {
    const RtInvGroup *gr = &inv.groups[queue[qh++]];
    RtValue *d = rt_dict_new(2);
    if (gr->nhosts && strcmp(gr->name, "all") != 0) {
      RtValue *l = rt_list_new((size_t)gr->nhosts);
      for (int i = 0; i < gr->nhosts; i++)
        rt_list_push(l, rt_strz(inv.hosts[gr->hosts[i]].name));
      rt_dict_set(d, "hosts", l);
    }
    if (gr->nchildren) {
      RtValue *l = rt_list_new((size_t)gr->nchildren);
      for (int i = 0; i < gr->nchildren; i++) {
        int c = gr->children[i];
        rt_list_push(l, rt_strz(inv.groups[c].name));
        if (!seen[c])
          seen[c] = true, queue[qt++] = c;
      }
      rt_dict_set(d, "children", l);
    }
    if (rt_len(d))
      rt_dict_set(out, gr->name, d);
    else
      rt_decref(d);
  }
  free(seen);
  free(queue);
  RtBuf b = {0};
  rt_render_json(&b, out, 4, true);
  puts(b.data);
  rt_buf_free(&b);
  rt_decref(out);
  rt_inventory_free(&inv);
  return 0;
}

static int match_mode(const char *pattern, char **files, int n) {
  RtInventory inv;
  load_all(&inv, files, n);
  if (strstr(pattern, "localhost")) /* as run.c does before a play */
    rt_inventory_implicit_localhost(&inv);
  rt_inventory_finish(&inv);
  int nh, *hs = rt_inventory_match(&inv, pattern, &nh);
  for (int i = 0; i < nh; i++)
    puts(inv.hosts[hs[i]].name);
  free(hs);
  rt_inventory_free(&inv);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "--list") == 0)
    return list_mode(argv + 2, argc - 2);
  if (argc >= 4 && strcmp(argv[1], "--match") == 0)
    return match_mode(argv[2], argv + 3, argc - 3);
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 2;
  }
  test_children_before_group();
  test_ranges();
  test_errors();
  test_depth();
  test_vars();
  test_patterns();
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", tmpdir);
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}
