#include <stdlib.h>
#include <time.h>

void make_key(unsigned char *key, int n) {
    srand(time(NULL));
    for (int i = 0; i < n; i++) key[i] = rand() & 0xff;
}
