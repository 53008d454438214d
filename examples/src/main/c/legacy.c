/*
 * A legacy native library, as the teams this project serves inherit them: one function that
 * works, one that crashes on bad input, one that hangs, one that leaks. Built by the examples
 * module (gcc -shared) and called through JNA from a worker JVM, never from the host.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Works: a checksum (FNV-1a) of the bytes. */
int32_t legacy_checksum(const uint8_t *data, int32_t length) {
    uint32_t h = 2166136261u;
    for (int32_t i = 0; i < length; i++) {
        h = (h ^ data[i]) * 16777619u;
    }
    return (int32_t) h;
}

/* Crashes on a record that starts with '!': it trusts a length field it should not. */
int32_t legacy_parse(const char *record) {
    if (record[0] == '!') {
        volatile int32_t *nowhere = NULL;
        return *nowhere; /* SIGSEGV */
    }
    return (int32_t) strlen(record);
}

/* Hangs in native code on a record that starts with '?': no Java interrupt reaches it. */
int32_t legacy_lookup(const char *record) {
    if (record[0] == '?') {
        for (;;) {
            pause();
        }
    }
    return (int32_t) record[0];
}

/* Leaks: allocates and touches megabytes, and never frees them. */
int64_t legacy_cache(int32_t megabytes) {
    int64_t kept = 0;
    for (int32_t i = 0; i < megabytes; i++) {
        char *block = malloc(1 << 20);
        if (block == NULL) {
            break;
        }
        memset(block, 1, 1 << 20);
        kept += 1 << 20;
    }
    return kept;
}
