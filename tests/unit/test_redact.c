/* test_redact.c — secrets by key name and by credential shape. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "runsite/redact.h"
#include "runsite/util.h"

static void key_case(const char *key, bool want)
{
	OK(redact_key_is_secret(key) == want, "key \"%s\" %s a secret", key, want ? "is" : "is not");
}

static void text_case(const char *text, const char *want)
{
	char *got = redact_text(text);
	STR_EQ(got ? got : text, want, text);
	free(got);
}

int main(void)
{
	key_case("WANDB_API_KEY", true);
	key_case("apiKey", true);
	key_case("db.password", true);
	key_case("hf_token", true);
	key_case("aws_secret_access_key", true);
	key_case("AWS_ACCESS_KEY_ID", true);
	key_case("auth", true);
	key_case("private_key", true);
	key_case("credentials", true);
	key_case("tokenizer", false);
	key_case("max_tokens", false);
	key_case("author", false);
	key_case("lr", false);
	key_case("keyboard_layout", false);

	text_case("id AKIAIOSFODNN7EXAMPLE here", "id [redacted] here");
	text_case("AKIAIOSFODNN7EXAMPL", "AKIAIOSFODNN7EXAMPL"); /* too short */
	text_case("ghp_0123456789abcdefghijklmnopqrstuvwxyz", "[redacted]");
	text_case("glpat-abcdefghij0123456789", "[redacted]");
	text_case("xoxb-123456789012-abcdefghij", "[redacted]");
	text_case("t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c;",
	          "t=[redacted];");
	text_case("a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----\nb",
	          "a\n[redacted]\nb");
	text_case("-----BEGIN OPENSSH PRIVATE KEY-----\ntruncated", "[redacted]");
	text_case("-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----",
	          "-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----");
	text_case("learning rate 0.001, nothing secret", "learning rate 0.001, nothing secret");
	text_case("xAKIAIOSFODNN7EXAMPLE", "xAKIAIOSFODNN7EXAMPLE"); /* not at a word start */

	struct run *r = run_new("test", "mem");
	kvlist_add(&r->params, "WANDB_API_KEY", "0123456789abcdef0123456789abcdef01234567");
	kvlist_add(&r->params, "lr", "0.1");
	kvlist_add(&r->tags, "deploy", "uses AKIAIOSFODNN7EXAMPLE");
	r->notes = xstrdup("key:\n-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n");
	struct kvlist what = {0};
	INT_EQ(redact_run(r, &what), 3, "three places redacted");
	STR_EQ(kvlist_get(&r->params, "WANDB_API_KEY"), REDACTED, "secret param value");
	STR_EQ(kvlist_get(&r->params, "lr"), "0.1", "ordinary param untouched");
	STR_EQ(kvlist_get(&r->tags, "deploy"), "uses [redacted]", "credential inside a tag");
	OK(strstr(r->notes, "abc") == NULL, "private key gone from the notes");
	OK(kvlist_get(&what, "params.WANDB_API_KEY") != NULL, "the redacted place is reported");
	INT_EQ(redact_run(r, NULL), 0, "redacting twice changes nothing");
	kvlist_free(&what);
	run_free(r);
	return TEST_END();
}
