/* placeholder until the resolver lands: every plain scalar is a string */
#include "yaml11.h"

FeY11Scalar fe_yaml11_resolve(const char *s, size_t len) {
  (void)s;
  (void)len;
  FeY11Scalar r = {0};
  r.type = FE_Y11_STR;
  return r;
}
