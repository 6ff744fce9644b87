/* test_sha256.c — the FIPS 180-2 / NIST example vectors; files, including
 * one longer than the read buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "runsite/sha256.h"
#include "runsite/util.h"

static void sha256_hex_of(const char *s, char hex[65])
{
	sha256_hex(s, strlen(s), hex);
}

int main(void)
{
	char hex[65];
	sha256_hex_of("abc", hex);
	STR_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "abc");
	sha256_hex_of("", hex);
	STR_EQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty");
	sha256_hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", hex);
	STR_EQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "448 bits");
	sha256_hex_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
	              "klmnopqrlmnopqrsmnopqrstnopqrstu",
	              hex);
	STR_EQ(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1", "896 bits");

	char dir[] = "/tmp/test_sha256.XXXXXX";
	if (!mkdtemp(dir)) {
		SKIP("no scratch folder");
		return TEST_END();
	}
	char *path = path_join(dir, "f");
	FILE *f = fopen(path, "wb");
	fputs("abc", f);
	fclose(f);
	OK(sha256_file(path, hex), "file hashes");
	STR_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "file abc");
	/* One million 'a's: the file is read in many pieces. */
	f = fopen(path, "wb");
	for (int i = 0; i < 1000000; i++)
		fputc('a', f);
	fclose(f);
	OK(sha256_file(path, hex), "a file longer than the read buffer hashes");
	STR_EQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "a million a");
	unlink(path);
	OK(!sha256_file(path, hex), "a missing file fails");
	free(path);
	rmdir(dir);
	return TEST_END();
}
