/* Runs the fuzz target over files (no libFuzzer): each file is fed once per
 * possible selector byte class, so a corpus of real payloads exercises every
 * reader. Usage: fuzz_replay FILE... ; exits 0 when nothing crashed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int fed = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "cannot read %s\n", argv[i]);
            return 1;
        }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc((size_t)n + 1);
        size_t got = fread(buf + 1, 1, (size_t)n, f);
        fclose(f);
        for (int sel = 0; sel < 64; sel++) { /* every reader, every adapter */
            buf[0] = (uint8_t)sel;
            LLVMFuzzerTestOneInput(buf, got + 1);
            fed++;
        }
        /* and every prefix, the way truncated bodies arrive */
        for (size_t cut = 0; cut < got; cut += 1 + got / 64) {
            buf[0] = 0;
            LLVMFuzzerTestOneInput(buf, cut + 1);
            fed++;
        }
        free(buf);
    }
    printf("fuzz replay: %d inputs, no crash\n", fed);
    return 0;
}
