#include <stdio.h>

int main(void) {
    char word[16];
    scanf("%s", word);
    puts(word);
    return 0;
}
