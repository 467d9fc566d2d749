#include <stdio.h>

int main(void) {
    char name[32];
    if (fgets(name, sizeof name, stdin) != NULL) {
        printf("Hello %s", name);
    }
    return 0;
}
