/* test_server_url.c — tracking-server URLs: which strings are URLs, and the
 * URL every message and page shows, which must never hold the password
 * (in the user part, percent-encoded, with an @ inside, or as ?password=). */
#include <stdlib.h>
#include <string.h>

#include "runsite/reader.h"
#include "harness.h"

static void shown(const char *url, const char *want)
{
	char *s = server_url_register(url);
	STR_EQ(s, want, url);
	free(s);
}

int main(void)
{
	OK(server_url("postgresql://u@h/db"), "postgresql://");
	OK(server_url("postgres://u@h/db"), "postgres://");
	OK(server_url("mysql://u@h/db"), "mysql://");
	OK(server_url("mariadb://u@h/db"), "mariadb://");
	OK(!server_url("mlflow.db"), "a file");
	OK(!server_url("sqlite:///mlflow.db"), "sqlite://");
	OK(!server_url("file:///tmp/postgresql://x"), "a file URL");

	shown("postgresql://reader@db.example.com:5432/mlflow",
	      "postgresql://reader@db.example.com:5432/mlflow");
	shown("postgresql://reader:s3cret@db.example.com:5432/mlflow",
	      "postgresql://reader@db.example.com:5432/mlflow");
	shown("mysql://reader:p%40ss%3Aw@db/mlflow", "mysql://reader@db/mlflow");
	/* An unencoded @ in the password: the last @ ends the user part. */
	shown("mysql://reader:p@ss@db:3306/mlflow", "mysql://reader@db:3306/mlflow");
	shown("postgresql://db/mlflow?sslmode=require&password=s3cret&connect_timeout=5",
	      "postgresql://db/mlflow?sslmode=require&connect_timeout=5");
	shown("postgresql://reader:x@db/mlflow?password=y", "postgresql://reader@db/mlflow");
	shown("postgresql://:onlypw@db/mlflow", "postgresql://@db/mlflow");
	shown("mysql://reader@localhost/mlflow?socket=/run/mysqld/mysqld.sock",
	      "mysql://reader@localhost/mlflow?socket=/run/mysqld/mysqld.sock");
	/* The same shown URL registered twice keeps the first full one. */
	char *a = server_url_register("postgresql://u:one@h/db");
	char *b = server_url_register("postgresql://u:two@h/db");
	STR_EQ(a, b, "same shown URL");
	OK(!strstr(a, "one") && !strstr(b, "two"), "no password in %s", a);
	free(a);
	free(b);
	return TEST_END();
}
