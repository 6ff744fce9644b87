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
	key_case("db_pass", true);
	key_case("passwd", true);
	key_case("mysql_pwd", true);
	key_case("PGPASSWORD", true);
	key_case("dbPassword", true);
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
	/* Characters a page does not show cannot split a credential. */
	text_case("a AKIA\x04QWERTYUIOPASDFGH b", "a [redacted] b");
	text_case("a AKIA\xe2\x80\x8bQWERTY\xc2\xadUIOPASDFGH b", "a [redacted] b");
	text_case("xoxp\x04-123456789012-abcdefghij", "[redacted]");
	text_case("a \x04" "AKIAQWERTYUIOPASDFGH\x04 b", "a [redacted] b"); /* edges go too */
	text_case("https://u:pw\x12@h.org/", "https://u:[redacted]@h.org/");
	/* Passwords inside URLs, and a user part long enough to be a token. */
	text_case("postgresql://app:hunter2@db:5432/ml", "postgresql://app:[redacted]@db:5432/ml");
	text_case("{\"url\": \"https://u:p@ss@h/x\"}", "{\"url\": \"https://u:[redacted]@h/x\"}");
	text_case("https://0123456789abcdef0123456789@github.com/a/b.git",
	          "https://[redacted]@github.com/a/b.git");
	text_case("https://git@github.com/a/b.git", "https://git@github.com/a/b.git");
	/* Counted as letters and digits, so a link's %-encoding does not make a name a token. */
	text_case("https://u5hun%FF%FF%7F%08er2@h.org/", "https://u5hun%FF%FF%7F%08er2@h.org/");
	text_case("https://user:@host/", "https://user:@host/");
	text_case("see https://example.com/a@b and mailto:x@y", "see https://example.com/a@b and mailto:x@y");
	text_case("s3://k:[redacted]@h", "s3://k:[redacted]@h");
	text_case("a%FF://u:pw@h/", "a%FF://u:pw@h/"); /* %XX, as a link encodes a byte: no scheme */
	text_case("%https://u:pw@h/", "%https://u:[redacted]@h/"); /* a lone '%' links https:// */
	text_case("%3Ahttps://u:pw@h/", "%3Ahttps://u:[redacted]@h/");
	text_case("a%3E://u:pw@h/", "a%3E://u:pw@h/");
	text_case("(git+ssh://u:pw@h/)", "(git+ssh://u:[redacted]@h/)");

	struct redactor *rd = redactor_new();
	struct run *r = run_new("test", "mem");
	kvlist_add(&r->params, "WANDB_API_KEY", "0123456789abcdef0123456789abcdef01234567");
	kvlist_add(&r->params, "lr", "0.1");
	kvlist_add(&r->params, "db_pass", "hunter2");
	kvlist_add(&r->tags, "deploy", "uses AKIAIOSFODNN7EXAMPLE");
	r->notes = xstrdup("key:\n-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n");
	struct kvlist what = {0};
	INT_EQ(redact_run(rd, r, &what), 4, "four places redacted");
	STR_EQ(kvlist_get(&r->params, "WANDB_API_KEY"), REDACTED, "secret param value");
	STR_EQ(kvlist_get(&r->params, "db_pass"), REDACTED, "db_pass value");
	STR_EQ(kvlist_get(&r->params, "lr"), "0.1", "ordinary param untouched");
	STR_EQ(kvlist_get(&r->tags, "deploy"), "uses [redacted-2]", "credential inside a tag");
	OK(strstr(r->notes, "abc") == NULL, "private key gone from the notes");
	OK(kvlist_get(&what, "params.WANDB_API_KEY") != NULL, "the redacted place is reported");
	INT_EQ(redact_run(rd, r, NULL), 0, "redacting twice changes nothing");
	kvlist_free(&what);
	run_free(r);

	/* Every string field, names included; one placeholder per secret,
	 * numbered on from the two above. */
	const char *gh = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
	const char *aws = "AKIAQWERTYUIOPASDFGH";
	r = run_new("test", "/data/ghp_0123456789abcdefghijklmnopqrstuvwxyz/mlruns");
	r->id = xasprintf("id-%s", gh);
	r->name = xasprintf("run0-%s", gh);
	r->parent_id = xasprintf("p-%s", aws);
	r->experiment_id = xstrdup(aws);
	r->experiment_name = xasprintf("exp %s", aws);
	r->user = xstrdup(aws);
	r->source_name = xasprintf("train.py %s", aws);
	r->git_repo = xstrdup("https://bot:s3cret@github.com/acme/ml.git");
	kvlist_add(&r->params, gh, "1");
	kvlist_add(&r->tags, "mlflow.runName", r->name);
	series_add(run_series(r, "zz"), 1, 0, 1.0);
	series_add(run_series(r, aws), 1, 0, 1.0);
	run_add_artifact(r, "model-AKIAQWERTYUIOPASDFGH.pkl", 1);
	struct dataset_input *d = run_add_dataset(r);
	d->name = xstrdup(aws);
	d->source = xstrdup("{\"url\": \"https://u:pw@h/x\"}");
	struct logged_model *m = run_add_model(r);
	m->name = xasprintf("m-%s", gh);
	m->uri = xstrdup("https://u:pw@h/m");
	run_finish(r, 0);
	redact_run(rd, r, &what);
	STR_EQ(r->name, "run0-[redacted-3]", "the run name");
	STR_EQ(r->id, "id-[redacted-3]", "the id: the same secret, the same placeholder");
	STR_EQ(kvlist_get(&r->tags, "mlflow.runName"), r->name, "the name tag matches the name");
	STR_EQ(r->parent_id, "p-[redacted-4]", "the parent id");
	STR_EQ(r->experiment_id, "[redacted-4]", "the experiment id");
	STR_EQ(r->experiment_name, "exp [redacted-4]", "the experiment name");
	STR_EQ(r->user, "[redacted-4]", "the user");
	STR_EQ(r->source_name, "train.py [redacted-4]", "the source");
	STR_EQ(r->store, "/data/[redacted-3]/mlruns", "the store path");
	STR_EQ(r->git_repo, "https://bot:[redacted-5]@github.com/acme/ml.git", "a password in the repo URL");
	OK(kvlist_get(&r->params, "[redacted-3]") != NULL, "a param key");
	STR_EQ(r->metrics[0].key, "[redacted-4]", "a metric key, sorted again");
	STR_EQ(r->metrics[1].key, "zz", "the other metric key");
	STR_EQ(r->artifacts[0].path, "model-[redacted-4].pkl", "an artifact path");
	STR_EQ(r->datasets[0].name, "[redacted-4]", "a dataset name");
	STR_EQ(r->datasets[0].source, "{\"url\": \"https://u:[redacted-6]@h/x\"}", "a dataset source");
	STR_EQ(r->models[0].name, "m-[redacted-3]", "a model name");
	STR_EQ(r->models[0].uri, "https://u:[redacted-6]@h/m", "a model URI");
	OK(kvlist_get(&what, "name") && kvlist_get(&what, "params.[redacted-3]") &&
	           kvlist_get(&what, "metric names"),
	   "the places are reported under their redacted names");
	INT_EQ(redact_run(rd, r, NULL), 0, "redacting names twice changes nothing");
	kvlist_free(&what);
	run_free(r);

	struct experiment *e = experiment_new();
	e->id = xstrdup("7");
	e->name = xasprintf("exp %s", aws);
	e->description = xstrdup("About &#65;KIAQWERTYUIOPASDFGH.\n");
	redact_experiment(rd, e);
	STR_EQ(e->name, "exp [redacted-4]", "the experiment's name matches its runs'");
	OK(!strstr(e->description, "KIAQWERTYUIOPASDFGH"), "a character reference in a description");
	experiment_free(e);
	redactor_free(rd);

	/* Notes: the text as rendered, not only the source. */
	static const struct {
		const char *md, *hidden;
	} dodges[] = {
		{"a &#65;KIAQWERTYUIOPASDFGH b", "KIAQWERTYUIOPASDFGH"},
		{"a &#x41;KIAQWERTYUIOPASDFGH b", "KIAQWERTYUIOPASDFGH"},
		{"a AKIA**QWERTYUIOPASDFGH** b", "QWERTYUIOPASDFGH"},
		{"a AKIA*QWERTY*UIOPASDFGH b", "UIOPASDFGH"},
		{"a `AKIA`QWERTYUIOPASDFGH b", "QWERTYUIOPASDFGH"},
		{"a [AKIA](https://x.org)QWERTYUIOPASDFGH b", "QWERTYUIOPASDFGH"},
		{"a gh&#112;_0123456789abcdefghijklmnopqrstuvwxyz", "0123456789abcdefghijklmnopqrstuvwxyz"},
		{"a ghp\\_0123456789abcdefghijklmnopqrstuvwxyz", "0123456789abcdefghijklmnopqrstuvwxyz"},
		{"- AKIA~~QWERTY~~UIOPASDFGH", "UIOPASDFGH"},
		{"| k | v |\n|---|---|\n| a | AKIA**QWERTYUIOPASDFGH** |\n", "QWERTYUIOPASDFGH"},
		{"[x](https://u:hunter2@h.org/ \"t\")", "hunter2"},
		{"![a](https://u:hunter2@h.org/i.png)", "hunter2"},
		{"[t](https://u:hun>>ter2@h.org/)", "ter2"}, /* the page shows it as %3E */
		{"[t](https://u:hun>>>*ter2@h.org/) A", "ter2"},
		{"[t](https://u:h\\nt>ter2@h.org/)", "ter2"}, /* %5C in the page */
		{"a xoxp\x04-123456789012-abcdefghij b", "abcdefghij"}, /* HTML drops the control */
		/* A password the text does not show, which a link's address does (%1D). */
		{"[t](https://u:\035\035\035@h.org/)", "\035\035\035"},
		{"see https://u:\035\035\035@h.org/ now", "\035\035\035"},
		{"a https`://u:hunter2@h.org/` b", "hunter2"}, /* the code span's markers go */
		/* Markup then characters a page drops (found by fuzz_notes). */
		{"a `ghp`_\002\002\0020123456789abcdefghijklmnopqrstuvwxyz", "0123456789abcdefghijklmnopqrstuvwxyz"},
		{"a AKIA**\xc2\xad**QWERTYUIOPASDFGH b", "QWERTYUIOPASDFGH"},
		{"a `AKIA`\xe2\x80\x8bQWERTYUIOPASDFGH b", "QWERTYUIOPASDFGH"},
		/* A link's address goes, joining the text around it into one URL's
		 * user part: "https://u:hunter:2x@h.org" (found by fuzz_notes). */
		{"[see https://u:hunter](a/b):2x@h.org", "2x"},
		{"see https://u:hunter<i>:2x@h.org", "2x"},
		/* A code span, its end space, then an autolink's '<': one run of markup. */
		{"a`  (xoxp-nnnnn\006\006F\007 `<https://u:hunnnnP> .", "xoxp"},
		{"    code AKIA&#81;WERTYUIOPASDFGH\n", NULL}, /* code: shown as written, no dodge */
	};
	for (size_t i = 0; i < sizeof dodges / sizeof *dodges; i++) {
		rd = redactor_new();
		r = run_new("test", "mem");
		r->notes = xstrdup(dodges[i].md);
		INT_EQ(redact_run(rd, r, NULL), dodges[i].hidden ? 1 : 0, dodges[i].md);
		if (dodges[i].hidden)
			OK(!strstr(r->notes, dodges[i].hidden), "\"%s\" became \"%s\"", dodges[i].md, r->notes);
		OK(!strstr(r->notes, "****") && !strstr(r->notes, "~~~~"), "no empty emphasis left: %s",
		   r->notes);
		run_free(r);
		redactor_free(rd);
	}
	/* Rewritten notes keep placeholders as the source pass writes them: an
	 * autolink would show "\\[" (and link to %5C%5B). */
	rd = redactor_new();
	r = run_new("test", "mem");
	r->notes = xstrdup("see https://u:pw@h.org/ and `ghp`_0123456789abcdefghijklmnopqrstuvwxyz");
	redact_run(rd, r, NULL);
	OK(strstr(r->notes, "https://u:[redacted-1]@h.org/") && !strstr(r->notes, "\\["),
	   "placeholders unescaped: %s", r->notes);
	run_free(r);
	redactor_free(rd);

	/* Taking secrets out can join what is left into another (found by fuzz_notes):
	 * notes are redacted until they stay the same. */
	rd = redactor_new();
	r = run_new("test", "mem");
	r->notes = xstrdup("[t\035(https://u:hunte\221\310@h.org/)[t\035(https://u:hunt://u:hunte\221\310@h.org/) `ghp`_0123456789abcdefghijklm `ghp`_0123456789e\221\310@h.org/) `ghp`_0123456789abcdefghijklm `ghp`_0123456789abcdefghijklm\010opqrstuvwxyz\012");
	redact_run(rd, r, NULL);
	INT_EQ(redact_run(rd, r, NULL), 0, "notes redacted to the end");
	run_free(r);
	redactor_free(rd);

	/* Notes without a secret are left as written, whatever their markup. */
	const char *clean = "# Run\n\n- **model**: `mlp-3x512`, lr `0.003`\n- see [the repo](https://x.org/a_b)"
	                    " and <https://x.org/c>\n\n| k | v |\n|---|---:|\n| max_tokens | 5 |\n";
	rd = redactor_new();
	r = run_new("test", "mem");
	r->notes = xstrdup(clean);
	INT_EQ(redact_run(rd, r, NULL), 0, "clean notes: nothing redacted");
	STR_EQ(r->notes, clean, "clean notes are not rewritten");
	run_free(r);
	redactor_free(rd);
	return TEST_END();
}
