/* goal.c — metric direction from the metric's name. The name is cut into
 * words at '/', '_', '-', '.', spaces and camelCase humps; the last known
 * word of the last path component decides, so "val/loss", "eval_loss" and
 * "valLoss" are all minimised and "loss/train" still is. */
#include <ctype.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/goal.h"
#include "runsite/util.h"

static const char *const min_words[] = {
	"loss", "error", "err", "perplexity", "ppl", "mae", "mse", "rmse", "wer", "cer", "nll",
	"mape", NULL,
};
static const char *const max_words[] = {
	"acc", "accuracy", "f1", "auc", "roc", "precision", "recall", "map", "iou", "miou", "bleu",
	"rouge", "rougel", "rougelsum", "r2", "top1", "top5", NULL,
};

/* GOAL_MIN/GOAL_MAX when word (lowercase, len bytes) is known; a known word
 * followed by digits counts too ("rouge1", "map50", "acc5"). */
static enum goal word_goal(const char *word, size_t len)
{
	for (int pass = 0; pass < 2; pass++) {
		const char *const *list = pass == 0 ? min_words : max_words;
		for (size_t i = 0; list[i]; i++) {
			size_t wl = strlen(list[i]);
			if (wl > len || memcmp(word, list[i], wl) != 0)
				continue;
			size_t j = wl;
			while (j < len && isdigit((unsigned char)word[j]))
				j++;
			if (j == len)
				return pass == 0 ? GOAL_MIN : GOAL_MAX;
		}
	}
	return GOAL_NONE;
}

/* The goal of one alphanumeric word as written: first the whole word
 * lowercased ("mAP"), then its camelCase parts from the last ("valLoss"). */
static enum goal token_goal(const char *s, size_t len)
{
	char low[64];
	if (len == 0 || len >= sizeof low)
		return GOAL_NONE;
	for (size_t i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	enum goal g = word_goal(low, len);
	if (g != GOAL_NONE)
		return g;
	size_t end = len;
	for (size_t i = len; i-- > 1;) {
		if (islower((unsigned char)s[i - 1]) && isupper((unsigned char)s[i])) {
			g = word_goal(low + i, end - i);
			if (g != GOAL_NONE)
				return g;
			end = i;
		}
	}
	return end < len ? word_goal(low, end) : GOAL_NONE;
}

enum goal goal_infer(const char *key)
{
	if (!key)
		return GOAL_NONE;
	size_t end = strlen(key);
	/* Path components from the last; within each, words from the last. */
	while (end > 0) {
		size_t start = end;
		while (start > 0 && key[start - 1] != '/')
			start--;
		size_t wend = end;
		while (wend > start) {
			size_t wstart = wend;
			while (wstart > start && isalnum((unsigned char)key[wstart - 1]))
				wstart--;
			enum goal g = token_goal(key + wstart, wend - wstart);
			if (g != GOAL_NONE)
				return g;
			wend = wstart > start ? wstart - 1 : start;
		}
		end = start > 0 ? start - 1 : 0;
	}
	return GOAL_NONE;
}

int goal_better(enum goal g, double a, double b)
{
	if (g == GOAL_MIN)
		return a < b;
	if (g == GOAL_MAX)
		return a > b;
	return 0;
}

int goal_rules_add(struct goal_rules *rules, const char *arg)
{
	const char *colon = arg ? strrchr(arg, ':') : NULL;
	if (!colon || colon == arg)
		return 0;
	enum goal g;
	if (strcmp(colon + 1, "min") == 0)
		g = GOAL_MIN;
	else if (strcmp(colon + 1, "max") == 0)
		g = GOAL_MAX;
	else
		return 0;
	GROW(rules->items, rules->cap, rules->n + 1);
	rules->items[rules->n].pattern = xstrndup(arg, (size_t)(colon - arg));
	rules->items[rules->n].goal = g;
	rules->n++;
	return 1;
}

int goal_rules_match(const struct goal_rules *rules, const char *key)
{
	for (size_t i = 0; rules && key && i < rules->n; i++)
		if (fnmatch(rules->items[i].pattern, key, 0) == 0)
			return 1;
	return 0;
}

enum goal goal_for(const struct goal_rules *rules, const char *key)
{
	for (size_t i = 0; rules && key && i < rules->n; i++)
		if (fnmatch(rules->items[i].pattern, key, 0) == 0)
			return rules->items[i].goal;
	return goal_infer(key);
}

void goal_rules_free(struct goal_rules *rules)
{
	for (size_t i = 0; i < rules->n; i++)
		free(rules->items[i].pattern);
	free(rules->items);
	memset(rules, 0, sizeof *rules);
}
