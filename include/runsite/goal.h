/* goal.h — whether a metric is better when lower or higher, inferred from its
 * name ("val/loss" → lower, "train_accuracy" → higher). Knows no file format. */
#ifndef RUNSITE_GOAL_H
#define RUNSITE_GOAL_H

#include <stddef.h>

/* The same values as enum chart_goal, so a goal passes straight to a chart. */
enum goal {
	GOAL_NONE = 0,
	GOAL_MIN = -1, /* lower is better: loss, error, perplexity, ... */
	GOAL_MAX = 1,  /* higher is better: accuracy, f1, auc, ... */
};

/* The direction of the metric called key, from the words of its last path
 * component (then earlier ones); GOAL_NONE when no known word appears. */
enum goal goal_infer(const char *key);

/* True when value a is better than b under goal g (GOAL_NONE: never). */
int goal_better(enum goal g, double a, double b);

/* Directions given on the command line (--goal GLOB:min|max), in order. */
struct goal_rule {
	char *pattern; /* fnmatch(3) glob over the whole metric key */
	enum goal goal;
};

struct goal_rules {
	struct goal_rule *items;
	size_t n, cap;
};

/* Adds the rule spelt "GLOB:min" or "GLOB:max" (the last ':' separates, so
 * a key may hold colons). Returns 0, adding nothing, when arg is not one. */
int goal_rules_add(struct goal_rules *rules, const char *arg);
/* The direction of key: the first rule whose glob matches it, else
 * goal_infer(key). rules may be NULL. */
enum goal goal_for(const struct goal_rules *rules, const char *key);
/* True when some rule matches key. */
int goal_rules_match(const struct goal_rules *rules, const char *key);
void goal_rules_free(struct goal_rules *rules);

#endif
