#include <string.h>

void set_name(char *dst, const char *src) {
    char buf[16];
    strcpy(buf, src);
    strcat(dst, buf);
}
