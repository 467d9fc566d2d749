#include <stdio.h>

void report(FILE *log, const char *user_message)
{
    char line[512];
    snprintf(line, sizeof line, "[client] %s\n", user_message);
    fprintf(log, line);
}
