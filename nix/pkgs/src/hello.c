/* hello: the demo build of GNU Hello. Compiled with `gcc -static` so it runs in an
 * image that holds nothing but this store path. */
#include <stdio.h>
#include <string.h>

#ifndef HELLO_VERSION
#error "HELLO_VERSION must be defined by the builder"
#endif

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    puts("hello (GNU Hello) " HELLO_VERSION " (demo build)");
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "--help") == 0) {
    puts("Usage: hello [--version | --help]");
    puts("Prints a friendly greeting. This is a demo build of GNU Hello.");
    return 0;
  }
  puts("Hello, world!");
  return 0;
}
