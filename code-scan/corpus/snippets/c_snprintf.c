#include <stdio.h>

void set_name(char *dst, size_t n, const char *src) {
    snprintf(dst, n, "%s", src);
}
