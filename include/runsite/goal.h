/* goal.h — whether a metric is better when lower or higher, inferred from its
 * name ("val/loss" → lower, "train_accuracy" → higher). Knows no file format. */
#ifndef RUNSITE_GOAL_H
#define RUNSITE_GOAL_H

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

#endif
