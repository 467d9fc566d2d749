#include <stdio.h>

void log_message(const char *msg) {
    printf("%s\n", msg);
}
