#include <stdio.h>

void build_path(char *out, const char *dir, const char *file) {
    sprintf(out, "%s/%s", dir, file);
}
