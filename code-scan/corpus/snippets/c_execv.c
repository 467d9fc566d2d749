#include <unistd.h>

void ping(const char *host) {
    char *argv[] = {"ping", "-c", "1", (char *)host, NULL};
    execvp("ping", argv);
}
