#include <stdio.h>
#include <stdlib.h>

void ping(const char *host) {
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "ping -c 1 %s", host);
    system(cmd);
}
