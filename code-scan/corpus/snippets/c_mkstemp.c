#include <stdlib.h>

int open_scratch(void) {
    char tmpl[] = "/tmp/scratchXXXXXX";
    return mkstemp(tmpl);
}
